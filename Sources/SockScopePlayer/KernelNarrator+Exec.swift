import SockScopeAnalysis
import SockScopeTrace

extension KernelNarrator {
  /// A successful exec: the process runs another program with the same pid and descriptor table,
  /// less the close-on-exec descriptors, which the kernel closed (the list is what the interposer
  /// read from the kernel at the exec).
  func exec(_ e: KernelEvent, _ f: StepFacts) -> String {
    let program =
      e.execPath.map { $0.terminalSafe }
      ?? (ru ? "из открытого файла (fexecve)" : "from an open file (fexecve)")
    let head =
      ru
      ? "exec: \(name(e.pid)) (pid \(e.pid)) теперь выполняет программу \(program): pid и дескрипторы те же, кроме close-on-exec."
      : "exec: \(name(e.pid)) (pid \(e.pid)) now runs the program \(program): same pid, same descriptors, less the close-on-exec ones."
    guard let x = f.exec, x.recorded else {
      return head
        + (ru
          ? " Какие дескрипторы сокетов были close-on-exec, трасса не записала."
          : " The trace did not record which socket descriptors were close-on-exec.")
    }
    if x.kept.isEmpty && x.closed.isEmpty {
      return head
        + (ru ? " Дескрипторов сокетов у процесса не было." : " The process held no socket descriptors.")
    }
    var text = head
    if !x.kept.isEmpty {
      let list = x.kept.map { "fd \($0.fd) → \(socketText($0.inode))" }.joined(separator: ", ")
      text +=
        ru
        ? " Остались открыты под теми же номерами: \(list)."
        : " Kept under the same numbers: \(list)."
    }
    for c in x.closed {
      let what = "fd \(c.fd) → \(socketText(c.inode))"
      if c.released {
        text +=
          ru
          ? " Закрыт (close-on-exec) \(what): это была последняя ссылка, ядро уничтожило сокет."
          : " Closed (close-on-exec): \(what); that was the last reference, so the kernel destroyed the socket."
      } else if c.otherHolders.isEmpty {
        let n = c.referencesAfter
        text +=
          ru
          ? " Закрыт (close-on-exec) \(what); ссылок на сокет осталось: \(n)."
          : " Closed (close-on-exec): \(what); \(n) reference\(n == 1 ? "" : "s") to the socket remain."
      } else {
        let others = c.otherHolders.map(holder).joined(separator: ", ")
        text +=
          ru
          ? " Закрыт (close-on-exec) \(what); сокет живёт: на него ещё \(c.otherHolders.count == 1 ? "ссылается" : "ссылаются") \(others)."
          : " Closed (close-on-exec): \(what); the socket lives on: \(others) still refer\(c.otherHolders.count == 1 ? "s" : "") to it."
      }
    }
    return text
  }

  private func socketText(_ inode: UInt64?) -> String {
    guard let inode else { return ru ? "сокет ?" : "socket ?" }
    return (ru ? "сокет \(inode)" : "socket \(inode)") + nameSuffix(inode)
  }
}
