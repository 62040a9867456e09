import SockScopeTrace

/// What the player says, in Russian or English.
struct PlayerText {
  let language: PlayerLanguage
  var ru: Bool { language == .ru }

  /// The payload as it is shown: its text whole (spaces, quotes, Cyrillic), or, when it is not
  /// text, its bytes escaped (`\x00`); control characters escaped either way, and `…` when only a
  /// prefix was captured.
  static func payloadText(_ data: Payload) -> String {
    var shown: String
    if let text = data.text {
      shown = text.terminalSafe
    } else {
      shown = ""
      for byte in data.bytes {
        switch byte {
        case UInt8(ascii: "\\"): shown += "\\\\"
        case 0x20...0x7E: shown.unicodeScalars.append(Unicode.Scalar(byte))
        default:
          let hex = String(byte, radix: 16)
          shown += "\\x" + (hex.count == 1 ? "0" : "") + hex
        }
      }
    }
    return data.isTruncated ? shown + "…" : shown
  }

  /// «Лев» 6 B: the payload (at most `columns` columns of it) and its length.
  func datagramLabel(_ data: Payload?, columns: Int = 28) -> String {
    guard let data else { return "" }
    let bytes = ru ? "\(data.length) Б" : "\(data.length) B"
    return "«\(DisplayWidth.cut(Self.payloadText(data), columns))» \(bytes)"
  }

  /// The call as strace prints it: `send(3, «Лев Николаевич Толстой», 41, 0) = 41`; paths and
  /// payloads escaped.
  func callText(_ e: TraceEvent) -> CallText {
    let fd = e.fd.map(String.init) ?? "?"
    let a = e.args
    func quoted(_ s: String?) -> String { "\"\((s ?? "").terminalSafe)\"" }
    let flags = (a["flags"]?.stringValue ?? "0").terminalSafe
    let name = e.call.rawValue
    let payload = e.data.map(Self.payloadText)
    var head: String
    var tail = ""
    var shows: String? = nil
    switch e.call {
    case .socket, .socketpair:
      head =
        "\(name)(\((a["domain"]?.stringValue ?? "").terminalSafe), \((a["type"]?.stringValue ?? "").terminalSafe), \(a["protocol"]?.intValue ?? 0))"
    case .bind, .connect: head = "\(name)(\(fd), \(quoted(e.addressPath)))"
    case .listen: head = "listen(\(fd), \(a["backlog"]?.intValue ?? 0))"
    case .accept, .accept4: head = "\(name)(\(fd))"
    // A failed send moved no data, so none was recorded: the buffer is shown by its C name.
    case .send, .sendmsg, .write:
      head = "\(name)(\(fd), " + (payload == nil ? "buf" : "")
      shows = payload
      tail = ", \(a["len"]?.intValue ?? 0), \(flags))"
    case .sendto:
      // No address (Python's send() on a connected socket arrives as sendto): NULL, as strace shows.
      head = "sendto(\(fd), " + (payload == nil ? "buf" : "")
      shows = payload
      tail = ", \(a["len"]?.intValue ?? 0), \(flags), \(e.addressPath.map { quoted($0) } ?? "NULL"))"
    case .recv, .recvfrom, .recvmsg, .read:
      head = "\(name)(\(fd), \(a["len"]?.intValue ?? 0), \(flags))"
    case .shutdown: head = "shutdown(\(fd), \((a["how"]?.stringValue ?? "").terminalSafe))"
    case .close: head = "close(\(fd))"
    case .unlink: head = "unlink(\(quoted(a["path"]?.stringValue)))"
    case .getsockname, .getpeername, .setsockopt: head = "\(name)(\(fd))"
    case .output: head = "write(\(fd))"
    case .dup, .dup2, .dup3, .fcntl, .fork, .getsockopt, .poll, .select, .epollCtl, .epollWait:
      head = "\(name)(\(fd))"
    }
    let result: String
    if let f = e.failure {
      result = " = -1 \(f.name.terminalSafe) (\(f.message.terminalSafe))"
    } else {
      result = " = \(e.ret)"
    }
    if shows != nil || e.failure != nil || !e.call.receivesData || payload == nil {
      return CallText(head: head, payload: shows, tail: tail + result)
    }
    // A receive: the data it got follows its result.
    return CallText(head: head + tail + result + " ", payload: payload, tail: "")
  }

  func milliseconds(_ ns: UInt64) -> String {
    let ms = Double(ns) / 1e6
    return ms >= 10
      ? "\(Int(ms.rounded())) " + (ru ? "мс" : "ms") : "\((ms * 100).rounded() / 100) " + (ru ? "мс" : "ms")
  }

  /// How long a receive that took a millisecond or more waited, as far as the trace shows: the
  /// data was queued while its send ran, so a receive that started before that send waited at
  /// least until the send started and at most until it returned; the rest of the call is the
  /// kernel waking the process. Without a traced send, only the call's length is stated.
  func waited(_ e: TraceEvent, playback: Playback, stream: Bool) -> String {
    guard e.duration >= 1_000_000 else { return "" }
    let what = stream ? (ru ? "данные" : "the data") : (ru ? "датаграмма" : "the datagram")
    guard let send = e.flows.first.flatMap({ playback.sendsByFlow[$0] }) else {
      return ru
        ? "recv занял \(milliseconds(e.duration)) (чего он ждал, трасса не показывает); "
        : "recv took \(milliseconds(e.duration)) (the trace does not show what it waited for); "
    }
    guard send.time > e.time else {
      return ru
        ? "\(what) уже \(stream ? "были" : "была") в очереди или \(stream ? "пришли" : "пришла") сразу; recv занял \(milliseconds(e.duration)); "
        : "\(what) was already queued or arrived at once; recv took \(milliseconds(e.duration)); "
    }
    let from = milliseconds(send.time &- e.time)
    let to = milliseconds(min(send.endTime, e.endTime) &- e.time)
    // The send's start and end, rounded, may read the same: then it is one time, "about".
    let when =
      ru
      ? (from == to ? "примерно через \(from)" : "через \(from)–\(to)")
      : (from == to ? "about \(from)" : "\(from)–\(to)")
    return ru
      ? "recv ждал: \(what) \(stream ? "попали" : "попала") в очередь \(when) после начала вызова (пока шёл send у \(playback.name(send.pid))), вызов вернулся через \(milliseconds(e.duration)); "
      : "recv waited: \(what) was queued \(when) after the call started (during \(playback.name(send.pid))'s send), and the call returned after \(milliseconds(e.duration)); "
  }

  /// One plain sentence on what the kernel did.
  func sentence(_ e: TraceEvent, playback: Playback) -> String {
    if let f = e.failure {
      if let why = FailureExplanation(words: self, event: e, playback: playback).text() { return why }
      return ru
        ? "Вызов не удался: \(f.name.terminalSafe) — \(f.message.terminalSafe). Ядро ничего не изменило."
        : "The call failed: \(f.name.terminalSafe) — \(f.message.terminalSafe). The kernel changed nothing."
    }
    let sock = e.socket.map { String($0.inode) } ?? "?"
    let file = (e.addressPath ?? e.args["path"]?.stringValue ?? "").terminalSafe
    let stream = e.socket.map { playback.streamSockets.contains($0.inode) } ?? false
    switch e.call {
    case .socket:
      return ru
        ? "Ядро создало сокет \(sock) и выдало процессу дескриптор \(e.ret). Имени у сокета пока нет."
        : "The kernel created socket \(sock) and gave the process descriptor \(e.ret). The socket has no name yet."
    case .socketpair:
      return ru
        ? "Ядро создало два соединённых друг с другом сокета."
        : "The kernel created two sockets connected to each other."
    case .bind:
      return ru
        ? "bind создал файл сокета \(file) и связал его с сокетом \(sock): теперь клиенты найдут сервер по этому пути."
        : "bind created the socket file \(file) and tied it to socket \(sock): clients can now find the server by this path."
    case .connect:
      let peer = e.socket?.peer.map { String($0) } ?? "?"
      if stream {
        // A stream connect makes the server's end of the connection (the socket accept returns),
        // not a reference to the listening socket.
        return ru
          ? "connect нашёл по пути \(file) слушающий сокет и соединился: ядро создало серверный конец соединения, сокет \(peer), и поставило его в очередь к accept."
          : "connect found the listening socket by the path \(file) and connected: the kernel made the server's end of the connection, socket \(peer), and queued it for accept."
      }
      return ru
        ? "connect нашёл по пути \(file) сокет сервера \(peer) и запомнил его: send теперь не нужен адрес."
        : "connect looked up \(file), found the server's socket \(peer) and remembered it: send needs no address now."
    case .listen:
      return ru ? "Сокет \(sock) теперь принимает соединения." : "Socket \(sock) now accepts connections."
    case .accept, .accept4:
      return ru
        ? "accept взял из очереди готовое соединение и выдал для него новый дескриптор \(e.ret)."
        : "accept took a waiting connection from the queue and gave it a new descriptor, \(e.ret)."
    case .send, .sendto, .sendmsg, .write:
      let target = e.socket?.peer ?? playback.receivesByFlow[e.flow ?? 0]?.socket?.inode
      let name = target.flatMap { playback.fileOfSocket[$0] }.map { " (\($0.terminalSafe))" } ?? ""
      if stream {
        return ru
          ? "\(e.ret) Б скопированы из памяти процесса в очередь приёма сокета \(target.map(String.init) ?? "?")\(name) в ядре: у потока нет границ сообщений."
          : "\(e.ret) B were copied from the process into the kernel's receive queue of socket \(target.map(String.init) ?? "?")\(name): a stream keeps no message boundaries."
      }
      return ru
        ? "Датаграмма (\(e.data?.length ?? 0) Б) скопирована из памяти процесса в очередь приёма сокета \(target.map(String.init) ?? "?")\(name) в ядре. Файл сокета данные не хранит."
        : "The datagram (\(e.data?.length ?? 0) B) was copied from the process into the kernel's receive queue of socket \(target.map(String.init) ?? "?")\(name). The socket file holds no data."
    case .recv, .recvfrom, .recvmsg, .read:
      if stream, e.ret == 0, (e.args["len"]?.intValue ?? 1) > 0 {
        return ru
          ? "recv вернул 0 байт: поток кончился — другой конец закрыт или закрыт на запись (shutdown)."
          : "recv returned 0 bytes: the end of the stream — the other end was closed or shut down for writing."
      }
      let sender =
        e.flows.first.flatMap { playback.sendsByFlow[$0] }.map { playback.name($0.pid) }
        ?? (ru ? "неизвестного отправителя" : "an untraced sender")
      var s = waited(e, playback: playback, stream: stream)
      s +=
        ru
        ? "ядро отдало процессу \(e.ret) Б от \(sender)."
        : "the kernel handed the process \(e.ret) B from \(sender)."
      if let d = e.data, d.datagramWasCut, let full = d.datagramLength {
        s +=
          ru
          ? " Датаграмма была \(full) Б: остаток ядро выбросило (MSG_TRUNC)."
          : " The datagram was \(full) B: the kernel discarded the rest (MSG_TRUNC)."
      }
      return s
    case .shutdown:
      return ru
        ? "Соединение закрыто в одну или обе стороны." : "The connection was shut in one or both directions."
    case .close:
      let fd = e.fd.map(String.init) ?? "?"
      // A socket outlives a close while another descriptor refers to it (fork, dup, passing):
      // say it is gone only as a condition, and say it lives on when the trace shows it used later.
      if let user = playback.laterUser(of: e) {
        return ru
          ? "close освободил дескриптор \(fd); сокет \(sock) жив: на него ещё ссылается дескриптор \(user)."
          : "close released descriptor \(fd); socket \(sock) lives on: a descriptor of \(user) still refers to it."
      }
      var said =
        ru
        ? "close освободил дескриптор \(fd). Ядро уничтожает сокет \(sock), когда закрыт последний ссылающийся на него дескриптор."
        : "close released descriptor \(fd). The kernel destroys socket \(sock) when the last descriptor referring to it is closed."
      if let left = playback.unreceived(at: e) {
        let what =
          left.isStream
          ? (ru ? "\(left.amount) Б" : "\(left.amount) B")
          : (ru ? "датаграмм: \(left.amount)" : "\(left.amount) datagram\(left.amount == 1 ? "" : "s")")
        said +=
          ru
          ? " В его очереди приёма ещё лежало то, чего никто в трассе не прочитал (\(what)): с последним дескриптором оно пропадает вместе с сокетом."
          : " Its receive queue still held \(what) that no traced process received: with the last descriptor, \(left.amount == 1 && !left.isStream ? "it is" : "they are") discarded with the socket."
      }
      return said
    case .unlink:
      return ru
        ? "unlink убрал имя \(file) из каталога: файла сокета больше нет."
        : "unlink removed the name \(file) from the directory: the socket file is gone."
    case .getsockname, .getpeername, .setsockopt, .output:
      return ru ? "Ядро ответило на запрос о сокете." : "The kernel answered a question about the socket."
    case .dup, .dup2, .dup3, .fcntl, .fork, .getsockopt, .poll, .select, .epollCtl, .epollWait:
      // Explained by the kernel model (issue 11); until then only the call is shown.
      return ""
    }
  }

  var keys: String {
    ru
      ? "→/n вперёд · ←/b назад · Home/End · p пуск · +/− темп · ? клавиши · q выход"
      : "→/n next · ←/b back · Home/End · p play · +/− speed · ? keys · q quit"
  }

  /// The key help as a table: every key in one column, what it does in the next.
  var help: [String] {
    let rows: [(String, String)] =
      ru
      ? [
        ("→, пробел, n, l", "следующий шаг"), ("←, b, h", "предыдущий шаг"),
        ("Home, End, g, G", "первый, последний шаг"), ("p", "пуск / пауза"), ("+, −", "быстрее, медленнее"),
        ("?", "эта справка"), ("q, Ctrl-C", "выход"),
      ]
      : [
        ("→, space, n, l", "next step"), ("←, b, h", "previous step"),
        ("Home, End, g, G", "first, last step"),
        ("p", "play / pause"), ("+, −", "faster, slower"), ("?", "this help"), ("q, Ctrl-C", "quit"),
      ]
    let keyWidth = rows.map { DisplayWidth.of($0.0) }.max() ?? 0
    let table = rows.map { key, meaning in
      key + String(repeating: " ", count: keyWidth - DisplayWidth.of(key) + 3) + meaning
    }
    return [ru ? "Клавиши" : "Keys", ""] + table + [
      "", ru ? "Любая клавиша — назад к трассе." : "Any key returns to the trace.",
    ]
  }

  /// `▶ 1.5×` while playing, `⏸ 1×` when paused: the interactive player's state.
  func playState(playing: Bool, speed: Double) -> String {
    let rounded = (speed * 100).rounded() / 100
    let number =
      rounded == rounded.rounded()
      ? String(Int(rounded)) : String(rounded).replacingOccurrences(of: ".", with: ru ? "," : ".")
    return playing
      ? (ru ? "▶ пуск \(number)×" : "▶ playing \(number)×")
      : (ru ? "⏸ пауза \(number)×" : "⏸ paused \(number)×")
  }

  /// `Queues: 15176 (server, ./echo.socket) 2 datagrams` — what waits in receive queues.
  func queues(_ queues: [QueueView]) -> String {
    guard !queues.isEmpty else {
      // Not "empty": data from a sender the trace does not show may be there.
      return ru
        ? "Очереди приёма: по трассе в них ничего не ждёт"
        : "Receive queues: nothing the trace shows is waiting"
    }
    let items = queues.map { q in
      let who = [q.owner.isEmpty ? nil : q.owner, q.path].compactMap { $0 }.joined(separator: ", ")
      let amount =
        q.isStream
        ? (ru ? "\(q.waiting) \(Self.plural(q.waiting, "байт", "байта", "байт"))" : "\(q.waiting) B")
        : (ru
          ? "\(q.waiting) \(Self.plural(q.waiting, "датаграмма", "датаграммы", "датаграмм"))"
          : "\(q.waiting) datagram\(q.waiting == 1 ? "" : "s")")
      return (ru ? "сокет \(q.socket)" : "socket \(q.socket)") + (who.isEmpty ? "" : " (\(who))") + ": "
        + amount
    }
    return (ru ? "Ждут в очередях приёма: " : "Waiting in receive queues: ") + items.joined(separator: " · ")
  }

  /// The Russian noun form for `n`: 1 датаграмма, 2 датаграммы, 5 датаграмм.
  static func plural(_ n: UInt64, _ one: String, _ few: String, _ many: String) -> String {
    let tens = n % 100
    let units = n % 10
    if (11...14).contains(tens) { return many }
    if units == 1 { return one }
    if (2...4).contains(units) { return few }
    return many
  }

  func tooSmall(width: Int, height: Int, needWidth: Int, needHeight: Int) -> String {
    ru
      ? "Терминал мал: нужно \(needWidth)×\(needHeight), сейчас \(width)×\(height). Увеличьте окно или используйте --frames."
      : "The terminal is too small: it needs \(needWidth)×\(needHeight) and is \(width)×\(height). Enlarge it, or use --frames."
  }
}
