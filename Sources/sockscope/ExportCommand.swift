public import ArgumentParser
import Foundation
import SockScopeExport
import SockScopeLanguage
import SockScopeOutput
import SockScopePlayer
import SockScopeTrace

extension ExportFormat: ExpressibleByArgument {}

struct ExportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract: "Write a trace in a format other tools read: a web page, Mermaid, PlantUML, Perfetto, pcapng.",
    discussion: """
      Formats:
        mermaid    a sequenceDiagram for Markdown pages (GitLab, GitHub, MkDocs): a participant per \
      process, an arrow per datagram (or stream read) with its data, a note per other call
        plantuml   the same as a PlantUML sequence diagram (plantuml -tsvg renders it)
        perfetto   Chrome trace-event JSON for ui.perfetto.dev: a track per process and thread, a slice \
      per call with its real duration, an arrow from each send to its receive
        html       one self-contained web page that steps through the run, as Python Tutor steps \
      through a program: the call, what the kernel did, the receive queues, each process's console, the \
      sequence chart with the step highlighted, and each program's code with the line of the call (read \
      from the trace's directory, --sources DIR, or left out with --no-sources). Keys ←/→, Home/End, space; #step=N in the address; \
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
  var language: Language = .ru

  @OptionGroup(title: "Focus") var focus: FocusOptions

  @Option(
    name: .customLong("sources"),
    help: ArgumentHelp(
      """
      html: a directory holding the recorded programs' source files (repeat for several). Default: the \
      trace's directory and, for a run directory, the directory it is in (where record ran).
      """, valueName: "dir"))
  var sourceDirectories: [String] = []

  @Flag(
    name: .customLong("no-sources"),
    help: "html: leave the programs' code out of the page (each call still names its file and line).")
  var noSources = false

  func validate() throws {
    if noSources && !sourceDirectories.isEmpty {
      throw ValidationError("--no-sources and --sources contradict each other; give one of them")
    }
    if format != .html && (noSources || !sourceDirectories.isEmpty) {
      throw ValidationError("--sources and --no-sources are for html pages only")
    }
  }

  /// Where the page looks for source files: the directories given, or the trace's own.
  var sourceEmbedding: SourceEmbedding {
    if noSources { return .leaveOut }
    if !sourceDirectories.isEmpty { return .lookIn(sourceDirectories) }
    let url = URL(fileURLWithPath: trace).standardizedFileURL
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
      return .lookIn([url.path, url.deletingLastPathComponent().path])
    }
    // A run directory's trace.jsonl: the run directory and where record ran; any other file: its
    // own directory only.
    let holder = url.deletingLastPathComponent()
    guard url.lastPathComponent == "trace.jsonl" else { return .lookIn([holder.path]) }
    return .lookIn([holder.path, holder.deletingLastPathComponent().path])
  }

  func run() throws {
    try reportingFailures {
      let trace = try focus.apply(TraceInput.read(self.trace), path: self.trace)
      let title = URL(fileURLWithPath: self.trace).standardizedFileURL.lastPathComponent
      let bytes: [UInt8]
      do {
        bytes = try Export.bytes(
          trace, as: format, title: title, language: language, sources: sourceEmbedding)
      } catch {
        throw CommandFailure("cannot export \(self.trace) as \(format.rawValue): \(error)", exitCode: 2)
      }
      guard let output else {
        if format.isBinary && StandardStream.standardOutput.isTerminal {
          throw CommandFailure(
            "\(format.rawValue) is binary and standard output is a terminal; write it to a file with -o FILE",
            exitCode: 2)
        }
        try StandardStream.standardOutput.requireNotAnInput()
        StandardStream.standardOutput.write(bytes)
        return
      }
      try OutputFile.write(bytes, to: output)
    }
  }
}
