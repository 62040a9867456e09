import SockScopeAnalysis
public import SockScopeLanguage
public import SockScopeTrace

extension Comparer {
  /// Uses a recorded run as the reference for another: its programs become roles, its folded
  /// loops become loops (whose repetition counts the other run must match), its linked sends
  /// become arrows, and the datagram that ended a receiving loop becomes the exit condition.
  public static func reference(
    from trace: Trace, language: Language = .ru
  ) -> (DocumentedSchematic, ComparisonOptions) {
    let schematic = RunSchematic(trace: trace, maximumSteps: nil)
    var roles: [DocumentedSchematic.Role] = []
    var counts: [String: [Int]] = [:]
    var exit: (role: String, word: String)?
    // Every column becomes a role; the first column of a role stands for it in the schematic, and
    // each process is held to its own column's steps (a killed client is not the reference for a
    // client that closed its socket).
    var roleOfPID: [Int32: DocumentedSchematic.Role] = [:]
    for column in schematic.columns {
      let name = kind(of: column.roles[0])
      var elements: [DocumentedSchematic.Element] = []
      for (i, step) in column.steps.enumerated() {
        let event = step.events.first.flatMap { index in trace.events.first { $0.index == index } }
        let s = DocumentedSchematic.Step(
          call: family(step.call), arguments: event?.schematicArguments ?? [], line: 0)
        if i == column.loop?.range.lowerBound {
          elements.append(.loop(DocumentedSchematic.Loop(body: [s], until: nil, line: 0)))
          if s.call == "recv",
            let last = step.events.last.flatMap({ i in trace.events.first { $0.index == i } }),
            let word = last.data?.text
          {
            exit = (name, word)
          }
        } else {
          elements.append(.step(s))
        }
      }
      let role = DocumentedSchematic.Role(name: name, titles: [], elements: elements, line: 0)
      for pid in column.pids { roleOfPID[pid] = role }
      if !roles.contains(where: { $0.name == name }) { roles.append(role) }
    }
    var processRoles: [String: [DocumentedSchematic.Role]] = [:]
    // Each process's own repetitions of its role's loop, in the order the processes appear, counted
    // as the comparison will count the other run's.
    let calls = trace.callsByPID
    for participant in trace.participants {
      let name = kind(of: participant.role)
      guard let role = roleOfPID[participant.pid] else { continue }
      processRoles[name, default: []].append(role)
      guard role.elements.contains(where: { if case .loop = $0 { true } else { false } })
      else { continue }
      let observed = tokens(calls[participant.pid] ?? [], expected: role)
      let count = observed.lazy.compactMap { token -> Int? in
        if case .loop(let n) = token.kind { n } else { nil }
      }.first
      counts[name, default: []].append(count ?? 0)
    }
    var arrows: [DocumentedSchematic.Arrow] = []
    let sends = trace.flowIndex.send
    for recv in trace.events {
      for flow in recv.flows {
        guard let send = sends[flow] else { continue }
        let arrow = DocumentedSchematic.Arrow(
          fromRole: kind(of: send.role), fromCall: family(send.call), toRole: kind(of: recv.role),
          toCall: family(recv.call), line: 0)
        if !arrows.contains(arrow) { arrows.append(arrow) }
      }
    }
    let reference = DocumentedSchematic(title: "the reference run", roles: roles, arrows: arrows, exit: exit)
    return (
      reference,
      ComparisonOptions(
        extraStepsAreDifferences: true, loopCounts: counts, processRoles: processRoles, language: language)
    )
  }
}
