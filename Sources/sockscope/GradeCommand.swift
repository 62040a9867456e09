public import ArgumentParser
import Foundation
import Glibc
public import SockScopeCompare
import SockScopeDiagrams
import SockScopeLanguage
import SockScopeOutput
import SockScopeTrace

extension GradeFormat: ExpressibleByArgument {}

struct GradeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "grade",
    abstract: "Mark a class: check every student's run against a schematic and score it with a rubric.",
    discussion: """
      Each RUN is a run directory (what record and demo write), a trace.jsonl, an strace log, or a \
      directory holding many of them (searched three levels deep; strace -ff's PREFIX.PID files \
      are one run). Each is checked as `sockscope compare` checks it, against --schematic (default: \
      the page's datagram echo pair), and scored with a rubric: --rubric, else the .rubric file \
      beside the schematic (datagram-echo.rubric beside datagram-echo.schematic), else the \
      built-in one. A rubric gives the points a run starts with and what each kind of finding \
      costs (docs/grading.md).

      A run that cannot be read is a row with its error, never the end of the report. Files in a \
      directory that are neither traces nor strace logs (a README, a picture) are left out and \
      listed. --format html writes each run's marked schematic next to the report (-o is needed) \
      and links it.
      Exit status: 0 every run conforms, 1 some do not, 2 some could not be read, none were found, \
      or the schematic or rubric is bad.

      Examples:
        sockscope grade class/ -o grades.csv --format csv
        sockscope grade class/ --format html -o grades.html    figures: grades-figures/
        sockscope grade alice/ bob/trace.jsonl carol.log --hints
        sockscope grade class/ --schematic stream.schematic --rubric strict.rubric
      """)

  @Argument(help: ArgumentHelp("Runs, or directories of runs.", valueName: "run"))
  var runs: [String] = []

  @Option(help: ArgumentHelp("The documented schematic to check against.", valueName: "file"))
  var schematic: String?

  @Option(
    help: ArgumentHelp(
      "Points per kind of finding (default: the .rubric beside the schematic, else the built-in one).",
      valueName: "file"))
  var rubric: String?

  @Option(help: "How to write the grades.")
  var format: GradeFormat = .markdown

  @Option(
    name: .shortAndLong,
    help: ArgumentHelp("Where to write the grades (default: standard output).", valueName: "file"))
  var output: String?

  @Option(
    name: .customLong("lang"),
    help: ArgumentHelp("Language of the findings and the report.", valueName: "ru|en"))
  var language: Language = .ru

  @Flag(help: "Explain each finding to the student, with the fix.")
  var hints = false

  @OptionGroup(title: "Focus") var focus: FocusOptions

  func validate() throws {
    guard !runs.isEmpty else {
      throw ValidationError("name the runs to grade, e.g. sockscope grade class/ (a directory of runs)")
    }
    if format == .html && output == nil {
      throw ValidationError(
        "--format html writes each run's figure next to the report: give the report's path with -o FILE.html")
    }
  }

  func run() throws {
    try reportingFailures(outputFailureStatus: 2) {
      let documented = try loadSchematic(schematic)
      let points = try loadRubric()
      let figures = try format == .html ? FigureFolder(report: output ?? "grades.html") : nil
      // A report written into the class's directory by an earlier grading is not a run.
      let own = [output, figures?.path].compactMap { $0 }.map(RunDiscovery.absolute)
      let found = RunDiscovery.collect(runs, excluding: Set(own))
      var graded: [GradedRun] = []
      var skipped = found.skipped
      graded.reserveCapacity(found.candidates.count)
      for (n, candidate) in found.candidates.enumerated() {
        switch RunDiscovery.read(candidate) {
        case .foreign:
          skipped.append(candidate.name)
        case .failure(let error):
          graded.append(GradedRun(run: candidate.name, error: error))
        case .trace(let trace):
          let run = focus.focus.apply(to: trace)
          let comparison = Comparer.compare(
            run, with: documented, reference: "«\(documented.title)»",
            options: ComparisonOptions(language: language))
          var row = GradedRun(run: candidate.name, comparison: comparison, rubric: points)
          row.figure = figures?.draw(run, comparison, number: n + 1, name: candidate.name, language: language)
          graded.append(row)
        }
      }
      for name in skipped {
        StandardStream.standardError.write(
          "note: \(name.terminalSafe) is not a run (neither a trace nor an strace log): left out\n")
      }
      let report = ClassReport(
        runs: graded, schematic: documented.title, rubric: points, language: language, hints: hints,
        skipped: skipped)
      let bytes = Array(report.render(format).utf8)
      if let output {
        try OutputFile.write(bytes, to: output, failureStatus: 2)
      } else {
        try StandardStream.standardOutput.requireNotAnInput()
        StandardStream.standardOutput.write(bytes)
      }
      if report.runs.isEmpty {
        throw CommandFailure("no runs found in \(runs.joined(separator: ", "))", exitCode: 2)
      }
      if report.exitStatus != 0 { throw ExitCode(report.exitStatus) }
    }
  }

  /// --rubric, else the `.rubric` beside --schematic, else the built-in one.
  func loadRubric() throws(CommandFailure) -> Rubric {
    var path = rubric
    if path == nil, let schematic {
      let beside = (schematic as NSString).deletingPathExtension + ".rubric"
      if FileManager.default.fileExists(atPath: beside) { path = beside }
    }
    do {
      guard let path else { return try Rubric.datagramEcho }
      let data: [UInt8]
      do { data = try InputFile.read(path) } catch { throw CommandFailure("\(error)", exitCode: 2) }
      return try Rubric.parse(String(decoding: data, as: UTF8.self), file: path)
    } catch let failure as CommandFailure {
      throw failure
    } catch {
      throw CommandFailure("\(error)", exitCode: 2)
    }
  }
}

/// The folder beside an HTML report that holds each run's marked figure: created if missing,
/// never through a link; each figure written whole, never through a link either.
struct FigureFolder {
  /// The folder as the report links it (relative to the report) and as it is on disk.
  let relative: String
  let path: String

  init(report: String) throws(CommandFailure) {
    let name = ((report as NSString).lastPathComponent as NSString).deletingPathExtension + "-figures"
    relative = name
    path = ((report as NSString).deletingLastPathComponent as NSString).appendingPathComponent(name)
    if mkdir(path, 0o755) != 0 {
      let code = errno
      var st = stat()
      guard code == EEXIST, lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
        let reason =
          code == EEXIST
          ? "it exists and is not a directory (a link is never followed)" : String(cString: strerror(code))
        throw CommandFailure(
          "cannot make the figures' folder \(path): \(reason); choose another -o", exitCode: 2)
      }
    }
  }

  /// Draws the run's marked schematic; its link, or nil (said on standard error) when it cannot be drawn.
  func draw(
    _ trace: Trace, _ comparison: Comparison, number: Int, name: String, language: Language
  ) -> String? {
    guard trace.events.contains(where: { $0.call != .output }) else { return nil }
    let file = String(format: "%03d-", number) + Self.safeName(name) + ".svg"
    do {
      let schematic = Schematic(trace: trace, language: language).marked(
        comparison.marks, missing: comparison.missing)
      let bytes = try Diagrams.render(schematic.graph(language: language), engine: .dot, format: .svg)
      try OutputFile.write(bytes, to: (path as NSString).appendingPathComponent(file), failureStatus: 2)
      return relative + "/" + file
    } catch {
      StandardStream.standardError.write(
        "note: \(name.terminalSafe): no figure: \("\(error)".terminalSafe)\n")
      return nil
    }
  }

  /// A file name from a run's path: letters, digits, `.`, `_` and `-`; at most 60 characters.
  static func safeName(_ run: String) -> String {
    let kept = run.unicodeScalars.map { s -> Character in
      s.isASCII && (s.properties.isAlphabetic || ("0"..."9").contains(s) || s == "." || s == "-" || s == "_")
        ? Character(s) : "_"
    }
    let name = String(kept.suffix(60)).trimmingCharacters(in: CharacterSet(charactersIn: "._"))
    return name.isEmpty ? "run" : name
  }
}
