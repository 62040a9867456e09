public import ArgumentParser
import Foundation
import SockScopeExport
import SockScopeLanguage
import SockScopePlayer
import SockScopeTrace

extension ExportFormat: ExpressibleByArgument {}

struct ExportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract: "Write a trace in a format other tools read: Mermaid, PlantUML, Perfetto, pcapng.",
    discussion: """
      Formats:
        mermaid    a sequenceDiagram for Markdown pages (GitLab, GitHub, MkDocs): a participant per \
      process, an arrow per datagram (or stream read) with its data, a note per other call
        plantuml   the same as a PlantUML sequence diagram (plantuml -tsvg renders it)
        perfetto   Chrome trace-event JSON for ui.perfetto.dev: a track per process and thread, a slice \
      per call with its real duration, an arrow from each send to its receive
        html       one self-contained web page that steps through the run, as Python Tutor steps \
      through a program: the call, what the kernel did, the receive queues, each process's console, the \
      sequence chart with the step highlighted. Keys ←/→, Home/End, space; #step=N in the address; \
      Russian and English on the page; nothing is fetched (works from file://)
        pcapng     for Wireshark and tshark: a packet per send that moved data, with its payload, its \
      time and a comment naming process, descriptor, socket and receiver (link type USER0)

      Every text taken from the trace (payloads, paths, roles) is escaped for the target format, so it \
      shows as written and is never read as markup.

      Examples:
        sockscope export html sockscope-out -o run.html        then open run.html in a browser
        sockscope export mermaid sockscope-out -o run.mmd
        sockscope export perfetto sockscope-out -o run.json     then open it in ui.perfetto.dev
        sockscope export pcapng sockscope-out -o run.pcapng && tshark -r run.pcapng
      """)

  @Argument(help: ArgumentHelp("What to write.", valueName: "format"))
  var format: ExportFormat

  @Argument(help: ArgumentHelp("A trace.jsonl file or a trace directory.", valueName: "trace"))
  var trace: String

  @Option(
    name: .shortAndLong, help: ArgumentHelp("Where to write (default: standard output).", valueName: "file"))
  var output: String?

  @Option(
    name: .customLong("lang"),
    help: ArgumentHelp(
      "html: the page's language when it opens (it switches on the page).", valueName: "ru|en"))
  var language: PlayerLanguage = .ru

  @OptionGroup(title: "Focus") var focus: FocusOptions

  func run() throws {
    try reportingFailures {
      let trace = try focus.apply(TraceInput.read(self.trace), path: self.trace)
      let title = URL(fileURLWithPath: self.trace).standardizedFileURL.lastPathComponent
      let bytes: [UInt8]
      do {
        bytes = try Export.bytes(trace, as: format, title: title, language: language)
      } catch {
        throw CommandFailure("cannot export \(self.trace) as \(format.rawValue): \(error)", exitCode: 2)
      }
      guard let output else {
        if format.isBinary && FileOutput.standardOutput.isTerminal {
          throw CommandFailure(
            "\(format.rawValue) is binary and standard output is a terminal; write it to a file with -o FILE",
            exitCode: 2)
        }
        try FileOutput.standardOutput.requireNotAnInput()
        FileOutput.standardOutput.write(bytes)
        return
      }
      try OutputFile.write(bytes, to: output)
    }
  }
}
