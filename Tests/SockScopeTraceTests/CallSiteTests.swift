import Testing

@testable import SockScopeTrace

@Suite("Where a call was made (source)")
struct CallSiteTests {
  private func line(_ source: CallSite?) -> [UInt8] {
    var event = TraceEvent(time: 5, pid: 7, role: "client", call: .send, fd: 3, ret: 6)
    event.source = source
    let trace = Trace(header: TraceHeader(t0: 0), events: [event])
    let text = TraceFile.encode(trace)
    return Array(text.split(separator: "\n")[1].utf8)
  }

  @Test("a source file, line and function are written and read back by both line readers")
  func roundTrip() throws {
    for source in [
      CallSite(file: "client.py", line: 14, function: "main"),
      CallSite(module: "/usr/bin/socat", offset: 0x1234),
      CallSite(file: "a \"quoted\"\u{2028}name.c", line: 1),
    ] {
      let bytes = line(source)
      let fast = bytes.withUnsafeBufferPointer { FastEventDecoder.event($0) }
      let slow = bytes.withUnsafeBufferPointer { TraceFile.decodeLine($0, isHeader: false) }
      #expect(slow.problems.isEmpty, "\(slow.problems)")
      #expect(slow.event?.source == source)
      #expect(fast?.source == source)
    }
  }

  @Test("events read from one call site share one site, and each still reads as its own site")
  func sharedSites() throws {
    var events: [TraceEvent] = []
    for (k, site) in [
      CallSite(file: "client.py", line: 14), CallSite(file: "client.py", line: 15),
      CallSite(file: "client.py", line: 14),
    ].enumerated() {
      var event = TraceEvent(index: k, time: UInt64(k), pid: 7, role: "client", call: .send, fd: 3, ret: 6)
      event.source = site
      events.append(event)
    }
    let text = TraceFile.encode(Trace(header: TraceHeader(t0: 0), events: events))
    let read = TraceFile.parse(Array(text.utf8), file: "t.jsonl")
    let trace = read.trace
    #expect(trace.events.map(\.source?.line) == [14, 15, 14])
    let first = try #require(trace.events[0].sourceBox)
    #expect(trace.events[2].sourceBox === first, "the same site is boxed once")
    #expect(trace.events[1].sourceBox !== first)
  }

  @Test("an event without a source has no source key")
  func absentWhenUnknown() {
    #expect(!String(decoding: line(nil), as: UTF8.self).contains("source"))
    #expect(!String(decoding: line(CallSite()), as: UTF8.self).contains("source"))
  }

  @Test("an unknown key or a line below 1 in source is reported with its field")
  func badSource() {
    for (text, field) in [
      (#""source":{"file":"a.py","column":3}"#, "source.column"),
      (#""source":{"file":"a.py","line":0}"#, "source.line"),
      (#""source":"a.py""#, "source"),
    ] {
      let bytes = Array(
        (#"{"index":0,"t_ns":5,"dur_ns":0,"pid":7,"tid":7,"seq":0,"role":"c","call":"close","fd":3,"args":{},"ret":0,"#
          + text + "}").utf8)
      let slow = bytes.withUnsafeBufferPointer { TraceFile.decodeLine($0, isHeader: false) }
      #expect(slow.event == nil)
      #expect(slow.problems.contains { $0.field == field }, "\(slow.problems)")
      #expect(bytes.withUnsafeBufferPointer { FastEventDecoder.event($0) } == nil)
    }
  }

  @Test("a label names the file's last component and line, or the module and offset")
  func label() {
    #expect(CallSite(file: "/home/s/client.py", line: 14).label == "client.py:14")
    #expect(CallSite(module: "/usr/bin/socat", offset: 255).label == "socat+0xff")
  }
}
