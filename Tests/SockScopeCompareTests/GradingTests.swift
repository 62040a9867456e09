import Foundation
import SockScopeDiagrams
import SockScopeTrace
import Testing

@testable import SockScopeCompare

@Suite("Rubrics and class reports")
struct GradingTests {
  @Test("the shipped rubric reads, and prices every kind a run can lose points for")
  func shippedRubric() throws {
    let rubric = try Rubric.datagramEcho
    #expect(rubric.points == 100)
    #expect(rubric.costs[.wrongArgument] == Rubric.Cost(points: 10, maximum: 30))
    let file = try String(
      contentsOfFile: repositoryRoot + "/Resources/schematics/datagram-echo.rubric", encoding: .utf8)
    #expect(try Rubric.parse(file, file: "f") == rubric)
  }

  @Test("a score loses each finding's points, at most the kind's maximum, never below 0; notes cost nothing")
  func score() throws {
    let rubric = try Rubric.parse("points 20\ndefault 1\nwrong-argument 5 max 8\n", file: "r")
    func finding(_ kind: Finding.Kind, _ severity: Finding.Severity = .difference) -> Finding {
      Finding(kind: kind, severity: severity, role: "s", step: "", message: "")
    }
    let (score, lost) = rubric.score([
      finding(.wrongArgument), finding(.wrongArgument), finding(.missingStep), finding(.extraStep, .note),
    ])
    #expect(score == 11)
    #expect(lost == [.wrongArgument: 8, .missingStep: 1])
    #expect(rubric.score(Array(repeating: finding(.missingRole), count: 30)).score == 0)
  }

  @Test(
    "each mistake in a rubric is an error with line and column, whatever the line ends",
    arguments: [
      ("points 10\nwrong-arg 5\n", 2, 1, "unknown keyword \"wrong-arg\""),
      ("\u{FEFF}points ten\r\n", 1, 8, "\"ten\" is not a whole number"),
      ("points 10\r\n  missing-step 5 most 9\r\n", 2, 18, "write: missing-step 5 max 30"),
      ("missing-step\n", 1, 13, "the points of missing-step is missing"),
      ("points 1\npoints 2\n", 2, 1, "\"points\" is given twice"),
      ("points -4\n", 1, 8, "not a whole number"),
    ])
  func errors(text: String, line: Int, column: Int, message: String) {
    #expect {
      try Rubric.parse(text, file: "r.rubric")
    } throws: { error in
      guard let e = error as? RubricError else { return false }
      return e.line == line && e.column == column && e.message.contains(message)
        && e.description.hasPrefix("r.rubric:\(line):\(column): ")
    }
  }

  func report() throws -> ClassReport {
    let trace = try demoTrace().without { $0.role == "server" && $0.call == .unlink }
    var c = Comparer.compare(
      trace, with: try DocumentedSchematic.datagramEcho, reference: "«P»",
      options: ComparisonOptions(language: .en))
    c.findings[0].message = "=HYPERLINK(\"http://x\") <script>, \"quoted\""
    return ClassReport(
      runs: [
        GradedRun(run: "a,b", comparison: c, rubric: try Rubric.datagramEcho),
        GradedRun(run: "<b>", error: "cannot be read"),
      ], schematic: "P", rubric: try Rubric.datagramEcho, language: .en)
  }

  @Test("CSV: one row per run, fields quoted, a formula from a trace shown as text")
  func csv() throws {
    let csv = try report().render(.csv)
    let lines = csv.components(separatedBy: "\r\n")
    #expect(lines[1].hasPrefix("\"a,b\",false,90,100,1,0,,"), "\(lines[1])")
    #expect(
      lines[1].contains(
        "\"socket file left (server): =HYPERLINK(\"\"http://x\"\") <script>, \"\"quoted\"\"\""))
    #expect(lines[2].hasPrefix("<b>,false,,100,,,cannot be read,"))
    #expect(ClassReport.csvField("=1+2") == "'=1+2" && ClassReport.csvField("-3") == "-3")
  }

  @Test("HTML and Markdown: text from traces is escaped; the exit status says unreadable runs first")
  func escaping() throws {
    let r = try report()
    let html = r.render(.html)
    #expect(html.contains("&lt;script&gt;") && !html.contains("<script>"))
    #expect(html.contains("<td>&lt;b&gt;</td>"))
    #expect(r.render(.markdown).contains("| a,b | no | 90 |"))
    #expect(r.exitStatus == 2)
    #expect(ClassReport(runs: [], schematic: "P", rubric: Rubric(), language: .en).exitStatus == 2)
  }
}

@Suite("Focusing a trace")
struct FocusTests {
  @Test(
    "--role client keeps both clients, with their output; sends to the server lose their links on both sides")
  func role() throws {
    let trace = try demoTrace()
    let focused = Focus(roles: ["client"]).apply(to: trace)
    #expect(Set(focused.events.map(\.role)) == ["client#1", "client#2"])
    #expect(focused.events.contains { $0.call == .output })
    #expect(focused.events.enumerated().allSatisfy { $0.offset == $0.element.index })
    #expect(focused.events.allSatisfy { $0.flow == nil && $0.flows.isEmpty })
    #expect(focused.header.processes.map(\.role).sorted() == ["client#1", "client#2"])
    #expect(focused.header.processes.allSatisfy { p in p.events == focused.events.count { $0.pid == p.pid } })
    let seqs = focused.events.filter { $0.role == "client#1" }.map(\.seq)
    #expect(seqs == Array(0..<UInt64(seqs.count)))
  }

  @Test("--path keeps the sockets of the path and their peers, links kept; --pid and --errors narrow further")
  func pathPidErrors() throws {
    var trace = try demoTrace()
    // An unrelated socket pair in the server: not the page's path.
    let server = try #require(trace.events.first { $0.role == "server" })
    trace.events.append(
      TraceEvent(
        index: trace.events.count, time: trace.events.last!.time + 1, pid: server.pid, role: "server",
        call: .socketpair, ret: 0, socket: SocketIdentity(inode: 999_999)))
    let focused = Focus(paths: ["echo.socket"]).apply(to: trace)
    #expect(!focused.events.contains { $0.call == .socketpair })
    #expect(
      focused.events.count(where: { $0.call != .output }) == trace.events.count(where: { $0.call != .output })
        - 1)
    #expect(focused.events.filter { $0.call.receivesData }.allSatisfy { $0.flows.count == 1 })
    #expect(focused.events.contains { $0.call == .unlink })
    let one = Focus(pids: [server.pid], paths: ["./echo.socket"]).apply(to: trace)
    #expect(Set(one.events.map(\.pid)) == [server.pid])
    #expect(Focus(errorsOnly: true).apply(to: trace).events.isEmpty, "the demo has no failed call")
    #expect(Focus().apply(to: trace) == trace)
  }
}
