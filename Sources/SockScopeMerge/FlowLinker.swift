import Foundation
import SockScopeTrace

/// Links each receive to the send (or, on a stream, the sends) whose data it returned.
///
/// A send's destination is the socket bound at its address (sendto, sendmsg: found by the socket
/// file's inode, `addr.ino`, else by the path as written) or its connected peer. A datagram
/// socket's queue is first in, first out, so the datagrams one thread sends arrive in the order
/// it sent them, whatever socket it used; across threads (several threads or forked processes
/// sharing one socket, a passed descriptor) the order is unknown, because a sender can be
/// preempted between queueing its datagram and reading the clock, and blocked senders wake in any
/// order. Each receive is therefore matched to the oldest unmatched send of one of the sending
/// threads, preferring the one whose length and captured bytes agree, then the one that returned
/// first. When several threads receive on one socket, a receive may also take a later send of a
/// thread whose content agrees (another receiver may hold the earlier one). Stream data is matched
/// by byte offsets.
///
/// When the trace cannot decide (identical content from two senders whose calls overlapped in
/// time), the receive lists every send it may have got in `flowCandidates`, and a note says so.
enum FlowLinker {
  static func link(_ events: inout [TraceEvent]) -> [String] {
    completePeers(&events)
    var boundSockets: [Substring: [(time: UInt64, inode: UInt64)]] = [:]
    var boundFiles: [UInt64: [(time: UInt64, inode: UInt64)]] = [:]
    let streamSockets = Trace.streamSockets(in: events)
    // Fields are read in place (events[i].x) rather than through a copy of each event: a copy
    // retains and releases every payload, which showed in merges of a million events.
    for i in events.indices where events[i].call == .bind && events.succeeded(at: i) {
      let address = events.address(at: i)
      if let path = address?.displayPath, let ino = events[i].socket?.inode {
        boundSockets[samePlace(path), default: []].append((events[i].time, ino))
        if let file = address?.inode, file > 0 {
          boundFiles[file, default: []].append((events[i].time, ino))
        }
      }
    }

    // Positions as 32-bit numbers: a million-event merge's largest moments are here and in the
    // causal order, and every list of positions counts.
    var sendsTo: [UInt64: [Int32]] = [:]
    var receivesOn: [UInt64: [Int32]] = [:]
    var nextFlow = 1
    // The call is looked at before the failure: reading it is cheaper, and most calls are neither.
    for i in events.indices where events[i].call.sendsData || events[i].call.receivesData {
      guard events.succeeded(at: i) else { continue }
      let call = events[i].call
      if call.sendsData {
        events[i].flow = nextFlow
        nextFlow += 1
        var destination = events[i].socket?.peer
        if call != .send && call != .write {
          // The file's inode names the socket wherever the path was written from; the path
          // string is the fallback (older traces, strace imports).
          let address = events.address(at: i)
          let binds =
            address?.inode.flatMap { boundFiles[$0] }
            ?? address?.displayPath.flatMap { boundSockets[samePlace($0)] }
          let time = events[i].time
          destination = binds?.last { $0.time <= time }?.inode ?? destination
        }
        if let destination { sendsTo[destination, default: []].append(Int32(i)) }
      } else if call.receivesData, let ino = events[i].socket?.inode,
        events[i].ret > 0 || events[i].data?.datagramLength != nil
      {
        receivesOn[ino, default: []].append(Int32(i))
      }
    }

    var notes: [String] = []
    for (inode, receives) in receivesOn.sorted(by: { $0.key < $1.key }) {
      let sends = sendsTo[inode] ?? []
      var unmatched = 0
      if streamSockets.contains(inode) {
        unmatched = linkStream(&events, sends: sends, receives: receives)
      } else {
        let linked = linkDatagrams(&events, sends: sends, receives: receives)
        unmatched = linked.unmatched
        if linked.ambiguous > 0 {
          notes.append(
            "socket \(inode): \(linked.ambiguous) of \(receives.count) receives could have got any of two or more "
              + "identical datagrams sent at the same time by different threads; each lists them in flow_candidates "
              + "and is linked to the one that returned first")
        }
      }
      if unmatched > 0 && !sends.isEmpty {
        notes.append(
          "socket \(inode): \(unmatched) of \(receives.count) receives match no recorded send (was every sender traced?)"
        )
      }
    }
    return notes
  }

  /// A path as a key for the socket bound there, without a leading `./` (`./echo.socket` and
  /// `echo.socket` name one file from one directory). Other spellings need the file's inode.
  static func samePlace(_ path: String) -> Substring {
    var p = Substring(path)
    while p.hasPrefix("./") { p = p.dropFirst(2) }
    return p
  }

  /// Fills in the peer of stream sockets connected before their connection was accepted: at
  /// connect time the server's end has no inode yet, so the kernel cannot name it; the accept event
  /// names both ends.
  static func completePeers(_ events: inout [TraceEvent]) {
    var peerOf: [UInt64: UInt64] = [:]
    // In place: a copy of each event would retain and release all it holds.
    for i in events.indices where events[i].call == .accept || events[i].call == .accept4 {
      guard events.succeeded(at: i), let new = events[i].arguments.acceptedSocket, let peer = new.peer,
        new.inode > 0, peer > 0
      else {
        continue
      }
      peerOf[new.inode] = peer
      peerOf[peer] = new.inode
    }
    guard !peerOf.isEmpty else { return }
    for i in events.indices {
      guard let socket = events[i].socket, socket.peer == nil, let peer = peerOf[socket.inode] else {
        continue
      }
      if events[i].call == .socket { continue }  // Not connected yet when it was made.
      events[i].socket?.peer = peer
    }
  }

  /// Links datagram receives; returns how many were left unmatched and how many could not be
  /// told apart from another send.
  static func linkDatagrams(
    _ events: inout [TraceEvent], sends: [Int32], receives: [Int32]
  ) -> (
    unmatched: Int, ambiguous: Int
  ) {
    // One queue of unmatched sends per sending thread, in the order it made them.
    let ordered = inOrder(sends) { a, b in (events[a].time, events[a].seq) < (events[b].time, events[b].seq) }
    var queues: [[Int32]] = []
    if !ordered.isEmpty && !hasSeveralThreads(ordered, in: events) {
      queues = [ordered]  // One sending thread (the usual case): its sends as they are, not copied.
    } else {
      var queueOf: [SenderKey: Int] = [:]
      for s in ordered {
        let key = SenderKey(pid: events[Int(s)].pid, tid: events[Int(s)].tid)
        if let q = queueOf[key] {
          queues[q].append(s)
        } else {
          queueOf[key] = queues.count
          queues.append([s])
        }
      }
    }
    var taken = queues.map { [Bool](repeating: false, count: $0.count) }
    var heads = [Int](repeating: 0, count: queues.count)
    // With one receiving thread, receives take each sender's datagrams strictly in order; with
    // several, one may take a later datagram while another receiver still holds the earlier one.
    let window = hasSeveralThreads(receives, in: events) ? 16 : 1
    var contested: [Int: [Int]] = [:]
    var unmatched = 0
    var ambiguous = 0
    // Reused: an array made per receive was an allocation per receive.
    var candidates: [(queue: Int, slot: Int, matches: Bool)] = []
    for r32 in inOrder(receives, by: { a, b in events[a].endTime < events[b].endTime }) {
      let r = Int(r32)
      let receiveEnd = events[r].endTime
      candidates.removeAll(keepingCapacity: true)
      for q in queues.indices where heads[q] < queues[q].count {
        var k = heads[q]
        var looked = 0
        while k < queues[q].count && looked < window {
          if taken[q][k] {
            k += 1
            continue
          }
          let s = Int(queues[q][k])
          guard events[s].time <= receiveEnd else { break }
          let matches = sameDatagram(sent: events[s].data, received: events[r].data)
          if looked == 0 || matches { candidates.append((q, k, matches)) }
          if matches { break }
          looked += 1
          k += 1
        }
      }
      func sendAt(_ c: (queue: Int, slot: Int, matches: Bool)) -> Int { Int(queues[c.queue][c.slot]) }
      func isBetter(
        _ a: (queue: Int, slot: Int, matches: Bool), than b: (queue: Int, slot: Int, matches: Bool)
      )
        -> Bool
      {
        if a.matches != b.matches { return a.matches }
        return events[sendAt(a)].endTime < events[sendAt(b)].endTime
      }
      guard var pick = candidates.first else {
        unmatched += 1
        continue
      }
      for c in candidates.dropFirst() where isBetter(c, than: pick) { pick = c }
      let chosen = sendAt(pick)
      // Identical content from another thread whose send overlapped this one: either could have
      // been queued first, so the trace cannot tell which one this receive got.
      var rivals: [Int] = []
      if candidates.count > 1 {
        rivals = candidates.filter { c in
          let s = sendAt(c)
          return c.queue != pick.queue && c.matches && pick.matches
            && events[s].time <= events[chosen].endTime
            && events[chosen].time <= events[s].endTime
        }.map(sendAt)
      }
      if let flow = events[chosen].flow { events[r].setOnlyFlow(flow) }
      if pick.matches, let sent = events[chosen].data {
        // The same bytes, held once (the receive's own block is freed when none is left in it).
        _ = events[r].data?.shareBytes(of: sent)
      }
      if !rivals.isEmpty {
        let all = ([chosen] + rivals).sorted()
        events[r].flowCandidates = all.compactMap { events[$0].flow }
        for s in rivals { contested[s] = all }
        ambiguous += 1
      } else if !contested.isEmpty, let all = contested[chosen] {
        events[r].flowCandidates = all.compactMap { events[$0].flow }
        ambiguous += 1
      }
      taken[pick.queue][pick.slot] = true
      while heads[pick.queue] < queues[pick.queue].count && taken[pick.queue][heads[pick.queue]] {
        heads[pick.queue] += 1
      }
    }
    return (unmatched, ambiguous)
  }

  /// `positions` sorted by `before`, stably; as they are, not copied, when they are in that
  /// order already (a receiving thread's calls nearly always are).
  static func inOrder(_ positions: [Int32], by before: (Int, Int) -> Bool) -> [Int32] {
    for k in positions.indices.dropFirst() where before(Int(positions[k]), Int(positions[k - 1])) {
      return positions.sorted { before(Int($0), Int($1)) }
    }
    return positions
  }

  /// Whether the calls at `positions` were made by more than one thread.
  static func hasSeveralThreads(_ positions: [Int32], in events: [TraceEvent]) -> Bool {
    guard let first = positions.first.map(Int.init) else { return false }
    return positions.contains {
      events[Int($0)].pid != events[first].pid || events[Int($0)].tid != events[first].tid
    }
  }

  /// Who sent a datagram: its thread. A thread's sends are made one after another, so they reach
  /// one receiving socket in the order it made them, whichever socket it sent them from.
  struct SenderKey: Hashable {
    // Built from the two fields, not from an event: passing an event copies it (its payload
    // retained and released), once per send and receive.
    var pid: Int32
    var tid: Int32
  }

  static func sameDatagram(sent: Payload?, received: Payload?) -> Bool {
    guard let sent, let got = received else { return false }
    guard (got.datagramLength ?? got.length) == sent.length else { return false }
    return sent.hasSamePrefix(min(sent.capturedCount, got.capturedCount), as: got)
  }

  /// Matches stream receives to sends by byte ranges; returns receives with no sender bytes.
  static func linkStream(_ events: inout [TraceEvent], sends: [Int32], receives: [Int32]) -> Int {
    let ordered = inOrder(sends) { events[$0].endTime < events[$1].endTime }
    var sendEnds: [UInt64] = []
    var total: UInt64 = 0
    // Saturating sums: lengths come from logs and strace text, which may be damaged.
    func plus(_ a: UInt64, _ b: UInt64) -> UInt64 {
      let (sum, overflow) = a.addingReportingOverflow(b)
      return overflow ? .max : sum
    }
    for s in ordered {
      total = plus(total, events[Int(s)].data?.length ?? 0)
      sendEnds.append(total)
    }
    var offset: UInt64 = 0
    var cursor = 0
    var unmatched = 0
    for received in inOrder(receives, by: { events[$0].endTime < events[$1].endTime }) {
      let r = Int(received)
      let length = events[r].data?.length ?? 0
      let range = offset..<plus(offset, length)
      offset = plus(offset, length)
      while cursor < sendEnds.count && sendEnds[cursor] <= range.lowerBound { cursor += 1 }
      var k = cursor
      var flows: [Int] = []
      while k < ordered.count {
        let start = k == 0 ? 0 : sendEnds[k - 1]
        guard start < range.upperBound else { break }
        if let flow = events[Int(ordered[k])].flow { flows.append(flow) }
        k += 1
      }
      if flows.isEmpty { unmatched += 1 }
      events[r].flows = flows
    }
    return unmatched
  }
}
