import Foundation
import Testing

/// `sockscope render --page`: a long run's sequence chart, a page at a time.
@Suite("sockscope render --page")
struct RenderPagesTests {
  @Test(
    "--page draws one page of the sequence chart and says which calls it holds; a page past the end is refused"
  )
  func pages() throws {
    try withTemporaryDirectory { dir throws in
      #expect(try sockscope(["demo", "--out", "out"], in: dir).status == 0)
      let second = try sockscope(
        [
          "render", "out", "--view", "sequence", "--max-calls", "5", "--page", "2", "--lang", "en", "-o",
          "p2.svg",
        ],
        in: dir)
      #expect(second.status == 0, "\(second.stderr)")
      let svg = try String(contentsOfFile: dir + "/p2.svg", encoding: .utf8)
      #expect(svg.contains("page 2 of "), "the page says where it is")
      #expect(svg.contains("calls 6–10 of "))
      let beyond = try sockscope(
        ["render", "out", "--view", "sequence", "--max-calls", "5", "--page", "99"], in: dir)
      #expect(beyond.status == 1)
      #expect(beyond.stderr.contains("so there is no page 99; give --page 1 to "), "\(beyond.stderr)")
      let schematic = try sockscope(["render", "out", "--page", "1"], in: dir)
      #expect(schematic.status != 0)
      #expect(schematic.stderr.contains("--page pages the sequence view"), "\(schematic.stderr)")
    }
  }
}
