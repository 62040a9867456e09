public import SockScopeAnalysis
public import SockScopeTrace

/// One thing a comparison found.
public struct Finding: Sendable, Equatable {
  public enum Kind: String, Sendable, CaseIterable {
    case missingStep = "missing step"
    case extraStep = "extra step"
    case wrongOrder = "wrong order"
    case wrongArgument = "wrong argument"
    case failedCall = "failed call"
    case unreceivedDatagram = "unreceived datagram"
    case loopCount = "loop count"
    case exitCondition = "exit condition"
    case missingRole = "missing role"
    case extraRole = "extra role"
    /// A process a signal killed (the trace's header says which).
    case killed = "killed"
    /// A process still running when the trace was merged: its later steps are not in the trace.
    case stillRunning = "still running"
  }

  /// A difference means the run does not conform; a note is worth knowing but does not.
  public enum Severity: String, Sendable {
    case difference, note
  }

  public var kind: Kind
  public var severity: Severity
  /// The process, by its participant name (or the schematic role, for a missing role).
  public var role: String
  /// The step concerned, as the schematic or the program writes it.
  public var step: String
  /// The event concerned, when there is one.
  public var event: Int?
  /// Seconds since the start of the run, when there is an event.
  public var time: Double?
  /// What was found, in a sentence.
  public var message: String
}

/// The result of checking a run against a schematic (or against another run).
public struct Comparison: Sendable {
  /// Which schematic or run the trace was compared with.
  public var reference: String
  public var findings: [Finding]
  /// Each process and what it did, in the schematic's words: "socket, bind, recv ×4, close".
  public var summaries: [(role: String, pid: Int32, steps: String)]
  /// How each event of the trace relates to the schematic.
  public var marks: [Int: StepMark]
  /// Steps the schematic has and a process lacks: the process, the step, and the event it belongs
  /// before.
  public var missing: [(pid: Int32, step: String, before: Int?)]

  /// Whether the run conforms: no finding is a difference.
  public var conforms: Bool { !findings.contains { $0.severity == .difference } }
}

/// Options of a comparison.
public struct ComparisonOptions: Sendable {
  /// Extra steps are notes (checking a run against a figure: the figure may leave steps out), or
  /// differences (comparing two runs).
  public var extraStepsAreDifferences: Bool
  /// Loop repetitions that the run must match (comparing two runs), by role: one count per
  /// process of the role, in the order the processes first made a socket call (the run's second
  /// client is held to the reference's second client).
  public var loopCounts: [String: [Int]]
  /// The steps each process of a role must make (comparing two runs), by role, in the same order
  /// as `loopCounts`; a process beyond the list is held to the last. Empty: the schematic's role.
  public var processRoles: [String: [DocumentedSchematic.Role]]

  public init(
    extraStepsAreDifferences: Bool = false, loopCounts: [String: [Int]] = [:],
    processRoles: [String: [DocumentedSchematic.Role]] = [:]
  ) {
    self.extraStepsAreDifferences = extraStepsAreDifferences
    self.loopCounts = loopCounts
    self.processRoles = processRoles
  }
}

/// Checks runs against schematics.
public enum Comparer {
  /// The role a trace role plays in a schematic: `client#2` plays `client`.
  public static func kind(of role: String) -> String { Participant.kind(of: role) }

  /// The call family of an observed call: sendto and write are sends, accept4 an accept.
  public static func family(_ call: SocketCall) -> String {
    switch call {
    case .send, .sendto, .sendmsg, .write: "send"
    case .recv, .recvfrom, .recvmsg, .read: "recv"
    case .accept, .accept4: "accept"
    default: call.rawValue
    }
  }

  /// Checks `trace` against `schematic`; `reference` names the schematic in the report.
  public static func compare(
    _ trace: Trace, with schematic: DocumentedSchematic, reference: String,
    options: ComparisonOptions = ComparisonOptions()
  ) -> Comparison {
    var result = Comparison(reference: reference, findings: [], summaries: [], marks: [:], missing: [])
    let t0 = trace.header.t0
    func seconds(_ e: TraceEvent) -> Double { Double(e.time &- t0) / 1e9 }
    func finding(
      _ kind: Finding.Kind, _ severity: Finding.Severity = .difference, role: String, step: String,
      event: TraceEvent?,
      _ message: String
    ) {
      result.findings.append(
        Finding(
          kind: kind, severity: severity, role: role, step: step, event: event?.index,
          time: event.map(seconds),
          message: message))
    }

    let names = schematic.roles.map(\.name)
    let participants = trace.participants
    let callsByPID = trace.callsByPID
    // Each process on its own, keyed by pid: processes of one role are each checked against the
    // role's column, never as one run of calls.
    var rank: [String: Int] = [:]
    for participant in participants {
      let role = participant.name
      let calls = callsByPID[participant.pid] ?? []
      guard let first = calls.first else { continue }
      noteEnding(participant, calls, finding: finding)
      guard let documented = schematic.roles.first(where: { participant.plays($0.name) }) else {
        finding(
          .extraRole, role: role, step: "", event: first,
          "\(Self.withPID(participant)) is not a role of the schematic, which has \(names.joined(separator: " and "))"
        )
        for e in calls { result.marks[e.index] = .extra }
        continue
      }
      // Which process of its role this is: 0 for the first client, 1 for the second...
      let position = rank[documented.name, default: 0]
      rank[documented.name] = position + 1
      let own = options.processRoles[documented.name] ?? []
      let expected = own.isEmpty ? documented : own[min(position, own.count - 1)]
      let socketPath = schematic.socketPath
      let observed = tokens(calls, expected: expected)
      let wanted = expected.elements
      let pairs = align(wanted, observed)

      var matchedObserved = Set(pairs.map(\.1))
      var matchedWanted = Set(pairs.map(\.0))
      // Out of order: a step the run made, but not where the schematic has it.
      for w in wanted.indices where !matchedWanted.contains(w) {
        guard
          let o = observed.indices.first(where: {
            !matchedObserved.contains($0) && matches(wanted[w], observed[$0])
          })
        else { continue }
        matchedWanted.insert(w)
        matchedObserved.insert(o)
        let step = describe(wanted[w])
        let neighbour = pairs.last { $0.0 < w }.map { describe(wanted[$0.0]) }
        finding(
          .wrongOrder, role: role, step: step, event: observed[o].events.first,
          "\(step) came at a different place than the schematic has it"
            + (neighbour.map { " (the schematic has it right after \($0))" } ?? ""))
        for e in observed[o].events { result.marks[e.index] = .extra }
      }
      for w in wanted.indices where !matchedWanted.contains(w) {
        let step = describe(wanted[w])
        let next = pairs.first { $0.0 > w }.flatMap { observed[$0.1].events.first }
        finding(
          .missingStep, role: role, step: step, event: next,
          "\(role) never made the step \(step)\(Self.because(participant))")
        result.missing.append((participant.pid, step, next?.index))
      }
      // A call the schematic has for this role, made where it does not have it: out of order.
      let documentedCalls = Set(expected.allSteps.map(\.call))
      for o in observed.indices where !matchedObserved.contains(o) {
        guard let e = observed[o].events.first, documentedCalls.contains(family(e.call)) else { continue }
        matchedObserved.insert(o)
        let after = o > 0 ? " right after \(observed[o - 1].summary)" : " first"
        let before = o + 1 < observed.count ? " and before \(observed[o + 1].summary)" : ""
        finding(
          .wrongOrder, role: role, step: e.call.rawValue, event: e,
          "\(role) made \(e.call.rawValue)\(after)\(before): the schematic has it elsewhere")
        for e in observed[o].events { result.marks[e.index] = .extra }
      }
      for o in observed.indices where !matchedObserved.contains(o) {
        for e in observed[o].events {
          let step =
            e.call.rawValue + "(" + (e.namedPath.map { "\"\($0)\"" } ?? "")
            + ")"
          finding(
            .extraStep, options.extraStepsAreDifferences ? .difference : .note, role: role, step: step,
            event: e,
            "\(role) made a step the schematic does not show: \(step)")
          result.marks[e.index] = .extra
        }
      }
      for (w, o) in pairs {
        for e in observed[o].events { result.marks[e.index] = .conforming }
        switch (wanted[w], observed[o].kind) {
        case (.step(let step), _):
          if let e = observed[o].events.first,
            let mismatch = argumentMismatch(step, e, socketPath: socketPath)
          {
            finding(.wrongArgument, role: role, step: step.text, event: e, mismatch)
          }
        case (.loop(let loop), .loop(let count)):
          if let counts = options.loopCounts[expected.name], counts.indices.contains(position),
            counts[position] != count
          {
            let expectedCount = counts[position]
            finding(
              .loopCount, role: role, step: describe(.loop(loop)), event: observed[o].events.first,
              "the loop ran \(count) time\(count == 1 ? "" : "s"); the reference ran it \(expectedCount)")
          }
        default: break
        }
      }
      for e in calls where e.failure != nil {
        finding(
          .failedCall, role: role, step: e.call.rawValue, event: e,
          "\(e.call.rawValue) failed: \(e.failure?.name ?? ""): \(e.failure?.message ?? "")")
        result.marks[e.index] = .failed
      }
      // The report adds the pid to the name: a name that holds it already is given as the role.
      let listed = participant.name == Self.withPID(participant) ? participant.role : participant.name
      result.summaries.append((listed, first.pid, observed.map(\.summary).joined(separator: ", ")))
    }
    for name in names where !participants.contains(where: { $0.plays(name) }) {
      finding(
        .missingRole, role: name, step: "", event: nil,
        "the schematic's role \(name) never appeared in the run")
    }
    checkArrows(trace, schematic, participants, finding: finding)
    checkExit(trace, schematic, participants, callsByPID, finding: finding)
    result.findings.sort { ($0.time ?? .infinity, $0.role) < ($1.time ?? .infinity, $1.role) }
    return result
  }

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
  static func because(_ p: Participant) -> String {
    if let signal = p.killedBy { return " (it was killed by \(signal) before)" }
    if p.process?.ending == .running { return " (it was still running when the trace was merged)" }
    return ""
  }

  /// A process that did not end by itself is said, at its last step.
  static func noteEnding(
    _ p: Participant, _ calls: [TraceEvent],
    finding: (Finding.Kind, Finding.Severity, String, String, TraceEvent?, String) -> Void
  ) {
    guard let last = calls.last else { return }
    let step = callText(last)
    if let signal = p.killedBy {
      finding(.killed, .note, p.name, step, last, "\(p.name) was killed by \(signal) after \(step)")
    } else if p.process?.ending == .running {
      finding(
        .stillRunning, .note, p.name, step, last,
        "\(p.name) was still running when the trace was merged: what it did after \(step) is not in the trace"
      )
    }
  }

  /// Every send along an arrow must be received at its other end.
  static func checkArrows(
    _ trace: Trace, _ schematic: DocumentedSchematic, _ participants: [Participant],
    finding: (Finding.Kind, Finding.Severity, String, String, TraceEvent?, String) -> Void
  ) {
    let received = Set(trace.events.flatMap(\.flows))
    let byPID = Dictionary(participants.map { ($0.pid, $0) }, uniquingKeysWith: { a, _ in a })
    for arrow in schematic.arrows {
      for e in trace.events where family(e.call) == arrow.fromCall && e.succeeded {
        guard let sender = byPID[e.pid], sender.plays(arrow.fromRole), let flow = e.flow,
          !received.contains(flow)
        else { continue }
        let what = e.data?.text.map { "«\($0)»" } ?? "\(e.data?.length ?? 0) bytes"
        finding(
          .unreceivedDatagram, .difference, sender.name, e.call.rawValue, e,
          "the datagram \(what) sent by \(sender.name) was never received by \(arrow.toRole)")
      }
    }
  }

  /// The role's loop must end on the exit datagram, and only then.
  static func checkExit(
    _ trace: Trace, _ schematic: DocumentedSchematic, _ participants: [Participant],
    _ callsByPID: [Int32: [TraceEvent]],
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
        let ended =
          participant.process?.ending == .cut ? " (its log was cut short)" : Self.because(participant)
        finding(
          .exitCondition, .difference, role, "recv", receives.last,
          "\(role) never received \"\(exit.word)\", the datagram that ends its loop\(ended)")
        continue
      }
      if stop + 1 < receives.count {
        finding(
          .exitCondition, .difference, role, "recv", receives[stop + 1],
          "\(role) went on receiving after \"\(exit.word)\", which should have ended its loop")
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

  /// Compares a step's written arguments with the call's: names (AF_UNIX, SOCK_DGRAM), the
  /// socket path, the receive buffer size.
  static func argumentMismatch(
    _ step: DocumentedSchematic.Step, _ e: TraceEvent, socketPath: String?
  ) -> String? {
    for argument in step.arguments {
      let value = argument == "$SOCKET" ? socketPath ?? argument : argument
      let ok: Bool
      switch step.call {
      case "socket", "socketpair":
        ok =
          e.arguments.socket?.domain?.description == value
          || (e.arguments.socket?.type?.description.split(separator: "|").contains { $0 == value } ?? false)
      case "bind", "connect", "unlink":
        let path = e.namedPath ?? ""
        ok = normalized(path) == normalized(value)
      case "recv", "send":
        ok = Int64(value).map { $0 == e.arguments.length } ?? true
      case "listen":
        ok = Int64(value).map { $0 == e.arguments.backlog } ?? true
      default:
        ok = true
      }
      if !ok {
        return "\(e.call.rawValue) was called with other arguments than the schematic's \(step.text)"
          + (argument == "$SOCKET" ? " ($SOCKET is \"\(value)\")" : "")
      }
    }
    return nil
  }

  static func normalized(_ path: String) -> String { path.hasPrefix("./") ? String(path.dropFirst(2)) : path }
}
