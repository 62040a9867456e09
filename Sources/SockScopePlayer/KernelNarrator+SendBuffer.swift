import SockScopeAnalysis
import SockScopeTrace

extension KernelNarrator {
  /// The least memory, beyond its bytes, one unread stream send was seen to charge to its sender
  /// (measured here: sends of 1, 100, 1000 and 4096 B cost 766, 766, 2290 and 4840 B: at least 744
  /// beyond their bytes).
  static let bookkeepingPerSend: UInt64 = 740

  /// A stream send that took a while: what the trace shows unread at its start (bytes, sends), the
  /// sender's send buffer and where its value comes from, and whether the send had to wait for the
  /// peer to read (said only when the numbers show it).
  func streamSendWait(_ position: Int, receiver: UInt64?, took: String) -> String {
    let e = model.events[position]
    let call = e.call.rawValue
    let backlog = model.streamSendBacklog(at: position)
    let unread = backlog?.unreadBytes ?? 0
    let sends = backlog?.unreadSends ?? 0
    let at = receiver.map { ru ? " сокетом \($0)" : " by socket \($0)" } ?? ""
    var text =
      unread == 0
      ? (ru
        ? "\(call) занял \(took): когда он начался, всё отправленное раньше было прочитано."
        : "\(call) took \(took): when it started, everything sent earlier had been read.")
      : ru
        ? "\(call) занял \(took): когда он начался, \(bytes(Int64(unread))) из \(sends) прежних send ещё не были прочитаны\(at)."
        : "\(call) took \(took): \(bytes(Int64(unread))) from \(sends) earlier send\(sends == 1 ? "" : "s") were still unread\(at) when it started."
    guard let buffer = backlog?.sendBuffer else {
      return text
        + (ru
          ? " Отправитель потока ждёт, когда непрочитанное заполнило его SO_SNDBUF; размер буфера трасса не записала. "
          : " A stream sender waits while unread data fills its SO_SNDBUF; the trace did not record its size. ")
    }
    text +=
      ru
      ? " Отправитель потока ждёт, пока непрочитанное (байты и ≥ 740 Б служебной памяти на send, измерено на Linux 6.18) заполняет его SO_SNDBUF, \(buffer.value) Б\(sourceText(buffer))."
      : " A stream sender waits while unread data (bytes + ≥ 740 B of bookkeeping per send, as measured on Linux 6.18) fills its SO_SNDBUF, \(buffer.value) B\(sourceText(buffer))."
    let estimate = unread &+ UInt64(sends) &* Self.bookkeepingPerSend
    if backlog?.mustWait(sent: UInt64(max(0, e.ret))) == true {
      text +=
        ru
        ? " Здесь ждать пришлось: \(unread) + \(e.ret) Б больше, чем отправитель может поставить в очередь (~1,5 × SO_SNDBUF)."
        : " Here it had to: \(unread) + \(e.ret) B is more than a sender can queue (~1.5 × SO_SNDBUF)."
    } else if buffer.value > 0, estimate >= UInt64(buffer.value) {
      text +=
        ru
        ? " По этой мере буфер был полон (≥ \(estimate) Б)."
        : " By that measure the buffer was full (≥ \(estimate) B)."
    } else {
      text +=
        ru
        ? " Ждал ли вызов именно этого, трасса не показывает."
        : " Whether it waited for that, the trace does not show."
    }
    return text + " "
  }

  private func sourceText(_ b: SendBufferSize) -> String {
    switch b.source {
    case .recorded:
      return " (getsockopt)"
    case .doubledFromSetsockopt(let asked) where 2 * asked < KernelModel.minimumSendBuffer:
      return ru
        ? " (setsockopt \(asked): Linux хранит вдвое, но не меньше \(KernelModel.minimumSendBuffer) Б)"
        : " (setsockopt \(asked): Linux keeps double, and no less than \(KernelModel.minimumSendBuffer) B)"
    case .doubledFromSetsockopt(let asked) where asked > KernelModel.defaultMaximumSendBufferAsked:
      return ru
        ? " (setsockopt \(asked) × 2: Linux хранит вдвое, если \(asked) не больше net.core.wmem_max записавшей машины)"
        : " (setsockopt \(asked) × 2: Linux keeps double if \(asked) is within the recording machine's net.core.wmem_max)"
    case .doubledFromSetsockopt(let asked):
      return ru
        ? " (setsockopt \(asked) × 2: Linux хранит вдвое)" : " (setsockopt \(asked) × 2: Linux keeps double)"
    case .thisMachineDefault:
      return ru
        ? " (по умолчанию на этой машине; в трассе его нет)" : " (this machine's default; not in the trace)"
    }
  }
}
