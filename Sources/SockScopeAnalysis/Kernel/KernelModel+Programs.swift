import SockScopeTrace

/// What an exec did to one descriptor the process held: the kernel closed it (close-on-exec), or
/// the new program kept it under the same number.
public enum ExecFate: Sendable, Equatable {
  /// Closed by the exec at the trace event with this index: the new program never held it.
  case closedAtExec(eventIndex: Int)
  /// Kept by the exec at the trace event with this index: the new program holds it.
  case keptAtExec(eventIndex: Int)
}

extension KernelModel {
  /// Per descriptor a process held when it called exec, the last recorded exec's verdict on it:
  /// closed (close-on-exec) or kept. A descriptor no successful exec listed has none. The views
  /// read this so that a descriptor closed by exec is not drawn as one the new program held.
  public var execFates: [HeldDescriptor: ExecFate] {
    var fates: [HeldDescriptor: ExecFate] = [:]
    for (k, f) in facts.enumerated() {
      guard let exec = f.exec, exec.recorded else { continue }
      let e = events[k]
      for d in exec.kept {
        guard let ino = d.inode else { continue }
        fates[HeldDescriptor(pid: e.pid, fd: d.fd, socket: ino)] = .keptAtExec(eventIndex: e.index)
      }
      for c in exec.closed {
        guard let ino = c.inode else { continue }
        fates[HeldDescriptor(pid: e.pid, fd: c.fd, socket: ino)] = .closedAtExec(eventIndex: e.index)
      }
    }
    // A descriptor made again after the exec that closed it (the same number for the same
    // socket, received back, say) is held again: that exec's verdict no longer ends it.
    var closedNumbers = Set<DescriptorRef>()
    for (held, fate) in fates {
      if case .closedAtExec = fate { closedNumbers.insert(DescriptorRef(pid: held.pid, fd: held.fd)) }
    }
    guard !closedNumbers.isEmpty else { return fates }
    for (k, e) in events.enumerated() where e.succeeded {
      let made = Replayer.madeDescriptors(e)
      guard made.contains(where: { closedNumbers.contains(DescriptorRef(pid: e.pid, fd: $0)) }) else {
        continue
      }
      let table = state(after: k).descriptors[e.pid] ?? [:]
      for fd in made {
        guard let ino = table[fd] else { continue }
        let held = HeldDescriptor(pid: e.pid, fd: fd, socket: ino)
        if case .closedAtExec(let at)? = fates[held], at < e.index { fates[held] = nil }
      }
    }
    return fates
  }

  /// The socket descriptors `pid` holds right after the event at `position`, number → socket
  /// (after an exec: only those the new program kept).
  public func descriptors(of pid: Int32, after position: Int) -> [Int32: UInt64] {
    state(after: position).descriptors[pid] ?? [:]
  }
}
