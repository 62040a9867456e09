extension CausalOrder.Graph {
  /// End of file → the receive that saw it: a stream receive that asked for bytes and got 0 was woken
  /// by its peer socket's `shutdown(SHUT_WR or SHUT_RDWR)` or by the close that released the peer
  /// socket. The kernel wakes the reader inside that call, so the receive can return before the
  /// `shutdown` or `close` does: by time alone the effect would come first.
  ///
  /// Says less rather than guess: the cause is the peer's first such `shutdown` that started before
  /// the receive returned; failing that, the last `close` in the trace of a descriptor of the peer
  /// socket, when it started before the receive returned (a socket held by a process that exits
  /// without closing it has no close in the trace, and then no edge is drawn). Nor when the
  /// reader's own socket was shut for reading (`SHUT_RD`, `SHUT_RDWR`) before the receive returned:
  /// that alone makes it return 0, perhaps before the peer's call began to act.
  static func endOfFileEdges(_ events: [TraceEvent]) -> [(Int, Int)] {
    var eofs: [Int] = []
    for i in events.indices
    // Cheapest test first: most receives returned data, and every other check reads more.
    where events[i].ret == 0 && events[i].call.receivesData && events[i].failure == nil
      && (events[i].arguments.length ?? 0) > 0 && events[i].socket?.peer != nil
    {
      eofs.append(i)
    }
    guard !eofs.isEmpty else { return [] }
    let streams = Trace.streamSockets(in: events)
    var shutdowns: [UInt64: [Int]] = [:]
    var readShutdowns: [UInt64: [Int]] = [:]
    var lastClose: [UInt64: Int] = [:]
    for i in events.indices where events[i].failure == nil {
      guard let ino = events[i].socket?.inode, streams.contains(ino) else { continue }
      if events[i].call == .shutdown, let how = events[i].arguments.shutdownHow?.rawValue {
        if how == 1 || how == 2 { shutdowns[ino, default: []].append(i) }
        if how == 0 || how == 2 { readShutdowns[ino, default: []].append(i) }
      } else if events[i].call == .close, lastClose[ino].map({ events[$0].time <= events[i].time }) ?? true {
        lastClose[ino] = i
      }
    }
    var edges: [(Int, Int)] = []
    for r in eofs {
      guard let own = events[r].socket?.inode, streams.contains(own), let peer = events[r].socket?.peer else {
        continue
      }
      let returned = events[r].endTime
      if (readShutdowns[own] ?? []).contains(where: { events[$0].time < returned }) { continue }
      let first = shutdowns[peer]?.filter { events[$0].time < returned }.min {
        events[$0].time < events[$1].time
      }
      if let cause = first ?? lastClose[peer].flatMap({ events[$0].time < returned ? $0 : nil }), cause != r {
        edges.append((cause, r))
      }
    }
    return edges
  }
}
