import Foundation
import SockScopeTrace
import Testing

/// A trace whose payload and role mean something to PlantUML, Mermaid and HTML.
func writeHostileTrace(_ path: String) throws {
  let payload = Array("@enduml \\N <b>**x**</b> --u~~".utf8)
  var events = [
    TraceEvent(
      time: 10, duration: 5, pid: 20, seq: 0, role: "cli<i>ent", call: .send, fd: 4,
      args: ["len": .int(Int64(payload.count)), "flags": .string("0")], ret: Int64(payload.count),
      socket: SocketIdentity(inode: 2, peer: 1), data: Payload(length: UInt64(payload.count), bytes: payload),
      flow: 1),
    TraceEvent(
      time: 12, duration: 5, pid: 10, seq: 0, role: "server", call: .recv, fd: 3,
      args: ["len": .int(1024), "flags": .string("0")], ret: Int64(payload.count),
      socket: SocketIdentity(inode: 1),
      data: Payload(length: UInt64(payload.count), bytes: payload, datagramLength: UInt64(payload.count)),
      flows: [1]),
  ]
  for i in events.indices { events[i].index = i }
  let header = TraceHeader(
    t0: 10, processes: [TracedProcess(pid: 10, role: "server"), TracedProcess(pid: 20, role: "cli<i>ent")])
  var trace = Trace(header: header, events: events)
  trace.countEventsPerProcess()
  try TraceFile.write(trace, to: path)
}

@Suite("sockscope export")
struct ExportCommandTests {
  @Test("PlantUML renders the demo's diagram without error, payloads shown literally", needs("plantuml"))
  func plantUMLRenders() throws {
    let plantuml = try tool("plantuml")
    try withTemporaryDirectory { dir throws in
      #expect(try sockscope(["demo", "--out", "out"], in: dir).status == 0)
      let export = try sockscope(["export", "plantuml", "out", "-o", "run.puml"], in: dir)
      #expect(export.status == 0, "\(export.stderr)")
      let render = try run(plantuml, ["-tsvg", "-failfast2", "run.puml"], in: dir, seconds: 120)
      #expect(render.status == 0, "\(render.stdout)\(render.stderr)")
      let svg = try String(contentsOfFile: dir + "/run.svg", encoding: .utf8)
      #expect(svg.contains("«Толстой» (14 B)"))
      #expect(
        svg.contains("connect(\"./echo.socket\")") || svg.contains("connect(&quot;./echo.socket&quot;)"))
      #expect(!svg.contains("Syntax Error") && !svg.contains("An error has occured"))
    }
  }

  @Test("PlantUML shows markup in payloads and roles as text", needs("plantuml"))
  func plantUMLHostileText() throws {
    let plantuml = try tool("plantuml")
    try withTemporaryDirectory { dir throws in
      try writeHostileTrace(dir + "/t.jsonl")
      #expect(try sockscope(["export", "plantuml", "t.jsonl", "-o", "t.puml"], in: dir).status == 0)
      let render = try run(plantuml, ["-tsvg", "-failfast2", "t.puml"], in: dir, seconds: 120)
      #expect(render.status == 0, "\(render.stdout)\(render.stderr)")
      let svg = try String(contentsOfFile: dir + "/t.svg", encoding: .utf8)
      #expect(svg.contains("«@enduml \\N &lt;b&gt;**x**&lt;/b&gt; --u~~» (29 B)"), "\(svg)")
      #expect(svg.contains("cli&lt;i&gt;ent"))
      // PlantUML reports its own failures inside the picture, with exit status 0.
      #expect(!svg.contains("An error has occured"))
    }
  }

  @Test(
    "tshark reads the pcapng back: a packet per send, its bytes, its comment and its time", needs("tshark"))
  func tsharkReadsPcapng() throws {
    let tshark = try tool("tshark")
    try withTemporaryDirectory { dir throws in
      #expect(try sockscope(["demo", "--out", "out"], in: dir).status == 0)
      let export = try sockscope(["export", "pcapng", "out", "-o", "run.pcapng"], in: dir)
      #expect(export.status == 0, "\(export.stderr)")
      let fields = try run(
        tshark, ["-r", "run.pcapng", "-T", "fields", "-e", "frame.len", "-e", "frame.comment"], in: dir,
        seconds: 60)
      #expect(fields.status == 0, "\(fields.stderr)")
      let rows = fields.stdout.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
      // The documented run: Лев, Толстой from client 1; Лев, DONE from client 2.
      #expect(rows.map { $0.first } == ["6", "14", "6", "4"])
      #expect(rows.allSatisfy { ($0.last ?? "").contains("→ received by server") })
      #expect(rows.first?.last?.hasPrefix("client#1 pid ") == true)
      let hex = try run(tshark, ["-r", "run.pcapng", "-x"], in: dir, seconds: 60)
      #expect(hex.stdout.contains("44 4f 4e 45"), "DONE's bytes")
    }
  }

  @Test("the Perfetto export is JSON whose slices never overlap on a thread and whose flows pair up")
  func perfettoFromDemo() throws {
    try withTemporaryDirectory { dir throws in
      #expect(try sockscope(["demo", "--out", "out"], in: dir).status == 0)
      let export = try sockscope(["export", "perfetto", "out"], in: dir)
      #expect(export.status == 0, "\(export.stderr)")
      let json = try #require(
        try JSONSerialization.jsonObject(with: Data(export.stdout.utf8)) as? [String: Any])
      let events = try #require(json["traceEvents"] as? [[String: Any]])
      var lastEnd: [Int: Double] = [:]
      for slice in events where slice["ph"] as? String == "X" {
        let tid = try #require(slice["tid"] as? Int)
        let ts = try #require(slice["ts"] as? Double)
        let dur = try #require(slice["dur"] as? Double)
        #expect(ts >= (lastEnd[tid] ?? -1), "slices on thread \(tid) nest")
        lastEnd[tid] = ts + dur
      }
      let starts = Set(events.filter { $0["ph"] as? String == "s" }.compactMap { $0["id"] as? Int })
      let ends = Set(events.filter { $0["ph"] as? String == "f" }.compactMap { $0["id"] as? Int })
      #expect(starts == ends && starts.count == 4)
    }
  }

  @Test("an unwritable -o, its own input or a full disk is an error; an unknown format lists the choices")
  func refusals() throws {
    try withTemporaryDirectory { dir throws in
      #expect(try sockscope(["demo", "--out", "out"], in: dir).status == 0)
      let bad = try sockscope(["export", "mermaid", "out", "-o", "/nonexistent/dir/run.mmd"], in: dir)
      #expect(bad.status != 0)
      #expect(bad.stderr.contains("/nonexistent/dir/run.mmd"))
      // Never its own input, by identity; never a silent loss on a full disk.
      let before = try Data(contentsOf: URL(fileURLWithPath: dir + "/out/trace.jsonl"))
      let own = try sockscope(["export", "mermaid", "out", "-o", "./out/trace.jsonl"], in: dir)
      #expect(own.status == 2, "\(own.stderr)")
      #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/out/trace.jsonl")) == before)
      let full = try run(
        "/bin/sh", ["-c", "\(sockscopeBinary) export perfetto out > /dev/full"], in: dir)
      #expect(full.status != 0 && full.stderr.contains("No space left"), "\(full.stderr)")
      let unknown = try sockscope(["export", "svg", "out"], in: dir)
      #expect(unknown.status == 64 || unknown.status == 2)
      #expect(unknown.stderr.contains("mermaid"))
    }
  }
}
