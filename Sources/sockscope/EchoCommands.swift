import ArgumentParser
import EchoPair
import SockScopeSockets

struct ServerCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "server",
    abstract: "The page's echo server: bind a datagram socket and print every datagram until DONE.",
    discussion: """
      Removes a stale socket file at the path first (only if it is a socket: any other file is left \
      alone and reported), binds it, prints a line of dashes and each datagram, and stops on DONE, \
      then closes the socket and removes the socket file.

      Example:  sockscope server --trace run/     then, in another terminal:  sockscope client --trace run/
      """)

  @OptionGroup var echo: EchoOptions
  @OptionGroup var recording: RecordingOptions

  func run() throws {
    try reportingFailures {
      try recording.start(defaultRole: "server")
      defer { Recorder.finish() }
      do {
        try EchoServer(socketPath: echo.socket, language: echo.language).run()
      } catch {
        throw CommandFailure("\(error)")
      }
    }
  }
}

struct ClientCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "client",
    abstract:
      "The page's echo client: send each line typed to the server, until DONE, Ctrl-C or end of input.",
    discussion: """
      Checks that the socket exists (else prints the page's «Не могу соединиться!» and exits with \
      status 1), connects, then sends every non-empty line of standard input as one datagram.

      Examples:
        sockscope client                          type lines; DONE stops the server
        printf 'Лев\\nDONE\\n' | sockscope client   send two datagrams from a script
      """)

  @OptionGroup var echo: EchoOptions
  @OptionGroup var recording: RecordingOptions

  func run() throws {
    try reportingFailures {
      try recording.start(defaultRole: "client")
      defer { Recorder.finish() }
      LineReader.catchInterrupt()
      do {
        try EchoClient(socketPath: echo.socket, language: echo.language).run(input: LineReader())
      } catch {
        throw CommandFailure("\(error)")
      }
    }
  }
}
