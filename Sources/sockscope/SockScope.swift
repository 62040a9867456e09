import ArgumentParser
import Glibc

@main
struct SockScope: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sockscope",
    abstract: "See UNIX domain sockets at work: record every socket call of every process, and check it.",
    discussion: """
      SockScope runs the lecture page's datagram echo pair (a server that binds ./echo.socket and \
      prints every datagram until DONE, and a client that sends the lines you type) through an \
      instrumented socket layer. Every call (socket, bind, connect, send, recv, close, unlink...) of \
      every process becomes an event in one timeline, trace.jsonl, in which each recv is linked to \
      the send that produced it.

      Start here:
        sockscope demo                        run the page's documented run, unattended
        sockscope play sockscope-out          step through it: consoles, calls, the kernel's side
        sockscope validate sockscope-out      check the trace it wrote
        sockscope render sockscope-out -o schematic.svg    the page's figure, from the run
        sockscope compare sockscope-out       does the run follow the page's schematic?

      Run the pair yourself, in two terminals:
        sockscope server --trace run/         terminal 1
        sockscope client --trace run/         terminal 2: type lines, then DONE
        sockscope merge run/                  one timeline: run/trace.jsonl

      The trace format is documented in docs/trace-format.md; `sockscope schema` prints its JSON Schema.
      """,
    version: SockScopeVersion.text,
    subcommands: [
      DemoCommand.self, ServerCommand.self, ClientCommand.self, RecordCommand.self, ImportCommand.self,
      MergeCommand.self, PlayCommand.self, RenderCommand.self, CompareCommand.self, DiffCommand.self,
      GradeCommand.self,
      ExportCommand.self,
      ValidateCommand.self, SchemaCommand.self, VersionCommand.self,
    ]
  )

  /// Runs the command. What ArgumentParser itself prints (help, usage, --version) goes through
  /// the C library's buffered standard output, flushed at exit: a failed flush is reported
  /// there, with a non-zero status, as every other output error is.
  static func main() {
    atexit {
      guard fflush(nil) != 0 else { return }
      let message = "sockscope: error: cannot write to standard output: \(String(cString: strerror(errno)))\n"
      _ = message.withCString { write(2, $0, strlen($0)) }
      _exit(1)
    }
    main(nil)
  }
}
