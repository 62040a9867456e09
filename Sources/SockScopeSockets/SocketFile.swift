import CSockScopeLog
import Glibc

/// The file at a socket path, and removing it safely.
public enum SocketFile {
  /// What is at a path.
  public enum Kind: Sendable, Equatable {
    case missing
    case socket
    /// Something else, named for people: `regular file`, `directory`, `symbolic link`...
    case other(String)
  }

  /// What is at `path`, without following a symbolic link (lstat).
  public static func kind(at path: String) throws(SocketError) -> Kind {
    var st = stat()
    guard system_lstat(path, &st) == 0 else {
      let e = Errno.current
      if e == .noSuchFileOrDirectory { return .missing }
      throw SocketError(call: "lstat", errno: e, context: path)
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
  public static func unlink(_ path: String) throws(SocketError) {
    let inode = sockscope_log_is_open() != 0 ? sockscope_path_inode(path) : 0
    let result = perform(SOCKSCOPE_CALL_UNLINK, fd: -1, retryOnInterrupt: false) {
      Int(system_unlink(path))
    } record: { r, _ in
      r.address = Array(path.utf8)
      r.record.path_ino = inode
      r.append()
    }
    _ = try result.get(call: "unlink", context: path)
  }

  /// Removes a socket file left at `path` by an earlier run. Returns whether one was removed.
  /// Anything that is not a socket is left alone and reported, as swift-nio's
  /// `cleanupUnixDomainSocket` does: a typo in a path must never delete someone's file.
  @discardableResult
  public static func removeStale(at path: String) throws(SocketFileError) -> Bool {
    let kind: Kind
    do { kind = try self.kind(at: path) } catch { throw .failed(error) }
    switch kind {
    case .missing: return false
    case .other(let what): throw .notASocket(path: path, kind: what)
    case .socket:
      do { try unlink(path) } catch { throw .failed(error) }
      return true
    }
  }
}

/// A socket path that could not be cleaned up.
public enum SocketFileError: Error, Sendable, Equatable, CustomStringConvertible {
  /// Something other than a socket is at the path; it was not touched.
  case notASocket(path: String, kind: String)
  case failed(SocketError)

  public var description: String {
    switch self {
    case .notASocket(let path, let kind):
      return "\"\(path)\" is a \(kind), not a socket; it was left untouched. "
        + "Remove or rename it yourself, or choose another path with --socket PATH."
    case .failed(let error):
      return error.description
    }
  }
}
