import Foundation
import SockScopeTrace
import Testing

@testable import SockScopeExport

/// `exchange` with a source line on each call: the server's in server.py, the client's in client.py.
func exchangeWithSources(payload: String = "Лев", file client: String = "client.py") -> Trace {
  var trace = exchange(payload: payload)
  for i in trace.events.indices {
    trace.events[i].source =
      trace.events[i].pid == 10
      ? CallSite(file: "server.py", line: trace.events[i].call == .bind ? 8 : 11, function: "main")
      : CallSite(file: client, line: 10, function: "main")
  }
  return trace
}

/// The JSON a page embeds, read back.
func pageData(_ page: [UInt8]) throws -> [String: Any] {
  let html = String(decoding: page, as: UTF8.self)
  let open = #"<script type="application/json" id="sockscope-data">"#
  let start = try #require(html.range(of: open))
  let end = try #require(html.range(of: "</script>", range: start.upperBound..<html.endIndex))
  let json = String(html[start.upperBound..<end.lowerBound])
  return try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
}

@Suite("Source lines in exports, and the source files a page embeds")
struct SourceTests {
  func directory(_ body: (String) throws -> Void) throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("src-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try body(dir)
  }

  @Test("a page embeds each named file read from the directories given, and each step points at its line")
  func pageEmbedsSources() throws {
    try directory { dir in
      try "import socket\n".write(toFile: dir + "/server.py", atomically: true, encoding: .utf8)
      let page = try HTMLExport.page(
        exchangeWithSources(), title: "t", language: .en, sources: .lookIn(["/nonexistent", dir]))
      let data = try pageData(page)
      let files = try #require(data["files"] as? [[String: Any]])
      #expect(files.map { $0["name"] as? String } == ["server.py", "client.py"])
      #expect(files[0]["text"] as? String == "import socket\n")
      #expect(files[1]["text"] == nil && files[1]["missing"] as? String == "not-found")
      let steps = try #require(data["steps"] as? [[String: Any]])
      let sources = steps.compactMap { $0["src"] as? [String: Any] }
      #expect(sources.count == steps.count)
      #expect(sources.first?["f"] as? Int == 0 && sources.first?["l"] as? Int == 8)
      #expect(
        sources.contains { $0["f"] as? Int == 1 && $0["l"] as? Int == 10 && $0["fn"] as? String == "main" })
      let left = try pageData(
        try HTMLExport.page(exchangeWithSources(), title: "t", language: .en, sources: .leaveOut))
      let leftFiles = try #require(left["files"] as? [[String: Any]])
      #expect(leftFiles.allSatisfy { $0["text"] == nil && $0["missing"] as? String == "left-out" })
    }
  }

  @Test("a page without recorded source lines has no files and no step points at one")
  func pageWithoutSources() throws {
    let data = try pageData(try HTMLExport.page(exchange(payload: "x"), title: "t", language: .ru))
    #expect((data["files"] as? [Any])?.isEmpty == true)
    #expect((data["steps"] as? [[String: Any]])?.allSatisfy { $0["src"] == nil } == true)
  }

  @Test("source file names never leave the directories: no .., no symbolic link, no absolute path outside")
  func namesStayInside() throws {
    try directory { dir in
      try FileManager.default.createDirectory(atPath: dir + "/src/sub", withIntermediateDirectories: true)
      try "secret\n".write(toFile: dir + "/secret.txt", atomically: true, encoding: .utf8)
      try "ok\n".write(toFile: dir + "/src/sub/a.py", atomically: true, encoding: .utf8)
      try FileManager.default.createSymbolicLink(
        atPath: dir + "/src/link.py", withDestinationPath: dir + "/secret.txt")
      try FileManager.default.createSymbolicLink(
        atPath: dir + "/src/linkdir", withDestinationPath: dir + "/src/sub")
      let base = [dir + "/src"]
      func reason(_ name: String) -> String {
        switch SourceFiles.contents(of: name, in: base) {
        case .success(let text): "read:" + text
        case .failure(let why): why.reason.rawValue
        }
      }
      #expect(reason("sub/a.py") == "read:ok\n")
      #expect(reason("./sub/./a.py") == "read:ok\n")
      #expect(reason(dir + "/src/sub/a.py") == "read:ok\n", "an absolute name inside the directory")
      #expect(reason("../secret.txt") == "not-found", "never above the directory")
      #expect(reason("sub/../../secret.txt") == "not-found")
      #expect(reason(dir + "/secret.txt") == "not-found", "an absolute name outside: only its last part")
      try "b\n".write(toFile: dir + "/src/b.py", atomically: true, encoding: .utf8)
      #expect(reason("/home/student/lab/b.py") == "read:b\n", "recorded on another machine, found by name")
      #expect(reason("/home/student/lab/a.py") == "not-found", "by name only: never searched below")
      #expect(reason("link.py") == "not-regular", "a symbolic link is not followed")
      #expect(reason("linkdir/a.py") == "not-regular", "nor a linked directory")
      #expect(reason("sub") == "not-regular")
      #expect(reason("nothing.py") == "not-found")
    }
  }

  @Test("only text is embedded: a binary, a file with NUL bytes, a large file or a FIFO is left out")
  func onlyText() throws {
    try directory { dir in
      try Data([0xFF, 0xFE, 0x41]).write(to: URL(fileURLWithPath: dir + "/bin.py"))
      try Data("a\0b".utf8).write(to: URL(fileURLWithPath: dir + "/nul.py"))
      try Data(repeating: 0x41, count: SourceFiles.maximumSize + 1).write(
        to: URL(fileURLWithPath: dir + "/big.py"))
      try Data(repeating: 0x41, count: SourceFiles.maximumSize).write(
        to: URL(fileURLWithPath: dir + "/max.py"))
      #expect(mkfifo(dir + "/fifo.py", 0o600) == 0)
      func reason(_ name: String) -> String {
        switch SourceFiles.contents(of: name, in: [dir]) {
        case .success(let text): "read \(text.utf8.count)"
        case .failure(let why): why.reason.rawValue
        }
      }
      #expect(reason("bin.py") == "not-text")
      #expect(reason("nul.py") == "not-text")
      #expect(reason("big.py") == "too-large")
      #expect(reason("max.py") == "read \(SourceFiles.maximumSize)")
      #expect(reason("fifo.py") == "not-regular", "a FIFO is never opened for reading (it would block)")
    }
  }

  @Test("Perfetto slices carry the call's source in their args")
  func perfettoSource() throws {
    let bytes = PerfettoExport.bytes(exchangeWithSources())
    let json = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    let slices = (json["traceEvents"] as? [[String: Any]] ?? []).filter { $0["ph"] as? String == "X" }
    let sources = slices.compactMap { ($0["args"] as? [String: Any])?["source"] as? [String: Any] }
    #expect(sources.count == slices.count && !slices.isEmpty)
    #expect(sources.contains { $0["file"] as? String == "client.py" && $0["line"] as? Int == 10 })
    let plain = PerfettoExport.bytes(exchange(payload: "x"))
    #expect(!String(decoding: plain, as: UTF8.self).contains("\"source\":{"))
  }

  @Test("Mermaid and PlantUML name the send's and the receive's lines on a message, the call's on a note")
  func diagramsName() {
    let mermaid = MermaidExport.text(exchangeWithSources())
    #expect(mermaid.contains("p20->>p10: «Лев» (6 B) [client.py:10 in main → server.py:11 in main]"))
    #expect(mermaid.contains("Note over p10: bind") && mermaid.contains("[server.py:8 in main]"))
    let plantUML = PlantUMLExport.text(exchangeWithSources())
    #expect(plantUML.contains("client.py<U+003A>10 in main → server.py<U+003A>11 in main"))
    #expect(!MermaidExport.text(exchange(payload: "x")).contains(" in main"))
  }

  @Test("a pcapng packet's comment names the send's and the receive's source lines")
  func pcapngComment() {
    let bytes = PcapNGExport.bytes(exchangeWithSources())
    let text = String(decoding: bytes, as: UTF8.self)
    #expect(text.contains("send socket 2 at client.py:10 in main → received by server pid 10"))
    #expect(text.contains("trace event 2 at server.py:11 in main)"))
  }

  @Test("native code without debug information is named by module and offset; no file is looked up")
  func moduleOnly() throws {
    var trace = exchange(payload: "x")
    trace.events[1].source = CallSite(module: "/usr/bin/socat", offset: 0x1234)
    let data = try pageData(try HTMLExport.page(trace, title: "t", language: .en, sources: .lookIn(["/"])))
    let steps = try #require(data["steps"] as? [[String: Any]])
    #expect(steps.contains { ($0["src"] as? [String: Any])?["at"] as? String == "socat+0x1234" })
    #expect((data["files"] as? [Any])?.isEmpty == true)
    #expect(MermaidExport.text(trace).contains("[socat+0x1234 → ?]"))
  }
}
