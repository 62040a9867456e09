import Foundation
import Testing

/// The repository's root, for the schematic files it ships.
private let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent()
  .deletingLastPathComponent().path

@Suite("sockscope render FILE.schematic")
struct RenderSchematicFileTests {
  @Test("the page's schematic file draws by itself, without a run: diamonds, print step, branches")
  func pageFigure() throws {
    try withTemporaryDirectory { dir throws in
      let file = repository + "/Resources/schematics/datagram-echo.schematic"
      let dot = try sockscope(["render", file, "--format", "dot"], in: dir)
      #expect(dot.status == 0, "\(dot.stderr)")
      for part in [
        "Сервер", "Клиент", "diamond", "if datagram", "if “DONE”", "parallelogram", "print datagram",
        "datagram = recv(1024)", "xlabel=\"True\"", "xlabel=\"False\"", "cluster_loop",
      ] {
        #expect(dot.stdout.contains(part), "the figure lacks \(part)")
      }
      let png = try sockscope(["render", file, "--lang", "en", "-o", "page.png"], in: dir)
      #expect(png.status == 0, "\(png.stderr)")
      let bytes = try #require(FileManager.default.contents(atPath: "\(dir)/page.png"))
      #expect(Array(bytes.prefix(4)) == [0x89, 0x50, 0x4E, 0x47])
    }
  }

  @Test("a bad schematic file is bad input (exit 2) with its file, line, column and fix")
  func badFile() throws {
    try withTemporaryDirectory { dir throws in
      try "\u{FEFF}role s\r\n  loop\r\n    step recv\r\n    stpe send\r\n  end\r\n".write(
        toFile: "\(dir)/bad.schematic", atomically: true, encoding: .utf8)
      let r = try sockscope(["render", "bad.schematic", "-o", "x.svg"], in: dir)
      #expect(r.status == 2)
      #expect(r.stderr.contains("bad.schematic:4:5: unknown keyword \"stpe\""), "\(r.stderr)")
      #expect(!FileManager.default.fileExists(atPath: "\(dir)/x.svg"))
      let missing = try sockscope(["render", "nope.schematic"], in: dir)
      #expect(missing.status == 2 && missing.stderr.contains("nope.schematic"), "\(missing.stderr)")
      // The schematic is an input: drawing over it is refused, and it is left as it was.
      let page = try String(
        contentsOfFile: repository + "/Resources/schematics/datagram-echo.schematic", encoding: .utf8)
      try page.write(toFile: "\(dir)/page.schematic", atomically: true, encoding: .utf8)
      let over = try sockscope(
        ["render", "page.schematic", "--format", "svg", "-o", "page.schematic"], in: dir)
      #expect(over.status == 2, "\(over.stderr)")
      #expect(try String(contentsOfFile: "\(dir)/page.schematic", encoding: .utf8) == page)
      let view = try sockscope(
        ["render", repository + "/examples/schematics/stream-echo.schematic", "--view", "sequence"], in: dir)
      #expect(view.status != 0 && view.stderr.contains("needs a recorded run"), "\(view.stderr)")
    }
  }

  @Test("--schematic draws a run's loop as another schematic declares it")
  func runWithSchematic() throws {
    try withTemporaryDirectory { dir throws in
      #expect(try sockscope(["demo", "--out", "out", "--lang", "en"], in: dir).status == 0)
      let page = try sockscope(["render", "out", "--format", "dot", "--lang", "en"], in: dir)
      #expect(page.stdout.contains("True ×1") && page.stdout.contains("print datagram  ×4"), "\(page.stdout)")
      let stream = try sockscope(
        [
          "render", "out", "--format", "dot", "--schematic",
          repository + "/examples/schematics/stream-echo.schematic",
        ],
        in: dir)
      #expect(stream.status == 0, "\(stream.stderr)")
      #expect(!stream.stdout.contains("diamond"), "a datagram run made none of the stream schematic's steps")
    }
  }
}
