public import SockScopeTrace

/// A run folded into the page's schematic, as facts a view draws: a column per program, a step
/// per call or run of like calls, the repeated part folded into a loop, and the loop's decisions
/// and output steps when a documented schematic describes them. Keyed on what the trace recorded
/// (call, socket, arguments, outcome), never on display text.
public struct RunSchematic: Sendable, Equatable {
  /// One box: one call, or a run of like calls folded together.
  public struct Step: Sendable, Equatable {
    public var call: SocketCall
    /// The key arguments (`StepArgument`); with `call` and the outcome, what makes two calls one
    /// step.
    public var arguments: [StepArgument]
    /// How many times it ran, over all the column's processes.
    public var count: Int
    /// The data it moved, in order, one per call that moved data.
    public var data: [Payload]
    /// Why it failed, when it did (failed calls are never folded with successful ones).
    public var failure: CallFailure?
    /// A datagram cut by a short receive buffer: its length and what the buffer kept.
    public var cut: (full: UInt64, kept: UInt64)?
    /// A receive that returned 0 bytes: end of file on a stream socket, or an empty datagram.
    public var empty: EmptyReceive?
    /// Events of the trace this step stands for.
    public var events: [Int]
    /// How the step relates to a documented schematic, after `marked(_:missing:)`.
    public var mark: StepMark? = nil
    /// For a step the run lacks (`mark == .missing`): the step as the schematic writes it.
    public var documentedText: String? = nil
    /// For the box that stands for the middle of a very long column: how many steps it leaves out
    /// (their events are in `events`). 0 for a real step.
    public var omitted = 0
    /// The text of the call (`recv(1024)`), from the first call it stands for.
    public var text: String

    public static func == (a: Step, b: Step) -> Bool {
      a.call == b.call && a.arguments == b.arguments && a.count == b.count && a.data == b.data
        && a.failure == b.failure && a.cut?.full == b.cut?.full && a.cut?.kept == b.cut?.kept
        && a.empty == b.empty && a.events == b.events && a.mark == b.mark
        && a.documentedText == b.documentedText
        && a.omitted == b.omitted && a.text == b.text
    }
  }

  /// What a receive of 0 bytes was.
  public enum EmptyReceive: Sendable, Equatable {
    /// End of file: the peer of a stream socket closed or shut down its end.
    case endOfFile
    /// A datagram of no bytes.
    case emptyDatagram
  }

  /// The repeated part of a column: steps `range` ran `count` times in a row (over all the
  /// column's processes).
  public struct Loop: Sendable, Equatable {
    public var range: Range<Int>
    public var count: Int
    /// The loop's decisions and output steps, when the documented schematic describes them and
    /// the column made the documented steps.
    public var flow: ControlFlow?
  }

  /// The steps of one process, or of processes of one role that made the very same steps (each
  /// process's calls folded on their own, then the processes' counts added up).
  public struct Column: Sendable, Equatable {
    /// The names of the column's processes (`client#1`, `client#2`), as `Participant.name`.
    public var roles: [String]
    /// The column's processes.
    public var pids: [Int32]
    public var steps: [Step]
    public var loop: Loop?
    /// The signal that killed the column's processes after their last step, if one did.
    public var killedBy: String?
    /// Whether the column's processes act as servers (they bind or listen).
    public var isServer: Bool
  }

  /// The most steps a column keeps by default; a longer one (calls that never fold into a loop)
  /// keeps its beginning and end around a step that says how many were left out.
  public static let maximumSteps = 40

  public var columns: [Column]

  /// Folds `trace` into columns and steps: a column per process, one column for processes of one
  /// role whose steps are the same (never one process's calls appended to another's).
  ///
  /// - Parameters:
  ///   - documented: the schematic whose loops say which calls repeat together (a request/reply
  ///     loop `recv; send`, an accept loop) and whose decisions and output steps are drawn.
  ///   - maximumSteps: the most steps a column keeps (nil: all of them, as a reference run needs).
  public init(
    trace: Trace, documented: DocumentedSchematic? = nil, maximumSteps: Int? = RunSchematic.maximumSteps
  ) {
    let calls = trace.callsByPID
    let servers = trace.serverPIDs
    let streams = Trace.streamSockets(in: trace.events)
    struct Group {
      var signature: [StepSignature]
      var kind: String
      var killedBy: String?
      var column: Column
    }
    var groups: [Group] = []
    for participant in trace.participants {
      let role = documented?.roles.first { participant.plays($0.name) }
      let folded = Self.fold(
        calls[participant.pid] ?? [], body: role?.loop?.body.map(\.call), streams: streams)
      guard !folded.steps.isEmpty else { continue }
      let signature = folded.steps.map(StepSignature.init) + [StepSignature(loop: folded.loop)]
      let kind = Participant.kind(of: participant.role)
      if let i = groups.firstIndex(where: {
        $0.signature == signature && $0.kind == kind && $0.killedBy == participant.killedBy
      }) {
        groups[i].column.roles.append(participant.name)
        groups[i].column.pids.append(participant.pid)
        for k in groups[i].column.steps.indices {
          groups[i].column.steps[k].count += folded.steps[k].count
          groups[i].column.steps[k].data += folded.steps[k].data
          groups[i].column.steps[k].events += folded.steps[k].events
          if groups[i].column.steps[k].cut == nil { groups[i].column.steps[k].cut = folded.steps[k].cut }
        }
        if let extra = folded.loop?.count { groups[i].column.loop?.count += extra }
      } else {
        let column = Column(
          roles: [participant.name], pids: [participant.pid], steps: folded.steps, loop: folded.loop,
          killedBy: participant.killedBy, isServer: servers.contains(participant.pid))
        groups.append(Group(signature: signature, kind: kind, killedBy: participant.killedBy, column: column))
      }
    }
    // Servers (they bind or listen) on the left, as on the page; otherwise in the order the
    // processes first made a socket call.
    let ordered = groups.enumerated().sorted { a, b in
      (a.element.column.isServer ? 0 : 1, a.offset) < (b.element.column.isServer ? 0 : 1, b.offset)
    }
    columns = ordered.map { group in
      var column = group.element.column
      if column.loop == nil { column.loop = Self.singleStepLoop(column) }
      if let documented, var loop = column.loop,
        let role = documented.roles.first(where: { r in
          column.roles.allSatisfy { Participant.kind(of: $0) == r.name }
        })
      {
        loop.flow = ControlFlow(column: column, loop: loop, role: role, schematic: documented, trace: trace)
        column.loop = loop
      }
      if let maximumSteps { column.shorten(to: maximumSteps) }
      return column
    }
  }

  /// What makes two processes' steps the same, for a column that stands for both.
  struct StepSignature: Equatable {
    var call: SocketCall?
    var arguments: [StepArgument]
    var failure: String?
    var empty: EmptyReceive?
    var loop: Range<Int>?

    init(_ step: Step) {
      call = step.call
      arguments = step.arguments
      failure = step.failure?.name
      empty = step.empty
    }

    init(loop: Loop?) {
      arguments = []
      self.loop = loop?.range
    }
  }
}

extension RunSchematic.Column {
  /// Keeps the first and last `maximum / 2` steps around one that stands for the rest (a loop
  /// inside the left-out part is no longer drawn as one).
  mutating func shorten(to maximum: Int) {
    guard steps.count > maximum else { return }
    let keep = max(maximum / 2, 1)
    let middle = steps[keep..<(steps.count - keep)]
    let gap = RunSchematic.Step(
      call: middle.first?.call ?? .send, arguments: [], count: 1, data: [], failure: nil, cut: nil,
      empty: nil,
      events: middle.flatMap(\.events), omitted: middle.count, text: "")
    if let l = loop {
      if l.range.upperBound <= keep {
        // Before the gap: unchanged.
      } else if l.range.lowerBound >= steps.count - keep {
        loop?.range = (l.range.lowerBound - middle.count + 1)..<(l.range.upperBound - middle.count + 1)
        loop?.flow?.shift(by: 1 - middle.count)
      } else {
        loop = nil
      }
    }
    steps = Array(steps.prefix(keep)) + [gap] + Array(steps.suffix(keep))
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

extension RunSchematic {
  /// The schematic with each step marked as a comparison found it, and the steps the run lacks
  /// inserted where the documented schematic has them.
  public func marked(
    _ marks: [Int: StepMark], missing: [(pid: Int32, step: String, before: Int?)]
  ) -> RunSchematic {
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
      guard
        !copy.columns[c].steps.contains(where: { $0.mark == .missing && $0.documentedText == gap.step })
      else { continue }
      let at =
        gap.before.flatMap { b in copy.columns[c].steps.firstIndex { $0.events.contains(b) } }
        ?? copy.columns[c].steps.count
      let name = String(gap.step.prefix { $0 != "(" })
      let call = SocketCall(rawValue: name) ?? .send
      copy.columns[c].steps.insert(
        Step(
          call: call, arguments: [], count: 1, data: [], failure: nil, cut: nil, empty: nil, events: [],
          mark: .missing, documentedText: gap.step, text: gap.step),
        at: at)
      copy.columns[c].loop?.shift(insertedAt: at)
    }
    return copy
  }
}

extension RunSchematic.Loop {
  /// The loop after a step was inserted at `index` of its column.
  mutating func shift(insertedAt index: Int) {
    if index <= range.lowerBound {
      range = (range.lowerBound + 1)..<(range.upperBound + 1)
    } else if index < range.upperBound {
      range = range.lowerBound..<(range.upperBound + 1)
    }
    flow?.shift(insertedAt: index)
  }
}
