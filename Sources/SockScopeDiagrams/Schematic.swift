public import SockScopeAnalysis
public import SockScopeGraphviz
public import SockScopeLanguage
public import SockScopeTrace

/// The page's schematic regenerated from a run: a column per program, a box per step, the
/// repeated part folded into a loop (with the documented schematic's decisions and output steps,
/// and how often the run took each branch), and the send→recv arrows between the columns. What
/// it draws is `RunSchematic`'s analysis; this type only draws.
public struct Schematic: Sendable, Equatable {
  /// The folded run.
  public var run: RunSchematic
  /// The language of the column titles (the figure's other words follow `graph(language:)`).
  public var language: Language
  /// Send→recv links between steps, as (column, step) pairs.
  var links: [RunSchematic.Link]
  /// Per process, the programs it ran with exec: a one-process column is titled with them.
  var programs: [Int32: [ProgramChange]] = [:]

  /// The most boxes a column draws (`RunSchematic.maximumSteps`).
  public static let maximumSteps = RunSchematic.maximumSteps

  public static func == (a: Schematic, b: Schematic) -> Bool {
    a.run == b.run && a.language == b.language && a.links == b.links
  }

  /// Folds `trace` (see `RunSchematic`); `documented` supplies the loops' decisions and output
  /// steps, and the loops of more than one call (a request/reply loop).
  public init(
    trace: Trace, language: Language, maximumSteps: Int? = Schematic.maximumSteps,
    documented: DocumentedSchematic? = nil
  ) {
    run = RunSchematic(trace: trace, documented: documented, maximumSteps: maximumSteps)
    self.language = language
    links = run.links(in: trace)
    programs = trace.programChanges
  }

  public var columns: [RunSchematic.Column] { run.columns }

  /// The column titles: «Сервер», «Клиент ×2».
  public var titles: [String] {
    let text = DiagramText(language: language)
    return columns.map { title(of: $0, text: text) }
  }

  /// A column's title: «Сервер», «Клиент ×2»; a process that ran another program with exec is
  /// titled with it, as on every view (`parent/1 → python3`).
  func title(of column: RunSchematic.Column, text: DiagramText) -> String {
    let title = text.columnTitle(role: column.roles[0], processes: column.roles.count)
    guard column.pids.count == 1, let changes = programs[column.pids[0]] else { return title }
    return ProgramChange.title(title, changes)
  }

  /// The schematic with each step marked as a comparison found it (`RunSchematic.marked`).
  public func marked(
    _ marks: [Int: StepMark], missing: [(pid: Int32, step: String, before: Int?)]
  ) -> Schematic {
    var copy = self
    copy.run = run.marked(marks, missing: missing)
    copy.links = copy.run.relinked(links, from: run)
    return copy
  }

  /// The schematic as a dot graph.
  public func graph(language: Language, theme: DiagramTheme = .light) -> DOTGraph {
    figure(language: language, palette: theme.palette).graph(palette: theme.palette)
  }

  func figure(language: Language, palette: DiagramPalette) -> SchematicFigure {
    let text = DiagramText(language: language)
    var figure = SchematicFigure(columns: [])
    var times: [Int] = []
    for (c, column) in columns.enumerated() {
      var nodes: [SchematicFigure.Node] = []
      var loopNodes: Range<Int>?
      var s = 0
      while s < column.steps.count {
        if let loop = column.loop, s == loop.range.lowerBound {
          times.append(loop.count)
          let first = nodes.count
          if let flow = loop.flow {
            nodes += flowNodes(
              flow, column: c, steps: column.steps, processes: column.roles.count, text: text,
              palette: palette, figure: &figure, after: loop.range.upperBound)
          } else {
            for k in loop.range {
              nodes.append(
                stepNode(
                  column.steps[k], id: "c\(c)s\(k)", processes: column.roles.count, text: text,
                  palette: palette))
            }
            if loop.range.count > 1 {
              figure.edges.append(
                SchematicFigure.Edge(
                  from: "c\(c)s\(loop.range.upperBound - 1)", to: "c\(c)s\(loop.range.lowerBound)",
                  aside: .east))
            }
          }
          loopNodes = first..<nodes.count
          // The client's way from its last send to close is drawn dashed, as on the page.
          if loop.range.upperBound < column.steps.count,
            column.steps[loop.range.upperBound - 1].call.sendsData,
            let last = nodes.last
          {
            figure.edges.append(
              SchematicFigure.Edge(from: last.id, to: "c\(c)s\(loop.range.upperBound)", dashed: true))
          }
          s = loop.range.upperBound
          continue
        }
        nodes.append(
          stepNode(
            column.steps[s], id: "c\(c)s\(s)", processes: column.roles.count, text: text, palette: palette))
        s += 1
      }
      figure.columns.append(
        SchematicFigure.Column(
          title: title(of: column, text: text), nodes: nodes,
          loop: loopNodes, ending: column.killedBy.map(text.killed)))
    }
    // One count when every column's loop ran as often; otherwise each column's, in order.
    if let first = times.first {
      figure.loopLabel = Set(times).count == 1 ? text.loop(times: first) : text.loop(eachColumn: times)
    }
    // The send→recv arrows between the loops' steps, as the run's data went.
    for link in links {
      guard let a = columns[link.from.column].loop, a.range.contains(link.from.step),
        let b = columns[link.to.column].loop, b.range.contains(link.to.step)
      else { continue }
      figure.arrows.append(("c\(link.from.column)s\(link.from.step)", "c\(link.to.column)s\(link.to.step)"))
    }
    if columns.contains(where: { $0.steps.contains { $0.mark != nil } }) {
      figure.legend = text.legend(palette)
    }
    return figure
  }

  /// The nodes of a loop that the documented schematic draws with decisions and output steps,
  /// and their branch edges.
  private func flowNodes(
    _ flow: ControlFlow, column c: Int, steps: [RunSchematic.Step], processes: Int, text: DiagramText,
    palette: DiagramPalette, figure: inout SchematicFigure, after: Int
  ) -> [SchematicFigure.Node] {
    var nodes: [SchematicFigure.Node] = []
    for (k, item) in flow.items.enumerated() {
      switch item {
      case .step(let s):
        nodes.append(stepNode(steps[s], id: "c\(c)s\(s)", processes: processes, text: text, palette: palette))
      case .decision(let d):
        nodes.append(
          SchematicFigure.Node(id: "c\(c)d\(k)", shape: .decision, label: DOTValue.escapeHTML(d.label)))
      case .output(let o):
        nodes.append(
          SchematicFigure.Node(
            id: "c\(c)o\(k)", shape: .output,
            label: DOTValue.escapeHTML(o.label + "  " + text.times(o.count))))
      }
    }
    let exitTarget = after < steps.count ? "c\(c)s\(after)" : nil
    for (k, item) in flow.items.enumerated() {
      guard case .decision(let d) = item else { continue }
      let me = nodes[k].id
      let next = k + 1 < nodes.count ? nodes[k + 1].id : nodes[0].id
      let stay = SchematicFigure.branch(!d.exitsWhen) + " " + text.times(d.stays)
      var leave = SchematicFigure.branch(d.exitsWhen) + " " + text.times(d.exits)
      if d.wentOn > 0 { leave += " " + text.wentOn(d.wentOn) }
      let leaveColor = d.wentOn > 0 ? palette.failure : nil
      if k + 1 < nodes.count {
        // Stays in the loop: down to the next item; leaves it: to the side, to the step after.
        figure.edges.append(SchematicFigure.Edge(from: me, to: next, label: stay))
        if let exitTarget {
          figure.edges.append(
            SchematicFigure.Edge(from: me, to: exitTarget, label: leave, aside: .west, color: leaveColor))
        }
      } else {
        // The last item: staying is the loop back to its start; leaving goes down.
        figure.edges.append(SchematicFigure.Edge(from: me, to: next, label: stay, aside: .east))
        if let exitTarget {
          figure.edges.append(SchematicFigure.Edge(from: me, to: exitTarget, label: leave, color: leaveColor))
        }
      }
    }
    if case .decision? = flow.items.last {
    } else if let last = nodes.last, let first = nodes.first {
      figure.edges.append(SchematicFigure.Edge(from: last.id, to: first.id, aside: .east))
    }
    return nodes
  }

  private func stepNode(
    _ step: RunSchematic.Step, id: String, processes: Int, text: DiagramText, palette: DiagramPalette
  ) -> SchematicFigure.Node {
    var attributes: DOTAttributes = [:]
    if step.failure != nil {
      attributes["color"] = .text(palette.failure)
      attributes["penwidth"] = .plain("2")
    }
    switch step.mark {
    case .conforming:
      attributes["color"] = .text(palette.conforming)
      attributes["penwidth"] = .plain("2.5")
    case .extra:
      attributes["style"] = "rounded,filled,dashed"
      attributes["color"] = .text(palette.muted)
      attributes["penwidth"] = .plain("2")
    case .missing:
      attributes["style"] = "rounded,filled,dashed"
      attributes["fillcolor"] = .text(palette.failureFill)
      attributes["color"] = .text(palette.failure)
      attributes["penwidth"] = .plain("2.5")
    case .failed:
      attributes["color"] = .text(palette.failure)
      attributes["penwidth"] = .plain(palette.failurePenWidth)
    case nil:
      break
    }
    let shape: SchematicFigure.Shape = step.omitted > 0 ? .omitted : .box
    return SchematicFigure.Node(
      id: id, shape: shape, label: label(step, text: text, perProcess: processes, palette: palette),
      attributes: attributes)
  }

  private func label(
    _ step: RunSchematic.Step, text: DiagramText, perProcess processes: Int, palette: DiagramPalette
  ) -> String {
    if step.omitted > 0 { return "<i>" + DOTValue.escapeHTML(text.omittedSteps(step.omitted)) + "</i>" }
    var lines = [SchematicFigure.title(DiagramText.title(step.call), color: palette.accent)]
    if step.mark == .missing { lines = [SchematicFigure.title(text.missingTitle, color: palette.failure)] }
    var call = DOTValue.escapeHTML(step.text)
    // A count only where a step repeated within a process: "×4", or "×2 per process" in a column
    // that stands for several processes.
    if step.count > processes {
      // Per process only when it divides evenly: ×3 over two processes is not "×1 per process".
      let count =
        processes == 1
        ? text.times(step.count)
        : step.count % processes == 0 ? text.perProcess(step.count / processes) : text.inAll(step.count)
      call += "  " + DOTValue.escapeHTML(count)
    }
    lines.append(call)
    if let empty = step.empty {
      lines.append(
        "<font point-size=\"11\" color=\"\(palette.dataText)\">→ " + DOTValue.escapeHTML(text.empty(empty))
          + "</font>")
    } else if !step.data.isEmpty {
      let previews = step.data.prefix(5).map { text.preview($0) }
      let shown = previews.prefix(4).joined(separator: ", ") + (step.data.count > 4 ? ", …" : "")
      lines.append(
        "<font point-size=\"11\" color=\"\(palette.dataText)\">" + (step.call.receivesData ? "→ " : "")
          + DOTValue.escapeHTML(shown) + "</font>")
    }
    if let cut = step.cut {
      lines.append(
        "<font point-size=\"11\" color=\"\(palette.cut)\">"
          + DOTValue.escapeHTML(text.cut(full: cut.full, kept: cut.kept)) + "</font>")
    }
    if let failure = step.failure {
      lines.append(
        "<font point-size=\"11\" color=\"\(palette.failure)\">✗ "
          + DOTValue.escapeHTML("\(failure.name): \(failure.message)") + "</font>")
    }
    return lines.joined(separator: "<br/>")
  }
}

extension SchematicFigure {
  /// A branch's name as Python writes it (the page's figure says True in both languages).
  static func branch(_ value: Bool) -> String { value ? "True" : "False" }
}
