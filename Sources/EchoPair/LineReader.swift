import Glibc
import Synchronization

/// Set by the SIGINT handler; read by the line reader.
let interruptReceived = Atomic<Bool>(false)
/// /dev/null, opened before the handler is installed, for the handler to put on standard input.
let nullDescriptor = Atomic<CInt>(-1)

/// One result of reading standard input.
public enum InputLine: Sendable, Equatable {
  /// A line's bytes exactly as read (UTF-8 or not), without its line ending.
  case line([UInt8])
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

  /// Waits until `fd` can send without blocking, or Ctrl-C; returns false for Ctrl-C.
  ///
  /// A datagram `send` blocks while the server's receive queue is full (a server that stopped
  /// reading). SIGINT is blocked while the flag is checked and unblocked only inside `pselect`, so a
  /// Ctrl-C that arrives just before the wait still ends it.
  static func waitUntilWritable(_ fd: CInt) -> Bool {
    // fd_set holds descriptors below FD_SETSIZE; a larger one is left to the send itself.
    guard fd >= 0 && fd < 1024 else { return !interrupted }
    var interrupt = sigset_t()
    sigemptyset(&interrupt)
    sigaddset(&interrupt, SIGINT)
    var previous = sigset_t()
    pthread_sigmask(SIG_BLOCK, &interrupt, &previous)
    defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
    var waiting = previous
    sigdelset(&waiting, SIGINT)
    while true {
      if interruptReceived.load(ordering: .relaxed) { return false }
      var writable = fd_set()
      withUnsafeMutableBytes(of: &writable) { raw in
        raw.bindMemory(to: Int.self)[Int(fd) / Int.bitWidth] |= 1 << (Int(fd) % Int.bitWidth)
      }
      let n = pselect(fd + 1, nil, &writable, nil, nil, &waiting)
      // Writable, or an error or hang-up that the send itself will report.
      if n > 0 { return true }
      if n < 0 && errno != EINTR { return true }
    }
  }

  /// Whether Ctrl-C has arrived since `catchInterrupt`.
  static var interrupted: Bool { interruptReceived.load(ordering: .relaxed) }

  /// The next line without its newline (a carriage return before it is dropped too), as bytes: the
  /// client sends exactly what was typed, as the page's client does.
  public func next() -> InputLine {
    while true {
      if interruptReceived.load(ordering: .relaxed) { return .interrupted }
      if let newline = buffer.firstIndex(of: 0x0A) {
        var line = Array(buffer[..<newline])
        buffer.removeSubrange(...newline)
        if line.last == 0x0D { line.removeLast() }
        return .line(line)
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
        defer { buffer.removeAll() }
        return .line(buffer)
      }
    }
  }
}
