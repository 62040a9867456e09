public import SockScopeLanguage
import SockScopeSockets

/// The lecture page's `client.py`: connects to the server's socket and sends each line typed.
public struct EchoClient: Sendable {
  public var socketPath: String
  public var messages: EchoMessages

  public init(socketPath: String = "./echo.socket", language: Language = .ru) {
    self.socketPath = socketPath
    self.messages = .forLanguage(language)
  }

  /// Sends lines from `input` until `DONE`, Ctrl-C or end of input.
  ///
  /// When the input is not a terminal, each line read is echoed after the prompt, so the console
  /// reads as the page's run does (`> Лев`).
  public func run(input: LineReader, console: Console = Console()) throws(EchoError) {
    console.print(messages.connecting)
    let address: UnixAddress
    do { address = try UnixAddress(path: socketPath) } catch { throw .address(error) }
    do throws(EchoError) {
      try checkSocketFile()
    } catch {
      console.print(messages.cannotConnect)
      console.print(messages.clientDone)
      throw error
    }
    let client: SocketDescriptor
    do {
      client = try SocketDescriptor.open(.unix, .datagram)
    } catch {
      throw .socket(error)
    }
    do {
      try client.connect(to: address)
    } catch {
      console.print(messages.cannotConnect)
      try? client.close()
      throw .connect(path: socketPath, error)
    }
    console.print(messages.connected)
    console.print(messages.ctrlCToQuit)
    console.print(messages.sendDoneToStop)

    let done = Array(EchoMessages.doneWord.utf8)
    loop: while true {
      console.prompt(messages.prompt)
      switch input.next() {
      case .line(let line):
        if !input.isTerminal { console.print(bytes: line) }
        guard !line.isEmpty else { continue }
        console.print(bytes: Array(messages.sentPrefix.utf8) + line)
        do throws(SocketError) {
          guard try send(line, on: client) else {
            console.print(messages.clientShuttingDown)
            break loop
          }
        } catch {
          try? client.close()
          throw .send(path: socketPath, bytes: line.count, error)
        }
        if line == done {
          console.print(messages.clientShuttingDown)
          break loop
        }
      case .interrupted, .end:
        console.print(messages.clientShuttingDown)
        break loop
      }
    }
    do { try client.close() } catch { throw .socket(error) }
    console.print(messages.clientDone)
  }

  /// Checks that a socket is at the path, as `connect` will see it (following a symbolic link, as
  /// the page's `os.path.exists` does), so that a missing file or a file of another kind is named.
  func checkSocketFile() throws(EchoError) {
    let target: SocketFile.Kind
    do {
      target = try SocketFile.kind(at: socketPath, followingLinks: true)
    } catch {
      throw .socketFile(.failed(error))
    }
    switch target {
    case .socket: return
    case .missing: throw .noServer(path: socketPath)
    case .other(let what):
      let link = (try? SocketFile.kind(at: socketPath)) == .other("symbolic link")
      throw .notASocket(path: socketPath, kind: link ? "symbolic link to a \(what)" : what)
    }
  }

  /// Sends one datagram; returns false when Ctrl-C ended the wait. A full receive queue at the
  /// server blocks the send: Ctrl-C must still end the client, so EINTR from SIGINT is not retried.
  func send(_ datagram: [UInt8], on client: SocketDescriptor) throws(SocketError) -> Bool {
    while true {
      guard LineReader.waitUntilWritable(client.rawValue) else { return false }
      do {
        _ = try client.send(datagram, retryOnInterrupt: false)
        return true
      } catch {
        guard error.errno == .interrupted else { throw error }
        if LineReader.interrupted { return false }
      }
    }
  }
}
