extension CausalOrder.Graph {
  /// Readiness → the wait that reported it: a `poll`, `select` or `epoll_wait` that said a socket
  /// was readable returned after the data that made it so was queued. The kernel wakes the waiter
  /// inside the `send`, so the wait can return before the send does: by time alone the effect
  /// would come first.
  ///
  /// Which send that was is known only through the receive that took the data: the same thread's
  /// next step on that descriptor, when it is a receive that got linked data. Its oldest byte was
  /// in the queue when the wait returned — unless someone else read the socket in between, so no
  /// edge is drawn for a socket another thread also receives on, nor when the thread did anything
  /// but send and receive between the wait and that receive (the number could have been closed
  /// and reused), nor in a process of several threads (another could have closed the number and
  /// put another socket there, whose data came later; a pipe's close is not even recorded). Says
  /// less rather than guess.
  static func readinessEdges(_ events: [TraceEvent], threads: [[Int32]]) -> [(Int, Int)] {
    // By index: `contains(where:)` hands the closure a copy of each event (all it holds retained
    // and released), a third of building the graph of a million events.
    guard
      events.indices.contains(where: {
        switch events[$0].call {
        case .poll, .select, .epollWait: true
        default: false
        }
      })
    else {
      return []
    }
    // One pass, so the check per wait is a lookup, not a scan (a poll loop would make it quadratic):
    // which thread receives on each socket and which threads each process has, -1 for several.
    // An edge is drawn only for a socket one thread reads, in a process of one thread.
    var sendAt = CausalOrder.FlowPositions(capacity: events.count)
    var readerOf: [UInt64: Int64] = [:]
    var threadOf: [Int32: Int32] = [:]
    for i in events.indices {
      if let f = events[i].flow { sendAt[f] = i }
      let thread = Int64(events[i].pid) << 32 | Int64(UInt32(bitPattern: events[i].tid))
      if events[i].call.receivesData, events[i].failure == nil, let ino = events[i].socket?.inode {
        readerOf[ino] = readerOf[ino].map { $0 == thread ? thread : -1 } ?? thread
      }
      threadOf[events[i].pid] = threadOf[events[i].pid].map { $0 == events[i].tid ? $0 : -1 } ?? events[i].tid
    }
    var edges: [(Int, Int)] = []
    for thread in threads {
      for (k, w32) in thread.enumerated()
      where events[Int(w32)].failure == nil && events[Int(w32)].ret > 0
        && threadOf[events[Int(w32)].pid] != -1
      {
        let w = Int(w32)
        var readable = Set(Self.readable(events[w].arguments, call: events[w].call))
        var next = k + 1
        while !readable.isEmpty && next < thread.count {
          let r = Int(thread[next])
          next += 1
          guard events[r].call.receivesData || events[r].call.sendsData || events[r].call == .output else {
            break
          }
          guard events[r].call.receivesData, let fd = events[r].fd, readable.remove(fd) != nil else {
            continue
          }
          guard events[r].failure == nil, let first = events[r].firstFlow, let s = sendAt[first], s != w,
            let ino = events[r].socket?.inode, readerOf[ino] != -1
          else { continue }
          edges.append((s, w))
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
