public import SockScopeTrace

/// One descriptor passed with SCM_RIGHTS in one message, as the trace recorded its two ends: the
/// sender's number for it, the new number the kernel gave it in the receiver, and the file both
/// numbers refer to. The sender keeps its descriptor until it closes it; the receiver's number is
/// its own (the lowest free one there), not the sender's.
public struct DescriptorPassing: Sendable, Equatable {
  /// The sender's descriptor, as its `sendmsg` recorded it.
  public var senderFD: Int32
  /// The new descriptor in the receiver, as its `recvmsg` recorded it; nil when it recorded none
  /// for this one.
  public var receiverFD: Int32?
  /// The inode of the open file both numbers refer to (for a socket, its sockfs inode), when the
  /// trace recorded it.
  public var inode: UInt64?
  /// Whether some event of the trace acted on a socket with `inode`, so the file is known to be a
  /// socket (SCM_RIGHTS passes any open file).
  public var isSocket: Bool
  /// The receive came back with MSG_CTRUNC and recorded no number for this descriptor: its
  /// control buffer had no room, and the kernel closed the descriptor instead of installing it.
  public var dropped: Bool

  public init(senderFD: Int32, receiverFD: Int32?, inode: UInt64?, isSocket: Bool, dropped: Bool) {
    self.senderFD = senderFD
    self.receiverFD = receiverFD
    self.inode = inode
    self.isSocket = isSocket
    self.dropped = dropped
  }
}

/// Pairs the descriptors a `sendmsg` passed with the new ones its `recvmsg` got, for the views that
/// draw a message: the sequence chart, the topology, the exports.
public struct DescriptorPassings: Sendable {
  /// Every socket inode the trace shows (an event's socket, its peer, an accepted socket).
  let socketInodes: Set<UInt64>

  public init(trace: Trace) {
    var inodes = Set<UInt64>()
    for e in trace.events {
      if let s = e.socket {
        inodes.insert(s.inode)
        if let peer = s.peer { inodes.insert(peer) }
      }
    }
    socketInodes = inodes
  }

  /// What the message from `send` to `receive` (linked by a flow) passed: one entry per descriptor
  /// the send passed, in the order it passed them. Empty when it passed none.
  ///
  /// A sent descriptor is paired with the received one that refers to the same inode; when the
  /// trace lacks an inode, by position, and only when the receive got this one send's data (a
  /// stream read that took pieces of several sends cannot be paired by position).
  public func passed(from send: TraceEvent, to receive: TraceEvent) -> [DescriptorPassing] {
    guard send.arguments.message?.rights != nil, let sent = KernelEvent(send)?.passedDescriptors,
      !sent.isEmpty, let received = KernelEvent(receive)
    else { return [] }
    let got = received.passedDescriptors
    var unused = Array(got.indices)
    var pairs: [Int?] = sent.map { s in
      guard let ino = s.inode, let k = unused.firstIndex(where: { got[$0].inode == ino }) else { return nil }
      return unused.remove(at: k)
    }
    if receive.flows.count == 1 {
      for (n, s) in sent.enumerated() where pairs[n] == nil {
        guard let k = unused.first, s.inode == nil || got[k].inode == nil else { break }
        pairs[n] = k
        unused.removeFirst()
      }
    }
    return zip(sent, pairs).map { s, k in
      let r = k.map { got[$0] }
      let inode = s.inode ?? r?.inode
      return DescriptorPassing(
        senderFD: s.fd, receiverFD: r?.fd, inode: inode,
        isSocket: inode.map(socketInodes.contains) ?? false,
        dropped: r == nil && received.controlWasTruncated)
    }
  }
}
