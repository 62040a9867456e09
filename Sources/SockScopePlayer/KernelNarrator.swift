import SockScopeAnalysis
import SockScopeTrace

/// What the kernel did at one step, in words, from the kernel model (`SockScopeAnalysis`): the
/// socket's kind decides whether data is a datagram, a record or stream bytes; descriptors are
/// counted across processes, so a close of one of several says so; passed descriptors, credentials
/// and waits are said with the numbers the trace recorded.
struct KernelNarrator {
  let words: PlayerText
  let model: KernelModel
  /// The name each process is shown by (escaped).
  let names: [Int32: String]

  var ru: Bool { words.ru }

  func name(_ pid: Int32) -> String { names[pid] ?? String(pid) }

  /// `server fd 3`, `client 4897 fd 4`.
  func holder(_ d: DescriptorRef) -> String { "\(name(d.pid)) fd \(d.fd)" }

  /// `датаграммный сокет (SOCK_DGRAM)`: what the kind is, in a few words.
  func kindPhrase(_ kind: SocketKind?) -> String {
    switch kind {
    case .datagram?:
      return ru
        ? "датаграммный (SOCK_DGRAM: каждое сообщение — отдельная датаграмма, границы сохраняются)"
        : "a datagram socket (SOCK_DGRAM: each message is a datagram, boundaries kept)"
    case .stream?:
      return ru
        ? "потоковый (SOCK_STREAM: поток байтов на соединении, без границ сообщений)"
        : "a stream socket (SOCK_STREAM: a byte stream on a connection, no message boundaries)"
    case .seqpacket?:
      return ru
        ? "SOCK_SEQPACKET (записи с границами на соединении)"
        : "a seqpacket socket (SOCK_SEQPACKET: records with boundaries, on a connection)"
    case .other(let type)?:
      return ru
        ? "типа \(type.terminalSafe), который SockScope не объясняет"
        : "of type \(type.terminalSafe), which SockScope does not explain"
    case nil:
      return ru ? "неизвестного трассе типа" : "of a type the trace does not show"
    }
  }

  /// `./echo.socket`, `@name`, or a description of an unnamed socket.
  func shownName(_ name: SocketName?) -> String? { name?.shown?.terminalSafe }

  /// ` (./echo.socket)` after a socket's number, or nothing.
  func nameSuffix(_ inode: UInt64?) -> String {
    guard let inode, let n = model.name(of: inode)?.shown?.terminalSafe else { return "" }
    return " (\(n))"
  }

  func bytes(_ n: Int64) -> String { ru ? "\(n) Б" : "\(n) B" }

  func count(_ n: Int, _ kind: SocketKind?) -> String {
    let u = UInt64(max(0, n))
    switch kind {
    case .seqpacket?:
      return ru
        ? "\(n) \(PlayerText.plural(u, "запись", "записи", "записей"))" : "\(n) record\(n == 1 ? "" : "s")"
    default:
      return ru
        ? "\(n) \(PlayerText.plural(u, "датаграмма", "датаграммы", "датаграмм"))"
        : "\(n) datagram\(n == 1 ? "" : "s")"
    }
  }

  func limitText(_ limit: QueueLimit) -> String {
    switch limit.source {
    case .recorded:
      return ru
        ? "net.unix.max_dgram_qlen = \(limit.value) (записано при записи трассы)"
        : "net.unix.max_dgram_qlen = \(limit.value) (recorded with the trace)"
    case .inferred:
      return ru
        ? "net.unix.max_dgram_qlen = \(limit.value) (так на этой машине сейчас; трасса его не записала — вывод)"
        : "net.unix.max_dgram_qlen = \(limit.value) (on this machine now; the trace did not record it — inferred)"
    }
  }

  /// The sentence for a successful call at `position` of the model's events.
  func sentence(at position: Int) -> String {
    let e = model.events[position]
    let f = model.facts[position]
    let sock = f.socket.map(String.init) ?? e.socket.map { String($0.inode) } ?? "?"
    let fd = e.fd.map(String.init) ?? "?"
    switch e.call {
    case .socket:
      if let family = e.domainName, family != "AF_UNIX" {
        return ru
          ? "Ядро создало сокет \(sock) семейства \(family.terminalSafe) и выдало дескриптор \(e.ret). Это не UNIX-сокет: SockScope объясняет только AF_UNIX."
          : "The kernel created socket \(sock) of family \(family.terminalSafe) and gave descriptor \(e.ret). It is not a UNIX socket: SockScope explains AF_UNIX only."
      }
      return ru
        ? "Ядро создало сокет \(sock), \(kindPhrase(f.kind)), и выдало процессу дескриптор \(e.ret). Имени у сокета пока нет."
        : "The kernel created socket \(sock), \(kindPhrase(f.kind)), and gave the process descriptor \(e.ret). The socket has no name yet."
    case .socketpair:
      return socketpair(e, f)
    case .bind:
      return bind(e, f, sock)
    case .listen:
      let backlog = e.backlog.map(String.init) ?? "?"
      return ru
        ? "Сокет \(sock) слушает: соединения, пришедшие через connect, ждут в его очереди (backlog \(backlog)), пока accept их не возьмёт."
        : "Socket \(sock) now listens: connections made by connect wait in its queue (backlog \(backlog)) until accept takes them."
    case .connect:
      return waitText(position) + connect(e, f, sock)
    case .accept, .accept4:
      let new = e.acceptedSocket.map { String($0.inode) } ?? "?"
      let waiting = f.listener.map { model.state(after: position).sockets[$0]?.pending.count ?? 0 } ?? 0
      let rest =
        waiting > 0
        ? (ru ? " Ещё ждут соединений: \(waiting)." : " Connections still waiting: \(waiting).") : ""
      return waitText(position)
        + (ru
          ? "accept взял из очереди сокета \(sock) готовое соединение: его серверный конец — новый сокет \(new) со своим inode, дескриптор \(e.ret). Сокет \(sock) продолжает слушать под своим именем.\(rest)"
          : "accept took a waiting connection from socket \(sock)'s queue: its server end is a new socket, \(new), with its own inode, on descriptor \(e.ret). Socket \(sock) goes on listening under its name.\(rest)")
    case .send, .sendto, .sendmsg, .write:
      return send(e, f, position: position)
    case .recv, .recvfrom, .recvmsg, .read:
      return receive(e, f, position: position)
    case .shutdown:
      let how = e.shutdownHow ?? ""
      let peer = model.state(after: position).sockets[f.socket ?? 0]?.peer.map(String.init) ?? "?"
      if how == "SHUT_WR" {
        return ru
          ? "shutdown(SHUT_WR): сокет \(sock) больше не отправляет. Собеседник \(peer) дочитает то, что уже в очереди, и затем его recv вернёт 0 — конец потока. Принимать \(sock) ещё может."
          : "shutdown(SHUT_WR): socket \(sock) sends no more. Its peer, \(peer), reads what is already queued, then its recv returns 0 — the end of the stream. \(sock) can still receive."
      }
      if how == "SHUT_RD" {
        return ru
          ? "shutdown(SHUT_RD): сокет \(sock) больше не принимает; отправлять ещё может."
          : "shutdown(SHUT_RD): socket \(sock) receives no more; it can still send."
      }
      return ru
        ? "shutdown(\(how.terminalSafe)): соединение сокета \(sock) закрыто в обе стороны; дескриптор остаётся открыт до close."
        : "shutdown(\(how.terminalSafe)): socket \(sock)'s connection is shut both ways; the descriptor stays open until close."
    case .close:
      return close(e, f, sock: sock, fd: fd, position: position)
    case .unlink:
      let path = (e.unlinkedPath ?? "").terminalSafe
      let before = model.state(after: position - 1)
      let bound = e.unlinkedPath.flatMap { p in
        before.files.values.first { $0.path == p || $0.path == "./" + p || "./" + $0.path == p }
      }
      let open = bound.flatMap { before.sockets[$0.socket] }.map { !$0.released }
      let socket = bound.map { String($0.socket) } ?? "?"
      let rest: String
      switch open {
      case true?:
        rest =
          ru
          ? " Сокет \(socket), что был к нему привязан, открыт и работает: уже соединённые с ним продолжают, новые по этому пути его не найдут."
          : " Socket \(socket), bound to it, is still open and works: peers already connected carry on, new ones cannot find it by this path."
      case false?:
        rest =
          ru
          ? " Сокет \(socket), привязанный к нему, уже закрыт."
          : " Socket \(socket), bound to it, was already closed."
      case nil:
        rest = ""
      }
      return ru
        ? "unlink убрал имя \(path) из каталога: файла сокета больше нет.\(rest)"
        : "unlink removed the name \(path) from the directory: the socket file is gone.\(rest)"
    case .dup, .dup2, .dup3, .fcntl:
      let refs = f.referencesAfter ?? 0
      let closedFirst =
        !f.otherHolders.isEmpty || e.call == .dup2 || e.call == .dup3
        ? (ru
          ? " Если номер \(e.ret) был открыт, ядро сначала закрыло его."
          : " Had number \(e.ret) been open, the kernel closed it first.") : ""
      return ru
        ? "\(e.call.rawValue) сделал дескриптор \(e.ret) ещё одной ссылкой на тот же открытый сокет \(sock), что и дескриптор \(fd): теперь на сокет ссылается дескрипторов: \(refs). Сокет живёт, пока закрыты не все.\(closedFirst)"
        : "\(e.call.rawValue) made descriptor \(e.ret) one more reference to the same open socket \(sock) as descriptor \(fd): \(refs) descriptor\(refs == 1 ? "" : "s") now refer to it. The socket lives until all are closed.\(closedFirst)"
    case .fork:
      let n = f.inheritedDescriptors ?? 0
      return ru
        ? "fork создал процесс \(e.ret): у потомка копии всех дескрипторов родителя (сокетов среди них: \(n)). На каждый такой сокет теперь ссылаются оба процесса: close в одном не закрывает его в другом."
        : "fork made process \(e.ret): the child has copies of all the parent's descriptors (\(n) of them sockets). Each such socket is now referred to by both processes: a close in one does not close it in the other."
    case .getsockopt:
      if let c = e.peerCredentials {
        // Measured here: a datagram connect records no credentials (pid 0, uid and gid -1), and a
        // socketpair records its creator for both ends, which fork does not change.
        if c.pid == 0 {
          return ru
            ? "SO_PEERCRED: у сокета \(sock) нет учётных данных собеседника (pid 0): ядро запоминает их при connect потокового сокета и при socketpair, но не при connect датаграммного."
            : "SO_PEERCRED: socket \(sock) has no peer credentials (pid 0): the kernel records them at a stream connect and at socketpair, not at a datagram connect."
        }
        if c.pid == Int64(e.pid) {
          return ru
            ? "SO_PEERCRED: pid \(c.pid), uid \(c.uid), gid \(c.gid) — это сам процесс: ядро запомнило того, кто вызвал socketpair, для обоих концов, и fork этого не меняет, даже если другой конец теперь у потомка."
            : "SO_PEERCRED: pid \(c.pid), uid \(c.uid), gid \(c.gid) — this process itself: the kernel recorded whoever called socketpair for both ends, and fork does not change that, even when a child now holds the other end."
        }
        return ru
          ? "SO_PEERCRED: ядро сообщило, кто на другом конце сокета \(sock): pid \(c.pid), uid \(c.uid), gid \(c.gid) (записано при connect, listen или socketpair, а не сейчас)."
          : "SO_PEERCRED: the kernel told who is at the other end of socket \(sock): pid \(c.pid), uid \(c.uid), gid \(c.gid) (recorded at connect, listen or socketpair, not now)."
      }
      return ru ? "Ядро ответило на запрос о сокете." : "The kernel answered a question about the socket."
    case .poll, .select, .epollWait:
      return readiness(e, position: position)
    case .epollCtl:
      let t = e.epollTarget
      return ru
        ? "epoll_ctl(\((t.op?.description ?? "?").terminalSafe)): набор epoll \(fd) теперь \(t.op == .delete ? "не следит" : "следит") за дескриптором \(t.fd.map(String.init) ?? "?")."
        : "epoll_ctl(\((t.op?.description ?? "?").terminalSafe)): epoll set \(fd) now \(t.op == .delete ? "no longer watches" : "watches") descriptor \(t.fd.map(String.init) ?? "?")."
    case .getsockname:
      if case .abstract(let n)? = e.addressName, case .autobound? = f.name {
        return ru
          ? "getsockname: ядро назвало имя, которое само выбрало сокету \(sock) при автопривязке: @\(n.terminalSafe)."
          : "getsockname: the kernel told the name it chose for socket \(sock) at autobind: @\(n.terminalSafe)."
      }
      return ru ? "Ядро ответило на запрос о сокете." : "The kernel answered a question about the socket."
    case .getpeername, .setsockopt, .output:
      return ru ? "Ядро ответило на запрос о сокете." : "The kernel answered a question about the socket."
    case .execve:
      return exec(e, f)
    case .programStart:
      return programStart(e, f)
    }
  }
}
