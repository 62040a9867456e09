public import SockScopeAnalysis
public import SockScopeGraphviz
import SockScopeLanguage
import SockScopeTrace

extension Diagrams {
  /// A documented schematic drawn by itself, without a run: the course page's figure from its
  /// `.schematic` file (a column per role, its steps, the loop region with its decisions, output
  /// steps and the loop back, the arrows between roles).
  public static func graph(of schematic: DocumentedSchematic, options: DiagramOptions) -> DOTGraph {
    let palette = options.theme.palette
    var graph = DocumentedFigure(schematic: schematic, language: options.language, palette: palette).figure
      .graph(palette: palette)
    if let dpi = options.dpi { graph.attributes["dpi"] = .number(dpi) }
    return graph
  }
}

/// Builds the figure of a documented schematic.
struct DocumentedFigure {
  let schematic: DocumentedSchematic
  let language: Language
  let palette: DiagramPalette

  var figure: SchematicFigure {
    var figure = SchematicFigure(columns: [])
    // Where each role's steps are drawn, by call family, loop steps first (what the arrows touch).
    var nodeOfCall: [String: [String: String]] = [:]
    for (c, role) in schematic.roles.enumerated() {
      var nodes: [SchematicFigure.Node] = []
      var loopNodes: Range<Int>?
      var calls: [String: String] = [:]
      var pendingExits: [(from: String, label: String, aside: SchematicFigure.Side?)] = []
      var dashedFrom: String?
      for (e, element) in role.elements.enumerated() {
        switch element {
        case .step(let step):
          let node = box(step, id: "c\(c)e\(e)")
          resolve(&pendingExits, to: node.id, in: &figure)
          if let from = dashedFrom {
            figure.edges.append(SchematicFigure.Edge(from: from, to: node.id, dashed: true))
            dashedFrom = nil
          }
          if calls[step.call] == nil { calls[step.call] = node.id }
          nodes.append(node)
        case .loop(let loop):
          let first = nodes.count
          var ids: [String] = []
          var items = loop.items
          if items.isEmpty { items = loop.body.map(DocumentedSchematic.LoopItem.step) }
          for (k, item) in items.enumerated() {
            let id = "c\(c)e\(e)i\(k)"
            ids.append(id)
            switch item {
            case .step(let step):
              nodes.append(box(step, id: id))
              calls[step.call] = id
            case .decision(let d):
              nodes.append(
                SchematicFigure.Node(id: id, shape: .decision, label: DOTValue.escapeHTML(d.label)))
            case .output(let o):
              nodes.append(SchematicFigure.Node(id: id, shape: .output, label: DOTValue.escapeHTML(o.label)))
            }
          }
          for (k, item) in items.enumerated() {
            guard case .decision(let d) = item else { continue }
            let stay = SchematicFigure.branch(!d.exitsWhen)
            let leave = SchematicFigure.branch(d.exitsWhen)
            if k + 1 < ids.count {
              figure.edges.append(SchematicFigure.Edge(from: ids[k], to: ids[k + 1], label: stay))
              pendingExits.append((ids[k], leave, .west))
            } else {
              figure.edges.append(SchematicFigure.Edge(from: ids[k], to: ids[0], label: stay, aside: .east))
              pendingExits.append((ids[k], leave, nil))
            }
          }
          if case .decision? = items.last {
          } else if ids.count > 1 || !loop.decisions.isEmpty {
            figure.edges.append(SchematicFigure.Edge(from: ids[ids.count - 1], to: ids[0], aside: .east))
          }
          // A sending loop without decisions ends when the program decides to stop: dashed, as
          // the page draws the client's way from Send to Close.
          if case .step(let last)? = items.last, last.call == "send", loop.decisions.isEmpty {
            dashedFrom = ids.last
          }
          loopNodes = first..<nodes.count
        }
      }
      nodeOfCall[role.name] = calls
      let title =
        role.titles.isEmpty ? role.name : role.titles[language == .en && role.titles.count > 1 ? 1 : 0]
      figure.columns.append(SchematicFigure.Column(title: title, nodes: nodes, loop: loopNodes, ending: nil))
    }
    for arrow in schematic.arrows {
      guard let from = nodeOfCall[arrow.fromRole]?[arrow.fromCall],
        let to = nodeOfCall[arrow.toRole]?[arrow.toCall]
      else { continue }
      figure.arrows.append((from, to))
    }
    return figure
  }

  /// Edges of decisions that leave a loop, to the first step after it.
  private func resolve(
    _ exits: inout [(from: String, label: String, aside: SchematicFigure.Side?)], to target: String,
    in figure: inout SchematicFigure
  ) {
    for exit in exits {
      figure.edges.append(
        SchematicFigure.Edge(from: exit.from, to: target, label: exit.label, aside: exit.aside))
    }
    exits = []
  }

  /// A step's box: its title as on the page (Receive), and the call as the file writes it.
  private func box(_ step: DocumentedSchematic.Step, id: String) -> SchematicFigure.Node {
    let call = SocketCall(rawValue: step.call)
    let title = call.map(DiagramText.title) ?? step.call
    let text =
      step.label
      ?? "\(step.call)("
      + step.arguments.map { $0 == "$SOCKET" ? "\"\(schematic.socketPath ?? $0)\"" : $0 }
      .joined(separator: ", ") + ")"
    return SchematicFigure.Node(
      id: id, shape: .box,
      label: SchematicFigure.title(title, color: palette.accent) + "<br/>" + DOTValue.escapeHTML(text))
  }
}
