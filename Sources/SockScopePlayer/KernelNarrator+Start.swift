import SockScopeAnalysis
import SockScopeTrace

extension KernelNarrator {
  /// A program's start (`program_start`): the socket descriptors it held when it began, and where
  /// each came from as far as the trace shows it.
  func programStart(_ e: KernelEvent, _ f: StepFacts) -> String {
    let program = e.execPath.map { $0.terminalSafe } ?? "?"
    let who = "\(name(e.pid)) (pid \(e.pid))"
    guard let s = f.programStart else {
      return ru
        ? "\(who) начал выполнять программу \(program); какие сокеты у неё были, трасса не записала."
        : "\(who) started the program \(program); the trace did not record which sockets it held."
    }
    var text: String
    if s.continued && s.received.isEmpty && s.missing.isEmpty {
      let list = s.confirmed.map { "fd \($0.fd) → \(startSocketText($0.inode))" }.joined(separator: ", ")
      return ru
        ? "\(who) начал выполнять программу \(program) с дескрипторами, которые оставил exec: \(list). Это те же ссылки на сокеты, что сохранил exec; новых нет."
        : "\(who) started the program \(program) holding the descriptors the exec kept: \(list). They are the references the exec kept; there are no new ones."
    }
    text = ru ? "\(who) начал выполнять программу \(program)." : "\(who) started the program \(program)."
    if !s.confirmed.isEmpty {
      let list = s.confirmed.map { "fd \($0.fd) → \(startSocketText($0.inode))" }.joined(separator: ", ")
      text += ru ? " Как и прежде, открыты: \(list)." : " Still open, as before: \(list)."
    }
    for d in s.received { text += " " + receivedText(d, s) }
    for m in s.missing {
      let what = "fd \(m.fd) → \(startSocketText(m.inode))"
      // The model may have counted it from an inference (a child's table without a recorded
      // fork): say what is known, not why.
      text +=
        ru
        ? " \(what) у новой программы не открыт, хотя модель считала его открытым у этого процесса; его закрытия трасса не показывает"
        : " \(what) is not open in the new program, though the model counted it for this process; the trace does not show it closed"
      if m.released {
        text += ru ? "; других ссылок на сокет нет." : "; no other reference to the socket remains."
      } else {
        text += "."
      }
    }
    return text
  }

  private func receivedText(_ d: StartedDescriptor, _ s: StartFacts) -> String {
    let head =
      ru
      ? "У неё fd \(d.fd) → \(startSocketText(d.inode))" : "It holds fd \(d.fd) → \(startSocketText(d.inode))"
    let same = d.sameAs.map(holder).joined(separator: ", ")
    let refs =
      ru
      ? " Ссылок на сокет теперь: \(d.referencesAfter)."
      : " References to the socket now: \(d.referencesAfter)."
    guard let parent = s.parent, s.parentTraced else {
      // The parent is not in the trace: whatever it holds is not counted here. Nor is the socket
      // said to come from outside the run: a parent that exited before the child read its ppid
      // leaves the child with pid 1 (or a subreaper) as parent, though the socket came from inside.
      let from =
        s.parent.map {
          ru
            ? "; родитель (pid \($0)) не записан в трассе, и откуда сокет, трасса не показывает"
            : "; its parent (pid \($0)) is not in the trace, so the trace does not show where the socket came from"
        }
        ?? (ru
          ? "; откуда сокет, трасса не показывает" : "; the trace does not show where the socket came from")
      let also =
        d.sameAs.isEmpty ? "" : (ru ? " (тот же сокет есть у \(same))" : " (\(same) holds the same socket)")
      return head + from + also + "."
    }
    let parentName = "\(name(parent)) (pid \(parent))"
    let parentNow = d.sameAs.filter { $0.pid == parent }
    if !parentNow.isEmpty {
      return head
        + (ru
          ? ", тот же сокет, что \(same): унаследован от родителя, \(parentName) — копия, полученная при создании процесса и сохранённая через exec."
          : ", the same socket as \(same): inherited from its parent, \(parentName) — a copy made when the process was created, kept through exec.")
        + refs
    }
    if let fd = d.parentHeld.first {
      return head
        + (ru
          ? ": унаследован от родителя, \(name(parent)), pid \(parent) (у родителя это был fd \(fd); родитель его с тех пор закрыл)."
          : ": inherited from its parent, \(name(parent)), pid \(parent) (the parent's fd \(fd), which the parent has closed since).")
        + refs
    }
    if !d.sameAs.isEmpty {
      return head
        + (ru
          ? ", тот же сокет, что \(same); как он попал к этому процессу, трасса не показывает."
          : ", the same socket as \(same); the trace does not show how it reached this process.") + refs
    }
    return head
      + (ru
        ? "; ни у кого в трассе этого сокета не было: откуда он, трасса не показывает."
        : "; no process in the trace held this socket: the trace does not show where it came from.") + refs
  }

  private func startSocketText(_ inode: UInt64?) -> String {
    guard let inode else { return ru ? "сокет ?" : "socket ?" }
    return (ru ? "сокет \(inode)" : "socket \(inode)") + nameSuffix(inode)
  }
}
