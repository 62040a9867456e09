public import SockScopeTrace

// What the kernel model and its explanations read of a call's arguments, in one place: the typed
// arguments where the trace model has them, and, for the keys it does not type yet (rights, creds,
// cmsgs, and the arguments of dup, fork, getsockopt, poll, select, epoll: docs/trace-format.md),
// the keys as written. Those keys are optional: an older trace simply has none.

/// A descriptor passed with SCM_RIGHTS: on `sendmsg` the sender's descriptor, on `recvmsg` the new
/// descriptor in the receiver; `inode` the open file's (for a socket, its sockfs inode).
public struct PassedDescriptor: Sendable, Equatable {
  public var fd: Int32
  public var inode: UInt64?
}

/// Process credentials (SCM_CREDENTIALS, SO_PEERCRED).
public struct Credentials: Sendable, Equatable {
  public var pid: Int64
  public var uid: Int64
  public var gid: Int64
}

/// A control message other than SCM_RIGHTS and SCM_CREDENTIALS.
public struct OtherControlMessage: Sendable, Equatable {
  public var level: Int64?
  public var type: Int64?
  public var length: Int64?
}

/// One descriptor a `poll` asked about, or an `epoll_wait` reported.
public struct PolledDescriptor: Sendable, Equatable {
  public var fd: Int32
  /// Events asked for (`POLLIN`...), as recorded.
  public var events: String?
  /// Events that happened; nil or `0` when none.
  public var ready: String?

  /// Whether something happened on the descriptor.
  public var isReady: Bool {
    guard let ready else { return false }
    return !ready.isEmpty && ready != "0"
  }
}

extension KernelEvent {
  private func int32(_ value: JSONValue?) -> Int32? { value?.intValue.flatMap { Int32(exactly: $0) } }

  /// A number or a symbolic name, as text (`POLLIN`, `1`).
  private func text(_ value: JSONValue?) -> String? {
    if let s = value?.stringValue { return s }
    return value?.intValue.map(String.init)
  }

  /// `socket`/`socketpair`: the type as recorded (`SOCK_STREAM|SOCK_CLOEXEC`).
  public var socketTypeName: String? { arguments.socket?.type?.description }

  /// `socket`/`socketpair`: the family as recorded (`AF_UNIX`).
  public var domainName: String? { arguments.socket?.domain?.description }

  /// `socketpair`: the two descriptors.
  public var pairDescriptors: (Int32, Int32)? {
    guard let fds = arguments.socket?.descriptors, fds.count == 2, let a = Int32(exactly: fds[0]),
      let b = Int32(exactly: fds[1])
    else { return nil }
    return (a, b)
  }

  /// `accept`: the new socket's inode and its peer's.
  public var acceptedSocket: SocketIdentity? {
    guard let new = arguments.acceptedSocket, new.inode > 0 else { return nil }
    return SocketIdentity(inode: new.inode, peer: new.peer.flatMap { $0 > 0 ? $0 : nil })
  }

  /// `listen`: the backlog asked for.
  public var backlog: Int64? { arguments.backlog }

  /// `shutdown`: `SHUT_RD`, `SHUT_WR` or `SHUT_RDWR`.
  public var shutdownHow: String? { arguments.shutdownHow?.description }

  /// The flags the program passed (`MSG_DONTWAIT`...), as recorded.
  public var flagNames: String? { arguments.flagsText }

  /// Bytes the program offered to send, or the receive buffer's size.
  public var requestedLength: Int64? { arguments.length }

  /// The address as a socket name, when it is a UNIX one.
  public var addressName: SocketName? {
    switch arguments.address?.name {
    case .path(let path)?: return .path(path)
    case .abstract(let name)?: return .abstract(name)
    case .unnamed?: return .unnamed
    case .family(let family)?: return .foreign(family)
    case nil: return nil
    }
  }

  /// The inode of the socket file at the address's path (bind, connect, sendto), when recorded.
  public var addressFileInode: Int64? { arguments.address?.inode.map { Int64(clamping: $0) } }

  /// `bind`'s address length: 2 (the family alone) asks the kernel to choose an abstract name.
  public var addressLength: Int64? { arguments.addressLength }

  /// `unlink`: the path removed.
  public var unlinkedPath: String? { arguments.unlinkedPath }

  /// `sendmsg`/`recvmsg`: the control buffer's length.
  public var controlLength: Int64? { arguments.message?.controlLength }

  /// `recvmsg`: the flags the kernel returned (`MSG_CTRUNC`, `MSG_TRUNC`).
  public var returnedFlags: [String] {
    (arguments.message?.returnedFlags?.description ?? "").split(separator: "|").map(String.init)
  }

  /// `recvmsg`: whether the control buffer was too small, so passed descriptors were lost.
  public var controlWasTruncated: Bool { returnedFlags.contains("MSG_CTRUNC") }

  /// SCM_RIGHTS descriptors the call passed or received.
  public var passedDescriptors: [PassedDescriptor] {
    (unread["rights"]?.arrayValue ?? []).compactMap { item in
      guard let o = item.objectValue, let fd = int32(o["fd"]) else { return nil }
      return PassedDescriptor(fd: fd, inode: o["ino"]?.intValue.flatMap { $0 > 0 ? UInt64($0) : nil })
    }
  }

  private func credentials(_ v: JSONValue?) -> Credentials? {
    guard let o = v?.objectValue, let pid = o["pid"]?.intValue, let uid = o["uid"]?.intValue,
      let gid = o["gid"]?.intValue
    else { return nil }
    return Credentials(pid: pid, uid: uid, gid: gid)
  }

  /// SCM_CREDENTIALS the call carried.
  public var passedCredentials: Credentials? { credentials(unread["creds"]) }

  /// `getsockopt(SO_PEERCRED)`: the peer's credentials.
  public var peerCredentials: Credentials? { credentials(unread["cred"]) }

  /// Control messages other than SCM_RIGHTS and SCM_CREDENTIALS.
  public var otherControlMessages: [OtherControlMessage] {
    (unread["cmsgs"]?.arrayValue ?? []).compactMap { item in
      guard let o = item.objectValue else { return nil }
      return OtherControlMessage(
        level: o["level"]?.intValue, type: o["type"]?.intValue, length: o["len"]?.intValue)
    }
  }

  /// `dup2`/`dup3`: the descriptor number asked for.
  public var requestedDescriptor: Int32? { int32(unread["newfd"]) }

  /// `fcntl`: the command (`F_DUPFD`, `F_DUPFD_CLOEXEC`).
  public var fcntlCommand: String? { text(unread["cmd"]) }

  /// `getsockopt`/`setsockopt`: the option's level and name, as recorded.
  public var optionName: String? { text(unread["optname"]) }

  /// `poll`/`epoll_wait`: the timeout in milliseconds (-1 waits for ever).
  public var timeoutMilliseconds: Int64? { unread["timeout_ms"]?.intValue }

  /// `poll`: every descriptor asked about, with what happened on it.
  public var polledDescriptors: [PolledDescriptor] {
    if call == .epollWait {
      return (unread["ready"]?.arrayValue ?? []).compactMap { item in
        guard let o = item.objectValue, let fd = int32(o["fd"]) else { return nil }
        let events = text(o["events"])
        return PolledDescriptor(fd: fd, events: events, ready: events ?? "ready")
      }
    }
    guard call == .poll else { return [] }
    return (unread["fds"]?.arrayValue ?? []).compactMap { item in
      guard let o = item.objectValue, let fd = int32(o["fd"]) else { return nil }
      return PolledDescriptor(fd: fd, events: text(o["events"]), ready: text(o["revents"]))
    }
  }

  /// `select`: the descriptors asked about for reading and for writing, and those that were ready.
  public var selectSets: (read: [Int32], write: [Int32], readyRead: [Int32], readyWrite: [Int32]) {
    func list(_ key: String) -> [Int32] { (unread[key]?.arrayValue ?? []).compactMap { int32($0) } }
    return (list("read"), list("write"), list("ready_read"), list("ready_write"))
  }

  /// `epoll_ctl`: the operation and the descriptor it adds, changes or removes.
  public var epollTarget: (op: String?, fd: Int32?) { (text(unread["op"]), int32(unread["target_fd"])) }

  /// Whether the program asked this one call not to wait (`MSG_DONTWAIT`).
  public var asksNotToWait: Bool { flagNames?.contains("MSG_DONTWAIT") == true }
}
