import CSockScopeLog
import Foundation
import Glibc
import SockScopeOutput

/// Recording failed to start: the trace directory cannot hold a log.
public struct RecorderError: Error, Sendable, CustomStringConvertible {
  /// The trace directory asked for.
  public var directory: String
  /// Why it cannot hold a log.
  public var errno: Errno

  /// Whether recording was refused rather than failed: the directory is a symbolic link, which
  /// sockscope never writes through.
  public var isRefusal: Bool { errno.rawValue == ELOOP }

  /// The directory, the errno and a fix.
  public var description: String {
    let fix =
      OutputError.fix(forErrno: errno.rawValue) ?? "check that the path names a directory you can write to"
    return "cannot record into \"\(directory)\": \(errno); \(fix)"
  }
}

/// Records every call of the socket layer into the process's log in a trace directory.
///
/// Recording is per process: start it once, early; every socket call after that is recorded until
/// `finish()` (also run at exit). A process killed before `finish()` keeps every event recorded
/// before the kill: the log is shared memory that outlives the process.
public enum Recorder {
  /// Where standard output and error text come from, for `output`.
  public enum Stream: CInt, Sendable {
    /// Descriptor 1.
    case standardOutput = 1
    /// Descriptor 2.
    case standardError = 2
  }

  /// Starts recording into `directory` (created if missing) under `role`, keeping the first
  /// `captureLimit` bytes of each payload. A role longer than `maximumRoleLength` bytes is cut as
  /// `setRole` cuts it; check it first with `roleProblem` to refuse it instead.
  public static func start(directory: String, role: String, captureLimit: Int = 256) throws(RecorderError) {
    try prepareDirectory(directory)
    let limit = UInt32(clamping: max(0, captureLimit))
    let result = sockscope_log_open(directory, role, limit)
    guard result == 0 else { throw RecorderError(directory: directory, errno: Errno(rawValue: -result)) }
  }

  /// Creates the trace directory `path` and its missing parents (`mkdir -p`), or says why it
  /// cannot hold logs, with the errno: mkdir(2) itself, so the error is the real one (EROFS,
  /// ENOSPC, ENOTDIR...).
  public static func prepareDirectory(_ path: String) throws(RecorderError) {
    if let failure = makeDirectories(path) { throw RecorderError(directory: path, errno: failure) }
  }

  static func makeDirectories(_ path: String) -> Errno? {
    var prefix = path.hasPrefix("/") ? "/" : ""
    for component in path.split(separator: "/") {
      prefix += component
      if mkdir(prefix, 0o755) != 0 && Glibc.errno != EEXIST { return Errno(rawValue: Glibc.errno) }
      prefix += "/"
    }
    // The directory the logs go in is never a link: a link planted there would send them (and the
    // files created in it) somewhere else. Directories above it are the user's to arrange.
    var st = stat()
    guard lstat(path, &st) == 0 else { return Errno(rawValue: Glibc.errno) }
    if (st.st_mode & S_IFMT) == S_IFLNK { return Errno(rawValue: ELOOP) }
    return (st.st_mode & S_IFMT) == S_IFDIR ? nil : Errno(rawValue: ENOTDIR)
  }

  /// Whether calls are being recorded.
  public static var isRecording: Bool { sockscope_log_is_open() != 0 }

  /// The path of this process's log, while recording.
  public static var logPath: String? { sockscope_log_path().map { String(cString: $0) } }

  /// Changes this process's role (such as `client#2`). A role longer than `maximumRoleLength`
  /// bytes is cut after the last whole character that fits, and the trace's problems say so.
  public static func setRole(_ role: String) { sockscope_log_set_role(role) }

  /// The longest role a log keeps, in bytes of UTF-8 (63: 63 Latin letters, 31 Cyrillic ones).
  public static let maximumRoleLength = Int(SOCKSCOPE_ROLE_MAX)

  /// Why `role` cannot be a role (it is longer than `maximumRoleLength` bytes), or nil when it can.
  /// Commands check `--role` with this before starting anything, so a long role is refused rather
  /// than cut.
  public static func roleProblem(_ role: String, option: String = "--role") -> String? {
    let length = role.utf8.count
    guard length > maximumRoleLength else { return nil }
    return
      "\(option) is \(length) bytes of UTF-8; a role holds at most \(maximumRoleLength) bytes "
      + "(\(maximumRoleLength) Latin letters or \(maximumRoleLength / 2) Cyrillic ones): choose a shorter name"
  }

  /// Closes the log: marks it complete and trims it. Later calls are not recorded.
  public static func finish() { sockscope_log_close() }

  /// Records text the program printed, so players can show each process's console.
  public static func output(_ text: String, stream: Stream = .standardOutput) {
    output(bytes: Array(text.utf8), stream: stream)
  }

  /// Records bytes the program printed exactly, valid UTF-8 or not.
  public static func output(bytes: [UInt8], stream: Stream = .standardOutput) {
    bytes.withUnsafeBytes { output(raw: $0, stream: stream) }
  }

  /// Records bytes the program printed, read in place: the echo pair records every console line,
  /// so the hot path neither copies nor allocates (a mutable copy of a shared array did both).
  public static func output(raw bytes: UnsafeRawBufferPointer, stream: Stream = .standardOutput) {
    guard isRecording else { return }
    _ = sockscope_log_output(stream.rawValue, bytes.baseAddress, bytes.count)
  }
}
