import CSockScopeLog
import Glibc

/// The file at a socket path, and removing it safely.
public enum SocketFile {
  /// What is at a path.
  public enum Kind: Sendable, Equatable {
    /// Nothing is there.
    case missing
    /// A socket file.
    case socket
    /// Something else, named for people: `regular file`, `directory`, `symbolic link`...
    case other(String)
  }

  /// What is at `path`: without following a symbolic link (lstat), or, with `followingLinks`, what
  /// a symbolic link leads to (stat), as `connect` sees the path; a dangling link is then `missing`.
  public static func kind(at path: String, followingLinks: Bool = false) throws(SocketError) -> Kind {
    var st = stat()
    guard (followingLinks ? stat(path, &st) : system_lstat(path, &st)) == 0 else {
      let e = Errno.current
      if e == .noSuchFileOrDirectory { return .missing }
      throw SocketError(call: followingLinks ? "stat" : "lstat", errno: e, context: path)
    }
    switch st.st_mode & S_IFMT {
    case S_IFSOCK: return .socket
    case S_IFREG: return .other("regular file")
    case S_IFDIR: return .other("directory")
    case S_IFLNK: return .other("symbolic link")
    case S_IFIFO: return .other("named pipe")
    case S_IFCHR, S_IFBLK: return .other("device")
    default: return .other("file")
    }
  }

  /// Removes the name `path`. The corresponding C function is `unlink(2)`.
  public static func unlink(
    _ path: String, file: StaticString = #fileID, line: UInt = #line, function: StaticString = #function
  ) throws(SocketError) {
    let inode = sockscope_log_is_open() != 0 ? sockscope_path_inode(path) : 0
    let result = perform(
      SOCKSCOPE_CALL_UNLINK, fd: -1, retryOnInterrupt: false, site: SourceSite(file, line, function)
    ) {
      Int(system_unlink(path))
    } record: { r, _ in
      r.address = Array(path.utf8)
      r.record.path_ino = inode
      r.append()
    }
    _ = try result.get(call: "unlink", context: path)
  }

  /// The identity of a file: its device and inode numbers, as `lstat` reports them.
  public struct Identity: Sendable, Hashable {
    /// The file system's device number.
    public var device: UInt64
    /// The file's inode number.
    public var inode: UInt64
    /// The identity of one file.
    public init(device: UInt64, inode: UInt64) {
      self.device = device
      self.inode = inode
    }
  }

  /// The identity of the file at `path`, without following a symbolic link; nil if nothing is there.
  public static func identity(at path: String) throws(SocketError) -> Identity? {
    var st = stat()
    guard system_lstat(path, &st) == 0 else {
      let e = Errno.current
      if e == .noSuchFileOrDirectory { return nil }
      throw SocketError(call: "lstat", errno: e, context: path)
    }
    return Identity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
  }

  /// Whether a socket is bound to the socket file at `path`: a datagram socket tries to connect.
  ///
  /// ECONNREFUSED means nothing is bound to the file any more (it is stale); a connection, or
  /// EPROTOTYPE from a stream or seqpacket socket, means a live socket holds it. Neither `connect`
  /// has an effect the other side sees (a datagram connect has no handshake). The probe is made
  /// below the recorder: it is the tool's check, not a call of the program being recorded.
  static func answers(at path: String) throws(SocketFileError) -> Bool {
    let address: UnixAddress
    do { address = try UnixAddress(path: path) } catch { throw .unusablePath(path: path, error) }
    let probe = system_socket(AF_UNIX, CInt(SOCK_DGRAM.rawValue) | CInt(SOCK_CLOEXEC.rawValue), 0)
    guard probe >= 0 else { throw .failed(SocketError(call: "socket", errno: .current)) }
    defer { _ = system_close(probe) }
    var result: CInt = -1
    var err = Errno(rawValue: 0)
    repeat {
      result = address.withSockaddr { system_connect(probe, $0, $1) }
      err = result == 0 ? Errno(rawValue: 0) : .current
    } while result != 0 && err == .interrupted
    if result == 0 { return true }
    switch err.rawValue {
    case ECONNREFUSED: return false
    case EPROTOTYPE: return true
    case ENOENT: return false
    default: throw .cannotProbe(path: path, SocketError(call: "connect", errno: err, context: path))
    }
  }

  /// Removes a socket file left at `path` by a server that has ended. Returns whether one was removed.
  ///
  /// Only a socket file is removed (checked with `lstat`, so a symbolic link is never followed), and
  /// only when nothing answers on it (see `answers(at:)`): a live server's socket is never taken.
  /// Anything that is not a socket is left alone and reported, as swift-nio's
  /// `cleanupUnixDomainSocket` does: a typo in a path must never delete someone's file.
  @discardableResult
  public static func removeStale(
    at path: String, file: StaticString = #fileID, line: UInt = #line, function: StaticString = #function
  ) throws(SocketFileError) -> Bool {
    let kind: Kind
    do { kind = try self.kind(at: path) } catch { throw .failed(error) }
    switch kind {
    case .missing: return false
    case .other(let what): throw .notASocket(path: path, kind: what)
    case .socket:
      if try answers(at: path) { throw .inUse(path: path) }
      do { try unlink(path, file: file, line: line, function: function) } catch {
        if error.errno == .noSuchFileOrDirectory { return false }
        throw .failed(error)
      }
      return true
    }
  }

  /// Whether the file at `path` is still the socket file `identity` (recorded right after `bind`).
  ///
  /// Reliable while the bound socket is open: the socket holds its file's inode, so no other file can
  /// have that inode number; once the socket is closed a new file may reuse the number.
  public static func isStill(_ identity: Identity, at path: String) throws(SocketError) -> Bool {
    guard try self.identity(at: path) == identity else { return false }
    return try kind(at: path) == .socket
  }

  /// Removes the socket file at `path` only if it is still `identity` (the file this process bound).
  /// Returns whether it was removed; a file that is gone or is another one (a later server's) is left.
  /// Check with `isStill` before closing the socket, and call this right after (see `isStill`).
  @discardableResult
  public static func removeOwn(
    at path: String, identity: Identity, file: StaticString = #fileID, line: UInt = #line,
    function: StaticString = #function
  ) throws(SocketFileError) -> Bool {
    do { guard try isStill(identity, at: path) else { return false } } catch { throw .failed(error) }
    do { try unlink(path, file: file, line: line, function: function) } catch {
      if error.errno == .noSuchFileOrDirectory { return false }
      throw .failed(error)
    }
    return true
  }
}

/// A socket path that could not be cleaned up.
public enum SocketFileError: Error, Sendable, Equatable, CustomStringConvertible {
  /// Something other than a socket is at the path; it was not touched.
  case notASocket(path: String, kind: String)
  /// A live socket is bound to the path (it answered a connect test); it was not touched.
  case inUse(path: String)
  /// The connect test failed in a way that does not tell whether the socket is live.
  case cannotProbe(path: String, SocketError)
  /// The path cannot be a socket address.
  case unusablePath(path: String, AddressError)
  /// A system call needed to check or remove the file failed.
  case failed(SocketError)

  /// What is wrong with the file at the path, and the fix.
  public var description: String {
    switch self {
    case .notASocket(let path, let kind):
      return "\"\(path)\" is a \(kind), not a socket; it was left untouched. "
        + "Remove or rename it yourself, or choose another path with --socket PATH."
    case .inUse(let path):
      return "another server is running on \"\(path)\": its socket answered a connect test, so it was left "
        + "untouched. Stop that server first (send it DONE), or choose another path with --socket PATH."
    case .cannotProbe(let path, let error):
      return "cannot tell whether a server is running on \"\(path)\" (\(error)); it was left untouched. "
        + "Remove it yourself if no server uses it, or choose another path with --socket PATH."
    case .unusablePath(_, let error):
      return error.description
    case .failed(let error):
      return SocketFileError.explain(error)
    }
  }

  /// A failed look at, or removal of, a socket path: what it means and the fix.
  static func explain(_ error: SocketError) -> String {
    let another = "choose another path with --socket PATH"
    switch (error.call, error.errno.rawValue) {
    case (_, ENOTDIR):
      return "\(error): a part of the path before its last name is not a directory; \(another)."
    case ("unlink", EACCES), ("unlink", EPERM):
      return "\(error): you may not remove this stale socket file (its directory is not writable for you, "
        + "or has the sticky bit and the file is another user's). Ask its owner to remove it, or \(another)."
    case (_, EACCES):
      return "\(error): a directory on the way to this path may not be searched by you; \(another)."
    case (_, ELOOP):
      return "\(error): too many symbolic links on the way to this path; \(another)."
    default:
      return "\(error); \(another)."
    }
  }
}
