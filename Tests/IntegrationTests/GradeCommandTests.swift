import Foundation
import Glibc
import SockScopeTrace
import Testing

@Suite("sockscope grade", needs("python3"))
struct GradeCommandTests {
  /// A class: two students' runs (one as the page has it, one with a short buffer), a broken trace,
  /// a FIFO, a link to nothing, a README and a picture.
  func makeClass(_ dir: String) throws {
    _ = try tool("python3")
    for (name, change) in [
      ("alice", StudentChange(name: "unchanged")),
      ("bob", StudentChange(name: "short", server: [(StudentChange.receive, "server.recv(16)")])),
    ] {
      try FileManager.default.createDirectory(
        atPath: dir + "/work-" + name, withIntermediateDirectories: true)
      try recordStudentRun(change, in: dir + "/work-" + name)
      try FileManager.default.createDirectory(atPath: dir + "/class", withIntermediateDirectories: true)
      try FileManager.default.moveItem(atPath: dir + "/work-\(name)/run", toPath: dir + "/class/" + name)
    }
    try "{\"format\": broken\n".write(toFile: dir + "/class/carol.jsonl", atomically: true, encoding: .utf8)
    #expect(mkfifo(dir + "/class/dave.fifo", 0o600) == 0)
    try FileManager.default.createSymbolicLink(
      atPath: dir + "/class/erin", withDestinationPath: "/nonexistent/run")
    try "Submissions of group 3\n".write(toFile: dir + "/class/README.txt", atomically: true, encoding: .utf8)
    try Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]).write(
      to: URL(fileURLWithPath: dir + "/class/photo.png"))
  }

  @Test(
    "a class with unreadable and foreign files: a row per run with its error, foreign files listed, exit 2")
  func classWithBadFiles() throws {
    try withTemporaryDirectory { dir throws in
      try makeClass(dir)
      let csv = try sockscope(
        ["grade", "class", "--format", "csv", "--lang", "en", "-o", "grades.csv"], in: dir)
      #expect(csv.status == 2, "\(csv.stderr)")
      #expect(csv.stderr.contains("class/README.txt is not a run"))
      let text = try String(contentsOfFile: dir + "/grades.csv", encoding: .utf8)
      let rows = text.components(separatedBy: "\r\n").filter { !$0.isEmpty }
      #expect(rows.first?.hasPrefix("run,conforms,score,points,differences,notes,error,findings") == true)
      func row(_ name: String) -> String? { rows.first { $0.hasPrefix("class/\(name),") } }
      #expect(row("alice")?.hasPrefix("class/alice,true,100,100,0,0,,") == true, "\(text)")
      let bob = try #require(row("bob"))
      #expect(bob.hasPrefix("class/bob,false,80,100,2,0,,"), "\(bob)")
      #expect(bob.contains("wrong argument (server): recv was called with 16"))
      #expect(row("carol.jsonl")?.contains("is not a valid trace") == true)
      #expect(row("dave.fifo")?.contains("a FIFO, not a run") == true)
      #expect(row("erin")?.contains("a link to nothing") == true)
      #expect(row("README.txt") == nil && row("photo.png") == nil)

      let markdown = try sockscope(["grade", "class"], in: dir)
      #expect(markdown.status == 2)
      #expect(markdown.stdout.contains("| class/alice | да | 100 |"))
      #expect(markdown.stdout.contains("Не прогоны (пропущены): `class/README.txt`, `class/photo.png`"))

      let json = try sockscope(["grade", "class/alice", "class/bob", "--format", "json"], in: dir)
      #expect(json.status == 1, "the readable runs: one does not conform")
      let runs = try #require(try JSONValue.parse(json.stdout).objectValue?["runs"]?.arrayValue)
      #expect(runs.compactMap { $0.objectValue?["score"] } == [.int(100), .int(80)])
      #expect(try sockscope(["grade", "class/alice"], in: dir).status == 0)

      // Grading again with the report (and its figures) inside the class's folder: they are not runs.
      for _ in 0..<2 {
        let again = try sockscope(["grade", "class", "--format", "html", "-o", "class/grades.html"], in: dir)
        #expect(again.status == 2, "\(again.stderr)")
        #expect(!again.stderr.contains("grades"), "\(again.stderr)")
      }
    }
  }

  @Test("the HTML report links each student's figure, written beside it; a linked figure folder is refused")
  func htmlFigures() throws {
    try withTemporaryDirectory { dir throws in
      try makeClass(dir)
      let r = try sockscope(
        ["grade", "class/alice", "class/bob", "--format", "html", "-o", "out/grades.html", "--lang", "en"],
        in: dir)
      #expect(r.status == 2, "out/ does not exist: \(r.stderr)")
      try FileManager.default.createDirectory(atPath: dir + "/out", withIntermediateDirectories: false)
      let ok = try sockscope(
        ["grade", "class/alice", "class/bob", "--format", "html", "-o", "out/grades.html", "--lang", "en"],
        in: dir)
      #expect(ok.status == 1, "\(ok.stderr)")
      let html = try String(contentsOfFile: dir + "/out/grades.html", encoding: .utf8)
      for figure in ["grades-figures/001-class_alice.svg", "grades-figures/002-class_bob.svg"] {
        #expect(html.contains("href=\"\(figure)\""))
        let svg = try String(contentsOfFile: dir + "/out/" + figure, encoding: .utf8)
        #expect(svg.contains("<svg"))
      }
      #expect(html.contains("recv was called with 16"))

      try FileManager.default.createDirectory(atPath: dir + "/elsewhere", withIntermediateDirectories: false)
      try FileManager.default.createSymbolicLink(
        atPath: dir + "/out/linked-figures", withDestinationPath: dir + "/elsewhere")
      let linked = try sockscope(
        ["grade", "class/alice", "--format", "html", "-o", "out/linked.html"], in: dir)
      #expect(linked.status == 2)
      #expect(linked.stderr.contains("is not a directory (a link is never followed)"))
      #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/elsewhere").isEmpty)
      #expect(try sockscope(["grade", "class/alice", "--format", "html"], in: dir).status == 64)
    }
  }

  @Test("a rubric beside the schematic is used; a bad rubric is an error with line and column")
  func rubrics() throws {
    try withTemporaryDirectory { dir throws in
      try makeClass(dir)
      let schematic = repositoryRoot + "/Resources/schematics/datagram-echo.schematic"
      try FileManager.default.copyItem(atPath: schematic, toPath: dir + "/page.schematic")
      try "points 10\nwrong-argument 3\ncut-datagram 4\n".write(
        toFile: dir + "/page.rubric", atomically: true, encoding: .utf8)
      let r = try sockscope(
        ["grade", "class/bob", "--schematic", "page.schematic", "--format", "csv"], in: dir)
      #expect(r.status == 1, "\(r.stderr)")
      #expect(r.stdout.contains("class/bob,false,3,10,"), "\(r.stdout)")
      try "points 10\r\nwrong-argument three\r\n".write(
        toFile: dir + "/bad.rubric", atomically: true, encoding: .utf8)
      let bad = try sockscope(["grade", "class/bob", "--rubric", "bad.rubric"], in: dir)
      #expect(bad.status == 2)
      #expect(bad.stderr.contains("bad.rubric:2:16: \"three\" is not a whole number"), "\(bad.stderr)")
    }
  }
}

@Suite("Focus: --role, --pid, --path, --errors")
struct FocusCommandTests {
  @Test(
    "socat sending to the page's server: --path keeps the exchange, not socat's own sockets", needs("socat"))
  func socat() throws {
    let socat = try tool("socat")
    _ = try tool("python3")
    try withTemporaryDirectory { dir throws in
      try writeStudentScripts(StudentChange(name: "unchanged"), into: dir)
      let server = try RunningProcess(
        sockscopeBinary, ["record", "--out", "run", "--role", "server", "--", "python3", "-u", "server.py"],
        in: dir)
      #expect(server.waitUntil { server.stdout.contains("Слушаем...") })
      for word in ["Лев", "DONE"] {
        let r = try sockscope(
          ["record", "--out", "run", "--role", "client", "--", socat, "-", "UNIX-SENDTO:./echo.socket"],
          in: dir,
          input: word)
        #expect(r.status == 0, "\(r.stderr)")
      }
      #expect(server.finish().status == 0)
      let trace = try readTrace(dir + "/run/trace.jsonl")
      #expect(trace.events.contains { $0.call == .socketpair }, "socat's own sockets are in the recording")

      let all = try sockscope(["compare", "run", "--lang", "en"], in: dir)
      let focused = try sockscope(["compare", "run", "--lang", "en", "--path", "./echo.socket"], in: dir)
      #expect(focused.stdout.contains("client#1 (pid"))
      #expect(!focused.stdout.contains("socketpair"))
      #expect(!focused.stdout.contains("EAGAIN"))
      #expect(
        focused.stdout.components(separatedBy: "\n").count < all.stdout.components(separatedBy: "\n").count
          / 2)

      let exported = try sockscope(["export", "mermaid", "run", "--path", "echo.socket"], in: dir)
      #expect(exported.status == 0)
      #expect(exported.stdout.contains("Лев") && !exported.stdout.contains("socketpair"))
      let render = try sockscope(["render", "run", "--path", "./echo.socket", "--format", "dot"], in: dir)
      #expect(render.status == 0 && !render.stdout.contains("socketpair"))
      let errors = try sockscope(["play", "run", "--frames", "--errors", "--lang", "en"], in: dir)
      #expect(errors.status == 0)
      #expect(errors.stdout.contains("EAGAIN"))
      let grade = try sockscope(["grade", "run", "--path", "./echo.socket", "--role", "server"], in: dir)
      #expect(grade.status == 1, "the clients were focused out: a missing role")
      let nothing = try sockscope(["render", "run", "--pid", "1"], in: dir)
      #expect(nothing.status == 2)
      #expect(nothing.stderr.contains("no socket call is left after --pid 1"))
    }
  }
}
