public import SockScopeTrace

// What the kernel model and its explanations read of a call's arguments, in one place, from the
// typed arguments (`CallArguments`). The descriptor calls' keys (rights, creds, cmsgs, and the
// arguments of dup, getsockopt, poll, select, epoll: docs/trace-format.md) are optional: an older
// trace simply has none.

/// One descriptor a `poll` asked about, or an `epoll_wait` reported.
public struct PolledDescriptor: Sendable, Equatable {
  public var fd: Int32
  /// Events asked for (`POLLIN`...) by `poll`; those that happened for `epoll_wait`.
  public var events: String?
  /// Events that happened; nil when none did.
  public var ready: String?

  /// Whether something happened on the descriptor.
  public var isReady: Bool { ready != nil }
}

extension KernelEvent {
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

  /// Whether a receive only looked (`MSG_PEEK`): the queue keeps what it showed.
  public var peeks: Bool { arguments.messageFlags?.contains(.peek) ?? false }

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
  public var controlWasTruncated: Bool {
    arguments.message?.returnedFlags?.contains(.controlTruncated) == true
  }

  /// SCM_RIGHTS descriptors the call passed or received (an inode of 0 is none recorded).
  public var passedDescriptors: [PassedDescriptor] {
    (arguments.message?.rights ?? []).map {
      PassedDescriptor(fd: $0.fd, inode: $0.inode == 0 ? nil : $0.inode)
    }
  }

  /// SCM_CREDENTIALS the call carried.
  public var passedCredentials: Credentials? { arguments.message?.credentials }

  /// `getsockopt(SO_PEERCRED)`: the peer's credentials.
  public var peerCredentials: Credentials? { arguments.option?.credentials }

  /// Control messages other than SCM_RIGHTS and SCM_CREDENTIALS.
  public var otherControlMessages: [OtherControlMessage] { arguments.message?.otherControlMessages ?? [] }

  /// `dup2`/`dup3`: the descriptor number asked for.
  public var requestedDescriptor: Int32? { arguments.duplicate?.newDescriptor }

  /// `fcntl`: the command (`F_DUPFD`, `F_DUPFD_CLOEXEC`).
  public var fcntlCommand: FcntlCommand? { arguments.duplicate?.command }

  /// `getsockopt`/`setsockopt`: the option.
  public var option: SocketOption? { arguments.option?.option }

  /// `poll`/`select`/`epoll_wait`: the timeout in milliseconds (-1 waits for ever).
  public var timeoutMilliseconds: Int64? {
    switch arguments {
    case .poll(let a): a.timeoutMilliseconds
    case .select(let a): a.timeoutMilliseconds
    case .epollWait(let a): a.timeoutMilliseconds
    default: nil
    }
  }

  /// `poll`: every descriptor asked about, with what happened on it; `epoll_wait`: the
  /// descriptors it reported (those registered with a descriptor number).
  public var polledDescriptors: [PolledDescriptor] {
    switch arguments {
    case .poll(let a):
      return (a.descriptors ?? []).map { d in
        PolledDescriptor(
          fd: d.fd, events: d.events?.description,
          ready: d.returnedEvents.flatMap { $0.rawValue == 0 ? nil : $0.description })
      }
    case .epollWait(let a):
      return (a.ready ?? []).compactMap { r in
        guard let fd = r.fd else { return nil }
        let events = r.events?.description
        return PolledDescriptor(fd: fd, events: events, ready: events ?? "ready")
      }
    default:
      return []
    }
  }

  /// `select`: the descriptors asked about for reading and for writing, and those that were ready.
  public var selectSets: (read: [Int32], write: [Int32], readyRead: [Int32], readyWrite: [Int32]) {
    let a = arguments.select
    return (a?.read ?? [], a?.write ?? [], a?.readyRead ?? [], a?.readyWrite ?? [])
  }

  /// `epoll_ctl`: the operation and the descriptor it adds, changes or removes.
  public var epollTarget: (op: EpollOperation?, fd: Int32?) {
    (arguments.epollControl?.operation, arguments.epollControl?.target)
  }

  /// Whether the program asked this one call not to wait (`MSG_DONTWAIT`).
  public var asksNotToWait: Bool { arguments.messageFlags?.contains(.dontWait) == true }
}
