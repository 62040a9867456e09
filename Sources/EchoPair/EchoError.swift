public import SockScopeSockets

/// Why the echo server or client stopped with an error.
public enum EchoError: Error, Sendable, CustomStringConvertible {
  case address(AddressError)
  case socketFile(SocketFileError)
  case socket(SocketError)
  /// Nothing to connect to at the path.
  case noServer(path: String)

  public var description: String {
    switch self {
    case .address(let e): e.description
    case .socketFile(let e): e.description
    case .socket(let e): e.description
    case .noServer(let path):
      "no socket at \"\(path)\": start the server first (sockscope server --socket \(path))"
    }
  }
}
