import Foundation
import Testing

@testable import SockScopeMerge
@testable import SockScopeTrace

/// The fixtures shipped with these tests.
enum Fixture {
  static func path(_ name: String) throws -> String {
    try #require(Bundle.module.path(forResource: name, ofType: nil, inDirectory: "Fixtures"))
  }

  static func bytes(_ name: String) throws -> [UInt8] {
    Array(try #require(FileManager.default.contents(atPath: try path(name))))
  }
}

@Suite("Reading and validating traces")
struct TraceFileTests {
  @Test("the demo's trace is valid and reads back event for event")
  func validTrace() throws {
    let result = TraceFile.parse(try Fixture.bytes("demo-trace.jsonl"), file: "demo-trace.jsonl")
    #expect(result.problems.isEmpty, "\(result.problems)")
    #expect(result.trace.events.count == 56)
    #expect(result.trace.roles == ["server", "client#1", "client#2"])
    #expect(result.trace.header.processes.map(\.ending) == [.closed, .closed, .closed])
  }

  @Test("encoding a trace and reading it back gives the same trace")
  func roundTrip() throws {
    let original = TraceFile.parse(try Fixture.bytes("demo-trace.jsonl"), file: "demo").trace
    let again = TraceFile.parse(Array(TraceFile.encode(original).utf8), file: "again")
    #expect(again.problems.isEmpty)
    #expect(again.trace == original)
  }

  @Test("each broken line is reported with its line and field, and every valid line is kept")
  func problemsNameLineAndField() throws {
    let result = TraceFile.parse(try Fixture.bytes("invalid-lines.jsonl"), file: "bad.jsonl")
    let byLine = Dictionary(grouping: result.problems, by: \.line)
    #expect(byLine[3]?.first?.field == "t_ns")
    #expect(byLine[3]?.first?.message == "expected an integer, found string")
    #expect(byLine[4]?.first?.field == "call")
    #expect(byLine[5]?.first?.message.hasPrefix("unknown call \"sned\"") == true)
    #expect(byLine[6]?.first?.field == "error")
    #expect(byLine[7]?.first?.field == "data")
    #expect(byLine[8]?.first?.field == "data.hex")
    #expect(byLine[9]?.first?.field == "args.addr")
    #expect(byLine[10]?.first?.message.contains("not valid JSON") == true)
    #expect(byLine[11]?.first?.message == "flow id 99 matches no send in this trace")
    #expect(byLine[12]?.first?.message == "expected a JSON object, found array")
    #expect(byLine[13]?.first?.field == "dur_ns")
    #expect(byLine[14]?.first?.message.contains("\"stdout\" or \"stderr\"") == true)
    // The cut last line is said to be cut.
    #expect(byLine[14]?.contains { $0.message.contains("no newline") } == false)
    #expect(byLine[2] == nil)
    // The header counts 56 events; 2 are here, more than the 12 unreadable lines account for.
    #expect(byLine[1]?.map(\.field) == ["processes[0].events", "processes[1].events", "processes[2].events"])
    // Line 2 and line 11 are whole events: both kept.
    #expect(result.trace.events.count == 2)
    #expect(result.problems.first?.description.hasPrefix("bad.jsonl:3: field \"t_ns\"") == true)
  }

  @Test("a trace whose last line was cut while written keeps every event before it")
  func cutLastLine() throws {
    var bytes = try Fixture.bytes("demo-trace.jsonl")
    bytes.removeLast(100)
    let result = TraceFile.parse(bytes, file: "cut.jsonl")
    #expect(result.problems.count == 1)
    #expect(result.problems[0].line == 57)
    #expect(result.problems[0].message.contains("cut while written"))
    #expect(result.trace.events.count == 55)
  }

  @Test("an empty file, a missing header and a newer version are clear errors")
  func headerProblems() throws {
    #expect(
      TraceFile.parse([], file: "e").problems.map(\.message) == [
        "the file is empty: a trace starts with a header line"
      ])

    let lines = try String(decoding: Fixture.bytes("demo-trace.jsonl"), as: UTF8.self).split(separator: "\n")
    let headless = TraceFile.parse(Array(lines.dropFirst().joined(separator: "\n").utf8), file: "h")
    #expect(headless.problems.first?.line == 1)
    #expect(headless.problems.first?.message.contains("must be the trace header") == true)
    #expect(headless.trace.events.count == 56, "every event is still read, the one on line 1 too")

    let newer = lines[0].replacingOccurrences(of: "\"version\":1", with: "\"version\":7")
    let future = TraceFile.parse(
      Array(([newer] + lines.dropFirst().map(String.init)).joined(separator: "\n").utf8), file: "f")
    #expect(future.problems.first?.field == "version")
    #expect(future.problems.first?.message.contains("update sockscope") == true)
  }

  @Test("events out of a thread's order or misnumbered are reported, and put back in order when read")
  func ordering() throws {
    var lines = try String(decoding: Fixture.bytes("demo-trace.jsonl"), as: UTF8.self).split(separator: "\n")
      .map(String.init)
    // As a version 2 trace, whose rule is the causal order. Lines 8 and 9: the first client's
    // socket and connect.
    lines[0] = lines[0].replacingOccurrences(of: "\"version\":1", with: "\"version\":2")
    lines.swapAt(7, 8)
    let result = TraceFile.parse(Array(lines.joined(separator: "\n").utf8), file: "o")
    #expect(result.problems.contains { $0.field == "index" && $0.line == 8 })
    #expect(result.orderProblems.contains { $0.field == "seq" && $0.line == 9 })
    let calls = result.trace.events.filter { $0.pid == 4897 }.map(\.call)
    #expect(Array(calls.prefix(3)) == [.output, .socket, .connect])
    #expect(result.trace.events.map(\.index) == Array(result.trace.events.indices))
  }

  @Test("a version 1 trace (start-time order) is valid and read in causal order; as version 2 it is not")
  func olderTraceIsPutInCausalOrder() throws {
    // The fixture was written when events were ordered by t_ns (format version 1): the server's
    // blocking recv (line 6) comes before the client's send of «Лев» (line 16).
    let old = try Fixture.bytes("demo-trace.jsonl")
    let result = TraceFile.parse(old, file: "old")
    #expect(result.isValid)
    #expect(result.orderProblems.isEmpty, "start-time order is version 1's rule")
    #expect(result.trace.header.version == TraceHeader.currentVersion, "in memory it is in causal order")
    let relabelled = String(decoding: old, as: UTF8.self).replacingOccurrences(
      of: "\"version\":1", with: "\"version\":2")
    let asVersion2 = TraceFile.parse(Array(relabelled.utf8), file: "v2")
    #expect(asVersion2.orderProblems.first?.line == 6)
    #expect(asVersion2.orderProblems.first?.field == "flows")
    #expect(asVersion2.trace.events == result.trace.events)
    let events = result.trace.events
    let sendAt = Dictionary(events.compactMap { e in e.flow.map { ($0, e.index) } }, uniquingKeysWith: min)
    for e in events { for f in e.flows { #expect(try #require(sendAt[f]) < e.index) } }
    #expect(CausalOrder.violations(events).isEmpty)
    // What is in order already stays as it is; it is written as version 2.
    let rewritten = TraceFile.encodedBytes(result.trace)
    #expect(String(decoding: rewritten.prefix(60), as: UTF8.self).contains("\"version\":2"))
    let again = TraceFile.parse(rewritten, file: "new")
    #expect(again.orderProblems.isEmpty)
    #expect(again.trace.events == events)
  }

  @Test("random damage to a trace never crashes the reader and never loses an undamaged line")
  func randomDamage() throws {
    let original = try Fixture.bytes("demo-trace.jsonl")
    let lineCount = original.filter { $0 == 0x0A }.count
    var generator = SplitMix64(seed: 3)
    for _ in 0..<500 {
      var bytes = original
      for _ in 0..<(1 + Int(generator.next() % 4)) {
        let at = Int(generator.next() % UInt64(bytes.count))
        bytes[at] = UInt8(truncatingIfNeeded: generator.next())
      }
      let result = TraceFile.parse(bytes, file: "fuzz")
      let damagedLines = Set(result.problems.map(\.line))
      // Each damaged byte spoils at most its own line (or, as a newline, splits one into two).
      #expect(result.trace.events.count + damagedLines.count >= lineCount - 1 - 4)
    }
  }

  @Test("reading in parallel pieces gives the same events and problems as reading in one")
  func piecesDoNotMatter() throws {
    let original = try Fixture.bytes("demo-trace.jsonl")
    var generator = SplitMix64(seed: 5)
    for round in 0..<200 {
      var bytes = original
      if round > 0 {
        for _ in 0..<(1 + Int(generator.next() % 6)) {
          let at = Int(generator.next() % UInt64(bytes.count))
          bytes[at] =
            [0x0A, 0x22, 0x7D, UInt8(truncatingIfNeeded: generator.next())][Int(generator.next() % 4)]
        }
      }
      let whole = bytes.withUnsafeBufferPointer { TraceFile.parse($0, file: "t", pieces: 1) }
      for pieces in [2, 3, 7] {
        let split = bytes.withUnsafeBufferPointer { TraceFile.parse($0, file: "t", pieces: pieces) }
        #expect(split.trace == whole.trace)
        #expect(split.problems == whole.problems)
      }
    }
  }

  @Test("the fast line reader takes every line sockscope writes and agrees with the thorough one")
  func fastPathAgrees() throws {
    let original = try Fixture.bytes("demo-trace.jsonl")
    let lines = original.split(separator: 0x0A).map(Array.init)
    for line in lines.dropFirst() {
      let fast = line.withUnsafeBufferPointer { FastEventDecoder.event($0) }
      let slow = line.withUnsafeBufferPointer { TraceFile.decodeLine($0, isHeader: false) }
      #expect(fast != nil, "written by sockscope, so the fast path must take it")
      #expect(fast == slow.event)
    }
    var generator = SplitMix64(seed: 9)
    let alphabet = Array(#"0-9.e"{}[],: \u"#.utf8)
    for _ in 0..<3000 {
      var line = lines[1 + Int(generator.next() % UInt64(lines.count - 1))]
      for _ in 0..<(1 + Int(generator.next() % 3)) {
        let at = Int(generator.next() % UInt64(line.count))
        line[at] = alphabet[Int(generator.next() % UInt64(alphabet.count))]
      }
      let fast = line.withUnsafeBufferPointer { FastEventDecoder.event($0) }
      let slow = line.withUnsafeBufferPointer { TraceFile.decodeLine($0, isHeader: false) }
      if let fast {
        #expect(slow.event == fast, "\(String(decoding: line, as: UTF8.self))")
        #expect(slow.problems.isEmpty)
      }
    }
  }

  @Test("reading a path that does not exist says so")
  func missingFile() {
    #expect(throws: TraceFileError.self) { try TraceFile.read(path: "/nonexistent/trace.jsonl") }
  }

  @Test("the embedded JSON Schema is the one in Resources and parses as JSON")
  func schemaEmbedded() throws {
    let schema = try JSONValue.parse(TraceSchema.text)
    #expect(schema.objectValue?["title"]?.stringValue?.contains("SockScope trace") == true)
  }
}

@Suite("Flow id sets")
struct IDSetTests {
  @Test("small, huge and negative ids are each remembered once")
  func remembersOnce() {
    var set = IDSet()
    for id in [1, 64, 63, 1 << 30, -5, 1, 1 << 30, -5, 200_000] {
      let expectedNew = ![1, 1 << 30, -5].contains(id) || !set.contains(id)
      #expect(set.insert(id) == expectedNew, "\(id)")
    }
    for id in [1, 63, 64, 200_000, 1 << 30, -5] { #expect(set.contains(id)) }
    for id in [0, 2, 65, 199_999, (1 << 30) + 1, -4] { #expect(!set.contains(id)) }
  }
}
