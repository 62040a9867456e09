import Glibc
import SockScopeSockets
import Synchronization

/// Where the echo pair prints. Every line is written straight to the descriptor (no buffering, so
/// output interleaves correctly with other processes) and recorded as an `output` event while
/// recording, so a player can show each process's console.
public struct Console: Sendable {
  public init() {}

  /// The errno of the first write that failed (a full disk, a closed pipe), if one did. The pair
  /// goes on serving without output, as the page's programs would go on without a terminal, and
  /// the command reports the failure with a non-zero exit status when it ends.
  public static var failure: Int32? { firstFailure.withLock { $0 } }
  private static let firstFailure = Mutex<Int32?>(nil)

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
      if n <= 0 {
        let code = n < 0 ? errno : EIO
        Self.firstFailure.withLock { $0 = $0 ?? code }
        return
      }
      bytes = bytes.dropFirst(n)
    }
  }
}
