import Glibc
import SockScopeSockets

/// Where the echo pair prints. Every line is written straight to the descriptor (no buffering, so
/// output interleaves correctly with other processes) and recorded as an `output` event while
/// recording, so a player can show each process's console.
public struct Console: Sendable {
  public init() {}

  /// Prints `line` and a newline on standard output.
  public func print(_ line: String) { write(line + "\n", to: .standardOutput) }

  /// Prints `text` as is (a prompt) on standard output.
  public func prompt(_ text: String) { write(text, to: .standardOutput) }

  /// Prints `line` and a newline on standard output, byte for byte: a line typed in another
  /// encoding is shown as typed, as the page's Python 2 client prints it.
  public func print(bytes line: [UInt8]) { write(bytes: line + [0x0A], to: .standardOutput) }

  /// Prints `line` and a newline on standard error.
  public func error(_ line: String) { write(line + "\n", to: .standardError) }

  func write(_ text: String, to stream: Recorder.Stream) { write(bytes: Array(text.utf8), to: stream) }

  func write(bytes text: [UInt8], to stream: Recorder.Stream) {
    Recorder.output(bytes: text, stream: stream)
    var bytes = text[...]
    while !bytes.isEmpty {
      let n = bytes.withUnsafeBytes { Glibc.write(stream.rawValue, $0.baseAddress, $0.count) }
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { return }  // Nowhere to print (a closed pipe): the program goes on without output.
      bytes = bytes.dropFirst(n)
    }
  }
}
