import SockScopeTrace

// The replayer's descriptor tables and sockets: who holds what, and when a socket is freed.
extension Replayer {
  /// A process's table on its first event: its parent's, as far as the trace shows it (without a
  /// recorded fork, the descriptors the child is seen using are added: it inherited them).
  mutating func start(_ pid: Int32) {
    guard !started.contains(pid) else { return }
    started.insert(pid)
    guard let parent = parentOf[pid] else { return }
    var table = state.descriptors[parent] ?? [:]
    for (fd, ino) in inheritedUse[pid] ?? [:] { table[fd] = ino }
    for (fd, ino) in table {
      let held = HeldDescriptor(pid: pid, fd: fd, socket: ino)
      if everHeld[held] == nil {
        everHeld[held] = .inherited
        firstHeld[held] = position
      }
    }
    if !table.isEmpty { state.descriptors[pid] = table }
  }

  /// Children the trace shows using `inode` as an inherited descriptor, not started yet: they got
  /// the descriptor at fork, so it refers to the socket though no event of theirs is shown yet.
  func unstartedHolders(of inode: UInt64, parent: Int32) -> [DescriptorRef] {
    var refs: [DescriptorRef] = []
    for (child, p) in parentOf where p == parent && !started.contains(child) {
      for (fd, ino) in inheritedUse[child] ?? [:] where ino == inode {
        refs.append(DescriptorRef(pid: child, fd: fd))
      }
    }
    return refs.sorted()
  }

  mutating func socket(_ inode: UInt64) -> KernelSocket {
    if let s = state.sockets[inode] { return s }
    let s = KernelSocket(inode: inode)
    state.sockets[inode] = s
    return s
  }

  mutating func update(_ inode: UInt64, _ change: (inout KernelSocket) -> Void) {
    var s = socket(inode)
    change(&s)
    state.sockets[inode] = s
  }

  /// Records that `pid`'s descriptor `fd` refers to `inode`, replacing what it referred to.
  mutating func setDescriptor(_ pid: Int32, _ fd: Int32, _ inode: UInt64, _ origin: DescriptorOrigin = .made)
  {
    let old = state.descriptors[pid]?[fd]
    let held = HeldDescriptor(pid: pid, fd: fd, socket: inode)
    if everHeld[held] == nil {
      everHeld[held] = origin
      firstHeld[held] = position
    }
    state.descriptors[pid, default: [:]][fd] = inode
    _ = socket(inode)
    state.sockets[inode]?.released = false
    if let old, old != inode { releaseIfUnreferenced(old, by: pid) }
  }

  /// Destroys the socket when nothing refers to it any more; returns what its queue held.
  @discardableResult
  mutating func releaseIfUnreferenced(_ inode: UInt64, by pid: Int32) -> (items: Int, bytes: UInt64)? {
    guard state.references(to: inode) == 0, unstartedHolders(of: inode, parent: pid).isEmpty,
      laterUser(of: inode) == nil, var s = state.sockets[inode], !s.released
    else { return nil }
    let left = (s.queuedItems, s.queuedBytes)
    s.released = true
    s.queue = []
    s.pending = []
    // An abstract name goes with its socket; a socket file stays on disk (nothing unlinks it).
    if s.name.isAbstract { s.name = .unnamed }
    state.sockets[inode] = s
    return left
  }

  /// The socket bound to the file a call addressed (by the file's inode, else by the path).
  func boundSocket(_ e: KernelEvent) -> UInt64? {
    if let file = e.addressFileInode,
      let entry = state.files.values.first(where: { $0.fileInode == file })
    {
      return entry.socket
    }
    guard let name = e.addressName else { return nil }
    switch name {
    case .path(let p):
      return state.files[Self.normalized(p)]?.socket
    case .abstract(let n):
      return state.sockets.values.first { !$0.released && $0.name.isAbstract && $0.name.shown == "@" + n }?
        .inode
    default:
      return nil
    }
  }

  static func normalized(_ path: String) -> String {
    var p = Substring(path)
    while p.hasPrefix("./") { p = p.dropFirst(2) }
    return String(p)
  }
}
