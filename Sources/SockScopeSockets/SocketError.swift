/// A socket call that failed: which call, the errno, and what it was called on.
public struct SocketError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The C function, such as `connect`.
  public var call: String
  /// Why it failed.
  public var errno: Errno
  /// What the call acted on, such as the socket path `./echo.socket`.
  public var context: String?

  /// A failure of `call` with `errno`, on `context`.
  public init(call: String, errno: Errno, context: String? = nil) {
    self.call = call
    self.errno = errno
    self.context = context
  }

  /// `connect("./echo.socket"): ENOENT: No such file or directory`.
  public var description: String {
    let target = context.map { "(\"\($0)\")" } ?? "()"
    return "\(call)\(target): \(errno)"
  }
}

/// A UNIX socket address that cannot be used, found before the kernel sees it.
public enum AddressError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The path does not fit in `sun_path`.
  case pathTooLong(path: String, length: Int, limit: Int)
  /// The path is empty.
  case emptyPath
  /// The path contains a NUL byte, which would silently cut it.
  case containsNUL(path: String)

  /// The path, its length, the limit and a fix; or what else is wrong with it.
  public var description: String {
    switch self {
    case .pathTooLong(let path, let length, let limit):
      let shown = path.count > 48 ? String(path.prefix(45)) + "..." : path
      return
        "socket path \"\(shown)\" is \(length) bytes; sockscope takes a UNIX socket name of at most \(limit) bytes, "
        + "so that it fits sun_path (\(limit + 1) bytes) with a NUL (at a path's end, an abstract name's start). "
        + "Use a shorter path, for example a relative one such as ./echo.socket, or one under /tmp."
    case .emptyPath:
      return "socket path is empty; name a file such as ./echo.socket"
    case .containsNUL(let path):
      return "socket path \"\(path)\" contains a NUL byte; for an abstract socket use an abstract address"
    }
  }
}

extension Result where Failure == Errno {
  /// The value, or a `SocketError` naming the call and its context.
  @inline(__always)
  func get(call: String, context: String? = nil) throws(SocketError) -> Success {
    switch self {
    case .success(let value): return value
    case .failure(let errno): throw SocketError(call: call, errno: errno, context: context)
    }
  }
}
