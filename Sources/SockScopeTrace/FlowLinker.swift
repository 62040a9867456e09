import Foundation

/// Links each receive to the send (or, on a stream, the sends) whose data it returned.
///
/// A send's destination is the socket at its address (sendto) or its connected peer. A datagram
/// socket's queue is first in, first out, so the datagrams of one sending socket arrive in the
/// order it sent them; across senders the order is unknown, because a sender can be preempted
/// between queueing its datagram and reading the clock, and blocked senders wake in any order.
/// Each receive is therefore matched to the oldest unmatched send of one of the sending sockets,
/// preferring the one whose length and captured bytes agree, then the one that returned first.
/// Stream data is matched by byte offsets.
enum FlowLinker {
  static func link(_ events: inout [TraceEvent]) -> [String] {
    completePeers(&events)
    var boundSockets: [String: [(time: UInt64, inode: UInt64)]] = [:]
    var streamSockets = Set<UInt64>()
    // Fields are read in place (events[i].x) rather than through a copy of each event: a copy
    // retains and releases every payload, which showed in merges of a million events.
    for i in events.indices where events[i].failure == nil {
      switch events[i].call {
      case .bind:
        if let path = events[i].addressPath, let ino = events[i].socket?.inode {
          boundSockets[path, default: []].append((events[i].time, ino))
        }
      case .socket, .socketpair:
        if events[i].args["type"]?.stringValue?.hasPrefix("SOCK_STREAM") == true {
          if let ino = events[i].socket?.inode { streamSockets.insert(ino) }
          if let peer = events[i].socket?.peer { streamSockets.insert(peer) }
        }
      case .accept, .accept4:
        if let ino = events[i].args["new_sock"]?.objectValue?["ino"]?.intValue {
          streamSockets.insert(UInt64(ino))
        }
      case .connect:
        if let ino = events[i].socket?.inode, streamSockets.contains(ino), let peer = events[i].socket?.peer {
          streamSockets.insert(peer)
        }
      default: break
      }
    }

    var sendsTo: [UInt64: [Int]] = [:]
    var receivesOn: [UInt64: [Int]] = [:]
    var nextFlow = 1
    for i in events.indices where events[i].failure == nil {
      let call = events[i].call
      if call.sendsData {
        events[i].flow = nextFlow
        nextFlow += 1
        var destination = events[i].socket?.peer
        if call != .send && call != .write, let path = events[i].addressPath, let binds = boundSockets[path] {
          let time = events[i].time
          destination = binds.last { $0.time <= time }?.inode ?? destination
        }
        if let destination { sendsTo[destination, default: []].append(i) }
      } else if call.receivesData, let ino = events[i].socket?.inode,
        events[i].ret > 0 || events[i].data?.datagramLength != nil
      {
        receivesOn[ino, default: []].append(i)
      }
    }

    var notes: [String] = []
    for (inode, receives) in receivesOn.sorted(by: { $0.key < $1.key }) {
      let sends = sendsTo[inode] ?? []
      let unmatched =
        streamSockets.contains(inode)
        ? linkStream(&events, sends: sends, receives: receives)
        : linkDatagrams(&events, sends: sends, receives: receives)
      if unmatched > 0 && !sends.isEmpty {
        notes.append(
          "socket \(inode): \(unmatched) of \(receives.count) receives match no recorded send (was every sender traced?)"
        )
      }
    }
    return notes
  }

  /// Fills in the peer of stream sockets connected before their connection was accepted: at
  /// connect time the server's end has no inode yet, so the kernel cannot name it; the accept event
  /// names both ends.
  static func completePeers(_ events: inout [TraceEvent]) {
    var peerOf: [UInt64: UInt64] = [:]
    for e in events where e.succeeded && (e.call == .accept || e.call == .accept4) {
      guard let new = e.args["new_sock"]?.objectValue, let ino = new["ino"]?.intValue,
        let peer = new["peer"]?.intValue, ino > 0, peer > 0
      else { continue }
      peerOf[UInt64(ino)] = UInt64(peer)
      peerOf[UInt64(peer)] = UInt64(ino)
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

  /// Returns the number of receives left unmatched.
  static func linkDatagrams(_ events: inout [TraceEvent], sends: [Int], receives: [Int]) -> Int {
    // One queue of unmatched sends per sending socket, in the order they were made. A send whose
    // socket is unknown (an strace log without inodes) is keyed by its process and descriptor.
    var queueOf: [SenderKey: Int] = [:]
    var queues: [[Int]] = []
    for s in sends.sorted(by: { (events[$0].time, events[$0].seq) < (events[$1].time, events[$1].seq) }) {
      let key = SenderKey(events[s])
      if let q = queueOf[key] {
        queues[q].append(s)
      } else {
        queueOf[key] = queues.count
        queues.append([s])
      }
    }
    var heads = [Int](repeating: 0, count: queues.count)
    var unmatched = 0
    for r in receives.sorted(by: { events[$0].endTime < events[$1].endTime }) {
      let received = events[r].data
      let receiveEnd = events[r].endTime
      var best: (queue: Int, matches: Bool, end: UInt64)?
      for q in queues.indices where heads[q] < queues[q].count {
        let s = queues[q][heads[q]]
        guard events[s].time <= receiveEnd else { continue }
        let candidate = (
          queue: q, matches: sameDatagram(sent: events[s].data, received: received), end: events[s].endTime
        )
        if let b = best,
          (b.matches && !candidate.matches) || (b.matches == candidate.matches && b.end <= candidate.end)
        {
          continue
        }
        best = candidate
      }
      guard let pick = best else {
        unmatched += 1
        continue
      }
      if let flow = events[queues[pick.queue][heads[pick.queue]]].flow { events[r].flows = [flow] }
      heads[pick.queue] += 1
    }
    return unmatched
  }

  /// Who sent a datagram: its socket, or when that is unknown its process and descriptor.
  struct SenderKey: Hashable {
    var inode: UInt64?
    var pid: Int32
    var fd: Int32?

    init(_ send: TraceEvent) {
      if let inode = send.socket?.inode, inode != 0 {
        self.inode = inode
        pid = 0
        fd = nil
      } else {
        inode = nil
        pid = send.pid
        fd = send.fd
      }
    }
  }

  static func sameDatagram(sent: Payload?, received: Payload?) -> Bool {
    guard let sent, let got = received else { return false }
    guard (got.datagramLength ?? got.length) == sent.length else { return false }
    let n = min(sent.bytes.count, got.bytes.count)
    return sent.bytes.prefix(n) == got.bytes.prefix(n)
  }

  /// Matches stream receives to sends by byte ranges; returns receives with no sender bytes.
  static func linkStream(_ events: inout [TraceEvent], sends: [Int], receives: [Int]) -> Int {
    let ordered = sends.sorted { events[$0].endTime < events[$1].endTime }
    var sendEnds: [UInt64] = []
    var total: UInt64 = 0
    // Saturating sums: lengths come from logs and strace text, which may be damaged.
    func plus(_ a: UInt64, _ b: UInt64) -> UInt64 {
      let (sum, overflow) = a.addingReportingOverflow(b)
      return overflow ? .max : sum
    }
    for s in ordered {
      total = plus(total, events[s].data?.length ?? 0)
      sendEnds.append(total)
    }
    var offset: UInt64 = 0
    var cursor = 0
    var unmatched = 0
    for r in receives.sorted(by: { events[$0].endTime < events[$1].endTime }) {
      let length = events[r].data?.length ?? 0
      let range = offset..<plus(offset, length)
      offset = plus(offset, length)
      while cursor < sendEnds.count && sendEnds[cursor] <= range.lowerBound { cursor += 1 }
      var k = cursor
      var flows: [Int] = []
      while k < ordered.count {
        let start = k == 0 ? 0 : sendEnds[k - 1]
        guard start < range.upperBound else { break }
        if let flow = events[ordered[k]].flow { flows.append(flow) }
        k += 1
      }
      if flows.isEmpty { unmatched += 1 }
      events[r].flows = flows
    }
    return unmatched
  }
}
