public import SockScopeGraphviz
public import SockScopeTrace

/// The page's schematic regenerated from a run: a column per program, a box per step, the
/// repeated part folded into a loop, and the send→recv arrow between the columns.
public struct Schematic: Sendable, Equatable {
  /// One box: one call, or a run of the same call folded together.
  public struct Step: Sendable, Equatable {
    public var call: SocketCall
    /// The call in the program's terms, such as `recv(1024)`.
    public var text: String
    /// How many times it ran, over all the column's processes.
    public var count: Int
    /// Previews of the data it moved, in order (at most a few are drawn).
    public var data: [String]
    /// Why it failed, when it did (failed calls are never folded with successful ones).
    public var failure: CallFailure?
    /// Data cut by a short receive buffer: "cut: 4000 B → 1024 B".
    public var cut: String?
    /// Events of the trace this step stands for.
    public var events: [Int]
    /// How the step relates to a documented schematic, after `marked(_:missing:)`.
    public var mark: StepMark? = nil
    /// For the box that stands for the middle of a very long column: how many steps it leaves out
    /// (their events are in `events`). 0 for a real step.
    public var omitted = 0
  }

  /// The most boxes a column draws; a longer one (calls that alternate, such as a stream echo's
  /// recv/send, never fold) is drawn as its beginning and end around a box that says how many
  /// steps were left out.
  public static let maximumSteps = 40

  /// The steps of one process, or of processes of one role that made the very same steps (each
  /// process's calls folded on their own, then the processes' counts added up).
  public struct Column: Sendable, Equatable {
    public var title: String
    /// The names of the column's processes (`client#1`, `client#2`), as `Participant.name`.
    public var roles: [String]
    /// The column's processes.
    public var pids: [Int32]
    public var steps: [Step]
    /// The step repeated in a loop, if any.
    public var loop: Int?
    /// The signal that killed the column's processes after their last step, if one did.
    public var killedBy: String? = nil
  }

  public var columns: [Column]

  /// Folds `trace` into columns and steps: a column per process, one column for processes of one
  /// role whose steps are the same (never one process's calls appended to another's).
  ///
  /// `maximumSteps`: the most boxes a column keeps (nil: all of them, as a reference run needs).
  public init(trace: Trace, language: DiagramLanguage, maximumSteps: Int? = Schematic.maximumSteps) {
    let text = DiagramText(language: language)
    var groups: [(signature: [String], roles: [String], pids: [Int32], steps: [Step], killedBy: String?)] = []
    let calls = trace.callsByPID
    for participant in trace.participants {
      let steps = Schematic.steps(of: calls[participant.pid] ?? [], text: text)
      guard !steps.isEmpty else { continue }
      let signature =
        [Participant.kind(of: participant.role), participant.killedBy ?? ""]
        + steps.map { "\($0.text)|\($0.failure?.name ?? "")" }
      if let i = groups.firstIndex(where: { $0.signature == signature }) {
        groups[i].roles.append(participant.name)
        groups[i].pids.append(participant.pid)
        for k in groups[i].steps.indices {
          groups[i].steps[k].count += steps[k].count
          groups[i].steps[k].data += steps[k].data
          groups[i].steps[k].events += steps[k].events
          groups[i].steps[k].cut = groups[i].steps[k].cut ?? steps[k].cut
        }
      } else {
        groups.append((signature, [participant.name], [participant.pid], steps, participant.killedBy))
      }
    }
    // Servers (they bind or listen and receive) on the left, as on the page.
    let ordered = groups.enumerated().sorted { a, b in
      let sa = a.element.steps.contains { $0.call == .bind || $0.call == .listen } ? 0 : 1
      let sb = b.element.steps.contains { $0.call == .bind || $0.call == .listen } ? 0 : 1
      return (sa, a.offset) < (sb, b.offset)
    }.map(\.element)
    columns = ordered.map { group in
      var steps = group.steps
      if let maximumSteps, steps.count > maximumSteps {
        let keep = max(maximumSteps / 2, 1)
        let middle = steps[keep..<(steps.count - keep)]
        let gap = Step(
          call: middle.first?.call ?? .send, text: text.omittedSteps(middle.count), count: 1, data: [],
          failure: nil, cut: nil, events: middle.flatMap(\.events), omitted: middle.count)
        steps = Array(steps.prefix(keep)) + [gap] + Array(steps.suffix(keep))
      }
      let loop = steps.firstIndex {
        ($0.call.sendsData || $0.call.receivesData) && $0.count > group.roles.count && $0.omitted == 0
      }
      return Column(
        title: text.columnTitle(role: group.roles[0], processes: group.roles.count), roles: group.roles,
        pids: group.pids, steps: steps, loop: loop, killedBy: group.killedBy)
    }
  }

  static func steps(of events: [TraceEvent], text: DiagramText) -> [Step] {
    var steps: [Step] = []
    for e in events {
      let callText = DiagramText.call(e)
      let preview = e.call.sendsData || e.call.receivesData ? text.preview(e.data) : ""
      var cut: String?
      if let d = e.data, d.datagramWasCut, let full = d.datagramLength {
        cut = text.cut(full: full, kept: d.length)
      }
      // Mutate the last step in place: holding a copy of it (`if let last = steps.last`) would
      // make every append copy its arrays, quadratic in the length of a loop.
      let n = steps.count - 1
      if n >= 0, steps[n].text == callText, steps[n].failure == nil, e.failure == nil,
        e.call.sendsData || e.call.receivesData
      {
        steps[n].count += 1
        if !preview.isEmpty { steps[n].data.append(preview) }
        steps[n].events.append(e.index)
        if steps[n].cut == nil { steps[n].cut = cut }
      } else {
        steps.append(
          Step(
            call: e.call, text: callText, count: 1, data: preview.isEmpty ? [] : [preview],
            failure: e.failure,
            cut: cut, events: [e.index]))
      }
    }
    return steps
  }

  /// The schematic with each step marked as a comparison found it, and the steps the run lacks
  /// inserted where the documented schematic has them.
  public func marked(
    _ marks: [Int: StepMark], missing: [(pid: Int32, step: String, before: Int?)]
  ) -> Schematic {
    var copy = self
    let severity: [StepMark: Int] = [.conforming: 0, .extra: 1, .failed: 2, .missing: 3]
    for c in copy.columns.indices {
      for s in copy.columns[c].steps.indices {
        copy.columns[c].steps[s].mark = copy.columns[c].steps[s].events.compactMap { marks[$0] }
          .max { (severity[$0] ?? 0) < (severity[$1] ?? 0) }
      }
    }
    for gap in missing {
      guard let c = copy.columns.firstIndex(where: { $0.pids.contains(gap.pid) }) else { continue }
      // Drawn once per column, however many of its processes lack it.
      guard !copy.columns[c].steps.contains(where: { $0.mark == .missing && $0.text == gap.step }) else {
        continue
      }
      let at =
        gap.before.flatMap { b in copy.columns[c].steps.firstIndex { $0.events.contains(b) } }
        ?? copy.columns[c].steps.count
      let name = String(gap.step.prefix { $0 != "(" })
      let call = SocketCall(rawValue: name) ?? .send
      copy.columns[c].steps.insert(
        Step(
          call: call, text: gap.step, count: 1, data: [], failure: nil, cut: nil, events: [], mark: .missing),
        at: at)
      if let loop = copy.columns[c].loop, at <= loop { copy.columns[c].loop = loop + 1 }
    }
    return copy
  }

  /// The schematic as a dot graph.
  public func graph(language: DiagramLanguage, theme: DiagramTheme = .light) -> DOTGraph {
    let text = DiagramText(language: language)
    let palette = theme.palette
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
      edgeDefaults: ["arrowsize": .plain("0.8"), "color": .text(palette.line)])

    // Rows: the steps before the loop, the loop, the steps after it, aligned across columns.
    let before = columns.map { $0.loop ?? $0.steps.count }
    let after = columns.map { c in c.loop.map { c.steps.count - $0 - 1 } ?? 0 }
    let beforeRows = before.max() ?? 0
    let hasLoop = columns.contains { $0.loop != nil }
    func row(column c: Int, step s: Int) -> Int {
      guard let loop = columns[c].loop else { return s + 1 }
      if s < loop { return s + 1 }
      if s == loop { return beforeRows + 1 }
      return beforeRows + 1 + (s - loop)
    }
    let rowCount = beforeRows + (hasLoop ? 1 : 0) + (after.max() ?? 0) + 1
    var rows = [[String]](repeating: [], count: rowCount + 1)

    for (c, column) in columns.enumerated() {
      let titleID = "title\(c)"
      g.node(
        titleID, ["shape": "plaintext", "style": "", "label": .text(column.title), "fontsize": .plain("22")])
      rows[0].append(titleID)
      var previous = titleID
      for (s, step) in column.steps.enumerated() {
        let id = "c\(c)s\(s)"
        // One group per column keeps its boxes on one vertical line.
        var attributes: DOTAttributes = [
          "label": .html(label(step, text: text, perProcess: column.roles.count, palette: palette)),
          "group": .text("column\(c)"),
        ]
        if step.failure != nil {
          attributes["color"] = .text(palette.failure)
          attributes["penwidth"] = .plain("2")
        }
        if step.omitted > 0 {
          attributes["style"] = "rounded,dashed"
          attributes["color"] = .text(palette.faint)
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
        g.node(id, attributes)
        rows[row(column: c, step: s)].append(id)
        var edge: DOTAttributes = previous == titleID ? ["style": "invis"] : [:]
        // The client's way from its last send to close is drawn dashed, as on the page.
        if let loop = column.loop, s == loop + 1, column.steps[loop].call.sendsData {
          edge["style"] = "dashed"
        }
        g.edge(previous, id, edge)
        previous = id
      }
      if let signal = column.killedBy {
        // How the column's processes ended: killed after their last step, as a teacher would
        // say it under the column.
        g.node(
          "c\(c)killed",
          [
            "shape": "plaintext", "style": "", "label": .text("✕ " + text.killed(signal)),
            "fontcolor": .text(palette.failure),
            "fontsize": .plain("13"),
          ])
        g.edge(
          previous, "c\(c)killed", ["style": "dashed", "color": .text(palette.failure), "arrowhead": "none"])
      }
    }
    for r in rows where r.count > 1 { g.statements.append(.sameRank(r)) }
    if columns.contains(where: { $0.steps.contains { $0.mark != nil } }) {
      g.node(
        "legend",
        ["shape": "plaintext", "style": "", "label": .html(text.legend(palette)), "fontsize": .plain("11")])
      if let last = columns.indices.last {
        g.edge("c\(last)s\(columns[last].steps.count - 1)", "legend", ["style": "invis"])
      }
    }
    // Keep the columns in order, left to right: invisible flat edges between the titles.
    for c in columns.indices.dropFirst() { g.edge("title\(c - 1)", "title\(c)", ["style": "invis"]) }

    if hasLoop {
      let members = columns.enumerated().compactMap { c, column in column.loop.map { "c\(c)s\($0)" } }
      let times = columns.compactMap { column in column.loop.map { column.steps[$0].count } }.max() ?? 0
      g.statements.append(
        .subgraph(
          DOTSubgraph(
            name: "cluster_loop",
            attributes: [
              "color": .text(palette.accent), "penwidth": .plain("2.5"), "style": "",
              "label": .text(text.loop(times: times)),
              "fontcolor": .text(palette.accent), "labeljust": "r", "fontsize": .plain("12"),
              "margin": .plain("14"),
            ],
            statements: members.map { .node(id: $0, [:]) })))
      // The send→recv arrow: from each sending loop to each receiving one. Unlabelled: a labelled
      // flat edge crashes this libgraphviz (docs/diagrams.md).
      for (c, column) in columns.enumerated() {
        guard let l = column.loop, column.steps[l].call.sendsData else { continue }
        for (d, other) in columns.enumerated() where d != c {
          guard let m = other.loop, other.steps[m].call.receivesData else { continue }
          g.edge(
            "c\(c)s\(l)", "c\(d)s\(m)",
            [
              "color": .text(palette.sendArrow), "penwidth": .plain("5"), "arrowhead": "empty",
              "arrowsize": .plain("1.3"),
              "constraint": .plain("false"),
            ])
        }
      }
    }
    return g
  }

  private func label(
    _ step: Step, text: DiagramText, perProcess processes: Int, palette: DiagramPalette
  )
    -> String
  {
    if step.omitted > 0 { return "<i>" + DOTValue.escapeHTML(step.text) + "</i>" }
    var lines = [
      "<b><font color=\"\(palette.accent)\" point-size=\"14\">\(DOTValue.escapeHTML(DiagramText.title(step.call)))</font></b>"
    ]
    if step.mark == .missing {
      lines = [
        "<b><font color=\"\(palette.failure)\" point-size=\"14\">" + DOTValue.escapeHTML(text.missingTitle)
          + "</font></b>"
      ]
    }
    var call = DOTValue.escapeHTML(step.text)
    // A count only where a step repeated within a process: "×4", or "×2 per process" in a column
    // that stands for several processes.
    if step.count > processes {
      call +=
        "  "
        + DOTValue.escapeHTML(
          processes > 1 ? text.perProcess(step.count / processes) : text.times(step.count))
    }
    lines.append(call)
    if !step.data.isEmpty {
      let shown = step.data.prefix(4).joined(separator: ", ") + (step.data.count > 4 ? ", …" : "")
      lines.append(
        "<font point-size=\"11\" color=\"\(palette.dataText)\">" + (step.call.receivesData ? "→ " : "")
          + DOTValue.escapeHTML(shown) + "</font>")
    }
    if let cut = step.cut {
      lines.append("<font point-size=\"11\" color=\"\(palette.cut)\">" + DOTValue.escapeHTML(cut) + "</font>")
    }
    if let failure = step.failure {
      lines.append(
        "<font point-size=\"11\" color=\"\(palette.failure)\">✗ "
          + DOTValue.escapeHTML("\(failure.name): \(failure.message)")
          + "</font>")
    }
    return lines.joined(separator: "<br/>")
  }
}

/// How a step of a run relates to a documented schematic (marked on the figure by `sockscope compare`).
public enum StepMark: String, Sendable, Equatable {
  /// Made as documented (drawn green).
  case conforming
  /// Made by the run, not shown by the schematic (drawn dashed).
  case extra
  /// Shown by the schematic, never made by the run (drawn red and dashed).
  case missing
  /// Made, but it failed (drawn red).
  case failed
}
