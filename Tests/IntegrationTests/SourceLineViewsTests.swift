import Foundation
import SockScopeTrace
import Testing

/// The recorded source line of each call, in the views that are not the web page, and the
/// leftovers of the course-pages issue: the figure options of `compare --render`, exports to a
/// path that cannot be written.
@Suite("Source lines in the player and exports; compare --render's look; unwritable exports")
struct SourceLineViewsTests {
  @Test("printed frames and casts show each call's file:line, and never the interactive key line")
  func framesAndCasts() throws {
    try withTemporaryDirectory { dir throws in
      _ = try demoWithSources(in: dir)
      let frames = try sockscope(["play", "out", "--frames", "--lang", "en"], in: dir)
      #expect(frames.status == 0, "\(frames.stderr)")
      let calls = frames.stdout.split(separator: "\n").filter { $0.hasPrefix(" ▶ ") }
      #expect(calls.first?.contains("socket(AF_UNIX, SOCK_DGRAM, 0) = 3") == true)
      #expect(calls.first?.hasSuffix("server.py:7") == true, "\(calls.first ?? "")")
      #expect(calls.contains { $0.contains("send(") && $0.contains("client.py:10") })
      #expect(!frames.stdout.contains("q quit"))
      let cast = try sockscope(["play", "out", "--cast", "run.cast"], in: dir)
      #expect(cast.status == 0, "\(cast.stderr)")
      let text = try String(contentsOfFile: dir + "/run.cast", encoding: .utf8)
      #expect(text.contains("server.py:11"))
      #expect(!text.contains("q выход") && !text.contains("q quit"), "a cast has no key line")
    }
  }

  @Test("compare --render draws with --theme and sizes a PNG with --dpi or --scale, as render does")
  func compareRenderLook() throws {
    try withTemporaryDirectory { dir throws in
      #expect(try sockscope(["demo", "--out", "out"], in: dir).status == 0)
      func size(_ file: String) throws -> (Int, Int) {
        let bytes = try #require(FileManager.default.contents(atPath: dir + "/" + file))
        func u32(_ at: Int) -> Int { bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return (u32(16), u32(20))
      }
      #expect(try sockscope(["compare", "out", "--render", "plain.png"], in: dir).status == 0)
      #expect(try sockscope(["compare", "out", "--render", "big.png", "--dpi", "192"], in: dir).status == 0)
      #expect(
        try sockscope(["compare", "out", "--render", "scaled.png", "--scale", "2"], in: dir).status == 0)
      let (w, h) = try size("plain.png")
      let (w2, h2) = try size("big.png")
      #expect(abs(w2 - 2 * w) <= 2 && abs(h2 - 2 * h) <= 2, "\(w)×\(h) → \(w2)×\(h2)")
      #expect(try size("scaled.png") == (w2, h2))
      #expect(try sockscope(["compare", "out", "--render", "light.svg"], in: dir).status == 0)
      #expect(
        try sockscope(["compare", "out", "--render", "dark.svg", "--theme", "dark"], in: dir).status == 0)
      let light = try String(contentsOfFile: dir + "/light.svg", encoding: .utf8)
      let dark = try String(contentsOfFile: dir + "/dark.svg", encoding: .utf8)
      // The dark theme's background (Theme.swift) fills the figure; the light one's is white.
      #expect(dark.contains("<polygon fill=\"#1e1e1e\"") && !light.contains("#1e1e1e"))
      let svgDPI = try sockscope(["compare", "out", "--render", "x.svg", "--dpi", "200"], in: dir)
      #expect(svgDPI.status == 2 && svgDPI.stderr.contains("size a PNG"), "\(svgDPI.stderr)")
      let both = try sockscope(
        ["compare", "out", "--render", "x.png", "--dpi", "200", "--scale", "2"], in: dir)
      #expect(both.status != 0 && both.stderr.contains("not both"))
    }
  }

  @Test("an export to a path that cannot be written fails with the path and the reason, and writes nothing")
  func unwritable() throws {
    try withTemporaryDirectory { dir throws in
      #expect(try sockscope(["demo", "--out", "out"], in: dir).status == 0)
      try "x".write(toFile: dir + "/plain", atomically: true, encoding: .utf8)
      let cases = [
        ("html", "/proc/sockscope-page.html", "No such file or directory"),
        ("html", "plain/page.html", "Not a directory"),
        ("pcapng", "/sys/run.pcapng", "Permission denied"),
        ("perfetto", "/nonexistent/run.json", "No such file or directory"),
      ]
      for (format, path, reason) in cases {
        let result = try sockscope(["export", format, "out", "-o", path], in: dir)
        #expect(result.status == 1, "\(format) \(path): \(result.stderr)")
        #expect(result.stderr.contains("cannot write \(path): \(reason)"), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: path.hasPrefix("/") ? path : dir + "/" + path))
      }
    }
  }

  @Test("export html reads sources beside the run, from --sources, or leaves them out with --no-sources")
  func sourceOptions() throws {
    try withTemporaryDirectory { dir throws in
      _ = try demoWithSources(in: dir)
      let marker = "server.recv(1024)"
      #expect(try sockscope(["export", "html", "out", "-o", "a.html"], in: dir).status == 0)
      #expect(try String(contentsOfFile: dir + "/a.html", encoding: .utf8).contains(marker))
      #expect(try sockscope(["export", "html", "out/trace.jsonl", "-o", "b.html"], in: dir).status == 0)
      #expect(try String(contentsOfFile: dir + "/b.html", encoding: .utf8).contains(marker))
      #expect(try sockscope(["export", "html", "out", "-o", "c.html", "--no-sources"], in: dir).status == 0)
      let left = try String(contentsOfFile: dir + "/c.html", encoding: .utf8)
      #expect(!left.contains(marker) && left.contains("left-out"))
      try FileManager.default.createDirectory(atPath: dir + "/elsewhere", withIntermediateDirectories: true)
      try "# moved\n".write(toFile: dir + "/elsewhere/server.py", atomically: true, encoding: .utf8)
      #expect(
        try sockscope(["export", "html", "out", "-o", "d.html", "--sources", "elsewhere"], in: dir).status
          == 0)
      let moved = try String(contentsOfFile: dir + "/d.html", encoding: .utf8)
      #expect(moved.contains("# moved") && !moved.contains(marker))
      let contradict = try sockscope(
        ["export", "html", "out", "--no-sources", "--sources", "elsewhere", "-o", "e.html"], in: dir)
      #expect(contradict.status != 0 && contradict.stderr.contains("contradict"))
      let wrongFormat = try sockscope(["export", "mermaid", "out", "--no-sources"], in: dir)
      #expect(wrongFormat.status != 0 && wrongFormat.stderr.contains("html pages only"))
      let mermaid = try sockscope(["export", "mermaid", "out"], in: dir)
      #expect(mermaid.stdout.contains("[client.py:10 in main → server.py:11 in main]"))
    }
  }
}
