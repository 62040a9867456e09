import SockScopeTrace

/// What the player says, in Russian or English.
struct PlayerText {
  let language: PlayerLanguage
  var ru: Bool { language == .ru }

  /// «Лев» 6 B
  func datagramLabel(_ data: Payload?) -> String {
    guard let data else { return "" }
    let bytes = ru ? "\(data.length) Б" : "\(data.length) B"
    guard let text = data.text else { return bytes }
    let short = text.count > 16 ? String(text.prefix(15)) + "…" : text
    return "«\(short.replacingNewlines)» \(bytes)"
  }

  /// The call as strace prints it, shortened: `send(3, «Лев», 6, 0) = 6`.
  func callLine(_ e: TraceEvent) -> String {
    let fd = e.fd.map(String.init) ?? "?"
    let a = e.args
    func quoted(_ s: String?) -> String { "\"\(s ?? "")\"" }
    let flags = a["flags"]?.stringValue ?? "0"
    let call: String
    switch e.call {
    case .socket, .socketpair:
      call =
        "\(e.call.rawValue)(\(a["domain"]?.stringValue ?? ""), \(a["type"]?.stringValue ?? ""), \(a["protocol"]?.intValue ?? 0))"
    case .bind, .connect: call = "\(e.call.rawValue)(\(fd), \(quoted(e.addressPath)))"
    case .listen: call = "listen(\(fd), \(a["backlog"]?.intValue ?? 0))"
    case .accept, .accept4: call = "\(e.call.rawValue)(\(fd))"
    case .send, .sendmsg, .write:
      call =
        "\(e.call.rawValue)(\(fd), \(datagramLabel(e.data).split(separator: " ").first ?? ""), \(a["len"]?.intValue ?? 0), \(flags))"
    case .sendto:
      call =
        "sendto(\(fd), \(datagramLabel(e.data).split(separator: " ").first ?? ""), \(a["len"]?.intValue ?? 0), \(flags), \(quoted(e.addressPath)))"
    case .recv, .recvfrom, .recvmsg, .read:
      call = "\(e.call.rawValue)(\(fd), \(a["len"]?.intValue ?? 0), \(flags))"
    case .shutdown: call = "shutdown(\(fd), \(a["how"]?.stringValue ?? ""))"
    case .close: call = "close(\(fd))"
    case .unlink: call = "unlink(\(quoted(a["path"]?.stringValue)))"
    case .getsockname, .getpeername, .setsockopt: call = "\(e.call.rawValue)(\(fd))"
    case .output: call = "write(\(fd))"
    }
    if let f = e.failure { return "\(call) = -1 \(f.name) (\(f.message))" }
    if e.call.receivesData, let d = e.data {
      return "\(call) = \(e.ret) \(datagramLabel(d).split(separator: " ").first ?? "")"
    }
    return "\(call) = \(e.ret)"
  }

  /// «Сервер · server 4600», «Клиент · client#1 4601, client#2 4602», as the schematic's columns.
  func paneTitle(_ roles: [String], left: Bool, pids: [String: Int32]) -> String {
    let column = left ? (ru ? "Сервер" : "Server") : (ru ? "Клиент" : "Client")
    let names = roles.map { role in "\(role) \(pids[role] ?? 0)" }
    return column + (names.isEmpty ? "" : " · " + names.joined(separator: ", "))
  }

  func milliseconds(_ ns: UInt64) -> String {
    let ms = Double(ns) / 1e6
    return ms >= 10
      ? "\(Int(ms.rounded())) " + (ru ? "мс" : "ms") : "\((ms * 100).rounded() / 100) " + (ru ? "мс" : "ms")
  }

  /// One plain sentence on what the kernel did.
  func sentence(_ e: TraceEvent, playback: Playback) -> String {
    if let f = e.failure {
      return ru
        ? "Вызов не удался: \(f.name) — \(f.message). Ядро ничего не изменило."
        : "The call failed: \(f.name) — \(f.message). The kernel changed nothing."
    }
    let sock = e.socket.map { String($0.inode) } ?? "?"
    let file = e.addressPath ?? e.args["path"]?.stringValue ?? ""
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
      let name = target.flatMap { playback.fileOfSocket[$0] }.map { " (\($0))" } ?? ""
      return ru
        ? "Датаграмма (\(e.data?.length ?? 0) Б) скопирована из памяти процесса в очередь приёма сокета \(target.map(String.init) ?? "?")\(name) в ядре. Файл сокета данные не хранит."
        : "The datagram (\(e.data?.length ?? 0) B) was copied from the process into the kernel's receive queue of socket \(target.map(String.init) ?? "?")\(name). The socket file holds no data."
    case .recv, .recvfrom, .recvmsg, .read:
      let sender =
        e.flows.first.flatMap { playback.sendsByFlow[$0] }.map { $0.role }
        ?? (ru ? "неизвестного отправителя" : "an untraced sender")
      var s =
        e.duration >= 1_000_000
        ? (ru
          ? "recv ждал \(milliseconds(e.duration)), пока в очереди не появилась датаграмма; "
          : "recv blocked for \(milliseconds(e.duration)) until a datagram was queued; ")
        : ""
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
      return ru
        ? "close освободил дескриптор \(e.fd.map(String.init) ?? "?"); сокет \(sock) уничтожен."
        : "close released descriptor \(e.fd.map(String.init) ?? "?"); socket \(sock) is gone."
    case .unlink:
      return ru
        ? "unlink убрал имя \(file) из каталога: файла сокета больше нет."
        : "unlink removed the name \(file) from the directory: the socket file is gone."
    case .getsockname, .getpeername, .setsockopt, .output:
      return ru ? "Ядро ответило на запрос о сокете." : "The kernel answered a question about the socket."
    }
  }

  var keys: String {
    ru
      ? "→/n вперёд · ←/b назад · Home/End · p пуск · +/− темп · ? клавиши · q выход"
      : "→/n next · ←/b back · Home/End · p play · +/− speed · ? keys · q quit"
  }

  var help: [String] {
    ru
      ? [
        "Клавиши", "", "→, пробел, n   следующий шаг", "←, b           предыдущий шаг",
        "Home, End      первый, последний шаг",
        "p              пуск / пауза", "+, −           быстрее, медленнее", "?              эта справка",
        "q              выход",
        "", "Любая клавиша — назад к трассе.",
      ]
      : [
        "Keys", "", "→, space, n    next step", "←, b           previous step",
        "Home, End      first, last step",
        "p              play / pause", "+, −           faster, slower", "?              this help",
        "q              quit", "",
        "Any key returns to the trace.",
      ]
  }

  func tooSmall(width: Int, height: Int, needWidth: Int, needHeight: Int) -> String {
    ru
      ? "Терминал мал: нужно \(needWidth)×\(needHeight), сейчас \(width)×\(height). Увеличьте окно или используйте --frames."
      : "The terminal is too small: it needs \(needWidth)×\(needHeight) and is \(width)×\(height). Enlarge it, or use --frames."
  }
}

extension String {
  var replacingNewlines: String {
    splittingLines().joined(separator: "⏎")
  }
}
