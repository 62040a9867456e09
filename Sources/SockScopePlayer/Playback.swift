public import SockScopeAnalysis
public import SockScopeLanguage
public import SockScopeTrace

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
  /// Whether the sender's pane is left of the receiver's (the datagram then moves right).
  public var senderOnLeft: Bool
  /// The sending and receiving processes.
  public var fromPID: Int32
  public var toPID: Int32
}

/// The call as strace prints it, in three parts so the payload can be cut to the screen while the
/// call's name, arguments and result stay whole: `send(4, ` + `Лев Николаевич` + `, 27, 0) = 27`.
public struct CallText: Sendable, Equatable {
  public var head: String
  /// The payload as text (escaped, never a raw control character), shown in «»; nil when the
  /// call moved none.
  public var payload: String?
  public var tail: String
  /// Where in the program the call was made (`client.py:14`), when the trace recorded it.
  public var source: String? = nil

  /// The whole line, payload uncut.
  public var plain: String { head + (payload.map { "«\($0)»" } ?? "") + tail }
}

/// One process's console, as its pane shows it.
public struct PaneView: Sendable, Equatable {
  public var pid: Int32
  /// `server 4896` (escaped).
  public var title: String
  /// Whether this process makes the step's call.
  public var acting: Bool
  /// Its last lines of output when the call returned (tabs expanded, escaped), oldest first.
  public var lines: [String]
}

/// A socket's receive queue at a step: what the trace shows was sent to it and not yet received.
public struct QueueView: Sendable, Equatable {
  public var socket: UInt64
  /// Who receives from it (escaped): the roles that read from it.
  public var owner: String
  /// Its file, when it was bound to a path (escaped).
  public var path: String?
  /// Datagrams, or bytes for a stream.
  public var waiting: UInt64
  public var isStream: Bool
  /// The net.unix.max_dgram_qlen limit, when it applies to this datagram queue.
  public var limit: Int? = nil
}

/// A socket that exists at a step, and the descriptors that refer to it (the kernel panel).
public struct SocketView: Sendable, Equatable {
  public var socket: UInt64
  /// `SOCK_DGRAM`, or nil when the trace does not show the socket's type.
  public var type: String?
  /// `./echo.socket`, `@name` (escaped).
  public var name: String?
  /// `server fd 3` per descriptor (escaped).
  public var holders: [String]
  /// For a listening socket: connections waiting for accept.
  public var pending: Int?
}

/// Everything one step shows, computed from the trace alone (as Python Tutor's steps are), so
/// stepping back is exactly as cheap and as correct as stepping forward.
public struct Snapshot: Sendable, Equatable {
  public var step: Int
  public var total: Int
  /// Seconds since the start of the run, when the call returned.
  public var elapsed: Double
  /// The acting process's name (escaped).
  public var role: String
  public var pid: Int32
  public var call: CallText
  public var failed: Bool
  public var sentence: String
  public var travel: Travel?
  /// One pane per process, in order of first appearance.
  public var panes: [PaneView]
  /// The sockets with data waiting in their receive queue after this step.
  public var queues: [QueueView]
  /// The sockets that exist after this step, with their descriptors.
  public var sockets: [SocketView] = []
  /// The step's event: its `index` in the trace (what figures and exports name it by).
  public var event: Int

  /// The call line, payload uncut.
  public var callLine: String { call.plain }
}

/// A trace prepared for stepping through.
public struct Playback: Sendable {
  public let trace: Trace
  public let language: Language
  /// The socket calls, in the order they returned.
  let steps: [TraceEvent]
  /// The processes, one pane each, in order of first appearance: role and shown name, escaped.
  let processes: [(pid: Int32, role: String, name: String)]
  let paneOfPID: [Int32: Int]
  /// Console output per process, in time order.
  let outputs: [Int32: [TraceEvent]]
  let sendsByFlow: FlowIndex.Ends
  let receivesByFlow: FlowIndex.Ends
  let fileOfSocket: [UInt64: String]
  let streamSockets: Set<UInt64>
  /// Per step, the receive queues that are not empty after it.
  let queuesAfter: [[QueueView]]
  /// Per socket, the last step that used it; per event index, its step.
  let lastUse: [UInt64: Int]
  let stepOfEvent: [Int: Int]
  /// The kernel's objects step by step: what the explanations and the kernel panel say.
  public let model: KernelModel
  /// Per step, its position in the model's events.
  let positionOfStep: [Int]
  /// Per process, the programs it started running with exec (a pane and a step after the exec
  /// are titled with the new program).
  let programs: [Int32: [ProgramChange]]

  /// Prepares `trace`; nil when it holds no socket call. `datagramQueueLimit` overrides the limit
  /// the trace recorded (or, for a trace that did not, this machine's).
  public init?(trace: Trace, language: Language, datagramQueueLimit: QueueLimit? = nil) {
    let datagramQueueLimit = datagramQueueLimit ?? QueueLimit.of(trace)
    self.trace = trace
    self.language = language
    // The trace's own order is the causal one (docs/trace-format.md): a receive never comes
    // before its send.
    steps = trace.events.filter { $0.call != .output }
    guard !steps.isEmpty else { return nil }
    // One pane per process (a pid), so two clients with one role, or a forked child, are apart.
    var order: [Int32] = []
    var roleOf: [Int32: String] = [:]
    for e in trace.events where roleOf[e.pid] == nil {
      order.append(e.pid)
      roleOf[e.pid] = e.role
    }
    var pidsOfRole: [String: Int] = [:]
    for pid in order { pidsOfRole[roleOf[pid, default: ""], default: 0] += 1 }
    // A role that several processes share is told apart by pid.
    processes = order.map { pid in
      let role = roleOf[pid, default: ""]
      return (
        pid, role.terminalSafe,
        pidsOfRole[role, default: 0] > 1 ? "\(role.terminalSafe) \(pid)" : role.terminalSafe
      )
    }
    paneOfPID = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
    programs = trace.programChanges
    var outputs: [Int32: [TraceEvent]] = [:]
    for e in trace.events where e.call == .output { outputs[e.pid, default: []].append(e) }
    // In the trace's (causal) order: what a process printed before a call shows at that call.
    self.outputs = outputs.mapValues { $0.sorted { $0.index < $1.index } }
    let flows = trace.flowIndex
    sendsByFlow = flows.send
    receivesByFlow = flows.receive
    var files: [UInt64: String] = [:]
    for e in trace.events where e.succeeded && e.call == .bind {
      if let ino = e.socket?.inode, let path = e.addressPath { files[ino] = path }
    }
    let streams = Trace.streamSockets(in: trace.events)
    fileOfSocket = files
    streamSockets = streams
    var lastUse: [UInt64: Int] = [:]
    var stepOfEvent: [Int: Int] = [:]
    for (k, e) in steps.enumerated() {
      stepOfEvent[e.index] = k
      if let ino = e.socket?.inode { lastUse[ino] = k }
    }
    self.lastUse = lastUse
    self.stepOfEvent = stepOfEvent
    let model = KernelModel(trace: trace, datagramQueueLimit: datagramQueueLimit)
    self.model = model
    positionOfStep = steps.map { model.position(ofEventIndex: $0.index) ?? 0 }
    var readers: [UInt64: [String]] = [:]
    for e in steps where e.call.receivesData && !e.flows.isEmpty {
      guard let inode = e.socket?.inode else { continue }
      let name = processes.first { $0.pid == e.pid }?.name ?? e.role.terminalSafe
      if !(readers[inode] ?? []).contains(name) { readers[inode, default: []].append(name) }
    }
    var limited = Set<UInt64>()
    for f in model.facts where f.queueLimitApplies == true {
      if let d = f.destination { limited.insert(d) }
    }
    queuesAfter = positionOfStep.map { position in
      model.queues[position].map { q in
        let stream = model.kind(of: q.socket) == .stream
        return QueueView(
          socket: q.socket, owner: (readers[q.socket] ?? []).joined(separator: ", "),
          path: model.name(of: q.socket)?.shown?.terminalSafe, waiting: stream ? q.bytes : UInt64(q.items),
          isStream: stream, limit: limited.contains(q.socket) ? datagramQueueLimit?.value : nil)
      }
    }
  }

  /// The sockets that exist after step `k`, with the descriptors that refer to them.
  func sockets(after k: Int) -> [SocketView] {
    let state = model.state(after: positionOfStep[k])
    return state.liveSockets.map { s in
      SocketView(
        socket: s.inode, type: s.kind?.constant.terminalSafe, name: s.name.shown?.terminalSafe,
        holders: state.holders(of: s.inode).map { "\(name($0.pid)) fd\($0.fd)" },
        pending: s.backlog != nil ? s.pending.count : nil)
    }
  }

  /// The words for the step at `k`, from the kernel model.
  func narrator(_ words: PlayerText) -> KernelNarrator {
    KernelNarrator(
      words: words, model: model,
      names: Dictionary(processes.map { ($0.pid, $0.name) }, uniquingKeysWith: { a, _ in a }))
  }

  /// How many steps there are.
  public var count: Int { steps.count }

  /// How many processes (panes) there are.
  public var processCount: Int { processes.count }

  /// Step `k` (0-based), with at most `paneHeight` lines of each console.
  public func snapshot(_ k: Int, paneHeight: Int) -> Snapshot {
    let index = max(0, min(k, steps.count - 1))
    let e = steps[index]
    let words = PlayerText(language: language)
    // The last step shows everything printed, also after the last socket call (the server's
    // «Выполнено»): the run ends there.
    let until = index == steps.count - 1 ? Int.max : e.index
    let panes = processes.map { p in
      PaneView(
        pid: p.pid, title: "\(titled(p.role, p.pid, through: e.index)) \(p.pid)",
        acting: p.pid == e.pid,
        lines: console(outputs[p.pid] ?? [], until: until, lines: paneHeight))
    }
    return Snapshot(
      step: index + 1, total: steps.count, elapsed: Double(e.endTime &- trace.header.t0) / 1e9,
      role: titled(name(e.pid), e.pid, through: e.index), pid: e.pid, call: words.callText(e).at(e.source),
      failed: e.failure != nil,
      sentence: endingNote(e) + words.sentence(e, playback: self), travel: travel(e, words: words),
      panes: panes, queues: queuesAfter[index], sockets: sockets(after: index), event: e.index)
  }

  /// The name a process is shown by: its role, with its pid when another process has that role.
  func name(_ pid: Int32) -> String {
    paneOfPID[pid].map { processes[$0].name } ?? String(pid)
  }

  /// `name` followed by the programs `pid` ran with exec up to the event with `index`
  /// (`parent/1 → python3` from the exec on), as every view titles the process.
  func titled(_ name: String, _ pid: Int32, through index: Int) -> String {
    ProgramChange.title(name, programs[pid] ?? [], through: index).terminalSafe
  }

  /// The last `lines` lines printed by `outputs` before the event at `step` in the trace's order,
  /// tabs expanded and escaped. Only as much output as fills the pane is read, so a step costs the
  /// same at the start and at the end of a long trace.
  func console(_ outputs: [TraceEvent], until step: Int, lines: Int) -> [String] {
    var low = 0
    var high = outputs.count
    while low < high {
      let mid = (low + high) / 2
      if outputs[mid].index < step { low = mid + 1 } else { high = mid }
    }
    var pieces: [String] = []
    var newlines = 0
    var i = low - 1
    while i >= 0 && newlines <= lines {
      // Output that is not valid text is still shown: decoded leniently, then escaped.
      let text = outputs[i].data.map { String(decoding: $0.bytes, as: UTF8.self) } ?? ""
      pieces.append(text)
      newlines += text.reduce(0) { $1.isLineEnd ? $0 + 1 : $0 }
      i -= 1
    }
    var all = pieces.reversed().joined().splittingLines()
    if all.last == "" { all.removeLast() }
    return all.suffix(lines).map { Self.consoleLine(String($0)) }
  }

  /// A line of a program's output as a terminal shows it: tabs to the next multiple of 8
  /// columns, and every other control character escaped (a pane never emits one raw).
  static func consoleLine(_ line: String) -> String {
    guard line.contains("\t") else { return line.terminalSafe }
    var out = ""
    var column = 0
    for piece in line.split(separator: "\t", omittingEmptySubsequences: false).enumerated() {
      if piece.offset > 0 {
        let spaces = 8 - column % 8
        out += String(repeating: " ", count: spaces)
        column += spaces
      }
      let safe = String(piece.element).terminalSafe
      out += safe
      column += DisplayWidth.of(safe)
    }
    return out
  }

  func travel(_ e: TraceEvent, words: PlayerText) -> Travel? {
    func leftOf(_ a: Int32, _ b: Int32) -> Bool { (paneOfPID[a] ?? 0) <= (paneOfPID[b] ?? 0) }
    if e.call.sendsData, let flow = e.flow, let receiver = receivesByFlow[flow] {
      return Travel(
        from: name(e.pid), to: name(receiver.pid), label: words.datagramLabel(e.data), position: 0.5,
        startPosition: 0, senderOnLeft: leftOf(e.pid, receiver.pid), fromPID: e.pid, toPID: receiver.pid)
    }
    if e.call.receivesData, let flow = e.flows.first, let sender = sendsByFlow[flow] {
      return Travel(
        from: name(sender.pid), to: name(e.pid), label: words.datagramLabel(e.data), position: 1,
        startPosition: 0.5, senderOnLeft: leftOf(sender.pid, e.pid), fromPID: sender.pid, toPID: e.pid)
    }
    return nil
  }
}
