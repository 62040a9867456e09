public import ArgumentParser
import Foundation
import SockScopeCompare
import SockScopeDiagrams
import SockScopeLanguage
import SockScopeOutput
import SockScopeTrace

extension ReportFormat: ExpressibleByArgument {}

struct CompareCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "compare",
    abstract: "Check a run against a documented schematic: does the figure tell the truth about the code?",
    discussion: """
      Default schematic: the lecture page's datagram echo pair (Resources/schematics/ \
      datagram-echo.schematic). A schematic file describes roles, steps, the loop and its exit \
      datagram, and the send→recv arrows: docs/schematic-format.md.

      Reports every difference — a missing or extra step, steps out of order, a wrong argument \
      (inside loops too, with the expected and the actual value), a failed call, a datagram cut by \
      a short buffer (MSG_TRUNC), a datagram never received, a loop that did not end on its exit \
      datagram or went on receiving after it, a socket file left behind (the next bind to it fails \
      with EADDRINUSE), a role that never appeared or is not in the schematic — naming the role, \
      the step and its time. Extra steps are notes: a figure may leave out what it does not explain. \
      --hints explains each finding to a student, with the fix. Reports are in Russian unless \
      --lang en. docs/grading.md lists every finding.
      Exit status: 0 the run conforms, 1 it does not, 2 bad input.

      Examples:
        sockscope compare sockscope-out
        sockscope compare run/ --schematic my.schematic --format markdown --lang en
        sockscope compare student/ --hints
        sockscope compare socat-run/ --path ./echo.socket    (its sockets only)
        sockscope compare sockscope-out --render checked.svg
          (green: as documented; dashed: extra; red: missing, failed or wrong)
      """)

  @Argument(help: ArgumentHelp("A trace.jsonl file or a trace directory.", valueName: "trace"))
  var trace: String

  @Option(help: ArgumentHelp("The documented schematic to check against.", valueName: "file"))
  var schematic: String?

  @OptionGroup var report: ReportOptions

  @OptionGroup(title: "Focus") var focus: FocusOptions

  func run() throws {
    try reportingFailures(outputFailureStatus: 2) {
      let documented = try loadSchematic(schematic)
      let run = try focus.apply(TraceInput.read(trace), path: trace)
      try requireSocketCalls(run, path: trace)
      let comparison = Comparer.compare(
        run, with: documented, reference: "«\(documented.title)»",
        options: ComparisonOptions(language: report.language))
      try report.write(comparison, run: run, trace: trace)
    }
  }
}

/// How compare and diff report: format, language, hints, the marked figure.
struct ReportOptions: ParsableArguments {
  @Option(help: "How to report.")
  var format: ReportFormat = .text

  @Option(
    name: .customLong("lang"),
    help: ArgumentHelp("Language of the report and of the drawing's words.", valueName: "ru|en"))
  var language: Language = .ru

  @Flag(help: "Explain each finding to a student: what it means and how to fix it.")
  var hints = false

  @Option(
    help: ArgumentHelp(
      "Also draw the checked run's schematic with each step marked (svg, png or pdf).", valueName: "file"))
  var render: String?

  @OptionGroup(title: "Figure (with --render)") var figure: FigureStyleOptions

  /// Draws the figure when asked, prints the report, and exits 1 when the run does not conform.
  func write(_ comparison: Comparison, run: Trace, trace: String) throws {
    if let render { try drawMarked(run, comparison, to: render, language: language, style: figure) }
    StandardStream.standardOutput.write(comparison.report(format, trace: trace, hints: hints))
    if !comparison.conforms { throw ExitCode(1) }
  }
}

/// The schematic at `path`, or the page's; one that cannot be read or parsed is bad input.
func loadSchematic(_ path: String?) throws(CommandFailure) -> DocumentedSchematic {
  do {
    guard let path else { return try DocumentedSchematic.datagramEcho }
    let data: [UInt8]
    do { data = try InputFile.read(path) } catch { throw CommandFailure("\(error)", exitCode: 2) }
    return try DocumentedSchematic.parse(String(decoding: data, as: UTF8.self), file: path)
  } catch let failure as CommandFailure {
    throw failure
  } catch {
    throw CommandFailure("\(error)", exitCode: 2)
  }
}

/// Refuses a trace without a socket call: there is no run to check (bad input, exit status 2).
func requireSocketCalls(_ trace: Trace, path: String) throws(CommandFailure) {
  guard trace.events.contains(where: { $0.call != .output }) else {
    throw CommandFailure(
      "\(path): the trace holds no socket calls, so there is no run to check; record a program that uses "
        + "sockets (sockscope demo, or sockscope record --out DIR -- PROGRAM) and compare that trace",
      exitCode: 2)
  }
}

/// Draws the run's schematic with the comparison's marks.
func drawMarked(
  _ trace: Trace, _ comparison: Comparison, to path: String, language: Language,
  style: FigureStyleOptions = FigureStyleOptions()
) throws(CommandFailure) {
  let ext = (path as NSString).pathExtension.lowercased()
  guard let format = DiagramFormat(rawValue: ext), format != .dot else {
    throw CommandFailure("--render needs a file ending in .svg, .png or .pdf; got \(path)", exitCode: 2)
  }
  guard trace.events.contains(where: { $0.call != .output }) else {
    throw CommandFailure("\(path): nothing to draw, the trace holds no socket calls", exitCode: 2)
  }
  let schematic = Schematic(trace: trace, language: language).marked(
    comparison.marks, missing: comparison.missing)
  do {
    var graph = schematic.graph(language: language, theme: style.theme)
    if let dpi = style.resolvedDPI {
      guard format == .png else {
        throw CommandFailure(
          "--dpi and --scale size a PNG; \(path) is drawn at its natural size", exitCode: 2)
      }
      graph.attributes["dpi"] = .number(dpi)
    }
    let bytes = try Diagrams.render(graph, engine: .dot, format: format)
    try OutputFile.write(bytes, to: path, failureStatus: 2)
  } catch let failure as CommandFailure {
    throw failure
  } catch {
    throw CommandFailure("cannot draw \(path): \(error)")
  }
}

struct DiffCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "diff",
    abstract:
      "Compare two runs: a student's run (B) against a reference run (A), role by role and step by step.",
    discussion: """
      A is read as a schematic: its programs become roles, its loops must repeat as often in B, its \
      linked sends become arrows, and the datagram that ended a receiving loop becomes the exit \
      condition. Every difference is reported in the shape of `sockscope compare`; steps B has and A \
      lacks are differences here, and so is a process B has beyond A's. Exit status: 0 same, \
      1 different, 2 bad input.

      Examples:
        sockscope diff reference-run/ student-run/
        sockscope diff reference-run/ student-run/ --render student.svg --lang en
      """)

  @Argument(help: ArgumentHelp("The reference run.", valueName: "a"))
  var reference: String

  @Argument(help: ArgumentHelp("The run to check.", valueName: "b"))
  var candidate: String

  @OptionGroup var report: ReportOptions

  @OptionGroup(title: "Focus") var focus: FocusOptions

  func run() throws {
    try reportingFailures(outputFailureStatus: 2) {
      let a = try focus.apply(TraceInput.read(reference), path: reference)
      let b = try focus.apply(TraceInput.read(candidate), path: candidate)
      try requireSocketCalls(a, path: reference)
      try requireSocketCalls(b, path: candidate)
      let (schematic, options) = Comparer.reference(from: a, language: report.language)
      let comparison = Comparer.compare(
        b, with: schematic, reference: "\"\(reference)\"", options: options)
      try report.write(comparison, run: b, trace: candidate)
    }
  }
}
