import Glibc
public import SockScopeSockets

/// Why the echo server or client stopped with an error.
public enum EchoError: Error, Sendable, CustomStringConvertible {
  case address(AddressError)
  case socketFile(SocketFileError)
  case socket(SocketError)
  /// Nothing to connect to at the path.
  case noServer(path: String)
  /// Something other than a socket is at the path (`kind`, such as `regular file`).
  case notASocket(path: String, kind: String)
  /// `bind` of the server's socket to the path failed.
  case bind(path: String, SocketError)
  /// `connect` to the server's socket failed.
  case connect(path: String, SocketError)
  /// Sending a line of `bytes` bytes to the server failed.
  case send(path: String, bytes: Int, SocketError)

  public var description: String {
    switch self {
    case .address(let e): e.description
    case .socketFile(let e): e.description
    case .socket(let e): e.description
    case .noServer(let path):
      "no socket at \"\(path)\": start the server first (sockscope server --socket \(path))"
    case .notASocket(let path, let kind):
      "\"\(path)\" is a \(kind), not a socket, so there is no server to connect to. Start the server "
        + "with another path and give the client the same one (--socket PATH), or move the file away."
    case .bind(let path, let error): EchoError.explain(bind: error, path: path)
    case .connect(let path, let error): EchoError.explain(connect: error, path: path)
    case .send(let path, let bytes, let error): EchoError.explain(send: error, path: path, bytes: bytes)
    }
  }

  static func explain(bind error: SocketError, path: String) -> String {
    let slash = path.lastIndex(of: "/")
    let directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
    return switch error.errno.rawValue {
    case EADDRINUSE:
      "\(error): a file appeared at \"\(path)\" after the server checked the path (another server "
        + "starting at the same moment?); it was left untouched. Start again, or choose another --socket PATH."
    case EACCES:
      "\(error): creating the socket file needs write and search permission on its directory "
        + "\"\(directory)\". Choose a path in a directory you can write, with --socket PATH."
    case ENOENT:
      "\(error): the directory \"\(directory)\" does not exist. Create it, or choose another --socket PATH."
    case ENOTDIR:
      "\(error): a part of \"\(directory)\" is not a directory. Choose another --socket PATH."
    case EROFS:
      "\(error): \"\(directory)\" is on a read-only file system. Choose another --socket PATH."
    default: error.description
    }
  }

  static func explain(connect error: SocketError, path: String) -> String {
    switch error.errno.rawValue {
    case ECONNREFUSED:
      "\(error): no server is bound to the socket file \"\(path)\" (a server that ended without removing "
        + "it leaves the file behind). Start the server (sockscope server --socket \(path)); it removes "
        + "the stale file."
    case EACCES:
      "\(error): connecting needs write permission on the socket file \"\(path)\" and search "
        + "permission on its directories. Ask the server's owner to grant it, or run your own server with "
        + "another --socket PATH."
    case EPROTOTYPE:
      "\(error): the socket at \"\(path)\" is a stream or seqpacket socket, not the echo server's "
        + "datagram socket: another program uses this path. Give the echo server's path with --socket PATH."
    case ENOENT:
      "\(error): the socket file \"\(path)\" disappeared (the server stopped). Start the server first."
    default: error.description
    }
  }

  static func explain(send error: SocketError, path: String, bytes: Int) -> String {
    switch error.errno.rawValue {
    case ECONNREFUSED, ENOTCONN:
      "\(error): the server's socket \"\(path)\" was closed (the server stopped), so the line was not "
        + "delivered. Start the server again, then the client."
    case EMSGSIZE:
      "\(error): the line is \(bytes) bytes, more than one datagram may hold here (the socket's send "
        + "buffer, SO_SNDBUF). Send a shorter line."
    default: error.description
    }
  }
}
