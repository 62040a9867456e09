public import SockScopeLanguage
import SockScopeSockets

/// The lecture page's `server.py`: binds a datagram socket and prints every datagram until `DONE`.
///
/// Safer than the page: at start only a stale socket is removed from the path (a socket file that
/// no socket answers on: a live server's socket and any other kind of file are left alone and
/// reported); at the end only the socket file this server bound (same device and inode) is removed;
/// a path too long for `sun_path` is refused before use; the exit word is compared as bytes; and a
/// datagram cut by the 1024-byte buffer is reported instead of silently shortened.
public struct EchoServer: Sendable {
  public var socketPath: String
  public var messages: EchoMessages
  /// The receive buffer, as the page's `recv(1024)`.
  public var bufferSize: Int

  public init(socketPath: String = "./echo.socket", language: Language = .ru, bufferSize: Int = 1024) {
    self.socketPath = socketPath
    self.messages = .forLanguage(language)
    self.bufferSize = bufferSize
  }

  /// Runs until a `DONE` or empty datagram arrives.
  public func run(console: Console = Console()) throws(EchoError) {
    let address: UnixAddress
    do { address = try UnixAddress(path: socketPath) } catch { throw .address(error) }
    do { try SocketFile.removeStale(at: socketPath) } catch { throw .socketFile(error) }

    console.print(messages.opening)
    let server: SocketDescriptor
    do {
      server = try SocketDescriptor.open(.unix, .datagram)
    } catch {
      throw .socket(error)
    }
    do {
      try server.bind(to: address)
    } catch {
      try? server.close()
      throw .bind(path: socketPath, error)
    }
    // What this server made: at the end it removes the file only if it is still this one.
    let bound = try? SocketFile.identity(at: socketPath)

    console.print(messages.listening)
    var buffer = [UInt8](repeating: 0, count: bufferSize)
    let done = Array(EchoMessages.doneWord.utf8)
    while true {
      let result = buffer.withUnsafeMutableBytes { raw in
        Result { () throws(SocketError) -> Received in try server.receive(into: raw) }
      }
      guard case .success(let received) = result else {
        try? server.close()
        if case .failure(let error) = result { throw .socket(error) }
        break
      }
      let datagram = Array(buffer[..<received.count])
      if datagram.isEmpty { break }
      console.print(messages.separator)
      console.print(EchoServer.display(datagram))
      if received.wasCut, let full = received.datagramLength {
        console.error(
          "(this datagram was \(full) bytes; recv(\(bufferSize)) kept the first \(received.count) and the kernel "
            + "discarded the rest)")
      }
      if datagram == done { break }
    }
    console.print(messages.separator)
    console.print(messages.serverShuttingDown)
    // Checked while the socket is open (it holds its file's inode, so the number cannot have been
    // reused), and again after the close, just before the unlink.
    let stillOurs = bound.map { (try? SocketFile.isStill($0, at: socketPath)) ?? false } ?? false
    do { try server.close() } catch { throw .socket(error) }
    if let bound {
      var removed = false
      if stillOurs {
        do { removed = try SocketFile.removeOwn(at: socketPath, identity: bound) } catch {
          throw .socketFile(error)
        }
      }
      if !removed, (try? SocketFile.kind(at: socketPath)) != .missing {
        console.error(
          "note: \"\(socketPath)\" is no longer the socket file this server bound (another program replaced "
            + "it), so it was left in place.")
      }
    }
    console.print(messages.serverDone)
  }

  /// A datagram as the page's Python 2 `print` shows a byte string: the text itself; bytes that are
  /// not UTF-8 are shown as `\xNN`.
  public static func display(_ bytes: [UInt8]) -> String {
    if let text = String(validating: bytes, as: UTF8.self) { return text }
    return bytes.map { byte in
      if byte >= 0x20 && byte < 0x7F { return String(UnicodeScalar(byte)) }
      let hex = String(byte, radix: 16)
      return "\\x" + (hex.count == 1 ? "0" + hex : hex)
    }.joined()
  }
}
