import Foundation
import Glibc
import Testing

@Suite("sockscope render")
struct RenderTests {
  @Test("the demo writes the three views as SVG and PNG next to its trace")
  func demoFigures() throws {
    try withTemporaryDirectory { dir throws in
      let result = try sockscope(["demo", "--out", "out", "--lang", "en"], in: dir)
      #expect(result.status == 0, "\(result.stderr)")
      for view in ["schematic", "sequence", "topology"] {
        let png = try #require(FileManager.default.contents(atPath: "\(dir)/out/\(view).png"))
        #expect(Array(png.prefix(4)) == [0x89, 0x50, 0x4E, 0x47], "\(view).png is a PNG")
        let svg = try String(contentsOfFile: "\(dir)/out/\(view).svg", encoding: .utf8)
        #expect(svg.contains("</svg>"))
      }
      #expect(
        try String(contentsOfFile: "\(dir)/out/schematic.svg", encoding: .utf8).contains("loop: ran 4 times"))
    }
  }

  @Test("each format is written where -o says, or to standard output; the extension picks the format")
  func formats() throws {
    try withTemporaryDirectory { dir throws in
      #expect(try sockscope(["demo", "--out", "out"], in: dir).status == 0)
      for (file, magic) in [("s.svg", "<?xml"), ("s.pdf", "%PDF"), ("s.dot", "digraph")] {
        let r = try sockscope(["render", "out", "--view", "topology", "-o", file], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(
          try String(decoding: Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(file)")), as: UTF8.self)
            .hasPrefix(magic))
      }
      let stdout = try sockscope(["render", "out/trace.jsonl", "--format", "dot"], in: dir)
      #expect(stdout.stdout.hasPrefix("digraph schematic {"))
    }
  }

  @Test("--dpi and --scale size the PNG; the demo's topology fits a slide")
  func pngSize() throws {
    try withTemporaryDirectory { dir throws in
      #expect(try sockscope(["demo", "--out", "out", "--lang", "en"], in: dir).status == 0)
      func size(_ file: String) throws -> (width: Int, height: Int) {
        let png = try #require(FileManager.default.contents(atPath: "\(dir)/\(file)"))
        try #require(png.count > 24 && Array(png[12..<16]) == Array("IHDR".utf8), "\(file) is a PNG")
        func int(_ at: Int) -> Int { png[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        return (int(16), int(20))
      }
      let demo = try size("out/topology.png")
      let ratio = Double(demo.width) / Double(demo.height)
      #expect(
        (0.5...2.5).contains(ratio), "the demo's topology is \(demo.width)×\(demo.height), not a banner")
      var widths: [Int] = []
      for (file, option) in [
        ("d96.png", ["--dpi", "96"]), ("d300.png", ["--dpi", "300"]), ("s2.png", ["--scale", "2"]),
      ] {
        let r = try sockscope(["render", "out", "--view", "sequence", "-o", file] + option, in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        widths.append(try size(file).width)
      }
      let expected = Double(widths[0]) * 300 / 96
      #expect(abs(Double(widths[1]) - expected) < expected / 100, "300 dpi is 3.125× 96 dpi: \(widths)")
      #expect(abs(widths[2] - widths[0] * 2) <= 4, "--scale 2 doubles: \(widths)")
      for theme in ["light", "print", "dark"] {
        let r = try sockscope(
          ["render", "out", "--view", "topology", "--theme", theme, "--format", "dot"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains(theme == "dark" ? "bgcolor=\"#1e1e1e\"" : "bgcolor=\"white\""))
      }
    }
  }

  @Test("a dpi or scale out of range, both at once, or for a format they cannot size, is refused with why")
  func badSizes() throws {
    try withTemporaryDirectory { dir throws in
      #expect(try sockscope(["demo", "--out", "out"], in: dir).status == 0)
      for (args, message) in [
        (["--dpi", "10", "-o", "x.png"], "--dpi must be from 24 to 1200"),
        (["--dpi", "5000", "-o", "x.png"], "--dpi must be from 24 to 1200"),
        (["--scale", "0", "-o", "x.png"], "--scale must be from 0.25 to 12.5"),
        (["--scale", "nan", "-o", "x.png"], "--scale must be from"),
        (["--dpi", "200", "--scale", "2", "-o", "x.png"], "give --dpi or --scale, not both"),
        (["--dpi", "200", "-o", "x.svg"], "--dpi and --scale size a PNG"),
        (["--theme", "sepia"], "light"),
      ] {
        let r = try sockscope(["render", "out"] + args, in: dir)
        #expect(r.status != 0 && r.stderr.contains(message), "\(args): \(r.stderr)")
      }
      #expect(!FileManager.default.fileExists(atPath: dir + "/x.png"))
    }
  }

  @Test("an unknown view or format is refused with the choices")
  func unknownChoices() throws {
    try withTemporaryDirectory { dir throws in
      let view = try sockscope(["render", "x", "--view", "flow"], in: dir)
      #expect(view.status != 0)
      #expect(view.stderr.contains("schematic") && view.stderr.contains("topology"))
      let format = try sockscope(["render", "x", "--format", "gif"], in: dir)
      #expect(format.status != 0)
      #expect(format.stderr.contains("svg"))
    }
  }

  @Test("an unwritable output path is a clear error and leaves nothing half-written")
  func unwritableOutput() throws {
    try withTemporaryDirectory { dir throws in
      #expect(try sockscope(["demo", "--out", "out"], in: dir).status == 0)
      let r = try sockscope(["render", "out", "-o", "missing/dir/s.svg"], in: dir)
      #expect(r.status == 1)
      #expect(r.stderr.contains("cannot write missing/dir/s.svg"))
      // A path under a regular file cannot be written even by root (ENOTDIR); a read-only
      // directory stops only other users, and these tests may run as root.
      try "precious".write(toFile: dir + "/notes.txt", atomically: true, encoding: .utf8)
      let under = try sockscope(["render", "out", "-o", "notes.txt/s.svg"], in: dir)
      #expect(under.status == 1)
      #expect(under.stderr.contains("cannot write notes.txt/s.svg"), "\(under.stderr)")
      #expect(try String(contentsOfFile: dir + "/notes.txt", encoding: .utf8) == "precious")
      try FileManager.default.createDirectory(atPath: dir + "/ro", withIntermediateDirectories: true)
      chmod(dir + "/ro", 0o555)
      defer { chmod(dir + "/ro", 0o755) }
      if getuid() != 0 {
        #expect(try sockscope(["render", "out", "-o", "ro/s.svg"], in: dir).status == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/ro").isEmpty)
      }
      let left = try FileManager.default.contentsOfDirectory(atPath: dir).filter {
        !$0.hasPrefix(".out-") && !$0.hasPrefix(".err-")
      }
      #expect(left.sorted() == ["notes.txt", "out", "ro"], "no temporary file is left behind")
    }
  }

  @Test("a named pipe given to -o is written into, never replaced by a file (as /dev/null must not be)")
  func pipeOutput() throws {
    try withTemporaryDirectory { dir throws in
      #expect(try sockscope(["demo", "--out", "out"], in: dir).status == 0)
      for (name, command) in [("figure.svg", ["render", "out"]), ("trace.jsonl", ["merge", "out/logs"])] {
        #expect(mkfifo(dir + "/" + name, 0o644) == 0)
        let cat = try RunningProcess("/bin/cat", [name], in: dir)
        let r = try sockscope(command + ["-o", name], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let read = cat.finish()
        #expect(read.stdout.contains(name.hasSuffix(".svg") ? "</svg>" : "\"call\":\"recv\""), "\(name)")
        var st = stat()
        #expect(stat(dir + "/" + name, &st) == 0 && st.st_mode & S_IFMT == S_IFIFO, "\(name) is still a pipe")
      }
    }
  }

  @Test("an invalid or empty trace is refused with what to do; a one-process trace draws")
  func badTraces() throws {
    try withTemporaryDirectory { dir throws in
      try "{\"format\":\"sockscope-trace\"\n".write(
        toFile: dir + "/bad.jsonl", atomically: true, encoding: .utf8)
      let invalid = try sockscope(["render", "bad.jsonl", "-o", "x.svg"], in: dir)
      #expect(invalid.status == 2, "bad input, as for compare and play")
      #expect(invalid.stderr.contains("see them all with: sockscope validate bad.jsonl"))
      #expect(!FileManager.default.fileExists(atPath: dir + "/x.svg"))

      try writeEmptyTrace(dir + "/empty.jsonl")
      let empty = try sockscope(["render", "empty.jsonl"], in: dir)
      #expect(empty.status == 2, "bad input")
      #expect(empty.stderr.contains("empty.jsonl: the trace holds no socket calls"))

      // One process: the server alone, killed after binding.
      let server = try RunningProcess(sockscopeBinary, ["server", "--trace", "t"], in: dir)
      #expect(server.waitUntil { server.stdout.contains("Слушаем...") })
      kill(server.process.processIdentifier, SIGKILL)
      _ = server.finish()
      for view in ["schematic", "sequence", "topology"] {
        let one = try sockscope(["render", "t", "--view", view, "--lang", "en"], in: dir)
        #expect(one.status == 0, "\(view): \(one.stderr)")
        #expect(one.stdout.contains("</svg>"))
      }
    }
  }
}
