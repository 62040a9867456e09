import CSockScopeLog
import Glibc

/// An error number from the C library, as a typed value.
///
/// The statics read as what went wrong (`.noSuchFileOrDirectory`); the C names are available as
/// renamed aliases (`.ENOENT`).
public struct Errno: RawRepresentable, Error, Hashable, Sendable, CustomStringConvertible {
  public let rawValue: CInt

  public init(rawValue: CInt) { self.rawValue = rawValue }

  /// The calling thread's current `errno`.
  public static var current: Errno { Errno(rawValue: errno) }

  /// The symbol, such as `ENOENT`.
  public var name: String {
    sockscope_errno_name(rawValue).map { String(cString: $0) } ?? "errno \(rawValue)"
  }

  /// The C library's message, such as `No such file or directory`.
  public var message: String { String(cString: strerror(rawValue)) }

  /// `ENOENT: No such file or directory`.
  public var description: String { "\(name): \(message)" }

  public static let interrupted = Errno(rawValue: Glibc.EINTR)
  public static let noSuchFileOrDirectory = Errno(rawValue: Glibc.ENOENT)
  public static let permissionDenied = Errno(rawValue: Glibc.EACCES)
  public static let fileExists = Errno(rawValue: Glibc.EEXIST)
  public static let wouldBlock = Errno(rawValue: Glibc.EAGAIN)
  public static let badFileDescriptor = Errno(rawValue: Glibc.EBADF)
  public static let connectionRefused = Errno(rawValue: Glibc.ECONNREFUSED)
  public static let addressInUse = Errno(rawValue: Glibc.EADDRINUSE)
  public static let notASocket = Errno(rawValue: Glibc.ENOTSOCK)
  public static let noSpace = Errno(rawValue: Glibc.ENOSPC)
  public static let nameTooLong = Errno(rawValue: Glibc.ENAMETOOLONG)
  public static let invalidArgument = Errno(rawValue: Glibc.EINVAL)
  public static let messageTooLong = Errno(rawValue: Glibc.EMSGSIZE)
  public static let readOnlyFileSystem = Errno(rawValue: Glibc.EROFS)

  @available(*, unavailable, renamed: "interrupted")
  public static var EINTR: Errno { .interrupted }
  @available(*, unavailable, renamed: "noSuchFileOrDirectory")
  public static var ENOENT: Errno { .noSuchFileOrDirectory }
  @available(*, unavailable, renamed: "connectionRefused")
  public static var ECONNREFUSED: Errno { .connectionRefused }
  @available(*, unavailable, renamed: "wouldBlock")
  public static var EAGAIN: Errno { .wouldBlock }
}
