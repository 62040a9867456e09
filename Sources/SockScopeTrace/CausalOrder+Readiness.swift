extension CausalOrder.Graph {
  /// Readiness → the wait that reported it: a `poll`, `select` or `epoll_wait` that said a socket
  /// was readable returned after the data that made it so was queued. The kernel wakes the waiter
  /// inside the `send`, so the wait can return before the send does: by time alone the effect
  /// would come first.
  ///
  /// Which send that was is known only through the receive that took the data: the same thread's
  /// next step on that descriptor, when it is a receive that got linked data. Its oldest byte was
  /// in the queue when the wait returned — unless someone else read the socket in between, so no
  /// edge is drawn when another thread received on it meanwhile, nor when the thread did anything
  /// but send and receive between the wait and that receive (the number could have been closed
  /// and reused), nor when another thread of the process made any other call meanwhile (it could
  /// have closed the number and put another socket there, whose data came later; a pipe's close
  /// is not even recorded). Says less rather than guess.
  static func readinessEdges(_ events: [TraceEvent], threads: [[Int]]) -> [(Int, Int)] {
    var sendAt = CausalOrder.FlowPositions(capacity: events.count)
    var receivesOn: [UInt64: [Int]] = [:]
    var anyWait = false
    for i in events.indices {
      if let f = events[i].flow { sendAt[f] = i }
      if events[i].call.receivesData, events[i].failure == nil, let ino = events[i].socket?.inode {
        receivesOn[ino, default: []].append(i)
      }
      if [.poll, .select, .epollWait].contains(events[i].call) { anyWait = true }
    }
    guard anyWait else { return [] }
    // Per process, the calls other than moving data and waiting: what could change what a
    // descriptor number names.
    var changes: [Int32: [Int]] = [:]
    for i in events.indices {
      let call = events[i].call
      if !(call.receivesData || call.sendsData || call == .output
        || [.poll, .select, .epollWait].contains(call))
      {
        changes[events[i].pid, default: []].append(i)
      }
    }
    var edges: [(Int, Int)] = []
    for thread in threads {
      for (k, w) in thread.enumerated() where events[w].failure == nil && events[w].ret > 0 {
        var readable = Set(Self.readable(events[w].arguments, call: events[w].call))
        var next = k + 1
        while !readable.isEmpty && next < thread.count {
          let r = thread[next]
          next += 1
          guard events[r].call.receivesData || events[r].call.sendsData || events[r].call == .output else {
            break
          }
          guard events[r].call.receivesData, let fd = events[r].fd, readable.remove(fd) != nil else {
            continue
          }
          guard events[r].failure == nil, let first = events[r].flows.first, let s = sendAt[first], s != w,
            let ino = events[r].socket?.inode
          else { continue }
          let others = (receivesOn[ino] ?? []).contains { o in
            o != r && (events[o].pid != events[r].pid || events[o].tid != events[r].tid)
              && events[o].endTime >= events[w].time && events[o].time <= events[r].endTime
          }
          let renumbered = (changes[events[w].pid] ?? []).contains { o in
            events[o].tid != events[w].tid && events[o].endTime >= events[w].time
              && events[o].time <= events[r].endTime
          }
          if !others && !renumbered { edges.append((s, w)) }
        }
      }
    }
    return edges
  }

  /// The descriptors a wait reported readable (POLLIN, EPOLLIN, select's read set).
  static func readable(_ a: CallArguments, call: SocketCall) -> [Int32] {
    let pollIn: Int64 = 0x001  // POLLIN and EPOLLIN alike
    switch call {
    case .poll:
      return (a.poll?.descriptors ?? []).filter { ($0.returnedEvents?.rawValue ?? 0) & pollIn != 0 }.map(\.fd)
    case .select:
      return a.select?.readyRead ?? []
    case .epollWait:
      return (a.epollWait?.ready ?? []).compactMap { ($0.events?.rawValue ?? 0) & pollIn != 0 ? $0.fd : nil }
    default:
      return []
    }
  }
}
