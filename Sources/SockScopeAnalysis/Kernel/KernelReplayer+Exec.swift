import SockScopeTrace

/// What a successful exec did to the process's socket descriptors (issue 11: a socket lives while
/// any descriptor refers to it, across exec too).
public struct ExecFacts: Sendable, Equatable {
  /// Whether the trace recorded the process's socket descriptors at the exec (the interposer
  /// does; an strace import or an older trace does not, and then nothing is said about them).
  public var recorded: Bool
  /// Descriptors that stay open, under the same numbers, in the new program.
  public var kept: [ExecDescriptor] = []
  /// Close-on-exec descriptors the exec closed.
  public var closed: [ClosedOnExec] = []

  public init(recorded: Bool, kept: [ExecDescriptor] = [], closed: [ClosedOnExec] = []) {
    self.recorded = recorded
    self.kept = kept
    self.closed = closed
  }
}

/// A close-on-exec descriptor closed by exec, and what became of its socket.
public struct ClosedOnExec: Sendable, Equatable {
  public var fd: Int32
  public var inode: UInt64?
  /// References to the socket left after the exec (descriptors anywhere, and in flight).
  public var referencesAfter: Int
  /// The descriptors that still refer to it.
  public var otherHolders: [DescriptorRef]
  /// Whether that was the last reference, so the kernel destroyed the socket.
  public var released: Bool
}

extension Replayer {
  /// A successful exec: the process keeps its descriptors except the close-on-exec ones, which the
  /// kernel closes as `close` would (the socket goes with its last reference). The list is the one
  /// the interposer read from the kernel when the exec was made.
  mutating func applyExec(_ e: KernelEvent) -> ExecFacts {
    guard let listed = e.execDescriptors else { return ExecFacts(recorded: false) }
    var facts = ExecFacts(recorded: true)
    for d in listed.sorted(by: { $0.fd < $1.fd }) {
      // A descriptor the trace had not seen made (inherited from an earlier program) joins the
      // table here: the kernel just said it is open.
      if let ino = d.inode, state.descriptors[e.pid]?[d.fd] != ino {
        setDescriptor(e.pid, d.fd, ino, parentOf[e.pid] != nil ? .inherited : .seen)
      }
      guard d.closeOnExec else {
        facts.kept.append(d)
        continue
      }
      let ino = d.inode ?? state.descriptors[e.pid]?[d.fd]
      state.descriptors[e.pid]?[d.fd] = nil
      var closed = ClosedOnExec(fd: d.fd, inode: ino, referencesAfter: 0, otherHolders: [], released: false)
      if let ino {
        closed.otherHolders = (state.holders(of: ino) + unstartedHolders(of: ino, parent: e.pid)).sorted()
        closed.referencesAfter = closed.otherHolders.count + (state.inFlight[ino] ?? 0)
        closed.released = releaseIfUnreferenced(ino, by: e.pid) != nil
      }
      facts.closed.append(closed)
    }
    return facts
  }
}
