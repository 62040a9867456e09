import SockScopeGraphviz
import SockScopeLanguage
import SockScopeTrace
import Testing

@testable import SockScopeDiagrams

@Suite("The sequence chart on a time axis keeps each lane's call labels apart")
struct TimeAxisLabelTests {
  @Test(
    "a call soon after a receive whose label sits below it (the demo's last recv, then close) does not overlap it",
    arguments: Language.allCases)
  func labelsOfOneLaneDoNotOverlap(_ language: Language) throws {
    let graph = try Diagrams.graph(
      of: try demoTrace(), view: .sequence, options: DiagramOptions(language: language, timeAxis: true)
    ).0
    // Each call's label: its left edge (the lane's x + 8) and its vertical extent.
    var boxes: [(id: String, left: Double, low: Double, high: Double)] = []
    for case .node(let id, let a) in graph.statements
    where id.hasPrefix("e") && id.hasSuffix("_label") && !id.hasSuffix("_file_label") {
      guard case .text(let label)? = a["label"], case .text(let pos)? = a["pos"] else { continue }
      let xy = pos.dropLast().split(separator: ",").compactMap { Double($0) }
      try #require(xy.count == 2)
      let half = SequenceChart.height(of: label) / 2
      boxes.append((id, (xy[0] - SequenceChart.width(of: label) / 2).rounded(), xy[1] - half, xy[1] + half))
    }
    #expect(boxes.count > 10)
    for (n, a) in boxes.enumerated() {
      for b in boxes[(n + 1)...] where a.left == b.left {
        #expect(a.high <= b.low + 1 || b.high <= a.low + 1, "\(a.id) and \(b.id) overlap: \(a) \(b)")
      }
    }
  }
}
