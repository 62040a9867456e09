import Glibc

/// Unbuffered writes to standard output or error, so lines from several sources interleave in
/// the order they were written.
struct FileOutput: Sendable {
  let fd: CInt

  static let standardOutput = FileOutput(fd: 1)
  static let standardError = FileOutput(fd: 2)

  func write(_ text: String) { write(Array(text.utf8)) }

  func write(_ data: [UInt8]) {
    var bytes = data[...]
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
