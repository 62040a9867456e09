import SockScopeAnalysis
import SockScopeLanguage
import SockScopeTrace

/// Words that appear on diagrams.
struct DiagramText {
  let language: Language

  /// «Сервер», «Клиент ×2», «Клиент #1», or the role as given: a column that stands for several
  /// processes says how many; one that stands for one process keeps what tells it apart.
  func columnTitle(role: String, processes: Int) -> String {
    let kind = Participant.kind(of: role)
    let title: String
    switch (kind, language) {
    case ("server", .ru): title = "Сервер"
    case ("server", .en): title = "Server"
    case ("client", .ru): title = "Клиент"
    case ("client", .en): title = "Client"
    default: title = kind
    }
    if processes > 1 { return "\(title) ×\(processes)" }
    let suffix = role.dropFirst(kind.count)
    return title + (suffix.hasPrefix("#") ? " " + suffix : String(suffix))
  }

  /// The mark at a killed process's last step: «убит: SIGKILL».
  func killed(_ signal: String) -> String { language == .ru ? "убит: \(signal)" : "killed: \(signal)" }

  /// The mark at the end of a process whose log was never closed, for a reason nobody saw.
  var logCut: String {
    language == .ru ? "завершился, не закрыв журнал" : "ended without closing its log"
  }

  /// The mark at the end of a process still running when the trace was merged.
  var stillRunning: String { language == .ru ? "ещё работал при слиянии" : "still running when merged" }

  func loop(times: Int) -> String {
    switch language {
    case .ru: "цикл: \(times) \(russianTimes(times))"
    case .en: "loop: ran \(times) time\(times == 1 ? "" : "s")"
    }
  }

  /// The loop label when the columns' loops ran a different number of times: «цикл: 2 и 3 раза
  /// (по колонкам)».
  func loop(eachColumn counts: [Int]) -> String {
    let head = counts.dropLast().map(String.init).joined(separator: ", ")
    let last = counts.last ?? 0
    switch language {
    case .ru: return "цикл: \(head) и \(last) \(russianTimes(last)) (по колонкам)"
    case .en: return "loop: ran \(head) and \(last) times (by column)"
    }
  }

  func perProcess(_ n: Int) -> String { language == .ru ? "×\(n) на процесс" : "×\(n) per process" }

  func times(_ n: Int) -> String { "×\(n)" }

  /// A count over all of a column's processes, when they did not all make the step as often.
  func inAll(_ n: Int) -> String { language == .ru ? "×\(n) всего" : "×\(n) in all" }

  func cut(full: UInt64, kept: UInt64) -> String {
    language == .ru ? "обрезано: \(full) Б → \(kept) Б" : "cut: \(full) B → \(kept) B"
  }

  func bytes(_ n: UInt64) -> String { language == .ru ? "\(n) Б" : "\(n) B" }

  /// A program's start (`program_start`, not a call): the program and the socket descriptors it
  /// began with, «start python3.11: holds fd 4».
  func programStart(_ program: String, fds: [Int32]) -> String {
    let held = fds.map { "fd \($0)" }.joined(separator: ", ")
    switch language {
    case .ru: return "старт \(program): " + (fds.isEmpty ? "без сокетов" : "держит \(held)")
    case .en: return "start \(program): " + (fds.isEmpty ? "no sockets" : "holds \(held)")
    }
  }

  /// One descriptor passed with SCM_RIGHTS, from the sender's number to the receiver's new one:
  /// «fd 5 → fd 3 (сокет 14695)»; «fd 5 → не доставлен (MSG_CTRUNC)» when the receiver's control
  /// buffer had no room for it; «fd 5 (сокет 14695) → ?» when the receive recorded no number for it.
  func passing(_ p: DescriptorPassing) -> String {
    let ru = language == .ru
    let to: String
    if let fd = p.receiverFD {
      to = "fd \(fd)"
    } else if p.dropped {
      to = ru ? "не доставлен (MSG_CTRUNC)" : "not delivered (MSG_CTRUNC)"
    } else {
      to = "?"
    }
    let what =
      p.inode.map { p.isSocket ? (ru ? " (сокет \($0))" : " (socket \($0))") : " (inode \($0))" } ?? ""
    if p.dropped { return "fd \(p.senderFD) → \(to)" }
    // The socket is named on the side whose number is known.
    return p.receiverFD == nil ? "fd \(p.senderFD)\(what) → ?" : "fd \(p.senderFD) → \(to)\(what)"
  }

  /// The label of a message arrow: what the send carried, and on lines below, each descriptor it
  /// passed with SCM_RIGHTS (at most `limit` lines of them, then how many more).
  func message(_ send: TraceEvent, passed: [DescriptorPassing], limit: Int = 4) -> String {
    // Bytes that are not text are said once («4 B», not «4 B 4 B»); without captured data, the
    // count the send returned.
    var s =
      send.data.map { $0.text == nil ? bytes($0.length) : "\(preview($0)) \(bytes($0.length))" }
      ?? bytes(UInt64(max(send.ret, 0)))
    guard !passed.isEmpty else { return s }
    s += " + SCM_RIGHTS"
    for p in passed.prefix(passed.count > limit ? limit - 1 : limit) { s += "\n" + passing(p) }
    if passed.count > limit {
      let more = passed.count - limit + 1
      s += "\n" + (language == .ru ? "… и ещё \(more)" : "… and \(more) more")
    }
    return s
  }

  /// The note on one page of a paged sequence chart.
  func page(_ page: Int, of pages: Int, first: Int, last: Int, total: Int) -> String {
    language == .ru
      ? "страница \(page) из \(pages): вызовы \(first)–\(last) из \(total); стрелки к вызовам других страниц не показаны"
      : "page \(page) of \(pages): calls \(first)–\(last) of \(total); arrows to calls on other pages are not drawn"
  }

  func folded(_ n: Int) -> String {
    language == .ru
      ? "… ещё \(n) событий не показаны (трасса длинная; см. docs/diagrams.md) …"
      : "… \(n) more events not drawn (a long trace; see docs/diagrams.md) …"
  }

  func omittedSteps(_ n: Int) -> String {
    language == .ru
      ? "… ещё шагов: \(n), не показаны (их вызовы не сворачиваются в цикл) …"
      : "… \(n) more steps not drawn (their calls do not fold into one loop) …"
  }

  /// What a receive of no bytes was: «конец файла» on a stream, an empty datagram otherwise.
  func empty(_ kind: RunSchematic.EmptyReceive) -> String {
    switch (kind, language) {
    case (.endOfFile, .ru): "EOF (конец потока)"
    case (.endOfFile, .en): "EOF (end of stream)"
    case (.emptyDatagram, .ru): "пустая датаграмма (0 Б)"
    case (.emptyDatagram, .en): "empty datagram (0 B)"
    }
  }

  /// Said at a branch that leaves the loop when the process received again after taking it.
  func wentOn(_ n: Int) -> String {
    language == .ru ? "(но приём продолжился: \(n))" : "(yet it received again: \(n))"
  }

  var missingTitle: String { language == .ru ? "Нет в запуске" : "Missing from the run" }

  /// The key to a compared figure's marks, as an HTML label.
  func legend(_ palette: DiagramPalette) -> String {
    let conforming = "<font color=\"\(palette.conforming)\">■</font>"
    let extra = "<font color=\"\(palette.muted)\">┅</font>"
    let missing = "<font color=\"\(palette.failure)\">┅</font>"
    let failed = "<font color=\"\(palette.failure)\">\(palette.failedGlyph)</font>"
    return language == .ru
      ? "\(conforming) как на схеме   \(extra) нет на схеме   \(missing) нет в запуске   \(failed) ошибка"
      : "\(conforming) as documented   \(extra) not in the schematic   \(missing) missing from the run   "
        + "\(failed) failed"
  }

  private func russianTimes(_ n: Int) -> String {
    let tens = n % 100
    if (11...14).contains(tens) { return "раз" }
    switch n % 10 {
    case 2, 3, 4: return "раза"
    default: return "раз"
    }
  }

  /// A step's title as the documented figure shows it (English in both languages, as on the page).
  static func title(_ call: SocketCall) -> String {
    switch call {
    case .socket: "Socket"
    case .socketpair: "Socketpair"
    case .bind: "Bind"
    case .listen: "Listen"
    case .accept, .accept4: "Accept"
    case .connect: "Connect"
    case .send, .sendto, .sendmsg, .write: "Send"
    case .recv, .recvfrom, .recvmsg, .read: "Receive"
    case .shutdown: "Shutdown"
    case .close: "Close"
    case .unlink: "Unlink"
    case .getsockname, .getpeername: "Address"
    case .setsockopt: "Option"
    case .output: "Output"
    case .dup, .dup2, .dup3, .fcntl: "Duplicate"
    case .fork: "Fork"
    case .execve: "Exec"
    case .programStart: "Start"
    case .getsockopt: "Option"
    case .poll, .select, .epollCtl, .epollWait: "Wait"
    }
  }

  /// A short preview of data: «Лев», or `4 B` for bytes that are not text.
  func preview(_ data: Payload?, limit: Int = 24) -> String {
    guard let data else { return "" }
    guard let text = data.text else { return bytes(data.length) }
    let short = text.count > limit ? String(text.prefix(limit - 1)) + "…" : text
    return "«" + short.replacingOccurrences(of: "\n", with: "⏎") + "»"
  }
}

extension String {
  fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
    split(separator: Character(target), omittingEmptySubsequences: false).joined(separator: replacement)
  }
}
