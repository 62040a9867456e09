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
}
