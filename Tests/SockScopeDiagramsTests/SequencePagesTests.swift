import SockScopeTrace
import Testing

@testable import SockScopeDiagrams

/// A long trace's sequence chart drawn a page at a time: every call appears on exactly one page,
/// in causal order, and each page says which calls it holds.
@Suite("Sequence chart pages")
struct SequencePagesTests {
  /// The `e<index>` call points a DOT text draws.
  func drawnCalls(_ dot: String) -> [Int] {
    dot.split(separator: "\n").compactMap { line in
      let statement = line.drop { $0 == " " }
      guard statement.hasPrefix("e"), !statement.contains("->"), let end = statement.firstIndex(of: " ")
      else {
        return nil
      }
      return Int(statement[statement.index(after: statement.startIndex)..<end])
    }
  }

  @Test("pages of n calls hold every call once, in order, and say which calls they hold")
  func everyCallOnce() throws {
    let trace = try demoTrace()
    let calls = trace.events.filter { $0.call != .output }.map(\.index)
    let size = 7
    let pages = Diagrams.sequencePages(of: trace, callsPerPage: size)
    #expect(pages == (calls.count + size - 1) / size)
    var seen: [Int] = []
    for page in 1...pages {
      let options = DiagramOptions(language: .en, maximumCalls: size, page: page)
      let dot = SequenceChart(trace: trace, options: options).graph.text
      let drawn = drawnCalls(dot)
      #expect(drawn.count <= size)
      seen += drawn
      let first = (page - 1) * size + 1
      let last = min(page * size, calls.count)
      #expect(
        dot.contains("page \(page) of \(pages): calls \(first)–\(last) of \(calls.count)"), "page \(page)")
      #expect(!dot.contains("more events not drawn"), "a page folds nothing")
    }
    #expect(seen == calls)
  }

  @Test("an arrow is drawn only when its send and its receive are on the page")
  func arrowsWithinPage() throws {
    let trace = try demoTrace()
    let sends = Dictionary(
      uniqueKeysWithValues: trace.events.compactMap { e in e.flow.map { ($0, e.index) } })
    for page in 1...Diagrams.sequencePages(of: trace, callsPerPage: 5) {
      let dot = SequenceChart(trace: trace, options: DiagramOptions(maximumCalls: 5, page: page)).graph.text
      let drawn = Set(drawnCalls(dot))
      for recv in trace.events where drawn.contains(recv.index) {
        for flow in recv.flows {
          guard let send = sends[flow] else { continue }
          let arrow = "e\(send) -> e\(recv.index) "
          #expect(dot.contains(arrow) == drawn.contains(send), "page \(page): \(arrow)")
        }
      }
    }
  }
}
