import CSockScopeLog
import Testing

@testable import SockScopeMerge
@testable import SockScopeTrace

@Suite("Merging a million events: what an event holds, and moving events rather than copying them")
struct MergeMemoryTests {
  @Test("events made at one call site share one copy of it; other sites and lines have their own")
  func callSitesAreShared() throws {
    var log = LogImage()
    log.define(SOCKSCOPE_META_STRING, id: 1, name: "client.py")
    log.define(SOCKSCOPE_META_STRING, id: 2, name: "main")
    for (time, line) in [(10, 29), (20, 30), (30, 29), (40, 29)] {
      log.append(SOCKSCOPE_CALL_SEND, ret: 2, at: UInt64(time), data: "hi") {
        $0.src_file = 1
        $0.src_line = UInt32(line)
        $0.src_func = 2
      }
    }
    log.append(SOCKSCOPE_CALL_SEND, ret: 2, at: 50, data: "hi")  // no source
    let events = try ProcessLog.decode(log.bytes, path: "x.sslog").events
    #expect(events.map(\.source?.line) == [29, 30, 29, 29, nil])
    #expect(events[0].source == CallSite(file: "client.py", line: 29, function: "main"))
    let boxes = events.map(\.sourceBox)
    #expect(boxes[0] === boxes[2] && boxes[0] === boxes[3], "one site, one box")
    #expect(boxes[0] !== boxes[1], "another line is another site")
    #expect(boxes[4] == nil)
    // Setting a source gives that event its own, leaving the others' alone.
    var changed = events
    changed[2].source = CallSite(file: "other.py", line: 1)
    #expect(changed[0].source?.file == "client.py" && changed[3].source?.file == "client.py")
    #expect(changed[2].source == CallSite(file: "other.py", line: 1))
  }

  @Test("a shared call site, encoded once, writes the same line as the site set on one event")
  func sharedSiteWritesTheSame() throws {
    var log = LogImage()
    log.define(SOCKSCOPE_META_STRING, id: 1, name: "dir/\"quoted\"\u{2028}.swift")
    log.define(SOCKSCOPE_META_STRING, id: 2, name: "main()")
    log.append(SOCKSCOPE_CALL_SEND, ret: 2, at: 10, data: "hi") {
      $0.a0 = 2
      $0.src_file = 1
      $0.src_line = 7
      $0.src_func = 2
    }
    let decoded = try #require(ProcessLog.decode(log.bytes, path: "x.sslog").events.first)
    #expect(decoded.sourceBox?.json != nil, "a log's sites are encoded once")
    var alone = decoded
    alone.source = decoded.source  // Its own box, written field by field.
    #expect(alone.sourceBox?.json == nil)
    var shared = JSONWriter()
    decoded.write(to: &shared)
    var single = JSONWriter()
    alone.write(to: &single)
    #expect(shared.bytes == single.bytes)
    let line = String(decoding: shared.bytes, as: UTF8.self)
    #expect(line.contains(#""source":{"file":"dir/\"quoted\"\u2028.swift","line":7,"function":"main()"}"#))
    #expect(line.contains(#""args":{"len":2,"flags":"0"}"#))
  }

  @Test("joining per-process lists moves every event whole: payloads, sources and arguments survive")
  func joiningMovesEvents() {
    func events(pid: Int32, offset: UInt64) -> [TraceEvent] {
      (0..<50).map { n in
        var e = TraceEvent(
          time: UInt64(n) * 10 + offset, pid: pid, seq: UInt64(n), role: "p\(pid)", call: .send, fd: 3,
          arguments: .message(MessageArguments(length: 5, flags: MessageFlags(rawValue: 0))), ret: 5,
          data: Payload(length: 5, bytes: Array("\(pid)-\(n)".utf8)))
        e.source = CallSite(file: "p\(pid).py", line: n + 1)
        return e
      }
    }
    let a = events(pid: 1, offset: 0)
    let b = events(pid: 2, offset: 5)
    let trace = TraceMerger.merge(
      eventLists: [a, b], processes: [TracedProcess(pid: 1, role: "p1"), TracedProcess(pid: 2, role: "p2")],
      problems: [])
    #expect(trace.events.count == 100)
    let byTime = (a + b).sorted { $0.time < $1.time }
    #expect(trace.events.map(\.data) == byTime.map(\.data))
    #expect(trace.events.map(\.source) == byTime.map(\.source))
    #expect(trace.events.map(\.arguments) == byTime.map(\.arguments))
    #expect(trace.events.map(\.fd) == byTime.map(\.fd))
    #expect(!trace.events.contains { $0.role.isEmpty }, "no emptied slot reaches the timeline")
  }
}
