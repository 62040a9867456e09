/// How full one socket's receive queue was over the run: a step function of time.
public struct QueueSeries: Sendable, Equatable {
  public var socket: UInt64
  public var kind: SocketKind?
  public var name: SocketName?
  /// Whether depth counts bytes (a stream) rather than datagrams or records.
  public var countsBytes: Bool
  /// The queue limit that applied to it (datagram sockets whose senders are not connected back).
  public var limit: QueueLimit?
  /// (nanoseconds since the run's start, depth after that change), in time order, from 0; several
  /// changes may share a moment.
  public var points: [(time: UInt64, depth: UInt64)]
  /// The deepest the queue got.
  public var maximum: UInt64 { points.map(\.depth).max() ?? 0 }

  public static func == (a: QueueSeries, b: QueueSeries) -> Bool {
    a.socket == b.socket && a.points.map(\.time) == b.points.map(\.time)
      && a.points.map(\.depth) == b.points.map(\.depth)
  }
}

extension KernelModel {
  /// When the first receive that took each flow's data returned.
  var firstReceiveEnd: [Int: UInt64] {
    var ends: [Int: UInt64] = [:]
    for e in events where e.call.receivesData {
      for flow in e.flows where ends[flow] == nil { ends[flow] = e.endTime }
    }
    return ends
  }

  /// The depth of every socket's receive queue that ever held data, over time: a send counts from
  /// the moment it returned (or its receive returned, if earlier), a receive takes its data away
  /// once it had started and the data was there, the last close drops what was left. Times are relative to `start`. Where the clocks leave a choice, a change is
  /// placed so that the depth is never more than the kernel held.
  public func queueTimeline(start: UInt64) -> [QueueSeries] {
    var changes: [UInt64: [(time: UInt64, order: Int, delta: Int64)]] = [:]
    var limited = Set<UInt64>()
    let received = firstReceiveEnd
    // When each flow's data entered its queue: during the send, and no later than a receive took it.
    var queuedAt: [Int: UInt64] = [:]
    for e in events where e.succeeded && e.call.sendsData {
      if let flow = e.flow { queuedAt[flow] = min(e.endTime, received[flow] ?? e.endTime) }
    }
    for (k, e) in events.enumerated() where e.succeeded {
      let f = facts[k]
      if e.call.sendsData, let to = f.destination {
        let bytes = f.destinationKind == .stream
        // Queued during the send, and no later than a receive took it.
        let queued = min(e.endTime, e.flow.flatMap { received[$0] } ?? e.endTime)
        changes[to, default: []].append((queued, k, bytes ? max(0, e.ret) : 1))
        if f.queueLimitApplies == true { limited.insert(to) }
      } else if e.call.receivesData, let on = f.socket, changes[on] != nil {
        let bytes = f.kind == .stream
        let taken: Int64 =
          bytes ? max(0, e.ret) : (e.flows.isEmpty ? (e.ret > 0 ? 1 : 0) : Int64(e.flows.count))
        // Taken as soon as both the receive had started and the data was there: the earliest moment
        // the clocks allow, so a sender woken by this receive never shows in the queue beside
        // what it took (the receive's own return is stamped after the sender may have returned).
        let takenAt =
          e.flows.isEmpty ? e.endTime : max(e.time, e.flows.compactMap { queuedAt[$0] }.max() ?? e.time)
        if taken > 0 { changes[on, default: []].append((min(takenAt, e.endTime), k, -taken)) }
      } else if e.call == .close, f.released, let on = f.socket, changes[on] != nil {
        changes[on, default: []].append((e.endTime, k, Int64.min))
      }
    }
    let final = state(after: events.count - 1)
    var series: [QueueSeries] = []
    for (socket, list) in changes.sorted(by: { $0.key < $1.key }) {
      var depth: Int64 = 0
      var points: [(time: UInt64, depth: UInt64)] = [(0, 0)]
      for c in list.sorted(by: { ($0.time, $0.order) < ($1.time, $1.order) }) {
        depth = c.delta == Int64.min ? 0 : max(0, depth + c.delta)
        let t = c.time >= start ? c.time - start : 0
        // Changes at one moment are all kept: a datagram queued and taken at once was in the queue.
        points.append((t, UInt64(depth)))
      }
      let kind = kinds[socket]
      let s = final.sockets[socket]
      series.append(
        QueueSeries(
          socket: socket, kind: kind, name: s?.name, countsBytes: kind == .stream,
          limit: kind == .datagram && limited.contains(socket) ? datagramQueueLimit : nil, points: points))
    }
    return series
  }
}
