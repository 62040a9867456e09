import Foundation
import SockScopeTrace
import Testing

@Suite("sockscope compare and diff")
struct CompareCommandTests {
  @Test("the demo conforms to the page's schematic: exit 0, the unlink noted, a marked figure drawn")
  func demoConforms() throws {
    try withTemporaryDirectory { dir throws in
      #expect(try sockscope(["demo", "--out", "out"], in: dir).status == 0)
      let r = try sockscope(["compare", "out", "--render", "checked.svg", "--lang", "en"], in: dir)
      #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
      #expect(r.stdout.contains("note: server at +"))
      #expect(r.stdout.contains("server made a step the schematic does not show: unlink(\"./echo.socket\")"))
      #expect(r.stdout.hasSuffix("The run conforms to «Datagram echo pair (lecture page)» (1 note).\n"))
      let svg = try String(contentsOfFile: dir + "/checked.svg", encoding: .utf8)
      #expect(svg.contains("as documented"))
      #expect(try sockscope(["diff", "out", "out"], in: dir).status == 0)
    }
  }

  @Test("a run that breaks the schematic exits 1 and says how, in each format")
  func nonConforming() throws {
    try withTemporaryDirectory { dir throws in
      #expect(try sockscope(["demo", "--out", "out"], in: dir).status == 0)
      // A server that never closed: its close event taken out of the run, a valid trace all the same
      // (the header's count and the server's seq numbers agree with the lines).
      var trace = try readTrace(dir + "/out/trace.jsonl")
      let server = try #require(trace.header.processes.firstIndex { $0.role == "server" })
      let pid = trace.header.processes[server].pid
      trace.events.removeAll { $0.pid == pid && $0.call == .close }
      trace.header.processes[server].events -= 1
      var seq: UInt64 = 0
      for i in trace.events.indices {
        trace.events[i].index = i
        if trace.events[i].pid == pid {
          trace.events[i].seq = seq
          seq += 1
        }
      }
      try TraceFile.write(trace, to: dir + "/b.jsonl")
      let text = try sockscope(["compare", "b.jsonl"], in: dir)
      #expect(text.status == 1)
      #expect(text.stdout.contains("missing step: server"))
      #expect(text.stdout.contains("server never made the step close()"))
      let json = try sockscope(["compare", "b.jsonl", "--format", "json"], in: dir)
      #expect(json.status == 1)
      #expect(json.stdout.contains(#""conforms":false"#))
      let markdown = try sockscope(["compare", "b.jsonl", "--format", "markdown"], in: dir)
      #expect(markdown.stdout.contains("**Does not conform**"))
      let diff = try sockscope(["diff", "out", "b.jsonl"], in: dir)
      #expect(diff.status == 1)
      #expect(diff.stdout.contains("missing step: server"))
    }
  }

  @Test("an unreadable or invalid schematic, or an invalid trace, is bad input: exit 2 with file and line")
  func badInput() throws {
    try withTemporaryDirectory { dir throws in
      #expect(try sockscope(["demo", "--out", "out"], in: dir).status == 0)
      let missing = try sockscope(["compare", "out", "--schematic", "nope.schematic"], in: dir)
      #expect(missing.status == 2)
      #expect(missing.stderr.contains("nope.schematic: cannot be read"))

      try "role server\n  step socket\n  stpe bind\n".write(
        toFile: dir + "/bad.schematic", atomically: true, encoding: .utf8)
      let invalid = try sockscope(["compare", "out", "--schematic", "bad.schematic"], in: dir)
      #expect(invalid.status == 2)
      #expect(invalid.stderr.contains("bad.schematic:3:3: unknown keyword \"stpe\""))

      try "not json\n".write(toFile: dir + "/bad.jsonl", atomically: true, encoding: .utf8)
      let badTrace = try sockscope(["compare", "bad.jsonl"], in: dir)
      #expect(badTrace.status == 2)
      #expect(badTrace.stderr.contains("bad.jsonl:1"))
    }
  }
}
