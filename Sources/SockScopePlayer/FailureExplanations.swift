import SockScopeAnalysis
import SockScopeTrace

/// Why a call failed and what to do about it: a student's usual mistakes, each explained with the
/// path, socket and numbers the trace recorded. Every statement holds for every socket kind, or is
/// said only for the kind the trace shows (facts: /work/shared/notes/unix-sockets.md, and the
/// measurements kept as tests in `FailureExplanationTests`). Where the trace cannot tell two
/// causes apart, both are named.
struct FailureExplanation {
  let words: PlayerText
  let event: TraceEvent
  let playback: Playback

  private var ru: Bool { words.ru }
  private var call: String { event.call.rawValue }
  private var path: String? { event.addressPath?.terminalSafe }
  private var isAbstract: Bool { event.addressPath?.hasPrefix("@") == true }
  private var fd: String { event.fd.map(String.init) ?? "?" }

  /// The kind of the socket with `inode`, when the trace shows the call that made it.
  func kind(of inode: UInt64?) -> SocketKind? {
    guard let inode else { return nil }
    if let kind = playback.model.kind(of: inode) { return kind }
    if playback.streamSockets.contains(inode) { return .stream }
    return nil
  }

  /// Whether the socket with `inode` is an end of a `socketpair` the trace shows.
  private func isPairEnd(_ inode: UInt64?) -> Bool {
    guard let inode else { return false }
    return playback.steps.contains {
      $0.call == .socketpair && $0.succeeded && ($0.socket?.inode == inode || $0.socket?.peer == inode)
    }
  }

  /// The player's step number (from 1) of `e`.
  private func step(of e: TraceEvent) -> Int { (playback.stepOfEvent[e.index] ?? e.index) + 1 }

  /// The socket last bound to this event's path before it, when the trace shows the bind.
  private var boundThere: TraceEvent? {
    guard let target = event.addressPath else { return nil }
    return playback.steps.last {
      $0.index < event.index && $0.call == .bind && $0.succeeded && $0.addressPath == target
    }
  }

  /// The explanation, or nil for an errno (or call) it does not know: then the player says only
  /// the errno and its message.
  func text() -> String? {
    guard let f = event.failure else { return nil }
    switch f.name {
    case "ENOENT": return enoent()
    case "ECONNREFUSED": return econnrefused()
    case "EADDRINUSE": return eaddrinuse()
    case "EPROTOTYPE": return eprototype()
    case "ENOTCONN", "EDESTADDRREQ": return notConnected(f.name)
    case "EISCONN": return eisconn()
    case "EPIPE": return epipe()
    case "ECONNRESET": return econnreset()
    case "EMSGSIZE": return emsgsize()
    case "EACCES": return eacces()
    case "ENAMETOOLONG", "EINVAL": return tooLong(f.name)
    case "EAGAIN", "EWOULDBLOCK": return eagain(f.name)
    case "EBADF": return ebadf()
    default: return nil
    }
  }

  private func enoent() -> String? {
    guard event.call == .connect || event.call == .sendto || event.call == .sendmsg, let path, !isAbstract
    else {
      return nil
    }
    let relative = !path.hasPrefix("/")
    return ru
      ? "\(call) не удался: ENOENT — файла \(path) нет. Сервер не запущен или запущен в другом каталоге"
        + (relative ? " (относительный путь \(path) ищется от текущего каталога этого процесса)" : "")
        + ". Что делать: сначала запустите сервер, из того же каталога, или укажите полный путь."
      : "\(call) failed: ENOENT — there is no file \(path). The server is not running, or it was started in another directory"
        + (relative ? " (the relative path \(path) is looked up from this process's working directory)" : "")
        + ". Fix: start the server first, from the same directory, or give the full path."
  }

  private func econnrefused() -> String? {
    let peer = event.socket?.peer
    if let path, event.call == .connect || event.addressPath != nil {
      if isAbstract {
        return ru
          ? "\(call) не удался: ECONNREFUSED — ни один сокет не носит абстрактное имя \(path): сервер не запущен (абстрактное имя исчезает, когда его сокет закрыт). Что делать: запустите сервер."
          : "\(call) failed: ECONNREFUSED — no socket has the abstract name \(path): the server is not running (an abstract name is gone when its socket closes). Fix: start the server."
      }
      let kind = kind(of: event.socket?.inode)
      var ruCause =
        "файл сокета \(path) есть, но к нему не привязан ни один сокет: сервер завершился (или закрыл сокет), не удалив файл"
      var enCause =
        "the socket file \(path) exists but no socket is bound to it: a server ended (or closed its socket) without removing the file"
      if kind != .datagram {
        ruCause += "; или сокет, привязанный к нему, не слушает (не вызван listen)"
        enCause += "; or the socket bound to it does not listen (no listen call)"
      }
      var ruSeen = ""
      var enSeen = ""
      if let bind = boundThere, let ino = bind.socket?.inode {
        ruSeen = " По трассе: сокет \(ino) привязали к \(path) на шаге \(step(of: bind))."
        enSeen = " The trace shows socket \(ino) bound to \(path) at step \(step(of: bind))."
      }
      return ru
        ? "\(call) не удался: ECONNREFUSED — \(ruCause).\(ruSeen) Что делать: запустите сервер (сервер со страницы сам удаляет старый файл перед bind)."
        : "\(call) failed: ECONNREFUSED — \(enCause).\(enSeen) Fix: start the server (the page's server removes the stale file itself before bind)."
    }
    // A send on a connected datagram socket whose peer was closed.
    let who = peer.map { String($0) } ?? "?"
    let file = peer.flatMap { playback.fileOfSocket[$0] }.map { " (\($0.terminalSafe))" } ?? ""
    return ru
      ? "\(call) не удался: ECONNREFUSED — сокет \(who)\(file), с которым соединён этот, закрыт: сервер завершился или закрыл сокет. Ядро сообщает об этом один раз и забывает мёртвого собеседника: следующий send без адреса даст ENOTCONN. Что делать: перезапустите сервер и снова вызовите connect."
      : "\(call) failed: ECONNREFUSED — socket \(who)\(file), which this one is connected to, was closed: the server ended or closed it. The kernel says so once and forgets the dead peer: the next send without an address gets ENOTCONN. Fix: restart the server and connect again."
  }

  private func eaddrinuse() -> String? {
    guard event.call == .bind, let path else { return nil }
    if isAbstract {
      return ru
        ? "bind не удался: EADDRINUSE — абстрактное имя \(path) уже занято другим открытым сокетом (файла у него нет, удалять нечего). Что делать: закройте тот сокет или выберите другое имя."
        : "bind failed: EADDRINUSE — the abstract name \(path) is held by another open socket (it has no file; there is nothing to remove). Fix: close that socket or choose another name."
    }
    return ru
      ? "bind не удался: EADDRINUSE — файл \(path) уже существует (быть может, его оставил прежний запуск, не удаливший его, или им пользуется работающий сервер). bind никогда не занимает существующий файл, поэтому сервер со страницы удаляет свой файл сокета (./echo.socket) перед bind. Что делать: убедитесь, что другой сервер не запущен, и удалите файл перед bind."
      : "bind failed: EADDRINUSE — the file \(path) already exists (left, perhaps, by an earlier run that did not remove it, or used by a server still running). bind never takes over an existing file; that is why the page's server removes its socket file (./echo.socket) before bind. Fix: make sure no other server is running, then remove the file before bind."
  }

  private func eprototype() -> String? {
    let mine = kind(of: event.socket?.inode)
    let theirs = kind(of: boundThere?.socket?.inode)
    let at = path.map { " \($0)" } ?? ""
    let types =
      [
        mine.map { (ru ? "у этого " : "this one is ") + $0.constant },
        theirs.map { (ru ? "у сервера " : "the server's is ") + $0.constant },
      ]
      .compactMap { $0 }.joined(separator: ", ")
    let shown = types.isEmpty ? "" : " (\(types))"
    return ru
      ? "\(call) не удался: EPROTOTYPE — сокет по адресу\(at) другого типа, чем этот\(shown): сокеты разных типов (датаграммный, потоковый, seqpacket) не соединяются: например, датаграммный клиент с потоковым сервером. Что делать: создайте сокет клиента того же типа, что у сервера."
      : "\(call) failed: EPROTOTYPE — the socket at\(at) is of another type than this one\(shown): sockets of different types (datagram, stream, seqpacket) do not connect: a datagram client to a stream server, for one. Fix: create the client's socket with the server's type."
  }

  private func notConnected(_ name: String) -> String? {
    guard
      event.call.sendsData || event.call.receivesData || event.call == .shutdown || event.call == .getpeername
    else { return nil }
    return notConnectedText(name) + (name == "EDESTADDRREQ" ? notLinux : "")
  }

  /// Linux's af_unix.c never returns EDESTADDRREQ: its send paths (unix_dgram_sendmsg,
  /// unix_stream_sendmsg, unix_seqpacket_sendmsg) answer a send with no destination with ENOTCONN,
  /// as measured for all three kinds. The code is explained still (POSIX names it for this case),
  /// and the reader is told it did not come from Linux's UNIX sockets.
  private var notLinux: String {
    ru
      ? " (Linux для UNIX-сокетов в этом случае возвращает ENOTCONN, а не EDESTADDRREQ: эта трасса записана не на Linux или исправлена вручную.)"
      : " (Linux returns ENOTCONN here for UNIX sockets, never EDESTADDRREQ: this trace was not recorded on Linux, or was edited.)"
  }

  private func notConnectedText(_ name: String) -> String {
    switch kind(of: event.socket?.inode) {
    case .datagram?:
      return ru
        ? "\(call) не удался: \(name) — у сокета \(event.socket.map { String($0.inode) } ?? "?") (дескриптор \(fd)) нет адресата: он не соединён (connect), а вызов не дал адреса; или собеседник, с которым он был соединён, закрыт и ядро его забыло. Что делать: вызовите connect с путём сервера или отправляйте sendto с адресом."
        : "\(call) failed: \(name) — socket \(event.socket.map { String($0.inode) } ?? "?") (descriptor \(fd)) has no destination: it is not connected and the call gave no address; or the peer it was connected to was closed and the kernel forgot it. Fix: connect to the server's path, or use sendto with the address."
    case .stream?, .seqpacket?:
      return ru
        ? "\(call) не удался: \(name) — сокет (дескриптор \(fd)) не соединён. Что делать: клиенту — сначала connect; серверу — обмениваться данными через сокет, который вернул accept, а не через слушающий."
        : "\(call) failed: \(name) — the socket (descriptor \(fd)) is not connected. Fix: a client connects first; a server talks on the socket accept returned, not on the listening one."
    case nil, .other?:
      return ru
        ? "\(call) не удался: \(name) — у сокета (дескриптор \(fd)) нет собеседника: он не соединён, а вызов не дал адреса. Что делать: сначала connect или, для датаграмм, sendto с адресом."
        : "\(call) failed: \(name) — the socket (descriptor \(fd)) has no peer: it is not connected and the call gave no address. Fix: connect first or, for datagrams, use sendto with an address."
    }
  }

  private func eisconn() -> String? {
    let peer = event.socket?.peer.map { ru ? " (с сокетом \($0))" : " (to socket \($0))" } ?? ""
    if event.call == .connect {
      return ru
        ? "connect не удался: EISCONN — сокет (дескриптор \(fd)) уже соединён\(peer): сокет с соединением (потоковый или seqpacket) соединяется один раз. Что делать: для нового соединения создайте новый сокет."
        : "connect failed: EISCONN — the socket (descriptor \(fd)) is already connected\(peer): a connection socket (stream or seqpacket) connects once. Fix: make a new socket for a new connection."
    }
    return ru
      ? "\(call) не удался: EISCONN — сокет (дескриптор \(fd)) уже соединён\(peer), а вызов указал адрес. Что делать: отправляйте send без адреса."
      : "\(call) failed: EISCONN — the socket (descriptor \(fd)) is already connected\(peer), and the call gave an address. Fix: use send without an address."
  }

  private func epipe() -> String? {
    let peer = event.socket?.peer.map { ru ? " (сокет \($0))" : " (socket \($0))" } ?? ""
    return ru
      ? "\(call) не удался: EPIPE — другой конец соединения\(peer) закрыт или больше не принимает данные (shutdown), либо этот сокет сам закрыт на запись. Ничего не отправлено; программе, которая не игнорирует SIGPIPE и не передала MSG_NOSIGNAL, ядро посылает SIGPIPE. Что делать: прекратите писать, когда собеседник закрылся (recv вернул 0), и закройте сокет."
      : "\(call) failed: EPIPE — the other end of the connection\(peer) is closed or takes no more data (shutdown), or this socket was shut down for writing. Nothing was sent; a program that neither ignores SIGPIPE nor passes MSG_NOSIGNAL also gets SIGPIPE. Fix: stop writing once the peer has gone (recv returned 0) and close the socket."
  }

  private func econnreset() -> String? {
    let peer = event.socket?.peer.map { ru ? " (сокет \($0))" : " (socket \($0))" } ?? ""
    return ru
      ? "\(call) не удался: ECONNRESET — другой конец\(peer) закрыт, когда в его очереди приёма оставались непрочитанные данные: ядро сбрасывает такое соединение. Что делать: собеседник должен дочитать данные (или вызвать shutdown) перед close."
      : "\(call) failed: ECONNRESET — the other end\(peer) was closed while data it had not read was still in its receive queue: the kernel resets such a connection. Fix: the peer should read what was sent to it (or call shutdown) before close."
  }

  private func emsgsize() -> String? {
    let size = event.arguments.length.map(String.init) ?? "?"
    if kind(of: event.socket?.inode) == .seqpacket {
      return ru
        ? "\(call) не удался: EMSGSIZE — запись в \(size) Б больше, чем вмещает буфер отправки сокета (SO_SNDBUF): ядро отвергает её целиком, ничего не отправлено. Что делать: отправляйте записи меньше."
        : "\(call) failed: EMSGSIZE — the record of \(size) B is larger than the socket's send buffer (SO_SNDBUF) can hold: the kernel refuses it whole; nothing was sent. Fix: send smaller records."
    }
    return ru
      ? "\(call) не удался: EMSGSIZE — датаграмма в \(size) Б больше, чем вмещает буфер отправки сокета (SO_SNDBUF): ядро отвергает её целиком, ничего не отправлено. Что делать: отправляйте датаграммы меньше или, для больших данных, используйте потоковый сокет."
      : "\(call) failed: EMSGSIZE — the datagram of \(size) B is larger than the socket's send buffer (SO_SNDBUF) can hold: the kernel refuses it whole; nothing was sent. Fix: send smaller datagrams, or use a stream socket for large data."
  }

  private func eacces() -> String? {
    guard let path, !isAbstract else { return nil }
    if event.call == .bind {
      return ru
        ? "bind не удался: EACCES — нет права создать файл \(path): нужны право записи в его каталог и право поиска (x) во всех каталогах пути. Что делать: выберите каталог, куда процесс может писать, или исправьте права (chmod)."
        : "bind failed: EACCES — no permission to create the file \(path): it needs write permission on its directory and search (x) permission on every directory of the path. Fix: choose a directory the process can write to, or fix the permissions (chmod)."
    }
    return ru
      ? "\(call) не удался: EACCES — нет права записи в файл сокета \(path) или права поиска (x) в одном из каталогов его пути; трасса не говорит, в чём именно. Что делать: проверьте права (ls -l, chmod) файла и каталогов или запустите клиента от того же пользователя, что и сервер."
      : "\(call) failed: EACCES — no write permission on the socket file \(path), or no search (x) permission on a directory of its path; the trace does not say which. Fix: check the permissions of the file and the directories (ls -l, chmod), or run the client as the server's user."
  }

  private func tooLong(_ name: String) -> String? {
    guard let raw = event.addressPath, !raw.hasPrefix("@") else { return nil }
    let bytes = raw.utf8.count
    if name == "EINVAL" {
      // EINVAL has other causes (bind on a bound socket, accept on one that does not listen):
      // only an address longer than struct sockaddr_un (2 + 108 bytes) is the sun_path limit.
      guard let length = event.arguments.addressLength, length > 110 else { return nil }
      return ru
        ? "\(call) не удался: EINVAL — адрес длиной \(length) Б больше struct sockaddr_un (110 Б: 2 на семейство, 108 на sun_path); путь \(raw.terminalSafe) в sun_path не помещается. Что делать: укоротите путь до 107 байт и завершающего NUL (относительный путь или каталог ближе к корню)."
        : "\(call) failed: EINVAL — the address is \(length) bytes, longer than struct sockaddr_un (110 bytes: 2 for the family, 108 for sun_path); the path \(raw.terminalSafe) does not fit sun_path. Fix: shorten the path to at most 107 bytes plus its NUL (a relative path, or a directory nearer the root)."
    }
    return ru
      ? "\(call) не удался: ENAMETOOLONG — путь \(raw.terminalSafe) (\(bytes) Б) или одно из имён в нём длиннее, чем позволяет файловая система. Что делать: укоротите путь."
      : "\(call) failed: ENAMETOOLONG — the path \(raw.terminalSafe) (\(bytes) bytes) or a name in it is longer than the filesystem allows. Fix: use a shorter path."
  }

  private func eagain(_ name: String) -> String? {
    let waited =
      ru
      ? "сокет неблокирующий (или истёк его тайм-аут SO_RCVTIMEO/SO_SNDTIMEO)"
      : "the socket is non-blocking (or its SO_RCVTIMEO/SO_SNDTIMEO timeout ran out)"
    let fix =
      ru
      ? "Что делать: дождитесь готовности сокета (poll, select) и повторите вызов или сделайте сокет блокирующим."
      : "Fix: wait until the socket is ready (poll, select) and call again, or make the socket blocking."
    if event.call.receivesData {
      return ru
        ? "\(call) не удался: \(name) — \(waited), а в очереди приёма ничего нет: читать пока нечего. \(fix)"
        : "\(call) failed: \(name) — \(waited), and its receive queue is empty: there is nothing to read yet. \(fix)"
    }
    if event.call.sendsData {
      let kind = kind(of: event.socket?.inode)
      let ruRoom =
        kind == .datagram && isPairEnd(event.socket?.inode)
        ? "места нет: заполнен буфер отправки (SO_SNDBUF); предел длины очереди net.unix.max_dgram_qlen между концами socketpair не действует"
        : kind == .datagram
          ? "места нет: очередь получателя полна (предел net.unix.max_dgram_qlen) или заполнен буфер отправки"
          : "места нет: буфер отправки заполнен, собеседник не успевает читать"
      let enRoom =
        kind == .datagram && isPairEnd(event.socket?.inode)
        ? "there is no room: the send buffer (SO_SNDBUF) is full; the queue-length limit net.unix.max_dgram_qlen does not apply between the ends of a socketpair"
        : kind == .datagram
          ? "there is no room: the receiver's queue is full (the net.unix.max_dgram_qlen limit) or the send buffer is"
          : "there is no room: the send buffer is full, the peer has not read fast enough"
      return ru
        ? "\(call) не удался: \(name) — \(waited), а \(queueSeen(ru: true) ?? ruRoom). \(fix)"
        : "\(call) failed: \(name) — \(waited), and \(queueSeen(ru: false) ?? enRoom). \(fix)"
    }
    if event.call == .accept || event.call == .accept4 {
      return ru
        ? "\(call) не удался: \(name) — \(waited), а ни одно соединение не ждёт в очереди. \(fix)"
        : "\(call) failed: \(name) — \(waited), and no connection is waiting in the queue. \(fix)"
    }
    if event.call == .connect {
      return ru
        ? "connect не удался: \(name) — \(waited), а очередь слушающего сокета (backlog listen) полна. \(fix)"
        : "connect failed: \(name) — \(waited), and the listening socket's backlog is full. \(fix)"
    }
    return nil
  }

  /// For a datagram send refused for room, when the limit applies (the receiver is not connected
  /// back to the sender): what the receiver's queue held when the call was made, and the limit.
  private func queueSeen(ru: Bool) -> String? {
    let model = playback.model
    guard kind(of: event.socket?.inode) == .datagram, !isPairEnd(event.socket?.inode),
      let receiver = event.socket?.peer, model.kind(of: receiver) == .datagram
    else { return nil }
    let queued = model.queueAt(receiver, time: event.time, stream: false)
    guard queued > 0 else { return nil }
    let name = model.name(of: receiver)?.shown.map { " (\($0.terminalSafe))" } ?? ""
    let limit =
      model.datagramQueueLimit.map { l in
        ru
          ? ", больше предела net.unix.max_dgram_qlen (\(l.value))"
          : ", more than net.unix.max_dgram_qlen (\(l.value))"
      } ?? (ru ? " (предел net.unix.max_dgram_qlen)" : " (the net.unix.max_dgram_qlen limit)")
    return ru
      ? "места нет: в очереди сокета \(receiver)\(name) не меньше \(queued) \(PlayerText.plural(queued, "датаграммы", "датаграмм", "датаграмм"))\(limit)"
      : "there is no room: the queue of socket \(receiver)\(name) held at least \(queued) datagram\(queued == 1 ? "" : "s")\(limit)"
  }

  private func ebadf() -> String? {
    let closed = event.fd.flatMap { number in
      playback.steps.last {
        $0.index < event.index && $0.pid == event.pid && $0.call == .close && $0.fd == number && $0.succeeded
      }
    }
    let seen =
      closed.map {
        ru ? ": его закрыл close на шаге \(step(of: $0))" : ": close closed it at step \(step(of: $0))"
      }
      ?? (ru ? " (он закрыт или не был открыт)" : " (it was closed, or never opened)")
    return ru
      ? "\(call) не удался: EBADF — дескриптор \(fd) не открыт\(seen). Что делать: не используйте дескриптор после close."
      : "\(call) failed: EBADF — descriptor \(fd) is not open\(seen). Fix: do not use a descriptor after close."
  }
}
