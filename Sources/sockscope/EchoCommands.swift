import ArgumentParser
import EchoPair
import Glibc
import SockScopeSockets

struct ServerCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "server",
    abstract: "The page's echo server: bind a datagram socket and print every datagram until DONE.",
    discussion: """
      Removes a stale socket file at the path first: only a socket (a symbolic link is never \
      followed) that nothing answers on (a connect test is refused). Another server's live socket, \
      or any file that is not a socket, is left untouched and reported, and the server exits 1. \
      Then it binds the path, prints a line of dashes and each datagram, and stops on DONE; it closes \
      the socket and removes the socket file, only if it is still the one it bound (same inode).

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
      try Console.requireAllWritten()
    }
  }
}

struct ClientCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "client",
    abstract:
      "The page's echo client: send each line typed to the server, until DONE, Ctrl-C or end of input.",
    discussion: """
      Checks that a socket is at the path (else prints the page's «Не могу соединиться!», says what \
      is there instead, and exits with status 1), connects, then sends every non-empty line of \
      standard input as one datagram: exactly the bytes read, without the line ending. Ctrl-C stops \
      it, also while a send waits for a server that has stopped reading.

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
      try Console.requireAllWritten()
    }
  }
}

extension Console {
  /// A failed write of the pair's console is an error when the command ends, never dropped.
  static func requireAllWritten() throws(CommandFailure) {
    guard let code = Console.failure else { return }
    throw CommandFailure(
      "cannot write to standard output or error: \(String(cString: strerror(code))); what the program "
        + "printed is incomplete (it went on without it)")
  }
}
