import SockScopeAnalysis
import SockScopeTrace

extension KernelNarrator {
  /// What the call at `position` waited for, and how long, as a lead-in to its sentence (a
  /// receive's ends with "; ", the rest's with ". "), or "" when it did not wait noticeably.
  func waitText(_ position: Int) -> String {
    guard let wait = model.wait(at: position) else { return "" }
    let e = model.events[position]
    let call = e.call.rawValue
    let took = words.milliseconds(wait.duration)
    switch wait.reason {
    case .emptyReceiveQueue(let send?):
      let s = model.events[send]
      let stream = model.facts[position].kind == .stream
      let what = stream ? (ru ? "данные" : "the data") : (ru ? "датаграмма" : "the datagram")
      let from = words.milliseconds(s.time &- e.time)
      let to = words.milliseconds(min(s.endTime, e.endTime) &- e.time)
      let when =
        ru
        ? (from == to ? "примерно через \(from)" : "через \(from)–\(to)")
        : (from == to ? "about \(from)" : "\(from)–\(to)")
      return ru
        ? "\(call) ждал: очередь приёма была пуста; \(what) \(stream ? "попали" : "попала") в очередь \(when) после начала вызова (пока шёл send у \(name(s.pid))), вызов вернулся через \(took). "
        : "\(call) waited: the receive queue was empty; \(what) was queued \(when) after the call started (during \(name(s.pid))'s send), and the call returned after \(took). "
    case .emptyReceiveQueue(nil):
      return ru
        ? "\(call) ждал \(took): очередь приёма была пуста, пока не пришли данные (отправитель в трассе не показан). "
        : "\(call) waited \(took): the receive queue was empty until data came (the sender is not in the trace). "
    case .endOfStream:
      return ru
        ? "\(call) ждал \(took), пока другой конец не закрылся. "
        : "\(call) waited \(took) for the other end to close. "
    case .fullDatagramQueue(let receiver, let queued, let limit):
      let limitSaid =
        limit.map { ru ? ", больше предела \(limitText($0))" : ", more than the limit \(limitText($0))" }
        ?? (ru
          ? " (предел net.unix.max_dgram_qlen трасса не записала)"
          : " (the trace did not record the net.unix.max_dgram_qlen limit)")
      return ru
        ? "\(call) ждал \(took) места в очереди: когда вызов начался, в очереди приёма сокета \(receiver)\(nameSuffix(receiver)) лежало не меньше \(count(queued, .datagram))\(limitSaid). Ядро держит отправителя, пока получатель не заберёт датаграмму. "
        : "\(call) waited \(took) for room: when the call started, the receive queue of socket \(receiver)\(nameSuffix(receiver)) held at least \(count(queued, .datagram))\(limitSaid). The kernel holds the sender until the receiver takes one. "
    case .fullSendBuffer(let receiver, _, true):
      return streamSendWait(position, receiver: receiver, took: took)
    case .fullSendBuffer(let receiver, let queued, let stream):
      let held =
        stream
        ? (ru ? "\(queued) Б" : "\(queued) B")
        : count(Int(queued), model.facts[position].destinationKind)
      let at = receiver.map { ru ? " сокета \($0)" : " of socket \($0)" } ?? ""
      return ru
        ? "\(call) занял \(took); когда он начался, в очереди приёма\(at) ещё не было прочитано не меньше \(held): отправитель ждёт, когда заполнен его буфер отправки (SO_SNDBUF). "
        : "\(call) took \(took); when it started, at least \(held) sent earlier were still unread in the receive queue\(at): a sender waits when its send buffer (SO_SNDBUF) is full. "
    case .emptyBacklog(let connect?):
      let c = model.events[connect]
      return ru
        ? "accept ждал \(took): очередь соединений была пуста, пока \(name(c.pid)) не вызвал connect (через \(words.milliseconds(c.time &- e.time))). "
        : "accept waited \(took): no connection was waiting until \(name(c.pid)) called connect (\(words.milliseconds(c.time &- e.time)) later). "
    case .emptyBacklog(nil):
      return ru
        ? "accept ждал \(took): очередь соединений была пуста. "
        : "accept waited \(took): no connection was waiting. "
    case .fullBacklog(let listener, let backlog):
      let b = backlog.map { " (backlog \($0))" } ?? ""
      return ru
        ? "connect ждал \(took): очередь соединений слушающего сокета \(listener)\(b) была полна, пока accept не взял одно. "
        : "connect waited \(took): the backlog of listening socket \(listener)\(b) was full until accept took a connection. "
    case .readiness:
      return ""
    case .unknown:
      return ru
        ? "\(call) занял \(took) (ждал ли он и чего, трасса не показывает). "
        : "\(call) took \(took) (the trace does not show whether or what it waited for). "
    }
  }
}
