import Glibc
import Synchronization

/// Asks for a PIN on the controlling terminal with echo off, as `aws_signing_helper` does.
public enum TerminalPIN {
    /// Signals that end the process at the prompt (Ctrl-C, Ctrl-\, a kill, a hang-up): their handler puts
    /// the terminal's echo back before the process dies of the signal, as it would have anyway.
    static let endingSignals = [SIGINT, SIGQUIT, SIGTERM, SIGHUP]

    /// The line typed after `prompt` on `/dev/tty`; nil when the process has no terminal, or when the input
    /// ends before a newline (Ctrl-D, a hang-up): a PIN nobody finished typing is never tried, since every
    /// wrong one counts against the token's retries.
    @Sendable public static func ask(_ prompt: String) -> [UInt8]? {
        let fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var saved = termios()
        guard tcgetattr(fd, &saved) == 0 else { return nil }
        // The handlers go in before echo goes off, so no signal can leave the terminal silent.
        promptTerminal.pointee = saved
        promptFD.store(fd, ordering: .sequentiallyConsistent)
        var previous: [(Int32, __sighandler_t?)] = []
        for number in endingSignals {
            let handler = signal(number, restoreTerminalAndDie)
            // A signal the process was started with ignored (nohup) stays ignored.
            if unsafeBitCast(handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self) {
                signal(number, handler)
            } else {
                previous.append((number, handler))
            }
        }
        defer {
            promptFD.store(-1, ordering: .sequentiallyConsistent)
            for (number, handler) in previous { signal(number, handler) }
        }
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

/// The terminal settings to put back, and the terminal's descriptor while a prompt is up (else -1), for
/// the signal handler: memory allocated once and an atomic, so that it reads them without the Swift
/// runtime (no exclusivity bookkeeping). Written only by `TerminalPIN.ask`, one prompt at a time.
nonisolated(unsafe) private let promptTerminal: UnsafeMutablePointer<termios> = {
    let pointer = UnsafeMutablePointer<termios>.allocate(capacity: 1)
    pointer.initialize(to: termios())
    return pointer
}()
private let promptFD = Atomic<Int32>(-1)

/// Async-signal-safe calls only: put the settings back, end the prompt's line, then die of the signal
/// (blocked while its handler runs, so it is delivered, with the default action, on return).
private func restoreTerminalAndDie(_ number: Int32) {
    let fd = promptFD.load(ordering: .sequentiallyConsistent)
    if fd >= 0 {
        tcsetattr(fd, TCSANOW, promptTerminal)
        _ = write(fd, "\n", 1)
    }
    signal(number, SIG_DFL)
    raise(number)
}
