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
      try FileManager.default.createDirectory(atPath: dir + "/ro", withIntermediateDirectories: true)
      chmod(dir + "/ro", 0o555)
      defer { chmod(dir + "/ro", 0o755) }
      if getuid() != 0 {
        #expect(try sockscope(["render", "out", "-o", "ro/s.svg"], in: dir).status == 1)
      }
      #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/ro").isEmpty)
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
