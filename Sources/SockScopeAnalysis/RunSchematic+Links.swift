public import SockScopeTrace

extension RunSchematic {
  /// A step, by its column and its index in the column.
  public struct StepRef: Sendable, Hashable {
    public var column: Int
    public var step: Int
  }

  /// Data sent by one step and received by another (the send→recv arrow of the page).
  public struct Link: Sendable, Hashable {
    public var from: StepRef
    public var to: StepRef
  }

  /// The steps linked by the trace's flows (`Trace.flowIndex`): each pair of steps such that a
  /// call of the second received data a call of the first sent, once.
  public func links(in trace: Trace) -> [Link] {
    var where_: [Int: StepRef] = [:]
    for (c, column) in columns.enumerated() {
      for (s, step) in column.steps.enumerated() where step.call.sendsData || step.call.receivesData {
        for e in step.events { where_[e] = StepRef(column: c, step: s) }
      }
    }
    let sends = trace.flowIndex.send
    var links: [Link] = []
    var seen = Set<Link>()
    for e in trace.events where e.call.receivesData && !e.flows.isEmpty {
      guard let to = where_[e.index] else { continue }
      for flow in e.flows {
        guard let send = sends[flow], let from = where_[send.index], from.column != to.column else {
          continue
        }
        let link = Link(from: from, to: to)
        if seen.insert(link).inserted { links.append(link) }
      }
    }
    return links
  }

  /// `links` of `old`, with each step found again in this schematic by its events (after
  /// `marked` inserted missing steps).
  public func relinked(_ links: [Link], from old: RunSchematic) -> [Link] {
    func find(_ ref: StepRef) -> StepRef? {
      guard let e = old.columns[ref.column].steps[ref.step].events.first else { return nil }
      guard let s = columns[ref.column].steps.firstIndex(where: { $0.events.first == e }) else { return nil }
      return StepRef(column: ref.column, step: s)
    }
    return links.compactMap { link in
      guard let from = find(link.from), let to = find(link.to) else { return nil }
      return Link(from: from, to: to)
    }
  }
}
