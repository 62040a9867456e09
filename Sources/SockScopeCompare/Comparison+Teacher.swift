import SockScopeTrace

/// The checks a careful teacher makes beyond the order of the steps: every argument (inside loops
/// too), datagrams cut by a short buffer, and a socket file left behind.
extension Comparer {
  /// Where the program made the call, as `file:line` (`client.py:14`, or `socat+0x1234` for
  /// native code without debug information), when the event records its source: the one place
  /// findings take it from.
  static func sourceLocation(_ event: TraceEvent) -> String? {
    guard let label = event.source?.label, !label.isEmpty else { return nil }
    return label
  }

  /// A finding for each of `steps` whose arguments the calls do not have. `events` are the calls
  /// matched to the steps: one per step, or, for a loop, the body's calls repeated in order. One
  /// finding per step, at its first wrong call, saying in how many repetitions it was wrong.
  static func argumentFindings(
    _ steps: [DocumentedSchematic.Step], _ events: [TraceEvent], socketPath: String?, inLoop: Bool,
    role: String, _ words: FindingWords
  ) -> [Finding] {
    guard !steps.isEmpty else { return [] }
    var findings: [Finding] = []
    for (k, step) in steps.enumerated() {
      let calls = stride(from: k, to: events.count, by: steps.count).map { events[$0] }
      let wrong = calls.compactMap { e in argumentMismatch(step, e, socketPath: socketPath).map { (e, $0) } }
      guard let (e, mismatch) = wrong.first else { continue }
      let repetitions = inLoop && calls.count > 1 ? (wrong.count, calls.count) : nil
      let message = words.wrongArgument(
        e.call.rawValue, actual: mismatch.actual, step: step.text, expected: mismatch.expected,
        socket: mismatch.namesSocket ? socketPath : nil, repetitions: repetitions)
      findings.append(
        Finding(
          kind: .wrongArgument, severity: .difference, role: role, step: step.text, event: e.index,
          time: nil, message: message, expected: mismatch.expected, actual: mismatch.actual,
          hint: words.argumentHint(call: step.call, step: expandedText(step, socketPath: socketPath))))
    }
    return findings
  }

  /// A step's text with `$SOCKET` replaced by the path it stands for.
  static func expandedText(_ step: DocumentedSchematic.Step, socketPath: String?) -> String {
    guard let socketPath else { return step.text }
    let arguments = step.arguments.map { $0 == "$SOCKET" ? "\"\(socketPath)\"" : $0 }
    return "\(step.call)(\(arguments.joined(separator: ", ")))"
  }

  struct Mismatch {
    var expected: String
    var actual: String
    /// The expected value is the schematic's `$SOCKET`.
    var namesSocket: Bool
  }

  /// The first of a step's written arguments that the call does not have: names (AF_UNIX,
  /// SOCK_DGRAM), the socket path, the buffer size, the backlog. An argument the trace does not
  /// record for the call is not checked.
  static func argumentMismatch(
    _ step: DocumentedSchematic.Step, _ e: TraceEvent, socketPath: String?
  ) -> Mismatch? {
    for argument in step.arguments {
      let value = argument == "$SOCKET" ? socketPath ?? argument : argument
      let named = argument == "$SOCKET" && socketPath != nil
      switch step.call {
      case "socket", "socketpair":
        if value.hasPrefix("AF_") || value.hasPrefix("PF_") {
          guard let domain = e.arguments.socket?.domain?.description, domain != value else { continue }
          return Mismatch(expected: value, actual: domain, namesSocket: false)
        }
        guard let type = e.arguments.socket?.type?.description else { continue }
        let parts = type.split(separator: "|").map(String.init)
        if parts.contains(value) { continue }
        return Mismatch(expected: value, actual: parts.first ?? type, namesSocket: false)
      case "bind", "connect", "unlink":
        let path = e.namedPath
        guard let path else {
          return Mismatch(expected: "\"\(value)\"", actual: "—", namesSocket: named)
        }
        if normalized(path) == normalized(value) { continue }
        return Mismatch(expected: "\"\(value)\"", actual: "\"\(path)\"", namesSocket: named)
      case "recv", "send", "listen":
        let recorded = step.call == "listen" ? e.arguments.backlog : e.arguments.length
        guard let wanted = Int64(value), let got = recorded, got != wanted else { continue }
        return Mismatch(expected: String(wanted), actual: String(got), namesSocket: false)
      default:
        continue
      }
    }
    return nil
  }

  /// A finding for each receive that got less than its datagram: the buffer was too short and the
  /// kernel discarded the rest (MSG_TRUNC; the trace records the datagram's real size).
  static func cutDatagrams(
    _ calls: [TraceEvent], expected: DocumentedSchematic.Role, role: String, _ words: FindingWords
  ) -> [Finding] {
    let step = expected.allSteps.first { $0.call == "recv" }?.text ?? "recv"
    return calls.compactMap { e in
      guard e.call.receivesData, e.succeeded, let data = e.data, data.datagramWasCut,
        let total = data.datagramLength
      else { return nil }
      let text = receivedText(data).map { "«\($0)»" } ?? words.bytes(data.length)
      return Finding(
        kind: .cutDatagram, severity: .difference, role: role, step: step, event: e.index, time: nil,
        message: words.cut(e.call.rawValue, got: data.length, of: total, text: text),
        expected: words.bytes(total), actual: words.bytes(data.length),
        hint: words.hint(.cutDatagram, call: e.call.rawValue, step: step, errno: nil, word: nil))
    }
  }

  /// The paths a process bound (a file in the filesystem, not an abstract name), with the bind.
  static func boundPaths(_ calls: [TraceEvent]) -> [(path: String, bind: TraceEvent)] {
    calls.compactMap { e in
      guard e.call == .bind, e.succeeded, case .path(let path)? = e.address?.name else { return nil }
      return (path, e)
    }
  }

  /// The process's unlinks of a path it binds: the page's clean-up, before bind or after close.
  static func cleanupUnlinks(_ calls: [TraceEvent]) -> Set<Int> {
    let paths = Set(boundPaths(calls).map { normalized($0.path) })
    return Set(
      calls.filter { $0.call == .unlink && paths.contains(normalized($0.arguments.unlinkedPath ?? "")) }
        .map(\.index))
  }

  /// A finding when the process bound a path that no process of the trace removed afterwards: the
  /// file stays after the socket is closed, and the next bind to the path fails with EADDRINUSE.
  static func socketFileLeft(
    _ calls: [TraceEvent], in trace: Trace, role: String, _ words: FindingWords
  ) -> Finding? {
    for (path, bind) in boundPaths(calls) {
      let removed = trace.events.contains {
        $0.call == .unlink && $0.succeeded && $0.index > bind.index
          && normalized($0.arguments.unlinkedPath ?? "") == normalized(path)
      }
      guard !removed else { continue }
      let last = calls.last ?? bind
      return Finding(
        kind: .socketFileLeft, severity: .difference, role: role, step: "unlink(\"\(path)\")",
        event: last.index,
        time: nil, message: words.fileLeft(role, path), expected: "unlink(\"\(path)\")",
        actual: words.say("файл остался", "the file stays"),
        hint: words.hint(.socketFileLeft, call: "unlink", step: "unlink", errno: nil, word: nil))
    }
    return nil
  }

  /// What a receive got, as text: a buffer that cut a datagram may have cut a character in two,
  /// and the whole characters before it are still the text.
  static func receivedText(_ data: Payload) -> String? {
    if let text = data.text { return text }
    guard !data.bytes.isEmpty else { return nil }
    for drop in 1...min(3, data.bytes.count) {
      let prefix = Payload(length: UInt64(data.bytes.count - drop), bytes: Array(data.bytes.dropLast(drop)))
      if let text = prefix.text { return text + "…" }
    }
    return nil
  }
}
