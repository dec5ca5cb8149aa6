import Glibc

/// Asks for a PIN on the controlling terminal with echo off, as `aws_signing_helper` does.
public enum TerminalPIN {
    /// The line typed after `prompt` on `/dev/tty`; nil when the process has no terminal, or when the input
    /// ends before a newline (Ctrl-D, a hang-up): a PIN nobody finished typing is never tried, since every
    /// wrong one counts against the token's retries.
    @Sendable public static func ask(_ prompt: String) -> [UInt8]? {
        let fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var saved = termios()
        guard tcgetattr(fd, &saved) == 0 else { return nil }
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        guard tcsetattr(fd, TCSAFLUSH, &quiet) == 0 else { return nil }
        defer {
            tcsetattr(fd, TCSAFLUSH, &saved)
            _ = write(fd, "\n", 1)
        }
        _ = prompt.withCString { write(fd, $0, strlen($0)) }
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while line.count < 256 {
            let count = read(fd, &byte, 1)
            if count < 0, errno == EINTR { continue }
            guard count == 1 else {
                for index in line.indices { line[index] = 0 }
                return nil
            }
            if byte == 0x0A || byte == 0x0D { break }
            line.append(byte)
        }
        return line
    }
}
