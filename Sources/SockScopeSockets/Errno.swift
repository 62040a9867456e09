import CSockScopeLog
import Glibc

/// An error number from the C library, as a typed value.
///
/// The statics read as what went wrong (`.noSuchFileOrDirectory`); the C names are available as
/// renamed aliases (`.ENOENT`).
public struct Errno: RawRepresentable, Error, Hashable, Sendable, CustomStringConvertible {
  /// The errno number.
  public let rawValue: CInt

  /// The error with this errno number.
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

  /// `EINTR`: a signal interrupted the call.
  public static let interrupted = Errno(rawValue: Glibc.EINTR)
  /// `ENOENT`: no file at the path (no server's socket there).
  public static let noSuchFileOrDirectory = Errno(rawValue: Glibc.ENOENT)
  /// `EACCES`: no write permission on the socket file or search permission on a directory.
  public static let permissionDenied = Errno(rawValue: Glibc.EACCES)
  /// `EEXIST`: a file already exists at the path.
  public static let fileExists = Errno(rawValue: Glibc.EEXIST)
  /// `EAGAIN`: a non-blocking call would have waited.
  public static let wouldBlock = Errno(rawValue: Glibc.EAGAIN)
  /// `EBADF`: the descriptor is not open.
  public static let badFileDescriptor = Errno(rawValue: Glibc.EBADF)
  /// `ECONNREFUSED`: no socket listens or receives at the address.
  public static let connectionRefused = Errno(rawValue: Glibc.ECONNREFUSED)
  /// `EADDRINUSE`: a file already exists at the path being bound.
  public static let addressInUse = Errno(rawValue: Glibc.EADDRINUSE)
  /// `ENOTSOCK`: the descriptor is not a socket.
  public static let notASocket = Errno(rawValue: Glibc.ENOTSOCK)
  /// `ENOSPC`: no space left on the device.
  public static let noSpace = Errno(rawValue: Glibc.ENOSPC)
  /// `ENAMETOOLONG`: a path or one of its components is too long.
  public static let nameTooLong = Errno(rawValue: Glibc.ENAMETOOLONG)
  /// `EINVAL`: an argument is invalid (an address too long for `sun_path`, among others).
  public static let invalidArgument = Errno(rawValue: Glibc.EINVAL)
  /// `EMSGSIZE`: a datagram larger than the send buffer.
  public static let messageTooLong = Errno(rawValue: Glibc.EMSGSIZE)
  /// `EROFS`: the file system is read-only.
  public static let readOnlyFileSystem = Errno(rawValue: Glibc.EROFS)

  /// The C name of `interrupted`.
  @available(*, unavailable, renamed: "interrupted")
  public static var EINTR: Errno { .interrupted }
  /// The C name of `noSuchFileOrDirectory`.
  @available(*, unavailable, renamed: "noSuchFileOrDirectory")
  public static var ENOENT: Errno { .noSuchFileOrDirectory }
  /// The C name of `connectionRefused`.
  @available(*, unavailable, renamed: "connectionRefused")
  public static var ECONNREFUSED: Errno { .connectionRefused }
  /// The C name of `wouldBlock`.
  @available(*, unavailable, renamed: "wouldBlock")
  public static var EAGAIN: Errno { .wouldBlock }
}
