import SockScopeGraphviz

/// What a schematic figure draws, whether from a run or from a documented schematic alone: the
/// columns' boxes, diamonds and parallelograms top to bottom, the loop region, and the edges.
/// One emitter lays both out the same way, so the run's figure and the page's look alike.
struct SchematicFigure {
  enum Shape {
    /// A step: a rounded box with the call's title in red and the call under it.
    case box
    /// A decision: a diamond.
    case decision
    /// An output step: a parallelogram.
    case output
    /// The box that stands for steps left out of a very long column.
    case omitted
  }

  struct Node {
    var id: String
    var shape: Shape
    /// An HTML label.
    var label: String
    /// Attributes beyond the shape's own (a comparison's marks, a failure's border).
    var attributes: DOTAttributes = [:]
  }

  struct Column {
    var title: String
    var nodes: [Node]
    /// The nodes of the loop region.
    var loop: Range<Int>?
    /// A mark under the column (a killed process), as plain text in the failure colour.
    var ending: String?
  }

  /// An edge other than the one from a node to the next below it (a decision's branches, the
  /// loop back), or one that changes that edge (a label, a dashed line).
  struct Edge {
    var from: String
    var to: String
    var label: String?
    /// Drawn to the side, without moving the nodes (a loop back, a branch that leaves the loop).
    var aside: Side?
    var dashed = false
    var color: String?
  }

  enum Side: String {
    case east = "e"
    case west = "w"
  }

  var columns: [Column]
  /// Edges beyond "each node to the next below it".
  var edges: [Edge] = []
  /// Node pairs whose sequence edge is replaced by one in `edges` or left out.
  var replaced: Set<[String]> = []
  /// The wide green arrows: data sent by one step, received by another.
  var arrows: [(from: String, to: String)] = []
  /// The loop region's label, top right: `loop: ran 4 times`.
  var loopLabel: String?
  /// The key to a compared figure's marks, as an HTML label.
  var legend: String?

  func graph(palette: DiagramPalette) -> DOTGraph {
    var g = DOTGraph(
      name: "schematic",
      attributes: [
        "rankdir": "TB", "newrank": .plain("true"), "nodesep": .plain("0.9"), "ranksep": .plain("0.45"),
        "fontname": .text(DiagramFonts.layout), "bgcolor": .text(palette.background),
        "fontcolor": .text(palette.text),
      ],
      nodeDefaults: [
        "shape": "box", "style": "rounded,filled", "fillcolor": .text(palette.boxFill),
        "color": .text(palette.boxBorder), "fontcolor": .text(palette.text),
        "fontname": .text(DiagramFonts.layout), "fontsize": .plain("12"), "width": .plain("3.1"),
        "margin": "0.15,0.08",
      ],
      edgeDefaults: [
        "arrowsize": .plain("0.8"), "color": .text(palette.line), "fontname": .text(DiagramFonts.layout),
        "fontsize": .plain("11"), "fontcolor": .text(palette.text),
      ])

    // Rows: the nodes before the loop, the loop, the nodes after it, aligned across columns.
    let beforeRows = columns.map { $0.loop?.lowerBound ?? $0.nodes.count }.max() ?? 0
    let loopRows = columns.map { $0.loop?.count ?? 0 }.max() ?? 0
    func row(_ column: Column, _ n: Int) -> Int {
      guard let loop = column.loop else { return n + 1 }
      if n < loop.lowerBound { return n + 1 }
      if n < loop.upperBound { return beforeRows + 1 + (n - loop.lowerBound) }
      return beforeRows + loopRows + 1 + (n - loop.upperBound)
    }
    let afterRows = columns.map { c in c.loop.map { c.nodes.count - $0.upperBound } ?? 0 }.max() ?? 0
    var rows = [[String]](repeating: [], count: beforeRows + loopRows + afterRows + 2)
    let sideEdges = Dictionary(grouping: edges, by: { [$0.from, $0.to] })

    for (c, column) in columns.enumerated() {
      let titleID = "title\(c)"
      g.node(
        titleID, ["shape": "plaintext", "style": "", "label": .text(column.title), "fontsize": .plain("22")])
      rows[0].append(titleID)
      var previous = titleID
      for (n, node) in column.nodes.enumerated() {
        // One group per column keeps its nodes on one vertical line.
        var attributes: DOTAttributes = ["label": .html(node.label), "group": .text("column\(c)")]
        switch node.shape {
        case .box: break
        case .omitted:
          attributes["style"] = "rounded,dashed"
          attributes["color"] = .text(palette.faint)
        case .decision:
          attributes["shape"] = "diamond"
          attributes["style"] = "filled"
          attributes["width"] = .plain("2.6")
          attributes["height"] = .plain("0.9")
          attributes["margin"] = "0.02,0.02"
        case .output:
          attributes["shape"] = "parallelogram"
          attributes["style"] = "filled"
          attributes["width"] = .plain("2.4")
        }
        for (key, value) in node.attributes.pairs { attributes[key] = value }
        g.node(node.id, attributes)
        rows[row(column, n)].append(node.id)
        if !replaced.contains([previous, node.id]) {
          // Heavy: keeps a column's nodes on one line whatever the branches beside it pull.
          var edge: DOTAttributes = previous == titleID ? ["style": "invis"] : ["weight": .plain("8")]
          for e in sideEdges[[previous, node.id]] ?? [] where e.aside == nil {
            if let label = e.label { edge["xlabel"] = .text(label) }
            if e.dashed { edge["style"] = "dashed" }
            if let color = e.color { edge["color"] = .text(color); edge["fontcolor"] = .text(color) }
          }
          g.edge(previous, node.id, edge)
        }
        previous = node.id
      }
      if let ending = column.ending {
        // How the column's processes ended: killed after their last step, as a teacher would
        // say it under the column.
        g.node(
          "c\(c)killed",
          [
            "shape": "plaintext", "style": "", "label": .text("✕ " + ending),
            "fontcolor": .text(palette.failure), "fontsize": .plain("13"),
          ])
        g.edge(
          previous, "c\(c)killed", ["style": "dashed", "color": .text(palette.failure), "arrowhead": "none"])
      }
    }
    for r in rows where r.count > 1 { g.statements.append(.sameRank(r)) }
    // Edges to the side: a decision's branch that leaves the loop, the loop back to its start.
    // A branch down to a later node is an ordinary edge that leaves and enters on one side (dot
    // routes it beside the column); the way back up to an earlier node is drawn as an edge down
    // with its arrow reversed, so that dot routes it beside the column too instead of across it.
    let position = Dictionary(
      columns.flatMap { c in c.nodes.enumerated().map { ($1.id, $0) } }, uniquingKeysWith: { a, _ in a })
    for e in edges {
      guard let side = e.aside else { continue }
      let port = DOTValue.text(side.rawValue)
      let backwards = (position[e.to] ?? 0) < (position[e.from] ?? 0)
      var attributes: DOTAttributes = ["tailport": port, "headport": port]
      if backwards {
        // Into the top corner of the loop's first step, as on the page, clear of the send→recv
        // arrow that comes in at its side.
        attributes["dir"] = "back"
        attributes["tailport"] = .text("n" + side.rawValue)
      } else {
        attributes["weight"] = .plain("0")
      }
      if let label = e.label { attributes["xlabel"] = .text(label) }
      if e.dashed { attributes["style"] = "dashed" }
      if let color = e.color {
        attributes["color"] = .text(color)
        attributes["fontcolor"] = .text(color)
      }
      if backwards { g.edge(e.to, e.from, attributes) } else { g.edge(e.from, e.to, attributes) }
    }
    if let legend {
      g.node("legend", ["shape": "plaintext", "style": "", "label": .html(legend), "fontsize": .plain("11")])
      if let last = columns.last?.nodes.last { g.edge(last.id, "legend", ["style": "invis"]) }
    }
    // Keep the columns in order, left to right: invisible flat edges between the titles.
    for c in columns.indices.dropFirst() { g.edge("title\(c - 1)", "title\(c)", ["style": "invis"]) }

    let members = columns.flatMap { column in column.loop.map { column.nodes[$0].map(\.id) } ?? [] }
    if !members.isEmpty {
      var attributes: DOTAttributes = [
        "color": .text(palette.accent), "penwidth": .plain("2.5"), "style": "",
        "fontcolor": .text(palette.accent), "labeljust": "r", "fontsize": .plain("12"),
        "margin": .plain("14"),
      ]
      if let loopLabel { attributes["label"] = .text(loopLabel) }
      g.statements.append(
        .subgraph(
          DOTSubgraph(
            name: "cluster_loop", attributes: attributes, statements: members.map { .node(id: $0, [:]) })))
    }
    // The send→recv arrows. Unlabelled: a labelled flat edge crashes this libgraphviz
    // (docs/diagrams.md).
    for arrow in arrows {
      g.edge(
        arrow.from, arrow.to,
        [
          "color": .text(palette.sendArrow), "penwidth": .plain("5"), "arrowhead": "empty",
          "arrowsize": .plain("1.3"), "constraint": .plain("false"),
        ])
    }
    return g
  }

  /// A step's title line: the call's family in the accent colour, as on the page.
  static func title(_ text: String, color: String) -> String {
    "<b><font color=\"\(color)\" point-size=\"14\">\(DOTValue.escapeHTML(text))</font></b>"
  }
}
