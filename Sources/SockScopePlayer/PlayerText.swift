import SockScopeAnalysis
import SockScopeLanguage
import SockScopeTrace

/// What the player says, in Russian or English.
struct PlayerText {
  let language: Language
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
    let a = e.arguments
    func quoted(_ s: String?) -> String { "\"\((s ?? "").terminalSafe)\"" }
    let flags = (a.flagsText ?? "0").terminalSafe
    let name = e.call.rawValue
    let payload = e.data.map(Self.payloadText)
    var head: String
    var tail = ""
    var shows: String? = nil
    guard let call = KernelCall(e.call) else {
      return CallText(head: "\(name)(\(fd))", payload: nil, tail: e.failure == nil ? " = \(e.ret)" : " = -1")
    }
    let k = KernelEvent(e)
    switch call {
    case .socket, .socketpair:
      head =
        "\(name)(\((a.socket?.domain?.description ?? "").terminalSafe), \((a.socket?.type?.description ?? "").terminalSafe), \(a.socket?.protocol ?? 0))"
    // A bind with the family alone (autobind) passed no name, whatever name the kernel chose.
    case .bind where a.addressLength == 2: head = "bind(\(fd), \"\")"
    case .bind, .connect: head = "\(name)(\(fd), \(quoted(e.addressPath)))"
    case .listen: head = "listen(\(fd), \(a.backlog ?? 0))"
    case .accept, .accept4: head = "\(name)(\(fd))"
    // A failed send moved no data, so none was recorded: the buffer is shown by its C name.
    case .send, .sendmsg, .write:
      head = "\(name)(\(fd), " + (payload == nil ? "buf" : "")
      shows = payload
      tail = ", \(a.length ?? 0), \(flags))"
    case .sendto:
      // No address (Python's send() on a connected socket arrives as sendto): NULL, as strace shows.
      head = "sendto(\(fd), " + (payload == nil ? "buf" : "")
      shows = payload
      tail = ", \(a.length ?? 0), \(flags), \(e.addressPath.map { quoted($0) } ?? "NULL"))"
    case .recv, .recvfrom, .recvmsg, .read:
      head = "\(name)(\(fd), \(a.length ?? 0), \(flags))"
    case .shutdown: head = "shutdown(\(fd), \((a.shutdownHow?.description ?? "").terminalSafe))"
    case .close: head = "close(\(fd))"
    case .unlink: head = "unlink(\(quoted(a.unlinkedPath)))"
    case .getsockname, .getpeername, .setsockopt, .getsockopt, .epollCtl: head = "\(name)(\(fd))"
    case .output: head = "write(\(fd))"
    case .dup, .dup2, .dup3, .fcntl:
      head =
        "\(name)(\(fd)" + (k?.requestedDescriptor.map { ", \($0)" } ?? "")
        + (k?.fcntlCommand.map { ", \($0.description.terminalSafe)" } ?? "") + ")"
    case .fork: head = "fork()"
    case .execve:
      head = "\((k?.execFunction ?? name).terminalSafe)(\(k?.execPath.map { quoted($0) } ?? "NULL"))"
    case .programStart:
      head = "program_start(\(k?.execPath.map { quoted($0) } ?? ""))"
    case .poll, .select, .epollWait:
      let asked = k?.polledDescriptors.map { String($0.fd) } ?? []
      head = "\(name)([\(asked.joined(separator: ", "))], \(k?.timeoutMilliseconds.map(String.init) ?? "…"))"
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

  /// One plain sentence on what the kernel did.
  func sentence(_ e: TraceEvent, playback: Playback) -> String {
    if let f = e.failure {
      if let why = FailureExplanation(words: self, event: e, playback: playback).text() { return why }
      return ru
        ? "Вызов не удался: \(f.name.terminalSafe) — \(f.message.terminalSafe). Ядро ничего не изменило."
        : "The call failed: \(f.name.terminalSafe) — \(f.message.terminalSafe). The kernel changed nothing."
    }
    guard let position = playback.model.position(ofEventIndex: e.index) else {
      return ru ? "Ядро выполнило вызов." : "The kernel carried out the call."
    }
    return playback.narrator(self).sentence(at: position)
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
      let limit = q.limit.map { ru ? ", предел \($0)" : ", limit \($0)" } ?? ""
      return (ru ? "сокет \(q.socket)" : "socket \(q.socket)") + (who.isEmpty ? "" : " (\(who))") + ": "
        + amount + limit
    }
    return (ru ? "Ждут в очередях приёма: " : "Waiting in receive queues: ") + items.joined(separator: " · ")
  }

  /// `Kernel: socket 15176 SOCK_DGRAM ./echo.socket ← server fd 3 · …` — the sockets that exist
  /// and the descriptors that refer to them (the kernel panel).
  func kernel(_ sockets: [SocketView]) -> String {
    guard !sockets.isEmpty else { return ru ? "Ядро: сокетов нет" : "Kernel: no sockets" }
    let items = sockets.map { s in
      var text = "\(s.socket)"
      if let type = s.type { text += " " + type.replacingOccurrences(of: "SOCK_", with: "") }
      if let name = s.name { text += " " + name }
      if let pending = s.pending {
        text += ru ? " слушает, ждут \(pending)" : " listening, \(pending) waiting"
      }
      if !s.holders.isEmpty { text += " ← " + s.holders.joined(separator: ", ") }
      // The socket is the number; the kind is short (DGRAM) so that a few fit on a line.
      return text
    }
    return (ru ? "Сокеты в ядре: " : "Sockets in the kernel: ") + items.joined(separator: " · ")
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
