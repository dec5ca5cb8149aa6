import AnchorageCrypto
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
        (try? read(prompt)) ?? nil
    }

    /// The longest PIN or password read; a longer line is an error, never a PIN cut short.
    static let maximumLength = 256

    /// `ask`, with a line longer than `maximumLength` bytes an error (`ask` reports it on the terminal and
    /// answers nil).
    @Sendable public static func read(_ prompt: String) throws(HelperError) -> [UInt8]? {
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
        // One buffer, allocated once and zeroed in place: appending would leave copies of the PIN behind.
        var line = [UInt8](repeating: 0, count: maximumLength + 1)
        defer { PINBytes.wipe(&line) }
        var length = 0
        var byte: UInt8 = 0
        while true {
            let count = Glibc.read(fd, &byte, 1)
            if count < 0, errno == EINTR { continue }
            guard count == 1 else { return nil }
            if byte == 0x0A || byte == 0x0D { break }
            guard length < maximumLength else {
                // The rest of the line is dropped with the terminal's pending input (TCSAFLUSH) on return.
                let message = "\nthe PIN is longer than \(maximumLength) bytes; it was not used\n"
                _ = message.withCString { Glibc.write(fd, $0, strlen($0)) }
                throw HelperError("the PIN typed is longer than \(maximumLength) bytes")
            }
            line[length] = byte
            length += 1
        }
        byte = 0
        return Array(line[..<length])
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
