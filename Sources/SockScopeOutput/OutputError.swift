import Glibc

/// An output file that could not be written, or was refused before anything was written.
public struct OutputError: Error, Sendable, CustomStringConvertible {
  /// The file that could not be written.
  public var path: String
  /// Why, with the fix when there is one.
  public var message: String
  /// The system call's errno, when one failed.
  public var errno: Int32?
  /// Whether the path was refused before anything was done (it is an input of the command, a
  /// link, a directory): a usage error, not a failure of the system.
  public var isRefusal = false
  /// `figure.png: cannot be written: ...`.
  public var description: String { "\(path): \(message)" }

  /// An error about `path`.
  public init(path: String, message: String, errno: Int32? = nil, isRefusal: Bool = false) {
    self.path = path
    self.message = message
    self.errno = errno
    self.isRefusal = isRefusal
  }

  /// What to do when a file cannot be written into a directory for the reason `errno`, when
  /// there is something to say: one wording for traces, logs, figures and recording alike.
  public static func fix(forErrno errno: Int32) -> String? {
    switch errno {
    case EACCES, EPERM, EROFS: "choose a directory you can write to"
    case ENOSPC, EDQUOT: "free some space or choose another directory"
    case ELOOP:
      "it is a symbolic link, and sockscope never writes through a link it did not make: remove the "
        + "link or choose another directory"
    default: nil
    }
  }
}
