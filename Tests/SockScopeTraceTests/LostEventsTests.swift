import Foundation
import Testing

@testable import SockScopeTrace

/// `validate` against a trace that lost events: the header's per-process counts and each
/// process's seq numbers must agree with the lines present.
@Suite("Validating traces that lost events")
struct LostEventsTests {
  /// The demo's trace, changed by `edit`, written and read back.
  func validating(_ edit: (inout Trace) -> Void) throws -> TraceReadResult {
    var trace = TraceFile.parse(try Fixture.bytes("demo-trace.jsonl"), file: "demo").trace
    edit(&trace)
    for i in trace.events.indices { trace.events[i].index = i }
    return TraceFile.parse(TraceFile.encodedBytes(trace), file: "t.jsonl")
  }

  /// The demo's server: pid 4896 in the fixture, 21 events.
  static let server: Int32 = 4896

  @Test("a trace missing an event line is invalid: the header counts more events than the file holds")
  func missingLine() throws {
    let result = try validating { trace in
      let k = trace.events.firstIndex { $0.pid == Self.server && $0.call == .recv } ?? 0
      trace.events.remove(at: k)
    }
    #expect(result.problems.count == 1, "\(result.problems)")
    let problem = try #require(result.problems.first)
    #expect(problem.line == 1)
    #expect(problem.field == "processes[0].events")
    #expect(
      problem.message
        == "the header says pid 4896 (server) made 21 events and ended \"closed\"; 20 lines are here: 1 event is missing"
    )
  }

  @Test("a lost event the header's count also lost shows as a gap in the process's seq numbers")
  func seqGap() throws {
    let result = try validating { trace in
      let k = trace.events.firstIndex { $0.pid == Self.server && $0.seq == 5 } ?? 0
      trace.events.remove(at: k)
      trace.header.processes[0].events -= 1
    }
    #expect(result.problems.map(\.field) == ["seq"], "\(result.problems)")
    #expect(result.problems.first?.message.hasPrefix("pid 4896: no event has seq 5") == true)
  }

  @Test("gaps the header's dropped count accounts for are allowed; more are not")
  func droppedEvents() throws {
    let dropTwo = { (trace: inout Trace, dropped: UInt64) in
      trace.events.removeAll { $0.pid == Self.server && ($0.seq == 5 || $0.seq == 9) }
      trace.header.processes[0].events -= 2
      trace.header.processes[0].dropped = dropped
    }
    #expect(try validating { dropTwo(&$0, 2) }.problems.isEmpty)
    let one = try validating { dropTwo(&$0, 1) }
    #expect(one.problems.map(\.field) == ["seq"])
    #expect(one.problems.first?.message.contains("more than the 1 the header says were dropped") == true)
  }

  @Test("a seq used twice, an event of a pid the header does not list, and extra lines are each reported")
  func repeatsAndStrangers() throws {
    let repeated = try validating { trace in
      let k = trace.events.firstIndex { $0.pid == Self.server && $0.seq == 4 } ?? 0
      trace.events[k].seq = 3
    }
    #expect(repeated.problems.count == 1)
    #expect(repeated.problems.first?.field == "seq")
    #expect(repeated.problems.first?.message.hasPrefix("pid 4896: seq 3 is used 2 times (lines ") == true)
    let stranger = try validating { trace in trace.events[10].pid = 99 }
    #expect(stranger.problems.contains { $0.field == "pid" && $0.message.hasPrefix("pid 99 is not one of") })
    let extra = try validating { trace in trace.header.processes[0].events -= 1 }
    #expect(extra.problems.first?.message.hasSuffix("1 more than the header counts") == true)
  }

  @Test("the checks do not depend on the order of the lines: a merge may order events by cause")
  func anyOrder() throws {
    let trace = TraceFile.parse(try Fixture.bytes("demo-trace.jsonl"), file: "demo").trace
    var tally = ProcessTally()
    var rng = SystemRandomNumberGenerator()
    for (n, e) in trace.events.enumerated().shuffled(using: &rng) {
      tally.add(pid: e.pid, seq: e.seq, line: n + 2)
    }
    #expect(tally.problems(against: trace.header, unreadable: 0).isEmpty)
  }

  @Test("a pid listed twice (a program that execs starts a new log) counts its seq numbers once per entry")
  func execStartsANewLog() throws {
    let header = TraceHeader(
      t0: 0,
      processes: [
        TracedProcess(pid: 7, role: "sh", events: 2), TracedProcess(pid: 7, role: "python", events: 3),
      ])
    var tally = ProcessTally()
    for (n, seq) in [0, 0, 1, 1, 2].enumerated() { tally.add(pid: 7, seq: UInt64(seq), line: n + 2) }
    #expect(tally.problems(against: header, unreadable: 0).isEmpty)
    var lost = ProcessTally()
    for (n, seq) in [0, 0, 1, 2, 2].enumerated() { lost.add(pid: 7, seq: UInt64(seq), line: n + 2) }
    #expect(lost.problems(against: header, unreadable: 0).map(\.field) == ["seq"])
  }

  @Test("lines that could not be read are reported once, not again as missing events")
  func unreadableLinesAreNotCountedTwice() throws {
    var lines = String(decoding: try Fixture.bytes("demo-trace.jsonl"), as: UTF8.self).split(separator: "\n")
    lines[5] = "{\"index\": 4, broken"
    let result = TraceFile.parse(Array((lines.joined(separator: "\n") + "\n").utf8), file: "t.jsonl")
    #expect(result.problems.map(\.line) == [6], "\(result.problems)")
  }
}
