import SockScopeSockets

/// The lecture page's `client.py`: connects to the server's socket and sends each line typed.
public struct EchoClient: Sendable {
  public var socketPath: String
  public var messages: EchoMessages

  public init(socketPath: String = "./echo.socket", language: EchoLanguage = .ru) {
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
    guard (try? SocketFile.kind(at: socketPath)) ?? .missing != .missing else {
      console.print(messages.cannotConnect)
      console.print(messages.clientDone)
      throw .noServer(path: socketPath)
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
      throw .socket(error)
    }
    console.print(messages.connected)
    console.print(messages.ctrlCToQuit)
    console.print(messages.sendDoneToStop)

    loop: while true {
      console.prompt(messages.prompt)
      switch input.next() {
      case .line(let line):
        if !input.isTerminal { console.print(line) }
        guard !line.isEmpty else { continue }
        console.print(messages.sent(line))
        do {
          _ = try client.send(Array(line.utf8))
        } catch {
          try? client.close()
          throw .socket(error)
        }
        if line == EchoMessages.doneWord {
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
}
