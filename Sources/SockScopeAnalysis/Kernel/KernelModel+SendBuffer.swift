import Foundation

/// A stream socket's send buffer size (SO_SNDBUF), and where the value comes from.
public struct SendBufferSize: Sendable, Equatable {
  public enum Source: Sendable, Equatable {
    /// `getsockopt(SO_SNDBUF)` on the socket returned it (recorded).
    case recorded
    /// `setsockopt(SO_SNDBUF, v)` was recorded: Linux keeps twice what was asked (measured here:
    /// 10000 gave 20000).
    case doubledFromSetsockopt(asked: Int64)
    /// Not in the trace: this machine's default now (`net.core.wmem_default`), what a socket gets
    /// when nothing sets it.
    case thisMachineDefault
  }
  public var value: Int64
  public var source: Source

  public init(value: Int64, source: Source) {
    self.value = value
    self.source = source
  }
}

/// Data a stream send found unread when it started, and the send buffer that limits it.
///
/// On a stream, every send is queued to the peer as buffers whose memory (the bytes and per-buffer
/// bookkeeping) is charged to the SENDER until the peer reads them (af_unix.c unix_stream_sendmsg,
/// sock_alloc_send_pskb): the sender waits while that charge is at least its SO_SNDBUF. The peer's
/// receive buffer plays no part (measured). Each buffer holds at most SO_SNDBUF/2 − 64 bytes, and
/// one is allocated while the charge is still under the limit, so a sender queues at most about
/// 1.5 × SO_SNDBUF bytes before it must wait (measured here: 236544 B of 212992).
public struct StreamSendBacklog: Sendable, Equatable {
  /// Bytes sent to the receiver earlier and not yet read when the send started (a lower bound:
  /// sends whose return the clock shows before it, less reads returned before it).
  public var unreadBytes: UInt64
  /// How many earlier sends those bytes belong to (wholly or partly unread).
  public var unreadSends: Int
  /// The sender's send buffer, when known.
  public var sendBuffer: SendBufferSize?

  /// Whether the send could not finish before the peer read: what was unread plus what it sent
  /// is more than a sender can queue with that send buffer.
  public func mustWait(sent: UInt64) -> Bool {
    guard let b = sendBuffer, b.value > 0 else { return false }
    return unreadBytes &+ sent >= UInt64(b.value) + UInt64(b.value) / 2
  }
}

extension KernelModel {
  /// This machine's default send buffer for a new socket (`net.core.wmem_default`), read once.
  public static let defaultSendBufferOfThisMachine: Int64? = {
    guard let text = try? String(contentsOfFile: "/proc/sys/net/core/wmem_default", encoding: .utf8) else {
      return nil
    }
    return Int64(text.trimmingCharacters(in: .whitespacesAndNewlines))
  }()

  /// The least send buffer Linux keeps (SOCK_MIN_SNDBUF): `setsockopt(SO_SNDBUF, v)` with v up to
  /// 2304 gives 4608 (measured on Linux 6.18, x86-64).
  public static let minimumSendBuffer: Int64 = 4608

  /// The largest value whose double Linux keeps everywhere: above `net.core.wmem_max` (212992 by
  /// default; a machine may raise it) the value is cut to it first, and that limit of the machine
  /// that recorded is not in the trace.
  public static let defaultMaximumSendBufferAsked: Int64 = 212_992

  /// What Linux keeps for `setsockopt(SO_SNDBUF, asked)`: twice the value, at least
  /// `minimumSendBuffer` (sock_setsockopt; measured: 1000 gives 4608, 2500 gives 5000, 10000 gives
  /// 20000). A value above the recording machine's `net.core.wmem_max` is cut to it first.
  public static func sendBufferKept(asked: Int64) -> Int64 {
    max(2 * max(0, asked), minimumSendBuffer)
  }

  /// The send buffer of `socket` as of `position`: a recorded getsockopt, a recorded setsockopt,
  /// else this machine's default.
  public func sendBuffer(of socket: UInt64, before position: Int) -> SendBufferSize? {
    for e in events[..<min(position, events.count)].reversed() where e.succeeded && e.socket?.inode == socket
    {
      if e.call == .getsockopt, e.arguments.option?.option?.description == "SO_SNDBUF",
        let v = e.arguments.option?.value
      {
        return SendBufferSize(value: v, source: .recorded)
      }
      if e.call == .setsockopt, e.arguments.option?.option?.description == "SO_SNDBUF",
        let v = e.arguments.option?.value
      {
        return SendBufferSize(value: Self.sendBufferKept(asked: v), source: .doubledFromSetsockopt(asked: v))
      }
    }
    return Self.defaultSendBufferOfThisMachine.map { SendBufferSize(value: $0, source: .thisMachineDefault) }
  }

  /// For a stream send at `position`: what its receiver had not read of earlier sends when it
  /// started, in bytes and sends, and the sender's send buffer. Nil for any other call.
  public func streamSendBacklog(at position: Int) -> StreamSendBacklog? {
    guard events.indices.contains(position), events[position].call.sendsData,
      let receiver = facts[position].destination, facts[position].destinationKind == .stream
    else { return nil }
    let e = events[position]
    let received = firstReceiveEnd
    var sent: [UInt64] = []
    var read: UInt64 = 0
    for (k, x) in events.enumerated() where k != position && x.succeeded {
      let end = x.call.sendsData ? min(x.endTime, x.flow.flatMap { received[$0] } ?? x.endTime) : x.endTime
      guard end <= e.time else { continue }
      if x.call.sendsData, facts[k].destination == receiver, x.ret > 0 {
        sent.append(UInt64(x.ret))
      } else if x.call.receivesData, facts[k].socket == receiver, x.ret > 0 {
        read += UInt64(x.ret)
      }
    }
    let total = sent.reduce(0, +)
    // The sends whose last byte lies beyond what was read are (wholly or partly) unread.
    var offset: UInt64 = 0
    var unreadSends = 0
    for n in sent {
      offset += n
      if offset > read { unreadSends += 1 }
    }
    let sender = e.socket?.inode
    return StreamSendBacklog(
      unreadBytes: total > read ? total - read : 0, unreadSends: unreadSends,
      sendBuffer: sender.flatMap { sendBuffer(of: $0, before: position) })
  }
}
