import SockScopeAnalysis
import SockScopeGraphviz
import SockScopeLanguage
import SockScopeTrace

/// A message sequence chart with computed geometry: a lifeline per process and one for the
/// kernel's socket files, a row per call (or, on a time axis, a height per nanosecond), arrows from
/// each send to the receive that got its data. Laid out by `nop2`, which keeps the positions: dot's
/// layout grows much faster than linearly with the number of messages (docs/diagrams.md).
struct SequenceChart {
  static let laneGap = 250.0
  static let rowHeight = 26.0
  static let top = 60.0

  var graph: DOTGraph

  init(trace: Trace, options: DiagramOptions) {
    let text = DiagramText(language: options.language)
    // Rows follow the trace's causal order (docs/trace-format.md): a send's row is above the row
    // of every receive that got its data, so no arrow points up.
    var calls = trace.events.filter { $0.call != .output }
    var folded = 0
    var foldAfter: Int?
    var pageNote: String?
    if let page = options.page {
      // One page of the calls in causal order, none folded.
      let size = max(options.maximumCalls, 1)
      let pages = max((calls.count + size - 1) / size, 1)
      let shown = min(max(page, 1), pages)
      let total = calls.count
      let first = min((shown - 1) * size, total)
      calls = Array(calls[first..<min(first + size, total)])
      pageNote = text.page(shown, of: pages, first: first + 1, last: first + calls.count, total: total)
    } else if calls.count > options.maximumCalls {
      let keep = max(options.maximumCalls / 2, 1)
      folded = calls.count - 2 * keep
      foldAfter = keep - 1
      calls = Array(calls.prefix(keep) + calls.suffix(keep))
    }

    // Lanes, one per process (keyed by pid: processes may share a role): processes that bind or
    // listen first (servers, as on the page), then the kernel, then the rest.
    let participants = trace.participants
    let binding = trace.serverPIDs
    // The kernel's lane shows socket files: left out when no call names one (a socketpair).
    let namesFiles = calls.contains { e in
      e.succeeded && [.bind, .connect, .unlink].contains(e.call)
        && e.namedPath != nil
    }
    let lanes: [Int32?] =
      participants.filter { binding.contains($0.pid) }.map(\.pid) + (namesFiles ? [nil] : [])
      + participants.filter { !binding.contains($0.pid) }.map(\.pid)
    let laneX = Dictionary(
      uniqueKeysWithValues: lanes.enumerated().compactMap { n, pid in
        pid.map { ($0, 80 + Double(n) * Self.laneGap) }
      })
    let kernelX = lanes.firstIndex(of: nil).map { 80 + Double($0) * Self.laneGap }
    let t0 = trace.header.t0

    // A receive whose data came from a lane to its right has the arrow arriving from above on the
    // right, where its label would be: that label goes below the call instead, and in rows the
    // next row moves down to make room when it is on the same lifeline.
    let shownCalls = Set(calls.map(\.index))
    let sendByFlow = trace.flowIndex.send
    let fromTheRight = Set(
      calls.filter { recv in
        recv.flows.contains { flow in
          guard let send = sendByFlow[flow], shownCalls.contains(send.index),
            let sx = laneX[send.pid], let rx = laneX[recv.pid]
          else { return false }
          return sx > rx
        }
      }.map(\.index))

    // Vertical positions (y grows upwards in Graphviz: rows count down from the top). On a time
    // axis, height follows elapsed time, but consecutive calls are never closer than a row: long
    // waits stay long, bursts spread out so their labels stay readable. Every position is
    // interpolated on the same piecewise-linear map, so bars and slanted arrows agree with it.
    // On a time axis each call sits where it returned, in time order (a receive that returned
    // before its send did is above it there); its message arrow is placed by time, below.
    var y: [Int: Double] = [:]
    var startY: [Int: Double] = [:]
    let minimumGap = Self.rowHeight * 0.85
    let duration = Double(max((calls.map(\.endTime).max() ?? t0) &- t0, 1))
    let scale = Double(calls.count) * Self.rowHeight * 1.5 / duration
    var marks: [(time: UInt64, depth: Double)] = []
    let placed = options.timeAxis ? calls.sorted { ($0.endTime, $0.index) < ($1.endTime, $1.index) } : calls
    var extra = 0.0
    // On a time axis, per lane, its last call's depth and whether its label sits below it (a
    // receive from the right): the lane's next call keeps half a row more, as in rows, or the two
    // labels overlap (measured: a close 0.5 ms after such a receive, 8 points apart).
    var lastOnLane: [Int32: (depth: Double, labelBelow: Bool)] = [:]
    for (row, e) in placed.enumerated() {
      if options.timeAxis {
        var depth =
          marks.last.map { $0.depth + max(minimumGap, Double(e.endTime &- $0.time) * scale) } ?? 0
        if let last = lastOnLane[e.pid], last.labelBelow {
          depth = max(depth, last.depth + minimumGap + Self.rowHeight * 0.5)
        }
        marks.append((e.endTime, depth))
        lastOnLane[e.pid] = (depth, fromTheRight.contains(e.index))
      } else {
        let shifted = row + (foldAfter.map { row > $0 ? 2 : 0 } ?? 0)
        marks.append((e.endTime, Double(shifted) * Self.rowHeight + extra))
        if fromTheRight.contains(e.index), row + 1 < placed.count, placed[row + 1].pid == e.pid {
          extra += Self.rowHeight * 0.5
        }
      }
    }
    let height = max((marks.last?.depth ?? 0) + Self.rowHeight, 300)
    for (e, mark) in zip(placed, marks) {
      y[e.index] = height - mark.depth
      if options.timeAxis { startY[e.index] = height - Self.depth(at: e.time, marks: marks, scale: scale) }
    }
    /// Where a message arrow between `send` and `recv` starts and ends. In rows: at the two calls
    /// (the send's row is above). On a time axis: within the time both calls were in progress,
    /// from when the later one started to when the earlier one returned; when the send returned
    /// before the receive started, from the send's return to the receive's start (the data waited
    /// in the queue). Never upwards, even if clocks or links disagree.
    func messageY(_ send: TraceEvent, _ recv: TraceEvent) -> (from: Double, to: Double)? {
      guard let sy = y[send.index], let ry = y[recv.index] else { return nil }
      guard options.timeAxis else { return (sy, min(sy, ry)) }
      let from = max(send.time, recv.time)
      let to = min(send.endTime, recv.endTime)
      let a = height - Self.depth(at: min(from, to), marks: marks, scale: scale)
      let b = height - Self.depth(at: max(from, to), marks: marks, scale: scale)
      return (a, min(a, b))
    }
    let headerY = height + Self.top
    let bottomY = -Self.rowHeight

    let palette = options.theme.palette
    let font = DOTValue.text(DiagramFonts.layout)
    var g = DOTGraph.pinnedFigure(
      name: "sequence", palette: palette,
      edge: [
        "fontname": font, "fontsize": .plain("10"), "arrowsize": .plain("0.7"), "color": .text(palette.text),
      ])
    func pos(_ x: Double, _ y: Double) -> DOTValue { .text("\(Self.number(x)),\(Self.number(y))!") }

    // The lane's title says the pid on its second line: a name that holds it already is shortened
    // to the role. A process that ran another program with exec is titled with it
    // (`parent/1 → python3`): the lane's lower part is that program's.
    let names = Dictionary(
      participants.map { p in (p.pid, p.name.hasSuffix(" (pid \(p.pid))") ? p.roleTitle : p.title) },
      uniquingKeysWith: { a, _ in a })
    let participantsByPID = Dictionary(participants.map { ($0.pid, $0) }, uniquingKeysWith: { a, _ in a })
    // Node names from the process's name (what the DOT reader sees), by pid where two would clash.
    var laneIDs: [Int32: String] = [:]
    for p in participants {
      let id = Self.laneID(p.name)
      laneIDs[p.pid] =
        laneIDs.values.contains(id) || id == Self.laneID("\u{0}kernel") ? "lane_pid\(p.pid)" : id
    }
    // How a process that did not end normally ended, marked just below its last call: a killed
    // process's lifeline stops there, under a red cross and the signal.
    var endMarks: [Int32: (y: Double, label: String, killed: Bool)] = [:]
    let lastCall = Dictionary(
      trace.events.filter { $0.call != .output }.map { ($0.pid, $0.index) }, uniquingKeysWith: { max($0, $1) }
    )
    for p in participants {
      guard let last = lastCall[p.pid], let ly = y[last] else { continue }
      if let signal = p.killedBy {
        endMarks[p.pid] = (ly - Self.rowHeight * 0.8, text.killed(signal), true)
      } else if p.process?.ending == .running {
        endMarks[p.pid] = (ly - Self.rowHeight * 0.8, text.stillRunning, false)
      } else if p.process?.ending == .cut {
        endMarks[p.pid] = (ly - Self.rowHeight * 0.8, text.logCut, false)
      }
    }

    // Every label drawn so far, so a message's label can be placed clear of them.
    var labels = MessageLabelPlacer()
    func box(_ label: String, _ x: Double, _ y: Double) -> MessageLabelPlacer.Box {
      MessageLabelPlacer.Box(
        centerX: x, centerY: y, width: Self.width(of: label), height: Self.height(of: label))
    }

    for lane in lanes {
      guard let x = lane.flatMap({ laneX[$0] }) ?? kernelX else { continue }
      let isKernel = lane == nil
      let title =
        lane.map { "\(names[$0] ?? "")\npid \($0)" }
        ?? Self.kernelTitle(of: calls, language: options.language)
      let id = lane.map { laneIDs[$0] ?? "lane_\($0)" } ?? Self.laneID("\u{0}kernel")
      g.node(
        id + "_head",
        [
          "shape": "box", "style": isKernel ? "rounded,filled,dashed" : "rounded,filled",
          "fillcolor": .text(isKernel ? palette.kernelFill : palette.processFill), "label": .text(title),
          "pos": pos(x, headerY),
          "fontsize": .plain("12"),
        ])
      let end = lane.flatMap { endMarks[$0] }
      // A process that ended (killed, or its log cut) has no lifeline below its end; a running one goes on.
      let ended =
        lane.map { endMarks[$0] != nil && participantsByPID[$0]?.process?.ending != .running } ?? false
      let footY = ended ? end?.y ?? bottomY : bottomY
      g.node(id + "_foot", ["shape": "point", "width": .plain("0.01"), "pos": pos(x, footY)])
      g.edge(
        id + "_head", id + "_foot", ["style": "dashed", "color": .text(palette.faint), "arrowhead": "none"])
      if let end {
        let color = end.killed ? palette.failure : palette.muted
        if end.killed {
          g.node(
            id + "_killed",
            [
              "shape": "plaintext", "label": "✕", "fontcolor": .text(color), "fontsize": .plain("16"),
              "pos": pos(x, end.y),
            ])
        }
        labels.take(box(end.label, x + 12 + Self.width(of: end.label) / 2, end.y))
        g.node(
          id + "_end",
          [
            "shape": "plaintext", "label": .text(end.label), "fontcolor": .text(color),
            "pos": pos(x + 12 + Self.width(of: end.label) / 2, end.y),
          ])
      }
    }

    for e in calls {
      guard let x = laneX[e.pid], let ey = y[e.index] else { continue }
      let point = "e\(e.index)"
      if options.timeAxis, let sy = startY[e.index], sy - ey > 3 {
        // A call that took visible time is a bar from its start to its end.
        g.node(
          point + "_bar",
          [
            "shape": "box", "style": "filled", "fillcolor": .text(palette.barFill),
            "color": .text(palette.barBorder), "label": "",
            "width": .plain("0.12"), "height": .number((sy - ey) / 72), "fixedsize": .plain("true"),
            "pos": pos(x, (sy + ey) / 2),
          ])
      }
      g.node(
        point,
        [
          "shape": "point", "width": .plain("0.07"),
          "color": .text(e.succeeded ? palette.callPoint : palette.failure),
          "pos": pos(x, ey),
        ])
      let label = Self.label(e, text: text, t0: t0, timestamps: options.timestamps || options.timeAxis)
      let color =
        e.failure != nil ? palette.failure : (e.data?.datagramWasCut == true ? palette.cut : palette.line)
      let labelY = fromTheRight.contains(e.index) ? ey - 6 : ey + 8
      labels.take(box(label, x + 8 + Self.width(of: label) / 2, labelY))
      g.node(
        point + "_label",
        [
          "shape": "plaintext", "label": .text(label), "fontcolor": .text(color),
          "pos": pos(x + 8 + Self.width(of: label) / 2, labelY),
        ])
      // Only a call that succeeded made, found or removed the file: a failed bind created nothing.
      if e.succeeded, [.bind, .connect, .unlink].contains(e.call), let kx = kernelX,
        let path = e.namedPath
      {
        let kernelPoint = point + "_file"
        g.node(
          kernelPoint,
          ["shape": "point", "width": .plain("0.05"), "color": .text(palette.muted), "pos": pos(kx, ey)])
        g.edge(
          point, kernelPoint,
          [
            "style": "dotted", "color": .text(palette.muted),
            "arrowhead": e.call == .unlink ? "tee" : "normal",
          ])
        let abstract: Bool
        if case .abstract? = e.address?.name { abstract = true } else { abstract = false }
        let note = Self.fileNote(
          e.call, path: path, abstract: abstract, autobind: Self.isAutobind(e), language: options.language)
        labels.take(box(note, kx + 8 + Self.width(of: note) / 2, ey - 8))
        g.node(
          kernelPoint + "_label",
          [
            "shape": "plaintext", "label": .text(note), "fontcolor": .text(palette.secondaryText),
            "pos": pos(kx + 8 + Self.width(of: note) / 2, ey - 8),
          ])
      }
    }

    // Messages: each receive's data from the send that produced it. Their labels keep clear of
    // every arrow and lifeline, so all of them are known first.
    let passings = DescriptorPassings(trace: trace)
    for x in Array(laneX.values) + (kernelX.map { [$0] } ?? []) {
      labels.line(from: (x, headerY), to: (x, bottomY))
    }
    for recv in calls where !recv.flows.isEmpty {
      for flow in recv.flows {
        guard let send = sendByFlow[flow], shownCalls.contains(send.index), let sx = laneX[send.pid],
          let rx = laneX[recv.pid], sx != rx, let (sy, ry) = messageY(send, recv)
        else { continue }
        labels.line(from: (sx, sy), to: (rx, ry))
      }
    }
    for recv in calls where !recv.flows.isEmpty {
      for flow in recv.flows {
        guard let send = sendByFlow[flow], shownCalls.contains(send.index), let sx = laneX[send.pid],
          let rx = laneX[recv.pid], let (sy, ry) = messageY(send, recv)
        else { continue }
        var from = "e\(send.index)"
        var to = "e\(recv.index)"
        if options.timeAxis {
          // Ends of their own, inside the two calls' bars, where the data moved.
          from = "m\(flow)_\(recv.index)_from"
          to = "m\(flow)_\(recv.index)_to"
          for (id, x, at) in [(from, sx, sy), (to, rx, ry)] {
            g.node(id, ["shape": "point", "width": .plain("0.01"), "label": "", "pos": pos(x, at)])
          }
        }
        // What the send carried, and each descriptor it passed: the sender's number, the
        // receiver's new one, the socket both refer to.
        let note = text.message(send, passed: passings.passed(from: send, to: recv))
        let style: DOTAttributes = ["color": .text(palette.message), "penwidth": .plain("1.4")]
        guard sx != rx else {
          // A process that talks to itself: the message leaves its lifeline to the left and comes
          // back, as a self-message is drawn (the labels are on the right).
          let bend = "m\(flow)_\(recv.index)_bend"
          g.node(bend, ["shape": "point", "width": .plain("0.01"), "pos": pos(sx - 40, (sy + ry) / 2)])
          var toBend = style
          toBend["arrowhead"] = "none"
          g.edge(from, bend, toBend)
          g.edge(bend, to, style)
          let at = (x: sx - 46 - Self.width(of: note) / 2, y: (sy + ry) / 2)
          labels.take(box(note, at.x, at.y))
          g.node(
            "m\(flow)_\(recv.index)",
            [
              "shape": "plaintext", "label": .text(note), "fontcolor": .text(palette.message),
              "pos": pos(at.x, at.y),
            ])
          continue
        }
        g.edge(from, to, style)
        let at = labels.place(
          width: Self.width(of: note), height: Self.height(of: note), from: (sx, sy), to: (rx, ry))
        g.node(
          "m\(flow)_\(recv.index)",
          [
            "shape": "plaintext", "label": .text(note), "fontcolor": .text(palette.message),
            "pos": pos(at.x, at.y),
          ]
        )
      }
    }

    if let pageNote {
      let xs = Array(laneX.values) + (kernelX.map { [$0] } ?? [])
      g.node(
        "page",
        [
          "shape": "plaintext", "fontcolor": .text(palette.secondaryText), "label": .text(pageNote),
          "pos": pos(((xs.min() ?? 0) + (xs.max() ?? 0)) / 2, headerY + Self.rowHeight * 1.5),
        ])
    }

    if folded > 0, let after = foldAfter, after + 1 < calls.count, let above = y[calls[after].index] {
      let note = text.folded(folded)
      let middle = ((laneX.values.min() ?? 0) + (laneX.values.max() ?? 0)) / 2
      g.node(
        "folded",
        [
          "shape": "box", "style": "rounded,dashed", "color": .text(palette.faint),
          "fontcolor": .text(palette.secondaryText),
          "label": .text(note),
          "pos": pos(middle, above - Self.rowHeight * 1.5),
        ])
    }
    graph = g
  }
}
