import SockScopeTrace

/// What a program's start showed of its socket descriptors (`program_start`: the interposer lists
/// every AF_UNIX socket descriptor a program holds when it begins, however it was started).
public struct StartFacts: Sendable, Equatable {
  /// Whether the process was already in the model: its earlier program's calls (and its exec)
  /// were recorded, so the start only confirms what the exec kept.
  public var continued: Bool
  /// The process's parent as its log's header names it (in the trace or not).
  public var parent: Int32?
  /// Whether that parent is in the trace.
  public var parentTraced: Bool
  /// Descriptors the model already had for this process, with the same socket: confirmed.
  public var confirmed: [ExecDescriptor] = []
  /// Descriptors the model did not have: each a new reference to its socket.
  public var received: [StartedDescriptor] = []
  /// Descriptors the model had for this process that the program did not hold when it started
  /// (closed by calls the trace did not record, or counted by an inference that was wrong).
  public var missing: [ClosedOnExec] = []

  public init(continued: Bool, parent: Int32?, parentTraced: Bool) {
    self.continued = continued
    self.parent = parent
    self.parentTraced = parentTraced
  }
}

/// A socket descriptor a program started with that the trace had not shown the process holding.
public struct StartedDescriptor: Sendable, Equatable {
  public var fd: Int32
  public var inode: UInt64
  public var closeOnExec: Bool
  /// The descriptors of other processes that referred to the same socket at that moment.
  public var sameAs: [DescriptorRef]
  /// The descriptors the traced parent held the socket under, now or earlier in the trace.
  public var parentHeld: [Int32]
  /// References to the socket after this one was added (descriptors everywhere, and in flight).
  public var referencesAfter: Int
}

extension Replayer {
  /// The descriptors a program started with (`program_start`). A process the model has not seen
  /// before (a vfork child, `posix_spawn`, Python's `subprocess`; a program whose earlier image
  /// made no recorded call) gets exactly the listed descriptors, each a new reference to the socket
  /// with that inode, as `fork` gives. A process already seen (its exec was recorded) keeps what it
  /// had: the list confirms it, and adds what the trace had missed.
  mutating func applyProgramStart(_ e: KernelEvent, continued: Bool) -> StartFacts? {
    guard let listed = e.execDescriptors else { return nil }
    let parent = ppidOf[e.pid]
    var facts = StartFacts(
      continued: continued, parent: parent, parentTraced: parent.map { parentOf[e.pid] == $0 } ?? false)
    let listedFDs = Set(listed.map(\.fd))
    // A list cut short (more descriptors than a record holds) says nothing of the others.
    if e.unread["items_lost"] == nil {
      for (fd, ino) in (state.descriptors[e.pid] ?? [:]).sorted(by: { $0.key < $1.key })
      where !listedFDs.contains(fd) {
        state.descriptors[e.pid]?[fd] = nil
        var gone = ClosedOnExec(fd: fd, inode: ino, referencesAfter: 0, otherHolders: [], released: false)
        gone.otherHolders = state.holders(of: ino)
        gone.referencesAfter = gone.otherHolders.count + (state.inFlight[ino] ?? 0)
        gone.released = releaseIfUnreferenced(ino, by: e.pid) != nil
        facts.missing.append(gone)
      }
    }
    let types = Dictionary(
      (e.arguments.program?.sockets ?? []).compactMap { s in s.type.map { (s.fd, $0) } },
      uniquingKeysWith: { a, _ in a })
    for d in listed.sorted(by: { $0.fd < $1.fd }) {
      guard let ino = d.inode else { continue }
      if let type = types[d.fd] {
        update(ino) { s in if s.kind == nil { s.kind = SocketKind(typeName: type.description) } }
      }
      if state.descriptors[e.pid]?[d.fd] == ino {
        facts.confirmed.append(d)
        continue
      }
      let others = state.holders(of: ino).filter { $0.pid != e.pid }
      let parentHeld =
        parentOf[e.pid].map { p in everHeld.keys.filter { $0.pid == p && $0.socket == ino }.map(\.fd).sorted()
        } ?? []
      setDescriptor(e.pid, d.fd, ino, parentOf[e.pid] != nil ? .inherited : .seen)
      facts.received.append(
        StartedDescriptor(
          fd: d.fd, inode: ino, closeOnExec: d.closeOnExec, sameAs: others, parentHeld: parentHeld,
          referencesAfter: state.references(to: ino)))
    }
    return facts
  }
}
