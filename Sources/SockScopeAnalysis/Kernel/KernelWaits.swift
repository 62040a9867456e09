/// What a call that took a while waited for, as far as the trace shows.
public enum WaitReason: Sendable, Equatable {
  /// A receive found its queue empty; `send` is the position of the send whose data woke it, when
  /// traced.
  case emptyReceiveQueue(send: Int?)
  /// A stream receive that returned 0: it waited until the peer closed or shut down for writing.
  case endOfStream
  /// A datagram send found the receiver's queue holding more than net.unix.max_dgram_qlen.
  case fullDatagramQueue(receiver: UInt64, queued: Int, limit: QueueLimit?)
  /// A send took a while with data sent earlier still unread (`queued`: datagrams or records, bytes
  /// on a stream, in the receiver's queue): a send waits when its send buffer (SO_SNDBUF) is full.
  case fullSendBuffer(receiver: UInt64?, queued: UInt64, stream: Bool)
  /// `accept` found no connection waiting; `connect` is the position of the one that came.
  case emptyBacklog(connect: Int?)
  /// A connection `connect` waited for room in the listening socket's backlog.
  case fullBacklog(listener: UInt64, backlog: Int64?)
  /// poll, select, epoll_wait: the descriptors asked about, those that became ready (none: the
  /// timeout ran out).
  case readiness(asked: [Int32], ready: [Int32])
  /// The trace does not show what it waited for.
  case unknown
}

/// A call that waited: how long, and for what.
public struct Wait: Sendable, Equatable {
  /// The position of the call in the model's events.
  public var position: Int
  public var duration: UInt64
  public var reason: WaitReason
}

extension KernelModel {
  /// Calls shorter than this did not wait in any sense a student would notice.
  public static let noticeableWait: UInt64 = 1_000_000

  /// What the call at `position` waited for, when it took at least `minimum` nanoseconds.
  public func wait(at position: Int, minimum: UInt64 = KernelModel.noticeableWait) -> Wait? {
    guard events.indices.contains(position) else { return nil }
    let e = events[position]
    guard e.duration >= minimum else { return nil }
    let f = facts[position]
    let reason: WaitReason
    switch e.call {
    case .recv, .recvfrom, .recvmsg, .read:
      if f.kind == .stream, e.succeeded, e.ret == 0, (e.requestedLength ?? 1) > 0 {
        // It waited for the end only if the peer closed or shut down after the call started.
        let peer = f.socket.flatMap { state(after: position).sockets[$0]?.peer }
        let ended = events[..<position].contains {
          ($0.call == .close || $0.call == .shutdown) && $0.socket?.inode == peer && peer != nil
            && $0.time > e.time
        }
        reason = ended ? .endOfStream : .unknown
      } else if let flow = e.flows.first, let send = sendPosition(ofFlow: flow),
        events[send].time > e.time
      {
        reason = .emptyReceiveQueue(send: send)
      } else {
        // Its data was queued before it started, or by a sender the trace does not show: what it
        // waited for, if anything, is not in the trace.
        reason = .unknown
      }
    case .send, .sendto, .sendmsg, .write:
      guard let receiver = f.destination else {
        reason = .unknown
        break
      }
      let stream = f.destinationKind == .stream
      let queued = queueAt(receiver, time: e.time, stream: stream)
      if f.destinationKind == .datagram, f.queueLimitApplies == true,
        let limit = datagramQueueLimit, queued > UInt64(limit.value)
      {
        reason = .fullDatagramQueue(receiver: receiver, queued: Int(queued), limit: limit)
      } else if f.destinationKind == .datagram, f.queueLimitApplies == true, datagramQueueLimit == nil,
        queued > 0
      {
        reason = .fullDatagramQueue(receiver: receiver, queued: Int(queued), limit: nil)
      } else if queued > 0 {
        reason = .fullSendBuffer(receiver: receiver, queued: queued, stream: stream)
      } else if stream, e.succeeded,
        streamSendBacklog(at: position)?.mustWait(sent: UInt64(max(0, e.ret))) == true
      {
        // Its own bytes were more than a sender can queue: it finished only as the peer read.
        reason = .fullSendBuffer(receiver: receiver, queued: 0, stream: true)
      } else {
        // Nothing was waiting unread: the trace shows no reason to wait.
        reason = .unknown
      }
    case .accept, .accept4:
      let new = e.acceptedSocket?.inode
      let connect = events.firstIndex { $0.call == .connect && $0.socket?.peer == new && new != nil }
      reason = .emptyBacklog(connect: connect.flatMap { events[$0].time > e.time ? $0 : nil })
    case .connect:
      // A connect waits when the listener's queue already holds more than its backlog
      // (unix_recvq_full); otherwise a slow connect is not explained.
      if let listener = f.listener, let backlog = backlog(of: listener, before: position),
        (state(after: position - 1).sockets[listener]?.pending.count ?? 0) > Int(backlog)
      {
        reason = .fullBacklog(listener: listener, backlog: backlog)
      } else {
        reason = .unknown
      }
    case .poll, .epollWait:
      let polled = e.polledDescriptors
      let asked = e.call == .poll ? polled.map(\.fd) : []
      reason = .readiness(asked: asked, ready: polled.filter(\.isReady).map(\.fd))
    case .select:
      let sets = e.selectSets
      reason = .readiness(
        asked: Array(Set(sets.read + sets.write)).sorted(),
        ready: Array(Set(sets.readyRead + sets.readyWrite)).sorted())
    default:
      reason = .unknown
    }
    return Wait(position: position, duration: e.duration, reason: reason)
  }

  /// The backlog the listening socket asked for, by its last `listen` before `position`.
  func backlog(of listener: UInt64, before position: Int) -> Int64? {
    events[..<position].last { $0.call == .listen && $0.succeeded && $0.socket?.inode == listener }?.backlog
  }

  /// What `receiver`'s queue held at `time` as the clock shows it: sends to it that had returned
  /// by then, less receives that had returned by then (datagrams or records; bytes on a stream).
  /// A lower bound: a send still in progress may already have queued its data.
  public func queueAt(_ receiver: UInt64, time: UInt64, stream: Bool) -> UInt64 {
    var queued: Int64 = 0
    let received = firstReceiveEnd
    for (k, e) in events.enumerated() where e.succeeded {
      // A send's data was queued no later than the receive that took it returned.
      let end = e.call.sendsData ? min(e.endTime, e.flow.flatMap { received[$0] } ?? e.endTime) : e.endTime
      guard end <= time else { continue }
      if e.call.sendsData, facts[k].destination == receiver {
        queued += stream ? max(0, e.ret) : 1
      } else if e.call.receivesData, facts[k].socket == receiver, e.ret > 0 || !e.flows.isEmpty {
        queued -= stream ? max(0, e.ret) : Int64(max(1, e.flows.count))
      }
    }
    return UInt64(max(0, queued))
  }
}
