import Foundation
import SockScopeTrace
import Testing

@Suite("A call's return and its data agree")
struct ReturnValueTests {
  /// The demo fixture with its first send's line (line 16) edited by `edit`.
  func editedFirstSend(_ edit: (String) -> String) throws -> TraceReadResult {
    var lines = try String(decoding: Fixture.bytes("demo-trace.jsonl"), as: UTF8.self).split(separator: "\n")
      .map(String.init)
    let first = try #require(lines.firstIndex { $0.contains(#""call":"send""#) })
    #expect(first == 15)
    lines[first] = edit(lines[first])
    return TraceFile.parse(Array((lines.joined(separator: "\n") + "\n").utf8), file: "t")
  }

  @Test("the fixture as recorded passes: every return agrees with the data moved")
  func recordedTraceAgrees() throws {
    let read = try editedFirstSend { $0 }
    #expect(read.problems.isEmpty, "\(read.problems)")
  }

  @Test("a successful call returning less than 0 is refused: it would be explained as having worked")
  func negativeReturnWithoutErrno() throws {
    let read = try editedFirstSend { $0.replacingOccurrences(of: #""ret":6"#, with: #""ret":-5"#) }
    #expect(read.problems.contains { $0.line == 16 && $0.field == "ret" }, "\(read.problems)")
  }

  @Test("data that does not match the return is refused")
  func lengthDisagrees() throws {
    let read = try editedFirstSend { $0.replacingOccurrences(of: #""ret":6"#, with: #""ret":500"#) }
    #expect(read.problems.contains { $0.line == 16 && $0.field == "data.len" }, "\(read.problems)")
  }
}
