import Glibc

/// Unbuffered writes to standard output or error, so lines from several sources interleave in
/// the order they were written.
struct FileOutput: Sendable {
  let fd: CInt

  static let standardOutput = FileOutput(fd: 1)
  static let standardError = FileOutput(fd: 2)

  func write(_ text: String) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
      let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { return }
      bytes = bytes.dropFirst(n)
    }
  }

  /// Whether the descriptor is a terminal.
  var isTerminal: Bool { isatty(fd) == 1 }
}
