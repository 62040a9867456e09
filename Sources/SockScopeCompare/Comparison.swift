public import SockScopeAnalysis
public import SockScopeLanguage
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
    /// The loop's role received more after the datagram that should have ended its loop.
    case receivedAfterExit = "received after exit"
    /// A datagram receive whose buffer was shorter than the datagram: the kernel cut it (MSG_TRUNC).
    case cutDatagram = "cut datagram"
    /// A path a process bound and nobody removed: the next bind to it fails with EADDRINUSE.
    case socketFileLeft = "socket file left"
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
  /// What was found, in a sentence, in the comparison's language.
  public var message: String
  /// What the schematic (or the reference run) has, when the finding is about a value.
  public var expected: String? = nil
  /// What the run has instead.
  public var actual: String? = nil
  /// Where the program made the call (`client.py:14`), when the event says.
  public var source: String? = nil
  /// What a student should understand and change, in the comparison's language.
  public var hint: String = ""
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
  /// The language of the messages and of the report.
  public var language: Language = .ru
  /// Whether the reference is a recorded run (`diff`) rather than a schematic.
  public var referenceIsRun = false

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
  /// Whether a socket file a process bound must be removed again (checking against a schematic);
  /// comparing two runs, the reference's own unlink step says it.
  public var requireCleanup: Bool
  /// The language of messages and hints.
  public var language: Language

  public init(
    extraStepsAreDifferences: Bool = false, loopCounts: [String: [Int]] = [:],
    processRoles: [String: [DocumentedSchematic.Role]] = [:], requireCleanup: Bool? = nil,
    language: Language = .ru
  ) {
    self.extraStepsAreDifferences = extraStepsAreDifferences
    self.loopCounts = loopCounts
    self.processRoles = processRoles
    self.requireCleanup = requireCleanup ?? !extraStepsAreDifferences
    self.language = language
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
    result.language = options.language
    result.referenceIsRun = options.extraStepsAreDifferences
    let words = FindingWords(language: options.language)
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
          message: message, source: event.flatMap(sourceLocation),
          hint: words.hint(
            // A sendto without an address is a send on a connected socket (strace shows send so).
            kind,
            call: event.map { $0.call == .sendto && $0.address == nil ? "send" : $0.call.rawValue } ?? step,
            step: step, errno: event?.failure?.name,
            word: schematic.exit?.word)))
    }
    // A finding made by a check of its own: its time and source from its event.
    func record(_ f: Finding) {
      var f = f
      let event = f.event.flatMap { i in
        trace.events.indices.contains(i) && trace.events[i].index == i
          ? trace.events[i] : trace.events.first { $0.index == i }
      }
      f.time = f.time ?? event.map(seconds)
      f.source = f.source ?? event.flatMap(sourceLocation)
      result.findings.append(f)
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
      noteEnding(participant, calls, words, finding: finding)
      guard let documented = schematic.roles.first(where: { participant.plays($0.name) }) else {
        finding(
          .extraRole, role: role, step: "", event: first,
          words.extraRole(Self.withPID(participant), roles: names))
        for e in calls { result.marks[e.index] = .extra }
        continue
      }
      // Which process of its role this is: 0 for the first client, 1 for the second...
      let position = rank[documented.name, default: 0]
      rank[documented.name] = position + 1
      let own = options.processRoles[documented.name] ?? []
      // Comparing two runs: a process beyond the reference's own of its role is a difference.
      if options.extraStepsAreDifferences, !own.isEmpty, position >= own.count {
        finding(
          .extraRole, role: role, step: "", event: first,
          words.extraProcess(Self.withPID(participant), role: documented.name, count: own.count))
      }
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
          words.misplaced(step, after: neighbour))
        for e in observed[o].events { result.marks[e.index] = .extra }
      }
      for w in wanted.indices where !matchedWanted.contains(w) {
        let step = describe(wanted[w])
        let next = pairs.first { $0.0 > w }.flatMap { observed[$0.1].events.first }
        finding(
          .missingStep, role: role, step: step, event: next,
          words.missingStep(role, step, because: Self.because(participant, words)))
        result.missing.append((participant.pid, step, next?.index))
      }
      // A call the schematic has for this role, made where it does not have it: out of order.
      let documentedCalls = Set(expected.allSteps.map(\.call))
      for o in observed.indices where !matchedObserved.contains(o) {
        guard let e = observed[o].events.first, documentedCalls.contains(family(e.call)) else { continue }
        matchedObserved.insert(o)
        finding(
          .wrongOrder, role: role, step: e.call.rawValue, event: e,
          words.elsewhere(
            role, e.call.rawValue, after: o > 0 ? observed[o - 1].summary : nil,
            before: o + 1 < observed.count ? observed[o + 1].summary : nil))
        for e in observed[o].events { result.marks[e.index] = .extra }
      }
      // Removing the socket file the process bound is the clean-up the page's server makes: part of
      // the program, checked by `socketFileLeft`, not an extra step.
      let cleanups = options.requireCleanup ? Self.cleanupUnlinks(calls) : []
      for o in observed.indices where !matchedObserved.contains(o) {
        for e in observed[o].events {
          if cleanups.contains(e.index) {
            result.marks[e.index] = .conforming
            continue
          }
          let step =
            e.call.rawValue + "(" + (e.namedPath.map { "\"\($0)\"" } ?? "")
            + ")"
          finding(
            .extraStep, options.extraStepsAreDifferences ? .difference : .note, role: role, step: step,
            event: e,
            words.extraStep(role, step))
          result.marks[e.index] = .extra
        }
      }
      for (w, o) in pairs {
        for e in observed[o].events { result.marks[e.index] = .conforming }
        switch (wanted[w], observed[o].kind) {
        case (.step(let step), _):
          for f in argumentFindings(
            [step], observed[o].events, socketPath: socketPath, inLoop: false, role: role, words)
          {
            record(f)
          }
        case (.loop(let loop), .loop(let count)):
          for f in argumentFindings(
            loop.body, observed[o].events, socketPath: socketPath, inLoop: true, role: role, words)
          {
            record(f)
          }
          if let counts = options.loopCounts[expected.name], counts.indices.contains(position),
            counts[position] != count
          {
            let expectedCount = counts[position]
            var f = Finding(
              kind: .loopCount, severity: .difference, role: role, step: describe(.loop(loop)),
              event: observed[o].events.first?.index, time: observed[o].events.first.map(seconds),
              message: words.loopCount(count, reference: expectedCount), expected: String(expectedCount),
              actual: String(count))
            f.hint = words.hint(.loopCount, call: "", step: f.step, errno: nil, word: nil)
            record(f)
          }
        default: break
        }
      }
      for e in calls where e.failure != nil {
        finding(
          .failedCall, role: role, step: e.call.rawValue, event: e,
          words.failed(e.call.rawValue, e.failure?.name ?? "", e.failure?.message ?? ""))
        result.marks[e.index] = .failed
      }
      // The report adds the pid to the name: a name that holds it already is given as the role.
      let listed = participant.name == Self.withPID(participant) ? participant.role : participant.name
      result.summaries.append((listed, first.pid, observed.map(\.summary).joined(separator: ", ")))
      for f in cutDatagrams(calls, expected: expected, role: role, words) { record(f) }
      if options.requireCleanup, participant.process?.ending != .running,
        let f = socketFileLeft(calls, in: trace, role: role, words)
      {
        record(f)
      }
    }
    for name in names where !participants.contains(where: { $0.plays(name) }) {
      finding(
        .missingRole, role: name, step: "", event: nil,
        words.missingRole(name))
    }
    checkArrows(trace, schematic, participants, words, finding: finding)
    checkExit(trace, schematic, participants, callsByPID, words, finding: finding)
    // A call made with other arguments than documented, or whose datagram was cut, is not "as
    // documented": the marked figure draws it red, as a call that went wrong (the figure's legend
    // has no mark of its own for it yet), never green.
    for f in result.findings where f.kind == .wrongArgument || f.kind == .cutDatagram {
      if let event = f.event { result.marks[event] = .failed }
    }
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
