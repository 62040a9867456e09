import SockScopeAnalysis
import SockScopeTrace

extension KernelNarrator {
  func socketpair(_ e: KernelEvent, _ f: StepFacts) -> String {
    let a = e.socket.map { String($0.inode) } ?? "?"
    let b = e.socket?.peer.map(String.init) ?? "?"
    let fds = e.pairDescriptors.map { "\($0.0), \($0.1)" } ?? "?"
    let limit =
      f.kind == .datagram
      ? (ru
        ? " Предел длины очереди net.unix.max_dgram_qlen между ними не действует (получатель соединён с отправителем)."
        : " The queue-length limit net.unix.max_dgram_qlen does not apply between them (the receiver is connected back to the sender).")
      : ""
    return ru
      ? "Ядро создало два соединённых друг с другом сокета, \(a) и \(b), \(kindPhrase(f.kind)), с дескрипторами \(fds). Имён у них нет: файла нет, никто другой к ним не подключится; данные одного конца попадают в очередь приёма другого.\(limit)"
      : "The kernel created two sockets connected to each other, \(a) and \(b), \(kindPhrase(f.kind)), on descriptors \(fds). They have no names: no file, nothing else can connect to them; what one end sends goes to the other's receive queue.\(limit)"
  }

  func bind(_ e: KernelEvent, _ f: StepFacts, _ sock: String) -> String {
    switch f.name {
    case .path(let p)?:
      let path = p.terminalSafe
      return ru
        ? "bind создал файл сокета \(path) и связал его с сокетом \(sock): теперь клиенты найдут сервер по этому пути. Файл только имя: данных он не хранит и останется на диске после close, пока его не удалят (unlink)."
        : "bind created the socket file \(path) and tied it to socket \(sock): clients can now find the server by this path. The file is only a name: it holds no data, and it stays on disk after close until it is removed (unlink)."
    case .abstract(let n)?:
      return ru
        ? "bind дал сокету \(sock) абстрактное имя @\(n.terminalSafe): файла нет (удалять нечего), имя живёт, пока открыт сокет, и видно только в этом сетевом пространстве имён."
        : "bind gave socket \(sock) the abstract name @\(n.terminalSafe): there is no file (nothing to unlink); the name lives while the socket is open, and only in this network namespace."
    case .autobound(let n)?:
      let chosen = n.isEmpty ? "" : ": @\(n.terminalSafe)"
      return ru
        ? "bind без имени (только семейство адреса): ядро само выбрало сокету \(sock) абстрактное имя из 5 шестнадцатеричных цифр (автопривязка)\(chosen). Файла нет. Теперь получатель может ответить этому сокету по адресу, который вернёт recvfrom."
        : "bind with no name (the address family only): the kernel chose an abstract name of 5 hex digits for socket \(sock) (autobind)\(chosen). No file. Now a receiver can answer this socket at the address recvfrom returns."
    default:
      return ru ? "bind связал сокет \(sock) с адресом." : "bind gave socket \(sock) an address."
    }
  }

  func connect(_ e: KernelEvent, _ f: StepFacts, _ sock: String) -> String {
    let target = (e.addressName?.shown ?? "?").terminalSafe
    let by =
      e.addressName?.isAbstract == true
      ? (ru ? "по абстрактному имени \(target)" : "by the abstract name \(target)")
      : (ru ? "по пути \(target)" : "by the path \(target)")
    let peer = e.socket?.peer.map(String.init) ?? "?"
    if f.kind?.isConnectionOriented == true {
      let listener = f.listener.map { ru ? " \($0)" : " \($0)" } ?? ""
      return ru
        ? "connect нашёл \(by) слушающий сокет\(listener) и соединился: ядро создало серверный конец соединения, сокет \(peer), и поставило его в очередь (backlog) к accept."
        : "connect found the listening socket\(listener) \(by) and connected: the kernel made the server's end of the connection, socket \(peer), and queued it (the backlog) for accept."
    }
    return ru
      ? "connect нашёл \(by) сокет сервера \(peer) и запомнил его как адресата по умолчанию: send теперь не нужен адрес. Рукопожатия нет: сервер ничего не узнаёт (accept у датаграмм нет)."
      : "connect looked up the server's socket \(peer) \(by) and remembered it as the default destination: send needs no address now. There is no handshake: the server learns nothing (datagrams have no accept)."
  }

  func send(_ e: KernelEvent, _ f: StepFacts, position: Int) -> String {
    var s = waitText(position)
    let target =
      f.destination.map { ru ? "сокета \($0)" : "of socket \($0)" }
      ?? e.addressName?.shown.map {
        ru ? "сокета по адресу \($0.terminalSafe)" : "of the socket at \($0.terminalSafe)"
      }
      ?? (ru ? "получателя" : "of the receiver")
    let named = nameSuffix(f.destination)
    let kind = f.destinationKind ?? f.kind
    let held = f.queuedBefore.map { $0 + 1 }
    switch kind {
    case .stream?:
      s +=
        ru
        ? "\(e.ret) Б скопированы из памяти процесса в очередь приёма \(target)\(named) в ядре: у потока нет границ сообщений — recv может взять часть этих байтов или вместе с другими."
        : "\(e.ret) B were copied from the process into the kernel's receive queue \(target)\(named): a stream keeps no message boundaries — a recv may take part of these bytes, or them and others together."
    case .seqpacket?:
      s +=
        ru
        ? "Запись (\(e.ret) Б) скопирована в очередь приёма \(target)\(named) в ядре: её граница сохраняется, recv получит её одну."
        : "A record (\(e.ret) B) was copied into the kernel's receive queue \(target)\(named): its boundary is kept; a recv gets it alone."
    default:
      let size = e.data?.length ?? UInt64(max(0, e.ret))
      var queue = ""
      if let held {
        var limit = ""
        if f.queueLimitApplies == true, let l = model.datagramQueueLimit {
          limit =
            l.source == .recorded
            ? (ru
              ? "; предел (net.unix.max_dgram_qlen): \(l.value)"
              : "; limit (net.unix.max_dgram_qlen): \(l.value)")
            : (ru
              ? "; предел (net.unix.max_dgram_qlen на этой машине): \(l.value)"
              : "; limit (net.unix.max_dgram_qlen on this machine): \(l.value)")
        } else if f.queueLimitApplies == false {
          limit =
            ru
            ? "; предела длины нет: получатель соединён с отправителем"
            : "; no length limit: the receiver is connected back to the sender"
        }
        queue =
          ru
          ? ", теперь в ней \(count(held, .datagram))\(limit)"
          : ", which now holds \(count(held, .datagram))\(limit)"
      }
      let file = f.destination.flatMap { model.name(of: $0) }?.isFile == true
      s +=
        ru
        ? "Датаграмма (\(size) Б) скопирована из памяти процесса в очередь приёма \(target)\(named) в ядре\(queue)."
          + (file ? " Файл сокета данные не хранит." : "")
        : "The datagram (\(size) B) was copied from the process into the kernel's receive queue \(target)\(named)\(queue)."
          + (file ? " The socket file holds no data." : "")
      if let answered = answeredAddress(e, position: position) {
        s +=
          ru
          ? " Адрес \(answered) — тот, что вернул recvfrom: так сервер отвечает клиенту."
          : " The address \(answered) is the one recvfrom returned: this is how a server answers its client."
      }
    }
    return s + controlText(e, f)
  }

  /// The address of a `sendto` when the same process's earlier `recvfrom` returned it.
  func answeredAddress(_ e: KernelEvent, position: Int) -> String? {
    guard let to = e.addressName?.shown, e.call == .sendto || e.call == .sendmsg else { return nil }
    let earlier = model.events[..<position].last { $0.pid == e.pid && $0.call.receivesData && $0.succeeded }
    return earlier?.addressName?.shown == to ? to.terminalSafe : nil
  }

  /// SCM_RIGHTS, SCM_CREDENTIALS and other control messages a sendmsg or recvmsg carried.
  func controlText(_ e: KernelEvent, _ f: StepFacts) -> String {
    var s = ""
    let rights = e.passedDescriptors
    if !rights.isEmpty {
      let list = rights.map { r in
        let ino = r.inode ?? f.passed.first { $0.fd == r.fd }?.inode
        return "fd \(r.fd)" + (ino.map { ru ? " (сокет \($0))" : " (socket \($0))" } ?? "")
      }.joined(separator: ", ")
      if e.call.sendsData {
        s +=
          ru
          ? " С ней передан дескриптор (SCM_RIGHTS): \(list). Ядро держит ссылку на сокет в пути, пока получатель не примет сообщение: тот получит новый номер для того же сокета."
          : " With it, SCM_RIGHTS passes descriptor \(list). The kernel holds a reference to the socket in flight until the receiver takes the message; the receiver gets a new number for the same socket."
      } else {
        s +=
          ru
          ? " SCM_RIGHTS: процесс получил новый дескриптор \(list) — это тот же сокет (тот же inode), что отправитель передал под своим номером."
          : " SCM_RIGHTS: the process got a new descriptor, \(list) — the same socket (the same inode) the sender passed under its own number."
      }
    }
    if let c = e.passedCredentials {
      s +=
        ru
        ? " SCM_CREDENTIALS: pid \(c.pid), uid \(c.uid), gid \(c.gid)"
          + (e.call.receivesData ? " — ядро проверило их у отправителя." : ".")
        : " SCM_CREDENTIALS: pid \(c.pid), uid \(c.uid), gid \(c.gid)"
          + (e.call.receivesData ? " — checked by the kernel against the sender." : ".")
    }
    for m in e.otherControlMessages {
      let what =
        "level \(m.level.map(String.init) ?? "?"), type \(m.type.map(String.init) ?? "?"), \(m.length.map(String.init) ?? "?") B"
      s +=
        ru
        ? " Управляющее сообщение (\(what)) не SCM_RIGHTS и не SCM_CREDENTIALS: SockScope его не разбирает."
        : " A control message (\(what)) that is neither SCM_RIGHTS nor SCM_CREDENTIALS: SockScope does not decode it."
    }
    if e.controlWasTruncated {
      let room = e.controlLength.map { ru ? " (\($0) Б)" : " (\($0) B)" } ?? ""
      s +=
        ru
        ? " MSG_CTRUNC: буфер управляющих данных\(room) мал — то, что не поместилось, потеряно; лишние переданные дескрипторы ядро закрыло."
        : " MSG_CTRUNC: the control buffer\(room) was too small — what did not fit was lost; passed descriptors that did not fit were closed by the kernel."
    }
    return s
  }

  func receive(_ e: KernelEvent, _ f: StepFacts, position: Int) -> String {
    let kind = f.kind
    if kind == .stream, e.ret == 0, (e.requestedLength ?? 1) > 0 {
      return waitText(position)
        + (ru
          ? "recv вернул 0 байт: поток кончился — другой конец закрыт или закрыт на запись (shutdown)."
          : "recv returned 0 bytes: the end of the stream — the other end was closed or shut down for writing.")
    }
    let sender =
      e.flows.first.flatMap(model.sendPosition(ofFlow:)).map { name(model.events[$0].pid) }
      ?? (ru ? "неизвестного отправителя" : "an untraced sender")
    var s = waitText(position)
    s +=
      ru
      ? "Ядро отдало процессу \(e.ret) Б от \(sender)."
      : "The kernel handed the process \(e.ret) B from \(sender)."
    switch kind {
    case .stream?:
      if let p = f.streamPieces {
        if p.sends > 1 {
          s +=
            ru
            ? " Это байты \(p.sends) разных send: поток склеивает их, границ нет."
            : " They are the bytes of \(p.sends) sends: a stream joins them; there are no boundaries."
        }
        if p.leftPartOfLast {
          s +=
            ru
            ? " Часть байтов последнего send осталась в очереди: её получит следующий recv."
            : " Part of the last send's bytes stays in the queue: the next recv gets it."
        }
      }
    case .seqpacket?:
      if let d = e.data, d.datagramWasCut, let full = d.datagramLength {
        s +=
          ru
          ? " Запись была \(full) Б: буфер мал, остаток записи ядро выбросило (MSG_TRUNC)."
          : " The record was \(full) B: the buffer was too small, and the kernel discarded the rest of the record (MSG_TRUNC)."
      } else if (e.requestedLength ?? 0) > e.ret, e.ret > 0 {
        s += ru ? " Одна запись целиком: границы сохраняются." : " One whole record: boundaries are kept."
      }
    default:
      if let d = e.data, d.datagramWasCut, let full = d.datagramLength {
        s +=
          ru
          ? " Датаграмма была \(full) Б: остаток ядро выбросило (MSG_TRUNC)."
          : " The datagram was \(full) B: the kernel discarded the rest (MSG_TRUNC)."
      }
      if e.call == .recvfrom || e.call == .recvmsg {
        switch e.addressName {
        case .unnamed?:
          s +=
            ru
            ? " Адреса у отправителя нет (он не привязан): ответить ему sendto нельзя."
            : " The sender has no address (it is not bound): it cannot be answered with sendto."
        case let n?:
          if let shown = n.shown?.terminalSafe {
            s += ru ? " Адрес отправителя: \(shown)." : " The sender's address: \(shown)."
          }
        default: break
        }
      }
    }
    return s + controlText(e, f)
  }

  func close(_ e: KernelEvent, _ f: StepFacts, sock: String, fd: String, position: Int) -> String {
    guard f.socket != nil, f.referencesAfter != nil else {
      return ru
        ? "close освободил дескриптор \(fd). Ядро уничтожает сокет \(sock), когда закрыт последний ссылающийся на него дескриптор."
        : "close released descriptor \(fd). The kernel destroys socket \(sock) when the last descriptor referring to it is closed."
    }
    if !f.released, f.otherHolders.isEmpty, let user = f.laterUser {
      return ru
        ? "close освободил дескриптор \(fd); сокет \(sock) жив: трасса показывает, что \(name(user)) пользуется им позже — через дескриптор, появление которого трасса не показала (передан SCM_RIGHTS или унаследован)."
        : "close released descriptor \(fd); socket \(sock) lives on: the trace shows \(name(user)) using it later, through a descriptor whose making the trace does not show (passed with SCM_RIGHTS, or inherited)."
    }
    let holders = Set(f.otherHolders.map(\.pid))
    let quiet = holders.filter { $0 != e.pid && !model.callsLater($0, than: position) }
    if !f.released, !holders.isEmpty, f.referencesAfter == f.otherHolders.count, quiet.count == holders.count
    {
      // Every other holder makes no later call: it may have exited (closing its descriptors)
      // before this close; the trace does not record when a process exits.
      let others = f.otherHolders.map(holder).joined(separator: ", ")
      return ru
        ? "close освободил дескриптор \(fd) этого процесса. Другие дескрипторы сокета \(sock) — \(others) — у процесса, который больше не делает вызовов в трассе; при выходе процесса ядро закрывает все его дескрипторы. Сокет уничтожен при этом close или при выходе того процесса — что позже (когда он вышел, трасса не записывает)."
        : "close released this process's descriptor \(fd). Socket \(sock)'s other descriptors — \(others) — belong to a process that makes no later call in the trace; when a process exits, the kernel closes all its descriptors. The socket is destroyed at this close or when that process exits, whichever is later (the trace does not record when it exited)."
    }
    if !f.released {
      let others = f.otherHolders.map(holder).joined(separator: ", ")
      let n = f.referencesAfter ?? 0
      let inFlight = n - f.otherHolders.count
      var s =
        ru
        ? "close освободил дескриптор \(fd) этого процесса; сокет \(sock) жив: на него ещё ссылается дескрипторов: \(f.otherHolders.count)"
          + (others.isEmpty ? "" : " (\(others))")
        : "close released this process's descriptor \(fd); socket \(sock) lives on: \(f.otherHolders.count) other descriptor\(f.otherHolders.count == 1 ? "" : "s") still refer\(f.otherHolders.count == 1 ? "s" : "") to it"
          + (others.isEmpty ? "" : " (\(others))")
      if inFlight > 0 {
        s += ru ? ", и ещё \(inFlight) в пути (SCM_RIGHTS)" : ", and \(inFlight) in flight (SCM_RIGHTS)"
      }
      return s
        + (ru
          ? ". Ядро уничтожит его только с последним close."
          : ". The kernel destroys it only at the last close.")
    }
    var s =
      ru
      ? "close освободил дескриптор \(fd) — последнюю ссылку на сокет \(sock): ядро уничтожило сокет."
      : "close released descriptor \(fd), the last reference to socket \(sock): the kernel destroyed the socket."
    if let left = f.discarded, left.items > 0 {
      let stream = f.kind == .stream
      let one = left.items == 1 && !stream
      let what =
        stream
        ? (ru ? "\(left.bytes) Б" : "\(left.bytes) B")
        : (ru
          ? "\(f.kind == .seqpacket ? "записей" : "датаграмм"): \(left.items)"
          : count(left.items, f.kind))
      s +=
        ru
        ? " В его очереди приёма ещё лежало то, чего никто в трассе не прочитал (\(what)): оно пропало вместе с сокетом."
        : " Its receive queue still held \(what) that no traced process received: \(one ? "it is" : "they are") discarded with the socket."
    }
    switch model.name(of: f.socket ?? 0) {
    case .path(let p)?:
      s +=
        ru
        ? " Файл сокета \(p.terminalSafe) остаётся на диске, пока его не удалят (unlink)."
        : " The socket file \(p.terminalSafe) stays on disk until it is removed (unlink)."
    case .abstract(let n)?:
      s +=
        ru
        ? " Абстрактное имя @\(n.terminalSafe) исчезло вместе с сокетом: удалять нечего."
        : " The abstract name @\(n.terminalSafe) is gone with the socket: there is nothing to remove."
    default: break
    }
    return s
  }

  func readiness(_ e: KernelEvent, position: Int) -> String {
    let call = e.call.rawValue
    var asked: [Int32] = []
    var ready: [String] = []
    switch e.call {
    case .poll:
      let fds = e.polledDescriptors
      asked = fds.map(\.fd)
      ready = fds.filter(\.isReady).map { "\($0.fd) (\(($0.ready ?? "").terminalSafe))" }
    case .select:
      let sets = e.selectSets
      asked = Array(Set(sets.read + sets.write)).sorted()
      ready =
        sets.readyRead.map { ru ? "\($0) (чтение)" : "\($0) (read)" }
        + sets.readyWrite.map { ru ? "\($0) (запись)" : "\($0) (write)" }
    default:
      ready = e.polledDescriptors.map { "\($0.fd) (\(($0.events ?? "").terminalSafe))" }
    }
    let askedText =
      asked.isEmpty ? "" : (ru ? " за дескрипторами \(list(asked))" : " on descriptors \(list(asked))")
    let timeout =
      e.timeoutMilliseconds.map { t in
        t < 0 ? (ru ? ", без тайм-аута" : ", no timeout") : (ru ? ", тайм-аут \(t) мс" : ", timeout \(t) ms")
      } ?? ""
    let took = words.milliseconds(e.duration)
    if ready.isEmpty {
      return ru
        ? "\(call) следил\(askedText)\(timeout): за \(took) ни один не стал готов — истёк тайм-аут."
        : "\(call) watched\(askedText)\(timeout): none became ready in \(took) — the timeout ran out."
    }
    return ru
      ? "\(call) ждал \(took)\(askedText)\(timeout); готовы: \(ready.joined(separator: ", ")) — теперь вызов на них не будет ждать."
      : "\(call) waited \(took)\(askedText)\(timeout); ready: \(ready.joined(separator: ", ")) — a call on them now will not wait."
  }

  func list(_ fds: [Int32]) -> String { fds.map(String.init).joined(separator: ", ") }
}
