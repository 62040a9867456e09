import Glibc
import Synchronization

/// Set by the SIGINT handler; read by the line reader.
let interruptReceived = Atomic<Bool>(false)
/// /dev/null, opened before the handler is installed, for the handler to put on standard input.
let nullDescriptor = Atomic<CInt>(-1)

/// One result of reading standard input.
public enum InputLine: Sendable, Equatable {
  case line(String)
  /// Ctrl-C (SIGINT) arrived while waiting.
  case interrupted
  /// End of input.
  case end
}

/// Reads lines from standard input and notices Ctrl-C while blocked, as Python's `raw_input`
/// raises KeyboardInterrupt.
public final class LineReader {
  private var buffer: [UInt8] = []
  private let fd: CInt

  /// Whether standard input is a terminal (the terminal then echoes what is typed).
  public let isTerminal: Bool

  public init(fd: CInt = 0) {
    self.fd = fd
    isTerminal = isatty(fd) == 1
  }

  /// Catches SIGINT without SA_RESTART, so a blocked read returns EINTR and the reader can stop.
  /// SIGINT is also unblocked: a process may inherit a mask that blocks it (test runners and some
  /// launchers do), and Ctrl-C must still work.
  public static func catchInterrupt() {
    nullDescriptor.store(open("/dev/null", O_RDONLY | O_CLOEXEC), ordering: .relaxed)
    var action = sigaction()
    action.__sigaction_handler.sa_handler = { _ in
      interruptReceived.store(true, ordering: .relaxed)
      // A SIGINT that lands after the flag was checked but before read() starts would otherwise
      // leave read() blocked until the next line: with /dev/null on standard input it returns at once.
      let null = nullDescriptor.load(ordering: .relaxed)
      if null >= 0 { dup2(null, 0) }
    }
    sigemptyset(&action.sa_mask)
    action.sa_flags = 0
    sigaction(SIGINT, &action, nil)
    var interrupt = sigset_t()
    sigemptyset(&interrupt)
    sigaddset(&interrupt, SIGINT)
    pthread_sigmask(SIG_UNBLOCK, &interrupt, nil)
  }

  /// The next line without its newline (a carriage return before it is dropped too).
  public func next() -> InputLine {
    while true {
      if interruptReceived.load(ordering: .relaxed) { return .interrupted }
      if let newline = buffer.firstIndex(of: 0x0A) {
        var line = Array(buffer[..<newline])
        buffer.removeSubrange(...newline)
        if line.last == 0x0D { line.removeLast() }
        return .line(String(decoding: line, as: UTF8.self))
      }
      var chunk = [UInt8](repeating: 0, count: 4096)
      let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if interruptReceived.load(ordering: .relaxed) { return .interrupted }
      if n > 0 {
        buffer += chunk[..<n]
      } else if n < 0 && errno == EINTR {
        continue
      } else {
        guard !buffer.isEmpty else { return .end }
        let line = String(decoding: buffer, as: UTF8.self)
        buffer.removeAll()
        return .line(line)
      }
    }
  }
}
