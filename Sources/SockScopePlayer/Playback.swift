public import SockScopeTrace

/// The language of the player's words.
public enum PlayerLanguage: String, Sendable, CaseIterable {
  case ru, en
}

/// Where a datagram is in the step shown.
public struct Travel: Sendable, Equatable {
  public var from: String
  public var to: String
  /// «Лев» 6 B
  public var label: String
  /// 0 at the sender, 0.5 in the receiver's kernel queue, 1 delivered.
  public var position: Double
  /// Where it is when the step's animation starts.
  public var startPosition: Double
  /// Whether the sender is shown in the left pane (the datagram then moves right).
  public var senderOnLeft: Bool
}

/// Everything one step shows, computed from the trace alone (as Python Tutor's steps are), so
/// stepping back is exactly as cheap and as correct as stepping forward.
public struct Snapshot: Sendable, Equatable {
  public var step: Int
  public var total: Int
  /// Seconds since the start of the run, when the call returned.
  public var elapsed: Double
  public var role: String
  /// Whether the acting process is shown in the left pane.
  public var actsLeft: Bool
  public var callLine: String
  public var failed: Bool
  public var sentence: String
  public var travel: Travel?
  public var leftTitle: String
  public var rightTitle: String
  /// The last lines each pane's processes had printed when the call returned.
  public var left: [String]
  public var right: [String]
}

/// A trace prepared for stepping through.
public struct Playback: Sendable {
  public let trace: Trace
  public let language: PlayerLanguage
  /// The socket calls, in the order they returned.
  let steps: [TraceEvent]
  let leftRoles: Set<String>
  /// Console output per pane, in time order.
  let leftOutput: [TraceEvent]
  let rightOutput: [TraceEvent]
  let sendsByFlow: [Int: TraceEvent]
  let receivesByFlow: [Int: TraceEvent]
  let fileOfSocket: [UInt64: String]
  /// The roles in order of appearance, and each one's pid: computed once, not per frame.
  let roles: [String]
  let pids: [String: Int32]

  /// Prepares `trace`; nil when it holds no socket call.
  public init?(trace: Trace, language: PlayerLanguage) {
    self.trace = trace
    self.language = language
    steps = trace.events.filter { $0.call != .output }.sorted {
      ($0.endTime, $0.index) < ($1.endTime, $1.index)
    }
    guard !steps.isEmpty else { return nil }
    // Servers (they bind or listen) on the left, as in the page's animation; everyone else right.
    var left = Set(trace.events.filter { $0.call == .bind || $0.call == .listen }.map(\.role))
    if left.isEmpty, let first = trace.roles.first { left = [first] }
    leftRoles = left
    let outputs = trace.events.filter { $0.call == .output }.sorted {
      ($0.time, $0.index) < ($1.time, $1.index)
    }
    leftOutput = outputs.filter { left.contains($0.role) }
    rightOutput = outputs.filter { !left.contains($0.role) }
    sendsByFlow = Dictionary(
      trace.events.compactMap { e in e.flow.map { ($0, e) } }, uniquingKeysWith: { a, _ in a })
    var receives: [Int: TraceEvent] = [:]
    for e in trace.events { for f in e.flows where receives[f] == nil { receives[f] = e } }
    receivesByFlow = receives
    var files: [UInt64: String] = [:]
    for e in trace.events where e.call == .bind && e.succeeded {
      if let ino = e.socket?.inode, let path = e.addressPath { files[ino] = path }
    }
    fileOfSocket = files
    roles = trace.roles
    pids = Dictionary(trace.events.map { ($0.role, $0.pid) }, uniquingKeysWith: { first, _ in first })
  }

  /// How many steps there are.
  public var count: Int { steps.count }

  /// Step `k` (0-based), with `paneHeight` lines of each console.
  public func snapshot(_ k: Int, paneHeight: Int) -> Snapshot {
    let e = steps[max(0, min(k, steps.count - 1))]
    let words = PlayerText(language: language)
    let leftNames = roles.filter { leftRoles.contains($0) }
    let rightNames = roles.filter { !leftRoles.contains($0) }
    return Snapshot(
      step: k + 1, total: steps.count, elapsed: Double(e.endTime &- trace.header.t0) / 1e9, role: e.role,
      actsLeft: leftRoles.contains(e.role), callLine: words.callLine(e), failed: e.failure != nil,
      sentence: words.sentence(e, playback: self), travel: travel(e, words: words),
      leftTitle: words.paneTitle(leftNames, left: true, pids: pids),
      rightTitle: words.paneTitle(rightNames, left: false, pids: pids),
      left: console(leftOutput, until: e.endTime, lines: paneHeight, multipleRoles: leftNames.count > 1),
      right: console(rightOutput, until: e.endTime, lines: paneHeight, multipleRoles: rightNames.count > 1))
  }

  /// The last `lines` lines printed by `outputs` up to `time`. Only as much output as fills the
  /// pane is read, so a step costs the same at the start and at the end of a long trace.
  func console(_ outputs: [TraceEvent], until time: UInt64, lines: Int, multipleRoles: Bool) -> [String] {
    var low = 0
    var high = outputs.count
    while low < high {
      let mid = (low + high) / 2
      if outputs[mid].time <= time { low = mid + 1 } else { high = mid }
    }
    var pieces: [String] = []
    var newlines = 0
    var i = low - 1
    while i >= 0 && newlines <= lines {
      let text = outputs[i].data?.text ?? ""
      pieces.append(text)
      newlines += text.reduce(0) { $1.isLineEnd ? $0 + 1 : $0 }
      // A header where another process's output begins, so a shared pane stays readable.
      if multipleRoles, i == 0 || outputs[i - 1].role != outputs[i].role {
        let header = "── \(outputs[i].role) (pid \(outputs[i].pid)) ──\n"
        pieces.append(
          i == 0 || (outputs[i - 1].data?.text ?? "").last?.isLineEnd == true ? header : "\n" + header)
        newlines += 1
      }
      i -= 1
    }
    var all = pieces.reversed().joined().splittingLines().map(
      String.init)
    if all.last == "" { all.removeLast() }
    return Array(all.suffix(lines))
  }

  func travel(_ e: TraceEvent, words: PlayerText) -> Travel? {
    if e.call.sendsData, let flow = e.flow, let receiver = receivesByFlow[flow] {
      return Travel(
        from: e.role, to: receiver.role, label: words.datagramLabel(e.data), position: 0.5, startPosition: 0,
        senderOnLeft: leftRoles.contains(e.role))
    }
    if e.call.receivesData, let flow = e.flows.first, let sender = sendsByFlow[flow] {
      return Travel(
        from: sender.role, to: e.role, label: words.datagramLabel(e.data), position: 1, startPosition: 0.5,
        senderOnLeft: leftRoles.contains(sender.role))
    }
    return nil
  }
}
