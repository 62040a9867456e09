import SockScopeAnalysis
import SockScopeLanguage
import SockScopeTrace

extension Comparer {
  /// A call as a reader recognises it: `send(«Лев»)`, `connect("./echo.socket")`, `close()`.
  static func callText(_ e: TraceEvent) -> String {
    if e.call.sendsData || e.call.receivesData, let text = e.data?.text {
      let short = text.count > 24 ? text.prefix(23) + "…" : Substring(text)
      return "\(e.call.rawValue)(«\(String(short).terminalSafe)»)"
    }
    let path = e.namedPath.map { "\"\($0.terminalSafe)\"" } ?? ""
    return "\(e.call.rawValue)(\(path))"
  }

  /// `server (pid 7)`; a name that holds its pid already (two processes of one role) as it is.
  static func withPID(_ p: Participant) -> String {
    p.name.hasSuffix("(pid \(p.pid))") ? p.name : "\(p.name) (pid \(p.pid))"
  }

  /// Why a process may lack a step: it was killed, or was still running when the trace was merged.
  static func because(_ p: Participant, _ words: FindingWords) -> String {
    if let signal = p.killedBy { return words.killedBefore(signal) }
    if p.process?.ending == .running { return words.stillRunningBefore }
    return ""
  }

  /// A process that did not end by itself is said, at its last step.
  static func noteEnding(
    _ p: Participant, _ calls: [TraceEvent], _ words: FindingWords,
    finding: (Finding.Kind, Finding.Severity, String, String, TraceEvent?, String) -> Void
  ) {
    guard let last = calls.last else { return }
    let step = callText(last)
    if let signal = p.killedBy {
      finding(.killed, .note, p.name, step, last, words.killed(p.name, signal, after: step))
    } else if p.process?.ending == .running {
      finding(
        .stillRunning, .note, p.name, step, last, words.stillRunning(p.name, after: step))
    }
  }

  /// Every send along an arrow must be received at its other end.
  static func checkArrows(
    _ trace: Trace, _ schematic: DocumentedSchematic, _ participants: [Participant], _ words: FindingWords,
    finding: (Finding.Kind, Finding.Severity, String, String, TraceEvent?, String) -> Void
  ) {
    let received = Set(trace.events.flatMap(\.flows))
    let byPID = Dictionary(participants.map { ($0.pid, $0) }, uniquingKeysWith: { a, _ in a })
    for arrow in schematic.arrows {
      for e in trace.events where family(e.call) == arrow.fromCall && e.succeeded {
        guard let sender = byPID[e.pid], sender.plays(arrow.fromRole), let flow = e.flow,
          !received.contains(flow)
        else { continue }
        let what = e.data?.text.map { "«\($0)»" } ?? words.bytes(e.data?.length ?? 0)
        finding(
          .unreceivedDatagram, .difference, sender.name, e.call.rawValue, e,
          words.unreceived(what, sender: sender.name, receiver: arrow.toRole))
      }
    }
  }

  /// The role's loop must end on the exit datagram, and only then.
  static func checkExit(
    _ trace: Trace, _ schematic: DocumentedSchematic, _ participants: [Participant],
    _ callsByPID: [Int32: [TraceEvent]], _ words: FindingWords,
    finding: (Finding.Kind, Finding.Severity, String, String, TraceEvent?, String) -> Void
  ) {
    guard let exit = schematic.exit else { return }
    let word = Array(exit.word.utf8)
    for participant in participants where participant.plays(exit.role) {
      let role = participant.name
      let receives = (callsByPID[participant.pid] ?? []).filter { family($0.call) == "recv" && $0.succeeded }
      guard
        let stop = receives.firstIndex(where: {
          $0.data?.bytes == word && $0.data?.length == UInt64(word.count)
        })
      else {
        let ended = participant.process?.ending == .cut ? words.logCut : Self.because(participant, words)
        finding(
          .exitCondition, .difference, role, "recv", receives.last,
          words.neverExit(role, exit.word, ended: ended))
        continue
      }
      if stop + 1 < receives.count {
        let next = receives[stop + 1]
        let received = next.data?.text.map { "«\($0)»" } ?? words.bytes(next.data?.length ?? 0)
        finding(
          .receivedAfterExit, .difference, role, "recv", next,
          words.afterExit(role, exit.word, received: received))
      }
    }
  }

  // MARK: Tokens and alignment

  /// A step or a run of loop repetitions, as observed.
  struct Token {
    enum Kind {
      case step(String)
      case loop(Int)
    }
    var kind: Kind
    var events: [TraceEvent]

    var summary: String {
      switch kind {
      case .step(let call): call
      case .loop(let count):
        (events.first.map { Comparer.family($0.call) } ?? "") + (count > 1 ? " ×\(count)" : "")
      }
    }
  }

  /// Observed calls as tokens: repetitions of the schematic's loop body collapse into one.
  static func tokens(_ calls: [TraceEvent], expected: DocumentedSchematic.Role) -> [Token] {
    let body: [String] =
      expected.elements.compactMap { element -> [String]? in
        if case .loop(let l) = element { return l.body.map(\.call) }
        return nil
      }.first ?? []
    var out: [Token] = []
    var i = 0
    while i < calls.count {
      var repetitions = 0
      var j = i
      while !body.isEmpty, j + body.count <= calls.count,
        zip(body, calls[j..<(j + body.count)]).allSatisfy({ $0 == family($1.call) })
      {
        repetitions += 1
        j += body.count
      }
      if repetitions > 0 {
        out.append(Token(kind: .loop(repetitions), events: Array(calls[i..<j])))
        i = j
      } else {
        out.append(Token(kind: .step(family(calls[i].call)), events: [calls[i]]))
        i += 1
      }
    }
    return out
  }

  static func matches(_ element: DocumentedSchematic.Element, _ token: Token) -> Bool {
    switch (element, token.kind) {
    case (.step(let s), .step(let call)): s.call == call
    case (.loop, .loop): true
    // A loop body of one step that ran once is also that step.
    case (.step(let s), .loop): token.events.count == 1 && family(token.events[0].call) == s.call
    default: false
    }
  }

  /// The longest common subsequence of the schematic's elements and the observed tokens, as
  /// index pairs in order.
  static func align(_ wanted: [DocumentedSchematic.Element], _ observed: [Token]) -> [(Int, Int)] {
    let n = wanted.count
    let m = observed.count
    var table = [[Int]](repeating: [Int](repeating: 0, count: m + 1), count: n + 1)
    for i in stride(from: n - 1, through: 0, by: -1) {
      for j in stride(from: m - 1, through: 0, by: -1) {
        table[i][j] =
          matches(wanted[i], observed[j]) ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
      }
    }
    var pairs: [(Int, Int)] = []
    var i = 0
    var j = 0
    while i < n && j < m {
      if matches(wanted[i], observed[j]) && table[i][j] == table[i + 1][j + 1] + 1 {
        pairs.append((i, j))
        i += 1
        j += 1
      } else if table[i + 1][j] >= table[i][j + 1] {
        i += 1
      } else {
        j += 1
      }
    }
    return pairs
  }

  static func describe(_ element: DocumentedSchematic.Element) -> String {
    switch element {
    case .step(let s): s.text
    case .loop(let l): "loop { " + l.body.map(\.text).joined(separator: "; ") + " }"
    }
  }

  static func normalized(_ path: String) -> String { path.hasPrefix("./") ? String(path.dropFirst(2)) : path }
}
