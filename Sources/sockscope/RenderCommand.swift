public import ArgumentParser
import Foundation
import SockScopeAnalysis
import SockScopeDiagrams
import SockScopeLanguage
import SockScopeOutput
import SockScopeTrace

extension DiagramView: ExpressibleByArgument {}
extension DiagramFormat: ExpressibleByArgument {}
extension DiagramTheme: ExpressibleByArgument {}

struct RenderCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "render",
    abstract:
      "Draw a trace (the page's schematic, a sequence chart, the topology), or a documented schematic file.",
    discussion: """
      Views:
        schematic   a column per program, a box per call, the repeated part folded into a loop, the \
      send→recv arrow (the page's figure, from a real run)
        sequence    a lifeline per process and one for the kernel's socket files; every call in causal order \
      (a send above its receive); each datagram from its send to its receive. --time-axis: the vertical axis is real time
        topology    processes, descriptors, sockets, the socket file, the kernel queue, with counts
        queues      how full each receive queue was over time, with net.unix.max_dgram_qlen where it applies

      The schematic view draws the loop's decisions (if datagram, if "DONE") with how often the run took \
      each branch, and its output steps (print datagram), where the run made the documented schematic's \
      steps: the lecture page's (built in), or the one --schematic FILE names. Its loops also say which \
      calls repeat together (a request/reply loop: recv, then send).

      A FILE.schematic (docs/schematic-format.md) is drawn by itself, without a run: the documented \
      figure from its data.

      Layout and rendering run in process (libgraphviz). --format dot prints the DOT that is laid out.

      Examples:
        sockscope render sockscope-out --view schematic -o schematic.svg
        sockscope render run/trace.jsonl --view sequence --time-axis --lang en -o seq.png
        sockscope render sockscope-out --view topology --theme dark --dpi 192 -o slide.png
        sockscope render sockscope-out --theme print -o handout.pdf
        sockscope render Resources/schematics/datagram-echo.schematic -o page-figure.png
        sockscope render run --schematic examples/schematics/request-reply.schematic -o run.svg
        sockscope render long-run --view sequence --max-calls 2000 --page 3 -o page3.svg   (every call, a page at a time)
      """)

  @Argument(
    help: ArgumentHelp(
      "A trace.jsonl file, a trace directory, or a documented schematic (a file ending in .schematic).",
      valueName: "trace"))
  var trace: String

  @Option(
    help: ArgumentHelp(
      "Schematic view: the documented schematic whose loops, decisions and output steps are drawn "
        + "(default: the lecture page's, built in).", valueName: "file"))
  var schematic: String?

  @Option(help: "What to draw.")
  var view: DiagramView = .schematic

  @Option(help: ArgumentHelp("Output format (default: from -o's extension, else svg).", valueName: "format"))
  var format: DiagramFormat?

  @Option(
    name: .shortAndLong, help: ArgumentHelp("Where to write (default: standard output).", valueName: "file"))
  var output: String?

  @Option(
    name: .customLong("lang"), help: ArgumentHelp("Language of the figure's words.", valueName: "ru|en"))
  var language: Language = .ru

  @Flag(help: "Sequence view: show each call's time since the start of the run.")
  var timestamps = false

  @Flag(help: "Sequence view: the vertical axis follows real time.")
  var timeAxis = false

  @Option(
    help: ArgumentHelp("Sequence view: the most calls drawn; longer traces are folded.", valueName: "n"))
  var maxCalls = 400

  @Option(
    help: ArgumentHelp(
      "Sequence view: draw page n of every call, --max-calls a page, instead of folding a long trace.",
      valueName: "n"))
  var page: Int?

  @Option(
    help: ArgumentHelp(
      "Colours: light (screens, pages), print (greys only; failures also marked by text and line), "
        + "dark (slides).", valueName: "light|print|dark"))
  var theme: DiagramTheme = .light

  @Option(
    help: ArgumentHelp(
      "PNG only: pixels per inch, \(Self.dpiRange.lowerBound)–\(Self.dpiRange.upperBound) (default 96).",
      valueName: "n"))
  var dpi: Int?

  @OptionGroup(title: "Focus") var focus: FocusOptions

  @Option(
    help: ArgumentHelp(
      "PNG only: size relative to the default 96 dpi, \(Self.scaleRange.lowerBound)–\(Self.scaleRange.upperBound) "
        + "(--scale 2 is --dpi 192).",
      valueName: "factor"))
  var scale: Double?

  /// Beyond these a figure is either unreadable or a picture of tens of thousands of pixels a side
  /// that takes Graphviz minutes and gigabytes.
  static let dpiRange = 24...1200
  static let scaleRange = 0.25...12.5

  func validate() throws {
    guard maxCalls >= 2 else { throw ValidationError("--max-calls must be at least 2") }
    if let page {
      guard view == .sequence else {
        throw ValidationError("--page pages the sequence view (--view sequence)")
      }
      guard page >= 1 else { throw ValidationError("--page counts from 1, not \(page)") }
    }
    try FigureStyleOptions.check(dpi: dpi, scale: scale)
    if isSchematicFile {
      guard view == .schematic else {
        throw ValidationError(
          "\(trace) is a documented schematic: it draws as the schematic view only; a sequence chart or a "
            + "topology needs a recorded run")
      }
      guard schematic == nil else {
        throw ValidationError("--schematic is for drawing a run; \(trace) is itself a schematic")
      }
    }
    if dpi != nil || scale != nil, resolvedFormat != .png {
      throw ValidationError(
        "--dpi and --scale size a PNG; \(resolvedFormat.rawValue.uppercased()) is drawn at its natural size "
          + "(SVG and PDF scale without loss); use --format png or -o FILE.png")
    }
  }

  /// Pixels per inch asked for by --dpi or --scale.
  var resolvedDPI: Double? { FigureStyleOptions.resolvedDPI(dpi: dpi, scale: scale) }

  /// The format asked for, or the one `-o`'s extension names.
  var resolvedFormat: DiagramFormat {
    if let format { return format }
    let ext = output.map { ($0 as NSString).pathExtension.lowercased() } ?? ""
    return DiagramFormat(rawValue: ext) ?? .svg
  }

  /// Whether the input is a documented schematic rather than a trace.
  var isSchematicFile: Bool { trace.hasSuffix(".schematic") }

  func run() throws {
    try reportingFailures {
      var options = DiagramOptions(
        language: language, timestamps: timestamps, timeAxis: timeAxis, maximumCalls: maxCalls, theme: theme,
        dpi: resolvedDPI, page: page)
      if let schematic { options.documented = try Self.readSchematic(schematic) }
      let documented = isSchematicFile ? try Self.readSchematic(trace) : nil
      let run = documented == nil ? try focus.apply(TraceInput.read(trace), path: trace) : nil
      if let run { options.datagramQueueLimit = QueueLimit.of(run) }
      if let page, let run {
        let pages = Diagrams.sequencePages(of: run, callsPerPage: maxCalls)
        guard page <= pages else {
          throw CommandFailure(
            "\(trace): the sequence chart has \(pages) page\(pages == 1 ? "" : "s") of \(maxCalls) calls, so there "
              + "is no page \(page); give --page 1 to \(pages), or another --max-calls")
        }
      }
      let bytes: [UInt8]
      do {
        if let documented {
          bytes = try Diagrams.render(
            Diagrams.graph(of: documented, options: options), engine: .dot, format: resolvedFormat)
        } else if let run {
          bytes = try Diagrams.render(run, view: view, format: resolvedFormat, options: options)
        } else {
          bytes = []
        }
      } catch DiagramError.emptyTrace {
        throw CommandFailure("\(trace): \(DiagramError.emptyTrace)", exitCode: 2)
      } catch {
        throw CommandFailure(
          "\(trace): cannot draw the \(view.rawValue) view: \(error); try another --format, or --format dot "
            + "to see what was to be laid out")
      }
      guard let output else {
        try StandardStream.standardOutput.requireNotAnInput()
        StandardStream.standardOutput.write(bytes)
        return
      }
      try OutputFile.write(bytes, to: output)
    }
  }
}

extension RenderCommand {
  /// Reads a documented schematic file (as an input: no output of the command may replace it);
  /// a file that cannot be read or parsed is bad input (exit 2).
  static func readSchematic(_ path: String) throws(CommandFailure) -> DocumentedSchematic {
    let data: [UInt8]
    do { data = try InputFile.read(path) } catch { throw CommandFailure("\(error)", exitCode: 2) }
    do {
      return try DocumentedSchematic.parse(String(decoding: data, as: UTF8.self), file: path)
    } catch {
      throw CommandFailure("\(error)", exitCode: 2)
    }
  }
}

/// Writing a result file: whole or not at all.
enum OutputFile {
  /// Writes `bytes` to `path`; a refused path (an input of the command, a link, a directory) is
  /// exit status 2, a failed write `failureStatus`.
  static func write(_ bytes: [UInt8], to path: String, failureStatus: Int32 = 1) throws(CommandFailure) {
    do {
      try OutputFileWriter.write(bytes, to: path)
    } catch {
      guard !error.isRefusal else {
        throw CommandFailure("cannot write \(path): \(error.message)", exitCode: 2)
      }
      let reason = error.errno.map { String(cString: strerror($0)) } ?? error.message
      throw CommandFailure(
        "cannot write \(path): \(reason); choose another path with -o", exitCode: failureStatus)
    }
  }
}

extension CommandFailure {
  /// The failure to write an output file: its path and reason, and what to do. A refused path
  /// (an input of the command, a link, a directory) is exit status 2.
  init(writing error: OutputError, failureStatus: Int32 = 1, hint: String?) {
    let fix = error.isRefusal ? "" : hint.map { "; \($0)" } ?? ""
    self.init("\(error)\(fix)", exitCode: error.isRefusal ? 2 : failureStatus)
  }
}
