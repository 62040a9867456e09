import SockScopeTrace

/// Applies events to a `KernelState` one at a time (what `KernelModel` runs and checkpoints).
struct Replayer: Sendable {
  var state = KernelState()
  /// Each traced process's parent, from the header.
  let parentOf: [Int32: Int32]
  /// Each process's parent as its header names it, traced or not.
  let ppidOf: [Int32: Int32]
  /// Descriptors a process used before any call of its own made them, with their sockets: what a
  /// child inherited (a prepass over the trace, for traces without a recorded `fork`).
  let inheritedUse: [Int32: [Int32: UInt64]]
  /// The socket whose receive took each flow's data.
  let receiverOfFlow: [Int: UInt64]
  /// Processes whose descriptor table is set up (by a `fork`, or at their first event).
  var started: Set<Int32> = []

  init(events: [KernelEvent], processes: [TracedProcess]) {
    var parentOf: [Int32: Int32] = [:]
    let traced = Set(processes.map(\.pid))
    for p in processes where traced.contains(p.ppid) && p.ppid != p.pid { parentOf[p.pid] = p.ppid }
    var ppidOf: [Int32: Int32] = [:]
    for p in processes where p.ppid > 0 && ppidOf[p.pid] == nil { ppidOf[p.pid] = p.ppid }
    var made: [Int32: Set<Int32>] = [:]
    var inherited: [Int32: [Int32: UInt64]] = [:]
    var receiverOfFlow: [Int: UInt64] = [:]
    var lastUse: [UInt64: (position: Int, pid: Int32)] = [:]
    for (k, e) in events.enumerated() {
      if let ino = e.socket?.inode, e.succeeded { lastUse[ino] = (k, e.pid) }
      if e.call == .fork, e.succeeded, let child = Int32(exactly: e.ret) { parentOf[child] = e.pid }
      if let fd = e.fd, let ino = e.socket?.inode, e.call != .socket, e.call != .socketpair,
        !(made[e.pid]?.contains(fd) ?? false), inherited[e.pid]?[fd] == nil
      {
        inherited[e.pid, default: [:]][fd] = ino
      }
      // A program's start lists what it inherited (its parent may close its own copy first).
      if e.call == .programStart {
        for d in e.execDescriptors ?? [] where !(made[e.pid]?.contains(d.fd) ?? false) {
          if let ino = d.inode, inherited[e.pid]?[d.fd] == nil { inherited[e.pid, default: [:]][d.fd] = ino }
        }
      }
      for fd in Replayer.madeDescriptors(e) { made[e.pid, default: []].insert(fd) }
      if e.call.receivesData, let ino = e.socket?.inode {
        for flow in e.flows where receiverOfFlow[flow] == nil { receiverOfFlow[flow] = ino }
      }
    }
    self.parentOf = parentOf
    self.ppidOf = ppidOf
    self.inheritedUse = inherited
    self.receiverOfFlow = receiverOfFlow
    self.lastUse = lastUse
  }

  /// Each socket's last successful use in the trace, and by which process.
  let lastUse: [UInt64: (position: Int, pid: Int32)]
  /// The position of the event being applied.
  var position = -1

  /// A process the trace shows using `inode` after the current event: a descriptor refers to it
  /// that the trace did not see made (passed with SCM_RIGHTS, or inherited).
  func laterUser(of inode: UInt64) -> Int32? {
    guard let use = lastUse[inode], use.position > position else { return nil }
    return use.pid
  }

  /// The descriptor numbers a call gives its process.
  static func madeDescriptors(_ e: KernelEvent) -> [Int32] {
    guard e.succeeded else { return [] }
    switch e.call {
    case .socket, .accept, .accept4, .dup, .dup2, .dup3, .fcntl:
      return Int32(exactly: e.ret).map { [$0] } ?? []
    case .socketpair:
      return e.pairDescriptors.map { [$0.0, $0.1] } ?? []
    case .recvmsg:
      return e.passedDescriptors.map(\.fd)
    default:
      return []
    }
  }

  mutating func apply(_ e: KernelEvent) -> StepFacts {
    position += 1
    // A program whose start is its process's first event holds what its start lists, no more.
    let continued = started.contains(e.pid)
    if e.call == .programStart { started.insert(e.pid) }
    start(e.pid)
    var facts = StepFacts()
    var inode = e.socket?.inode ?? e.fd.flatMap { state.descriptors[e.pid]?[$0] }
    if e.succeeded, let ino = e.socket?.inode, let fd = e.fd, e.call != .socket, e.call != .socketpair,
      e.call != .close, state.descriptors[e.pid]?[fd] != ino
    {
      // A descriptor the trace shows in use without the call that made it (inherited, or made by
      // a call not recorded).
      setDescriptor(e.pid, fd, ino, parentOf[e.pid] != nil ? .inherited : .seen)
    }
    if e.succeeded {
      switch e.call {
      case .socket:
        if let ino = e.socket?.inode {
          let fd = Int32(exactly: e.ret) ?? e.fd ?? -1
          setDescriptor(e.pid, fd, ino)
          update(ino) { s in
            s.kind = SocketKind(typeName: e.socketTypeName)
            if let d = e.domainName, d != "AF_UNIX" { s.foreignFamily = d }
          }
        }
      case .socketpair:
        if let ino = e.socket?.inode {
          let peer = e.socket?.peer
          let kind = SocketKind(typeName: e.socketTypeName)
          let fds = e.pairDescriptors
          setDescriptor(e.pid, fds?.0 ?? e.fd ?? -1, ino)
          update(ino) { s in
            s.kind = kind
            s.peer = peer
            s.isPairEnd = true
          }
          if let peer {
            if let second = fds?.1 { setDescriptor(e.pid, second, peer) }
            update(peer) { s in
              s.kind = kind
              s.peer = ino
              s.isPairEnd = true
            }
          }
        }
      case .bind:
        if let ino = inode {
          let name = e.addressName
          update(ino) { s in
            switch name {
            case .path(let p)?: s.name = .path(p)
            // Autobind, with the name the kernel chose (the interposer records it).
            case .abstract(let n)? where e.addressLength == 2: s.name = .autobound(n)
            case .abstract(let n)?: s.name = .abstract(n)
            // bind with the family alone (or an empty name): the kernel chose an abstract name.
            case .unnamed?, nil: s.name = .autobound("")
            case .autobound?, .foreign?: break
            }
          }
          if case .path(let p)? = name {
            state.files[Self.normalized(p)] = SocketFileEntry(
              path: p, socket: ino, fileInode: e.addressFileInode)
          }
        }
      case .listen:
        if let ino = inode { update(ino) { $0.backlog = e.backlog ?? 0 } }
      case .connect:
        if let ino = inode {
          let target = boundSocket(e)
          let peer = e.socket?.peer
          let kind = state.sockets[ino]?.kind
          if kind?.isConnectionOriented == true, let target {
            facts.listener = target
            if let peer {
              update(target) { $0.pending.append(peer) }
              update(peer) { s in
                s.kind = kind
                s.peer = ino
              }
            }
          }
          update(ino) { $0.peer = peer ?? target }
        }
      case .accept, .accept4:
        if let listener = inode, let new = e.acceptedSocket, let fd = Int32(exactly: e.ret) {
          facts.listener = listener
          let kind = state.sockets[listener]?.kind
          setDescriptor(e.pid, fd, new.inode)
          update(new.inode) { s in
            s.kind = s.kind ?? kind
            if let p = new.peer { s.peer = p }
          }
          if let p = new.peer { update(p) { $0.peer = new.inode } }
          update(listener) { s in
            if let i = s.pending.firstIndex(of: new.inode) {
              s.pending.remove(at: i)
            } else if !s.pending.isEmpty {
              s.pending.removeFirst()
            }
          }
        }
      case .send, .sendto, .sendmsg, .write:
        let target =
          e.flow.flatMap { receiverOfFlow[$0] } ?? (e.arguments.address != nil ? boundSocket(e) : nil)
          ?? inode.flatMap { state.sockets[$0]?.peer }
        if let target {
          let receiver = socket(target)
          facts.destination = target
          facts.destinationKind = receiver.kind ?? inode.flatMap { state.sockets[$0]?.kind }
          facts.queuedBefore = receiver.queuedItems
          if facts.destinationKind == .datagram {
            facts.queueLimitApplies = receiver.peer == nil || receiver.peer != inode
          }
          update(target) { $0.queue.append(QueuedData(flow: e.flow, bytes: UInt64(max(0, e.ret)))) }
        }
        // Set once per flow: a replay from a checkpoint finds the whole run's table there (see
        // `unnamedSenderOfFlow`) and must not copy it to add what it already holds.
        if let ino = inode, let flow = e.flow, unnamedSenderOfFlow[flow] == nil,
          state.sockets[ino]?.name.shown == nil
        {
          unnamedSenderOfFlow[flow] = UnnamedSender(socket: ino, position: position)
        }
        for right in e.passedDescriptors {
          let ino = right.inode ?? state.descriptors[e.pid]?[right.fd]
          facts.passed.append(PassedDescriptor(fd: right.fd, inode: ino))
          if let ino { state.inFlight[ino, default: 0] += 1 }
        }
      case .recv, .recvfrom, .recvmsg, .read:
        // MSG_PEEK reads without taking: the queue keeps what it showed.
        if let ino = inode, !e.peeks {
          var s = socket(ino)
          if s.kind == .stream {
            var left = UInt64(max(0, e.ret))
            var pieces = 0
            while left > 0, !s.queue.isEmpty {
              pieces += 1
              if s.queue[0].bytes > left {
                s.queue[0].bytes -= left
                left = 0
                facts.streamPieces = (pieces, true)
                break
              }
              left -= s.queue[0].bytes
              s.queue.removeFirst()
            }
            if facts.streamPieces == nil, pieces > 0 { facts.streamPieces = (pieces, false) }
          } else {
            let flows = Set(e.flows)
            if let i = s.queue.firstIndex(where: { $0.flow.map(flows.contains) ?? false }) {
              s.queue.remove(at: i)
            } else if e.flows.isEmpty, e.ret > 0 || e.data != nil,
              let i = s.queue.firstIndex(where: { $0.flow == nil })
            {
              s.queue.remove(at: i)
            }
          }
          state.sockets[ino] = s
          // The sender's autobound name, as the receiver's recvfrom shows it.
          if case .abstract(let name)? = e.addressName {
            for flow in e.flows {
              // A sender the trace shows with no name has one the kernel chose: autobind (a bind
              // with the family alone, or SO_PASSCRED).
              if let sender = unnamedSenderOfFlow[flow], sender.position < position,
                state.sockets[sender.socket]?.name.shown == nil
              {
                state.sockets[sender.socket]?.name = .autobound(name)
              }
            }
          }
        }
        for right in e.passedDescriptors {
          guard let ino = right.inode else { continue }
          facts.passed.append(right)
          if let n = state.inFlight[ino] { state.inFlight[ino] = n > 1 ? n - 1 : nil }
          setDescriptor(e.pid, right.fd, ino, .passed)
        }
      case .shutdown:
        if let ino = inode {
          let how = e.shutdownHow ?? ""
          update(ino) { s in
            if how.contains("RD") { s.shutRead = true }
            if how.contains("WR") { s.shutWrite = true }
          }
        }
      case .close:
        if let fd = e.fd, let ino = state.descriptors[e.pid]?[fd] ?? e.socket?.inode {
          inode = ino
          state.descriptors[e.pid]?[fd] = nil
          facts.otherHolders = (state.holders(of: ino) + unstartedHolders(of: ino, parent: e.pid)).sorted()
          facts.referencesAfter = facts.otherHolders.count + (state.inFlight[ino] ?? 0)
          if let left = releaseIfUnreferenced(ino, by: e.pid) {
            facts.released = true
            facts.discarded = left
          } else if facts.referencesAfter == 0 {
            facts.laterUser = laterUser(of: ino)
          }
        }
      case .unlink:
        if let path = e.unlinkedPath { state.files[Self.normalized(path)] = nil }
      case .dup, .dup2, .dup3, .fcntl:
        if let fd = e.fd, let ino = state.descriptors[e.pid]?[fd], let new = Int32(exactly: e.ret), new != fd
        {
          inode = ino
          if let old = state.descriptors[e.pid]?[new], old != ino {
            facts.otherHolders = state.holders(of: old).filter { $0 != DescriptorRef(pid: e.pid, fd: new) }
          }
          setDescriptor(e.pid, new, ino, .duplicated)
          facts.referencesAfter = state.references(to: ino)
        }
      case .fork:
        if let child = Int32(exactly: e.ret), child > 0 {
          started.insert(child)
          let table = state.descriptors[e.pid] ?? [:]
          state.descriptors[child] = table
          for (fd, ino) in table {
            let held = HeldDescriptor(pid: child, fd: fd, socket: ino)
            if everHeld[held] == nil {
              everHeld[held] = .inherited
              firstHeld[held] = position
            }
          }
          facts.inheritedDescriptors = table.count
        }
      case .getsockname:
        if let ino = inode, case .abstract(let n)? = e.addressName, state.sockets[ino]?.name == .autobound("")
        {
          update(ino) { $0.name = .autobound(n) }
        }
      case .execve:
        facts.exec = applyExec(e)
      case .programStart:
        facts.programStart = applyProgramStart(e, continued: continued)
      case .getpeername, .setsockopt, .getsockopt, .output, .poll, .select, .epollCtl, .epollWait:
        break
      }
    }
    if let ino = inode, let s = state.sockets[ino] {
      facts.socket = ino
      facts.kind = s.kind
      facts.name = s.name
      facts.isPairEnd = s.isPairEnd
      if facts.referencesAfter == nil, e.call.duplicates || e.call == .fork || !e.passedDescriptors.isEmpty {
        facts.referencesAfter = state.references(to: ino)
      }
    }
    return facts
  }

  /// Every descriptor any process held, and how it got it.
  var everHeld: [HeldDescriptor: DescriptorOrigin] = [:]
  /// The position of the event at which each of them was first held.
  var firstHeld: [HeldDescriptor: Int] = [:]

  /// Sends from sockets whose name the trace had not shown when they sent: flow id → the socket
  /// and the send's position. Only added to, one entry per flow, so checkpoints share the whole
  /// run's table (`withSenders`) and a replay reads only the entries of sends before its position:
  /// each checkpoint holding its own growing copy made `KernelModel.state(after:)` copy it at every
  /// call, quadratic in the sends of an unnamed client.
  var unnamedSenderOfFlow: [Int: UnnamedSender] = [:]

  /// A send from a socket with no name shown yet.
  struct UnnamedSender: Sendable {
    var socket: UInt64
    var position: Int
  }

  /// This replayer as a checkpoint, with the run's table of unnamed senders in place of its own.
  func withSenders(_ table: [Int: UnnamedSender]) -> Replayer {
    var copy = self
    copy.unnamedSenderOfFlow = table
    return copy
  }
}
