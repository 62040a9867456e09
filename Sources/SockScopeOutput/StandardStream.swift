import Glibc
import Synchronization

/// Standard output or standard error, written unbuffered, so lines from several sources
/// interleave in the order they were written. (Files are written by `OutputFileWriter`.)
///
/// A write that fails (a full disk, a closed descriptor) is never dropped silently: the first
/// errno is kept, later writes to that descriptor are skipped, and the command (sockscope's `reportingFailures`)
/// turns it into an error message and a non-zero exit status when the command ends.
public struct StandardStream: Sendable {
  /// The descriptor: 1 or 2.
  public let fd: CInt

  /// Descriptor 1.
  public static let standardOutput = StandardStream(fd: 1)
  /// Descriptor 2.
  public static let standardError = StandardStream(fd: 2)

  /// The first errno of a failed write, per descriptor (1 and 2); none while no write failed.
  private static let failures = Mutex<[CInt: Int32]>([:])

  /// Writes `text` as UTF-8.
  public func write(_ text: String) { write(Array(text.utf8)) }

  /// Writes `data` whole, unless an earlier write to this descriptor failed.
  public func write(_ data: [UInt8]) {
    guard failure == nil else { return }
    // Appending to a file this command reads (`sockscope diff a b >> a`) would change its input.
    if OutputFileWriter.isInput(descriptor: fd) {
      Self.failures.withLock { $0[fd] = Self.isAnInput }
      return
    }
    var bytes = data[...]
    while !bytes.isEmpty {
      let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
      if n < 0 && errno == EINTR { continue }
      if n <= 0 {
        let code = n < 0 ? errno : EIO
        Self.failures.withLock { $0[fd] = $0[fd] ?? code }
        return
      }
      bytes = bytes.dropFirst(n)
    }
  }

  /// The failure recorded when the descriptor is one of the command's input files.
  public static let isAnInput: Int32 = -1

  /// The errno of the first write that failed on this descriptor, if one did, or `isAnInput`.
  public var failure: Int32? { Self.failures.withLock { $0[fd] } }

  /// Whether the descriptor is a terminal.
  public var isTerminal: Bool { isatty(fd) == 1 }
}
