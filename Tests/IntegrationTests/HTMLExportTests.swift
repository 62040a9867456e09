import Foundation
import SockScopeTrace
import Testing

/// Drives a page in headless Chromium (Tests/IntegrationTests/browser_check.py, Debian's python3
/// with selenium) and returns what the script saw.
func browse(
  _ page: String, screenshot: String, scenario: String, arguments: [String] = []
) throws -> [String: Any] {
  let python = "/usr/bin/python3"
  let script = repositoryRoot + "/Tests/IntegrationTests/browser_check.py"
  let result = try run(python, [script, page, screenshot, scenario] + arguments, in: "/tmp", seconds: 180)
  #expect(result.status == 0, "\(result.stderr)")
  let line = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
  return try #require(
    try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(result.stderr)")
}

/// Whether Debian's python3 can drive Chromium (under CI it must: make test installs it).
let browserAvailable: Bool = {
  FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver")
    && (try? run("/usr/bin/python3", ["-c", "import selenium"], in: "/tmp").status) == 0
}()

@Suite(
  "sockscope export html, in a real browser",
  .enabled(
    if: runningInCI || browserAvailable,
    "chromium, chromium-driver and python3-selenium: make test installs them"),
  .serialized)
struct HTMLExportTests {
  @Test(
    "the page steps with the keys, follows #step=, jumps on a click, switches language, prints every step")
  func walk() throws {
    #expect(
      browserAvailable, "chromium, chromium-driver and python3-selenium are missing; make test installs them")
    try withTemporaryDirectory { dir throws in
      #expect(try sockscope(["demo", "--out", "out"], in: dir).status == 0)
      let export = try sockscope(["export", "html", "out", "-o", "page.html"], in: dir)
      #expect(export.status == 0, "\(export.stderr)")
      let trace = try readTrace(dir + "/out/trace.jsonl")
      let calls = trace.events.filter { $0.call != .output }.count
      let page = try String(contentsOfFile: dir + "/page.html", encoding: .utf8)
      // Self-contained: nothing to fetch (namespace names in the SVG are not fetched).
      for reference in ["<link", "src=\"http", "@import", "url(http", "<iframe", "fetch("] {
        #expect(!page.contains(reference), "\(reference)")
      }
      let saw = try browse(dir + "/page.html", screenshot: dir + "/page.png", scenario: "walk")
      #expect(saw["ready"] as? Bool == true)
      #expect(saw["steps"] as? Int == calls)
      #expect(saw["step_at_load"] as? Int == 1)
      #expect(saw["after_3_right"] as? Int == 4)
      #expect(saw["hash"] as? String == "#step=4")
      #expect(saw["after_left"] as? Int == 3)
      #expect(saw["after_end"] as? Int == calls)
      #expect(saw["after_home"] as? Int == 1)
      #expect((saw["clickable_edges"] as? Int ?? 0) >= 4, "one arrow per datagram of the documented run")
      #expect(saw["after_click"] as? Int == saw["clicked_edge_step"] as? Int)
      #expect((saw["highlighted"] as? Int ?? 0) > 0)
      #expect(saw["lang_after_en"] as? String == "en")
      #expect(saw["say_en"] as? String != saw["say_ru"] as? String)
      #expect(saw["step_from_url"] as? Int == 5)
      #expect(saw["print_items"] as? Int == calls)
      #expect(saw["print_controls_hidden"] as? Bool == true)
      #expect((saw["console_errors"] as? [String])?.isEmpty == true, "\(saw["console_errors"] ?? "")")
      let consoles = try #require(saw["consoles"] as? [String])
      #expect(consoles.count == 3, "a console per process")
      #expect(consoles.first?.contains("Слушаем...") == true)
      let png = try #require(FileManager.default.contents(atPath: dir + "/page.png"))
      #expect(Array(png.prefix(4)) == [0x89, 0x50, 0x4E, 0x47])
    }
  }

  @Test("script and markup in payloads and roles are shown as text and never run")
  func hostile() throws {
    #expect(
      browserAvailable, "chromium, chromium-driver and python3-selenium are missing; make test installs them")
    try withTemporaryDirectory { dir throws in
      let payload = Array(
        #"</script><script>window.pwned=1</script><img src=x onerror="window.pwned=2"><!--"#.utf8)
      let role = #"<img src=x onerror="window.pwned=3">"#
      var events = [
        TraceEvent(
          time: 10, duration: 5, pid: 20, seq: 0, role: role, call: .send, fd: 4,
          args: ["len": .int(Int64(payload.count)), "flags": .string("0")], ret: Int64(payload.count),
          socket: SocketIdentity(inode: 2, peer: 1),
          data: Payload(length: UInt64(payload.count), bytes: payload), flow: 1),
        TraceEvent(
          time: 20, duration: 5, pid: 10, seq: 0, role: "server", call: .recv, fd: 3,
          args: ["len": .int(1024), "flags": .string("0")], ret: Int64(payload.count),
          socket: SocketIdentity(inode: 1),
          data: Payload(
            length: UInt64(payload.count), bytes: payload, datagramLength: UInt64(payload.count)),
          flows: [1]),
        TraceEvent(
          time: 30, pid: 10, seq: 1, role: "server", call: .output, fd: 1,
          args: ["stream": .string("stdout")],
          ret: Int64(payload.count), data: Payload(length: UInt64(payload.count), bytes: payload)),
      ]
      for i in events.indices { events[i].index = i }
      let header = TraceHeader(
        t0: 10, processes: [TracedProcess(pid: 10, role: "server"), TracedProcess(pid: 20, role: role)])
      var trace = Trace(header: header, events: events)
      trace.countEventsPerProcess()
      try TraceFile.write(trace, to: dir + "/t.jsonl")
      let export = try sockscope(["export", "html", "t.jsonl", "-o", "page.html"], in: dir)
      #expect(export.status == 0, "\(export.stderr)")
      let saw = try browse(dir + "/page.html", screenshot: dir + "/page.png", scenario: "hostile")
      #expect(saw["ready"] as? Bool == true)
      #expect(saw["pwned"] is NSNull, "no script from the trace ran")
      #expect(saw["images"] as? Int == 0)
      #expect(saw["scripts"] as? Int == 2, "the page's data and its own script, nothing else")
      #expect((saw["calls_text"] as? String)?.contains("</script><script>window.pwned=1") == true)
      #expect((saw["roles_text"] as? [String])?.contains { $0.contains(role) } == true)
    }
  }

  @Test(
    "each process's code is beside the run: its call's line marked, a click on a line or an arrow goes there")
  func codePanel() throws {
    #expect(
      browserAvailable, "chromium, chromium-driver and python3-selenium are missing; make test installs them")
    try withTemporaryDirectory { dir throws in
      let trace = try demoWithSources(in: dir)
      let export = try sockscope(["export", "html", "out", "-o", "page.html"], in: dir)
      #expect(export.status == 0, "\(export.stderr)")
      let saw = try browse(
        dir + "/page.html", screenshot: dir + "/code.png", scenario: "code", arguments: ["11"])
      #expect(saw["code_visible"] as? Bool == true)
      let atLoad = try #require(saw["boxes_at_load"] as? [[String: Any]])
      #expect(atLoad.count == 3, "a box per process")
      #expect(atLoad.first?["line"] as? Int == 7 && atLoad.first?["how"] as? String == "current")
      #expect(atLoad.first?["acting"] as? Bool == true)
      #expect(atLoad.dropFirst().allSatisfy { $0["line"] is NSNull }, "the clients have made no call yet")
      let second = try #require(saw["boxes_step_2"] as? [[String: Any]])
      #expect(second.first?["line"] as? Int == 8, "the bind")
      // server.recv(1024) on line 11 made every receive: each click goes to the next, then wraps.
      let steps = trace.events.filter { $0.call != .output }
      let receives = steps.indices.filter { steps[$0].call == .recv }.map { $0 + 1 }
      #expect(receives.count == 4)
      let expected = (0..<6).map { receives[$0 % receives.count] }
      #expect(saw["line_clicks"] as? [Int] == expected)
      let afterLines = try #require(saw["boxes_after_line_click"] as? [[String: Any]])
      #expect(afterLines.first?["line"] as? Int == 11)
      // At the second receive: client#1 has sent (its last line, marked as past), client#2 not yet.
      #expect(afterLines.count == 3)
      #expect(afterLines[1]["line"] as? Int == 10 && afterLines[1]["how"] as? String == "recent")
      #expect(afterLines[2]["line"] is NSNull)
      // An arrow of the chart: the receive it ends at, and its line in the server's code.
      let edge = try #require(saw["clicked_edge_step"] as? Int)
      #expect(saw["after_edge_click"] as? Int == edge)
      let afterEdge = try #require(saw["boxes_after_edge_click"] as? [[String: Any]])
      #expect(afterEdge.first?["line"] as? Int == 11 && afterEdge.first?["how"] as? String == "current")
      let sender = try #require(afterEdge.first { ($0["title"] as? String)?.hasPrefix("client#1") == true })
      #expect(sender["line"] as? Int == 10, "the client's last call: the send this receive got")
      #expect((saw["console_errors"] as? [String])?.isEmpty == true, "\(saw["console_errors"] ?? "")")
      let en = try #require(saw["boxes_en"] as? [[String: Any]])
      #expect((en.first?["where"] as? String)?.contains("server.py:11 (main)") == true)
    }
  }

  @Test("a trace whose source files are gone, or left out, still steps: the code panel says why")
  func sourcesGone() throws {
    #expect(
      browserAvailable, "chromium, chromium-driver and python3-selenium are missing; make test installs them")
    try withTemporaryDirectory { dir throws in
      _ = try demoWithSources(in: dir, files: false)
      for (options, why) in [([String](), "not found"), (["--no-sources"], "left out")] {
        let export = try sockscope(
          ["export", "html", "out", "-o", "page.html", "--lang", "en"] + options, in: dir)
        #expect(export.status == 0, "\(export.stderr)")
        let saw = try browse(dir + "/page.html", screenshot: dir + "/gone.png", scenario: "code")
        #expect(saw["ready"] as? Bool == true)
        let boxes = try #require(saw["boxes_at_load"] as? [[String: Any]])
        #expect(boxes.first?["lines"] as? Int == 0, "no code")
        #expect(
          (boxes.first?["where"] as? String)?.contains("server.py:7") == true, "the line is still named")
        #expect((boxes.first?["none"] as? [String])?.first?.contains(why) == true, "\(boxes)")
        #expect(saw["clickable_lines"] as? Int == 0)
        #expect(saw["after_edge_click"] as? Int == saw["clicked_edge_step"] as? Int, "the chart still works")
        #expect((saw["console_errors"] as? [String])?.isEmpty == true, "\(saw["console_errors"] ?? "")")
      }
    }
  }

  @Test("markup and script in a source file's text and name are shown as text and never run")
  func hostileSource() throws {
    #expect(
      browserAvailable, "chromium, chromium-driver and python3-selenium are missing; make test installs them")
    try withTemporaryDirectory { dir throws in
      let name = #"<img src=x onerror="window.pwned=5">.py"#
      _ = try demoWithSources(in: dir, serverFile: name)
      let evil = #"</script><script>window.pwned=4</script><img src=x onerror="window.pwned=6">"#
      try (evil + "\n" + serverSource).write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
      let export = try sockscope(["export", "html", "out", "-o", "page.html"], in: dir)
      #expect(export.status == 0, "\(export.stderr)")
      let saw = try browse(dir + "/page.html", screenshot: dir + "/hostile.png", scenario: "hostile")
      #expect(saw["pwned"] is NSNull, "no script from a source file ran")
      #expect(saw["images"] as? Int == 0)
      #expect(saw["scripts"] as? Int == 2)
      let code = try #require(saw["code_text"] as? String)
      #expect(code.contains(evil), "the file's text, as written")
      #expect(code.contains(name), "its name, as written")
    }
  }

  @Test("a long run's chart is clickable in its middle: its arrows and calls go to their steps")
  func longChartMiddle() throws {
    #expect(
      browserAvailable, "chromium, chromium-driver and python3-selenium are missing; make test installs them")
    try withTemporaryDirectory { dir throws in
      try writeEchoTrace(dir + "/big.jsonl", pairs: 5_000)
      let export = try sockscope(["export", "html", "big.jsonl", "-o", "big.html"], in: dir, seconds: 120)
      #expect(export.status == 0, "\(export.stderr)")
      let saw = try browse(dir + "/big.html", screenshot: dir + "/middle.png", scenario: "middle")
      #expect(saw["step_middle"] as? Int == 5_000)
      #expect((saw["clickable_edges"] as? Int ?? 0) >= 50)
      let low = try #require(saw["edge_steps_min"] as? Int)
      let high = try #require(saw["edge_steps_max"] as? Int)
      #expect(low > 4_000 && high < 6_000 && low <= 5_000 && 5_000 <= high + 1, "the page around step 5000")
      #expect(saw["after_click"] as? Int == saw["clicked_edge_step"] as? Int)
      #expect((saw["highlighted"] as? Int ?? 0) > 0)
      #expect(saw["after_node_click"] as? Int == saw["clicked_node_step"] as? Int)
      #expect((saw["last_step_marked"] as? Int ?? 0) > 0, "the last page is drawn when End is pressed")
      #expect(saw["after_20_left"] as? Int == 9_980)
      #expect((saw["console_errors"] as? [String])?.isEmpty == true, "\(saw["console_errors"] ?? "")")
    }
  }

  @Test("a 10 000-step trace opens and steps; a trace without socket calls is refused")
  func largeAndEmpty() throws {
    #expect(
      browserAvailable, "chromium, chromium-driver and python3-selenium are missing; make test installs them")
    try withTemporaryDirectory { dir throws in
      try writeEchoTrace(dir + "/big.jsonl", pairs: 5_000)
      let export = try sockscope(["export", "html", "big.jsonl", "-o", "big.html"], in: dir, seconds: 120)
      #expect(export.status == 0, "\(export.stderr)")
      let saw = try browse(dir + "/big.html", screenshot: dir + "/big.png", scenario: "walk")
      #expect(saw["ready"] as? Bool == true)
      #expect(saw["steps"] as? Int == 10_000)
      #expect(saw["after_end"] as? Int == 10_000)
      #expect((saw["console_errors"] as? [String])?.isEmpty == true, "\(saw["console_errors"] ?? "")")
      try writeEmptyTrace(dir + "/empty.jsonl")
      let empty = try sockscope(["export", "html", "empty.jsonl", "-o", "e.html"], in: dir)
      #expect(empty.status == 2)
      #expect(empty.stderr.contains("no socket call"))
      #expect(!FileManager.default.fileExists(atPath: dir + "/e.html"))
    }
  }
}

/// A trace of `pairs` datagrams from a client to a server: a send and its receive each.
func writeEchoTrace(_ path: String, pairs: Int) throws {
  var events: [TraceEvent] = []
  events.reserveCapacity(pairs * 2)
  for n in 0..<pairs {
    let bytes = Array("line \(n)".utf8)
    let t = UInt64(1_000 + n * 100)
    events.append(
      TraceEvent(
        time: t, duration: 10, pid: 20, seq: UInt64(n), role: "client", call: .send, fd: 4,
        args: ["len": .int(Int64(bytes.count)), "flags": .string("0")], ret: Int64(bytes.count),
        socket: SocketIdentity(inode: 2, peer: 1), data: Payload(length: UInt64(bytes.count), bytes: bytes),
        flow: n + 1))
    events.append(
      TraceEvent(
        time: t + 20, duration: 10, pid: 10, seq: UInt64(n), role: "server", call: .recv, fd: 3,
        args: ["len": .int(1024), "flags": .string("0")], ret: Int64(bytes.count),
        socket: SocketIdentity(inode: 1),
        data: Payload(length: UInt64(bytes.count), bytes: bytes, datagramLength: UInt64(bytes.count)),
        flows: [n + 1]))
  }
  for i in events.indices { events[i].index = i }
  let header = TraceHeader(
    t0: 1_000,
    processes: [
      TracedProcess(pid: 10, role: "server", events: pairs),
      TracedProcess(pid: 20, role: "client", events: pairs),
    ])
  try TraceFile.write(Trace(header: header, events: events), to: path)
}
