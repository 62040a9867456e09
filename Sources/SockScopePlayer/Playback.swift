public import SockScopeLanguage
public import SockScopeTrace

/// The language of the player's words: the one `Language`.
public typealias PlayerLanguage = Language

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
  /// The step's event: its `index` in the trace (what figures and exports name it by).
  public var event: Int

  /// The call line, payload uncut.
  public var callLine: String { call.plain }
}

/// A trace prepared for stepping through.
public struct Playback: Sendable {
  public let trace: Trace
  public let language: PlayerLanguage
  /// The socket calls, in the order they returned.
  let steps: [TraceEvent]
  /// The processes, one pane each, in order of first appearance: role and shown name, escaped.
  let processes: [(pid: Int32, role: String, name: String)]
  let paneOfPID: [Int32: Int]
  /// Console output per process, in time order.
  let outputs: [Int32: [TraceEvent]]
  let sendsByFlow: [Int: TraceEvent]
  let receivesByFlow: [Int: TraceEvent]
  let fileOfSocket: [UInt64: String]
  let streamSockets: Set<UInt64>
  /// Per step, the receive queues that are not empty after it.
  let queuesAfter: [[QueueView]]
  /// Per socket, the last step that used it; per event index, its step.
  let lastUse: [UInt64: Int]
  let stepOfEvent: [Int: Int]

  /// Prepares `trace`; nil when it holds no socket call.
  public init?(trace: Trace, language: PlayerLanguage) {
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
    var outputs: [Int32: [TraceEvent]] = [:]
    for e in trace.events where e.call == .output { outputs[e.pid, default: []].append(e) }
    // In the trace's (causal) order: what a process printed before a call shows at that call.
    self.outputs = outputs.mapValues { $0.sorted { $0.index < $1.index } }
    let flows = trace.flowIndex
    sendsByFlow = flows.send
    receivesByFlow = flows.receive
    let receives = flows.receive
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
    let names = Dictionary(uniqueKeysWithValues: processes.map { ($0.pid, $0.name) })
    queuesAfter = Self.queues(
      steps: steps, sendsByFlow: sendsByFlow, receivesByFlow: receives, streams: streams, files: files,
      names: names, lastUse: lastUse)
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
        pid: p.pid, title: "\(p.role) \(p.pid)",
        acting: p.pid == e.pid,
        lines: console(outputs[p.pid] ?? [], until: until, lines: paneHeight))
    }
    return Snapshot(
      step: index + 1, total: steps.count, elapsed: Double(e.endTime &- trace.header.t0) / 1e9,
      role: name(e.pid), pid: e.pid, call: words.callText(e).at(e.source), failed: e.failure != nil,
      sentence: endingNote(e) + words.sentence(e, playback: self), travel: travel(e, words: words),
      panes: panes, queues: queuesAfter[index], event: e.index)
  }

  /// The process that uses `close`'s socket at a later step (so a descriptor still refers to
  /// it), or nil when the trace shows no later use.
  func laterUser(of close: TraceEvent) -> String? {
    guard let ino = close.socket?.inode, let k = stepOfEvent[close.index], let last = lastUse[ino], last > k
    else { return nil }
    return name(steps[last].pid)
  }

  /// What was still waiting, unreceived, in the receive queue of the socket `close` closed, when
  /// the trace shows no later use of that socket: datagrams (or bytes, for a stream).
  func unreceived(at close: TraceEvent) -> (amount: UInt64, isStream: Bool)? {
    guard let ino = close.socket?.inode, let k = stepOfEvent[close.index], k > 0, lastUse[ino] == k,
      let before = queuesAfter[k - 1].first(where: { $0.socket == ino })
    else { return nil }
    let after = queuesAfter[k].first { $0.socket == ino }?.waiting ?? 0
    return before.waiting > after ? (before.waiting - after, before.isStream) : nil
  }

  /// The name a process is shown by: its role, with its pid when another process has that role.
  func name(_ pid: Int32) -> String {
    paneOfPID[pid].map { processes[$0].name } ?? String(pid)
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

  /// For each step, the receive queues holding data after it. Only what the trace shows is counted:
  /// a send whose data a traced receive took later waits in the receiving socket's queue from the
  /// send's step to that receive's step; a send no traced receive took waits in its destination's
  /// queue until that socket's last step in the trace. A datagram counts once; a stream's queue is
  /// counted in bytes (sent into it minus read from it).
  static func queues(
    steps: [TraceEvent], sendsByFlow: [Int: TraceEvent], receivesByFlow: [Int: TraceEvent],
    streams: Set<UInt64>, files: [UInt64: String],
    names: [Int32: String], lastUse: [UInt64: Int]
  ) -> [[QueueView]] {
    // Where a send that no traced receive took went: its connected peer, or the socket bound to
    // the file it was sent to (by the file's inode). It waits there until that socket's last use
    // in the trace, when that is a close (the kernel discards it with the last descriptor); else to
    // the trace's end.
    var boundToFile: [UInt64: UInt64] = [:]
    for e in steps where e.call == .bind && e.succeeded {
      if let file = e.address?.inode, let ino = e.socket?.inode { boundToFile[file] = ino }
    }
    func destination(_ send: TraceEvent) -> UInt64? {
      if let file = send.address?.inode, let ino = boundToFile[file] { return ino }
      return send.socket?.peer
    }
    var unreceivedUntil: [UInt64: [Int: Int64]] = [:]  // socket → (last step → amount)
    var readers: [UInt64: [String]] = [:]
    var stepOfEvent: [Int: Int] = [:]
    for (k, e) in steps.enumerated() {
      stepOfEvent[e.index] = k
      if e.call.receivesData, !e.flows.isEmpty, let inode = e.socket?.inode {
        let name = names[e.pid] ?? e.role.terminalSafe
        if !(readers[inode] ?? []).contains(name) { readers[inode, default: []].append(name) }
      }
    }
    var waiting: [UInt64: Int64] = [:]
    var result: [[QueueView]] = []
    result.reserveCapacity(steps.count)
    for (k, e) in steps.enumerated() {
      // A send counts only when its receive is a later step: nothing waits for a receive shown
      // before it.
      if e.call.sendsData, let flow = e.flow, let receive = receivesByFlow[flow],
        let at = stepOfEvent[receive.index], at > k, let inode = receive.socket?.inode
      {
        waiting[inode, default: 0] += streams.contains(inode) ? max(0, e.ret) : 1
      } else if e.call.sendsData, e.succeeded, let flow = e.flow, receivesByFlow[flow] == nil,
        let inode = destination(e)
      {
        let amount: Int64 = streams.contains(inode) ? max(0, e.ret) : 1
        waiting[inode, default: 0] += amount
        // It leaves the queue only with a later close the trace shows; otherwise it waits to the end.
        if let last = lastUse[inode], last > k, steps[last].call == .close {
          unreceivedUntil[inode, default: [:]][last, default: 0] += amount
        }
      }
      if e.call.receivesData, let inode = e.socket?.inode {
        let earlier = e.flows.filter { f in
          sendsByFlow[f].flatMap { stepOfEvent[$0.index] }.map { $0 < k } ?? false
        }
        if !earlier.isEmpty {
          let taken: Int64 = streams.contains(inode) ? max(0, e.ret) : Int64(earlier.count)
          let left = (waiting[inode] ?? 0) - taken
          waiting[inode] = left > 0 ? left : nil
        }
      }
      // At its socket's last step (a close: the socket goes, and its queue with it), what nobody
      // received leaves the queue.
      if let inode = e.socket?.inode, let gone = unreceivedUntil[inode]?[k] {
        let left = (waiting[inode] ?? 0) - gone
        waiting[inode] = left > 0 ? left : nil
      }
      result.append(
        waiting.sorted { $0.key < $1.key }.map { inode, count in
          QueueView(
            socket: inode, owner: (readers[inode] ?? []).joined(separator: ", "),
            path: files[inode]?.terminalSafe, waiting: UInt64(count), isStream: streams.contains(inode))
        })
    }
    return result
  }
}
