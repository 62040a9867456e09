import Glibc
import SockScopeOutput
import SockScopeTrace
import Synchronization

/// Unbuffered writes to standard output or error, so lines from several sources interleave in
/// the order they were written.
///
/// A write that fails (a full disk, a closed descriptor) is never dropped silently: the first
/// errno is kept, later writes to that descriptor are skipped, and `reportingFailures` turns it
/// into an error message and a non-zero exit status when the command ends.
struct FileOutput: Sendable {
  let fd: CInt

  static let standardOutput = FileOutput(fd: 1)
  static let standardError = FileOutput(fd: 2)

  /// The first errno of a failed write, per descriptor (1 and 2); none while no write failed.
  private static let failures = Mutex<[CInt: Int32]>([:])

  func write(_ text: String) { write(Array(text.utf8)) }

  func write(_ data: [UInt8]) {
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
  static let isAnInput: Int32 = -1

  /// The errno of the first write that failed on this descriptor, if one did, or `isAnInput`.
  var failure: Int32? { Self.failures.withLock { $0[fd] } }

  /// Whether the descriptor is a terminal.
  var isTerminal: Bool { isatty(fd) == 1 }

  /// Refuses to write a command's result to standard output when it is one of the command's own
  /// input files (`sockscope import strace run.log >> run.log`).
  func requireNotAnInput() throws(CommandFailure) {
    guard OutputFileWriter.isInput(descriptor: fd) else { return }
    throw CommandFailure(
      "standard output is an input of this command (the same file, by device and inode); writing it "
        + "would destroy what is being read: redirect the output elsewhere", exitCode: 2)
  }
}
