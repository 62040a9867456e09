public import SockScopeLanguage

extension Finding.Kind {
  /// The kind as a rubric and a CSV column name it: `missing-step`, `cut-datagram`.
  public var id: String { rawValue.split(separator: " ").joined(separator: "-") }

  /// The kind whose `id` is `id`.
  public init?(id: String) {
    guard let kind = Self.allCases.first(where: { $0.id == id }) else { return nil }
    self = kind
  }

  /// The kind as a report's label names it.
  public func label(_ language: Language) -> String {
    guard language == .ru else { return rawValue }
    return switch self {
    case .missingStep: "пропущен шаг"
    case .extraStep: "лишний шаг"
    case .wrongOrder: "не тот порядок"
    case .wrongArgument: "не тот аргумент"
    case .failedCall: "ошибка вызова"
    case .unreceivedDatagram: "датаграмма не получена"
    case .loopCount: "число повторений"
    case .exitCondition: "условие выхода"
    case .receivedAfterExit: "приём после выхода"
    case .cutDatagram: "датаграмма обрезана"
    case .socketFileLeft: "файл сокета не удалён"
    case .missingRole: "нет роли"
    case .extraRole: "лишняя роль"
    case .killed: "убит"
    case .stillRunning: "ещё работал"
    }
  }
}

/// The sentences of a comparison, in Russian or English: every message and hint is made here, so
/// that the two languages say the same thing.
struct FindingWords {
  let language: Language

  func say(_ ru: String, _ en: String) -> String { language == .ru ? ru : en }

  var note: String { say("замечание", "note") }
  var hint: String { say("совет", "hint") }
  var expected: String { say("ожидалось", "expected") }
  var actual: String { say("в прогоне", "actual") }
  var and: String { say(" и ", " and ") }

  // MARK: Messages

  func extraRole(_ process: String, roles: [String]) -> String {
    say(
      "\(process) — не роль схемы; на схеме есть: \(roles.joined(separator: ", "))",
      "\(process) is not a role of the schematic, which has \(roles.joined(separator: " and "))")
  }

  func extraProcess(_ process: String, role: String, count: Int) -> String {
    say(
      "\(process) — лишний процесс: в эталонном прогоне процессов роли \(role): \(count)",
      "\(process) is a process the reference run does not have: it has \(count) of role \(role)")
  }

  func misplaced(_ step: String, after neighbour: String?) -> String {
    say(
      "\(step) сделан не там, где на схеме" + (neighbour.map { " (на схеме — сразу после \($0))" } ?? ""),
      "\(step) came at a different place than the schematic has it"
        + (neighbour.map { " (the schematic has it right after \($0))" } ?? ""))
  }

  func missingStep(_ role: String, _ step: String, because: String) -> String {
    say("\(role) не сделал шаг \(step)\(because)", "\(role) never made the step \(step)\(because)")
  }

  func elsewhere(_ role: String, _ call: String, after: String?, before: String?) -> String {
    say(
      "\(role) вызвал \(call)" + (after.map { " сразу после \($0)" } ?? " первым")
        + (before.map { " и перед \($0)" } ?? "") + ", а на схеме этот шаг в другом месте",
      "\(role) made \(call)" + (after.map { " right after \($0)" } ?? " first")
        + (before.map { " and before \($0)" } ?? "") + ": the schematic has it elsewhere")
  }

  func extraStep(_ role: String, _ step: String) -> String {
    say(
      "\(role) сделал шаг, которого нет на схеме: \(step)",
      "\(role) made a step the schematic does not show: \(step)")
  }

  func loopCount(_ count: Int, reference: Int) -> String {
    say(
      "цикл выполнился \(count) \(Self.times(count)); в эталонном прогоне — \(reference)",
      "the loop ran \(count) time\(count == 1 ? "" : "s"); the reference ran it \(reference)")
  }

  /// «раз» or «раза», as Russian says it after `n`: 1 раз, 2 раза, 5 раз, 12 раз, 22 раза.
  static func times(_ n: Int) -> String {
    let tens = n % 100
    let units = n % 10
    return (2...4).contains(units) && !(12...14).contains(tens) ? "раза" : "раз"
  }

  func failed(_ call: String, _ name: String, _ message: String) -> String {
    say("\(call) завершился ошибкой \(name): \(message)", "\(call) failed: \(name): \(message)")
  }

  func killedBefore(_ signal: String) -> String {
    say(" (до этого его убил сигнал \(signal))", " (it was killed by \(signal) before)")
  }

  var stillRunningBefore: String {
    say(" (он ещё работал, когда трассу собрали)", " (it was still running when the trace was merged)")
  }

  var logCut: String { say(" (его журнал оборван)", " (its log was cut short)") }

  func killed(_ name: String, _ signal: String, after step: String) -> String {
    say("\(name) убит сигналом \(signal) после \(step)", "\(name) was killed by \(signal) after \(step)")
  }

  func stillRunning(_ name: String, after step: String) -> String {
    say(
      "\(name) ещё работал, когда трассу собрали: того, что он сделал после \(step), в трассе нет",
      "\(name) was still running when the trace was merged: what it did after \(step) is not in the trace")
  }

  func missingRole(_ name: String) -> String {
    say("роль схемы \(name) в прогоне не появилась", "the schematic's role \(name) never appeared in the run")
  }

  func unreceived(_ what: String, sender: String, receiver: String) -> String {
    say(
      "датаграмму \(what), отправленную \(sender), \(receiver) так и не получил",
      "the datagram \(what) sent by \(sender) was never received by \(receiver)")
  }

  func bytes(_ n: UInt64) -> String { say("\(n) байт", "\(n) bytes") }

  func neverExit(_ role: String, _ word: String, ended: String) -> String {
    say(
      "\(role) так и не получил \"\(word)\" — датаграмму, которая завершает его цикл\(ended)",
      "\(role) never received \"\(word)\", the datagram that ends its loop\(ended)")
  }

  func afterExit(_ role: String, _ word: String, received: String) -> String {
    say(
      "\(role) продолжал принимать после \"\(word)\", хотя эта датаграмма должна была завершить цикл: "
        + "следом получил \(received)",
      "\(role) went on receiving after \"\(word)\", which should have ended its loop: it then received \(received)"
    )
  }

  func wrongArgument(
    _ call: String, actual: String, step: String, expected: String, socket: String?, repetitions: (Int, Int)?
  ) -> String {
    let where_ =
      repetitions.map {
        say(" (в \($0.0) из \($0.1) повторений цикла)", " (in \($0.0) of \($0.1) repetitions of the loop)")
      } ?? ""
    let named = socket.map { say(" ($SOCKET — это \"\($0)\")", " ($SOCKET is \"\($0)\")") } ?? ""
    return say(
      "\(call) вызван с \(actual), а на схеме \(step): \(expected)\(named)\(where_)",
      "\(call) was called with \(actual) where the schematic's \(step) has \(expected)\(named)\(where_)")
  }

  func cut(_ call: String, got: UInt64, of total: UInt64, text: String) -> String {
    say(
      "\(call) получил \(got) из \(total) байт датаграммы (\(text)): буфер короче датаграммы, и ядро "
        + "отбросило остальные \(total - got) байт (MSG_TRUNC)",
      "\(call) received \(got) of the \(total) bytes of the datagram (\(text)): the buffer was shorter than the "
        + "datagram, and the kernel discarded the other \(total - got) bytes (MSG_TRUNC)")
  }

  func fileLeft(_ role: String, _ path: String) -> String {
    say(
      "\(role) привязал сокет к \"\(path)\" и не удалил файл сокета: файл остаётся после закрытия сокета, "
        + "и следующий bind к этому пути завершится ошибкой EADDRINUSE",
      "\(role) bound \"\(path)\" and never removed the socket file: the file stays after the socket is closed, "
        + "and the next bind to that path fails with EADDRINUSE")
  }

  // MARK: Hints: what a student should understand and change

  func hint(_ kind: Finding.Kind, call: String, step: String, errno: String?, word: String?) -> String {
    switch kind {
    case .missingStep where step.hasPrefix("loop"):
      return say(
        "Добавьте цикл \(step) туда, где он стоит на схеме: шаги в нём должны повторяться.",
        "Add the loop \(step) where the schematic has it: its steps are meant to repeat.")
    case .missingStep:
      return say(
        "Добавьте вызов \(step) туда, где он стоит на схеме: без него следующий шаг работает не так, как нарисовано.",
        "Add the call \(step) where the schematic has it: without it the steps after it do not work as drawn."
      )
    case .extraStep:
      return say(
        "Этого вызова нет на схеме: уберите его или проверьте, что рисунок должен его показывать.",
        "The schematic has no such call: remove it, or check whether the figure should show it.")
    case .wrongOrder:
      return say(
        "Переставьте \(step) на место, где он стоит на схеме: порядок вызовов важен (например, connect до send).",
        "Move \(step) to where the schematic has it: the order of calls matters (connect before send, for example)."
      )
    case .wrongArgument:
      return argumentHint(call: call, step: step)
    case .failedCall:
      return failureHint(call: call, errno: errno)
    case .unreceivedDatagram:
      return say(
        "Каждую отправленную датаграмму кто-то должен принять: получатель закончил работу (или не читал) раньше, "
          + "чем она пришла. Не отправляйте ничего после \"\(word ?? "DONE")\" или принимайте, пока не прочитаете всё.",
        "Every datagram sent must be received: the receiver stopped (or was not reading) before this one came. "
          + "Send nothing after \"\(word ?? "DONE")\", or keep receiving until everything is read.")
    case .loopCount:
      return say(
        "Цикл повторился не столько раз, сколько в эталонном прогоне: проверьте условие цикла и входные данные.",
        "The loop ran a different number of times than in the reference run: check the loop's condition and the input."
      )
    case .exitCondition:
      return say(
        "Цикл сервера заканчивается только на \"\(word ?? "")\": последней датаграммой клиент должен отправить "
          + "\"\(word ?? "")\".",
        "The server's loop ends only on \"\(word ?? "")\": a client must send \"\(word ?? "")\" as the last datagram."
      )
    case .receivedAfterExit:
      return say(
        "После \"\(word ?? "")\" цикл должен закончиться: проверяйте каждую принятую датаграмму и выходите из цикла, "
          + "когда она равна \"\(word ?? "")\" (в Python 3 сравнивайте байты с байтами: b\"\(word ?? "")\").",
        "After \"\(word ?? "")\" the loop must end: test each datagram received and leave the loop when it equals "
          + "\"\(word ?? "")\" (in Python 3 compare bytes with bytes: b\"\(word ?? "")\").")
    case .cutDatagram:
      return say(
        "Буфер, переданный в \(call), короче датаграммы, и ядро отбросило её хвост (MSG_TRUNC): границы датаграмм "
          + "сохраняются, дочитать остаток нельзя. Дайте буфер не меньше самой длинной датаграммы (на схеме — \(step)).",
        "The buffer given to \(call) was shorter than the datagram, and the kernel discarded its tail (MSG_TRUNC): "
          + "datagrams keep their boundaries, the rest cannot be read later. Give a buffer at least as long as the "
          + "longest datagram (the schematic has \(step)).")
    case .socketFileLeft:
      return say(
        "Удалите файл сокета после close (unlink, в Python os.remove): иначе при следующем запуске bind к тому же "
          + "пути завершится ошибкой EADDRINUSE.",
        "Remove the socket file after close (unlink; in Python os.remove): otherwise the next start's bind to the "
          + "same path fails with EADDRINUSE.")
    case .missingRole:
      return say(
        "Запустите и программу этой роли: она есть на схеме.",
        "Run this role's program too: the schematic has it.")
    case .extraRole:
      return say(
        "Этого процесса нет на схеме: не запускайте его в прогоне или сузьте проверку (--role, --pid, --path).",
        "The schematic has no such process: leave it out of the run, or focus the check (--role, --pid, --path)."
      )
    case .killed, .stillRunning:
      return say(
        "Процесс не закончил работу сам, поэтому его последних шагов в трассе нет.",
        "The process did not end by itself, so its last steps are not in the trace.")
    }
  }

  func argumentHint(call: String, step: String) -> String {
    switch call {
    case "socket", "socketpair":
      return say(
        "Тип сокета определяет, как идут данные: SOCK_DGRAM сохраняет каждую отправку отдельной датаграммой, "
          + "SOCK_STREAM — поток байтов, которому на сервере нужны listen и accept. Создайте сокет как на схеме: \(step).",
        "The socket's type decides how data travel: SOCK_DGRAM keeps each send a datagram of its own, SOCK_STREAM "
          + "is a byte stream that needs listen and accept on the server. Create the socket as the schematic does: \(step)."
      )
    case "bind", "connect", "unlink":
      return say(
        "Сервер и клиент находят друг друга только по одному и тому же пути: используйте путь схемы, \(step).",
        "Server and client find each other only through the same path: use the schematic's path, \(step).")
    case "recv":
      return say(
        "Размер буфера — наибольшее, что вернёт recv; датаграмма длиннее буфера обрезается. Используйте размер схемы: \(step).",
        "The buffer size is the most recv returns; a longer datagram is cut. Use the schematic's size: \(step)."
      )
    default:
      return say(
        "Вызовите \(call) с аргументами схемы: \(step).",
        "Call \(call) with the schematic's arguments: \(step).")
    }
  }

  /// What an errno of a socket call means for the page's kind of program (facts measured in
  /// the project's notes on UNIX sockets); a pointer to the manual otherwise.
  func failureHint(call: String, errno: String?) -> String {
    switch (call, errno ?? "") {
    case ("connect", "ENOENT"), ("sendto", "ENOENT"), ("sendmsg", "ENOENT"):
      return say(
        "Файла сокета по этому пути нет: запустите сервер первым и проверьте, что путь тот же, что у bind.",
        "No socket file exists at that path: start the server first, and check the path is the one it binds.")
    case ("connect", "ECONNREFUSED"), ("sendto", "ECONNREFUSED"):
      return say(
        "По этому пути никто не принимает: сокет, привязанный к нему, закрыт (файл после close остаётся) или это "
          + "потоковый сокет без listen. Запустите сервер первым; сервер должен удалять файл после close.",
        "Nothing takes connections at that path: the socket bound to it was closed (the file stays after close), "
          + "or it is a stream socket that is not listening. Start the server first; a server should remove its "
          + "file after close.")
    case (_, "ECONNREFUSED"):
      return say(
        "Сокет-получатель закрылся после того, как этот сокет к нему подключился (сервер закончил работу): "
          + "не отправляйте ничего после датаграммы, которая останавливает сервер.",
        "The receiving socket was closed after this socket connected to it (the server ended): send nothing after "
          + "the datagram that stops the server.")
    case (_, "ENOTCONN") where call.hasPrefix("send") || call == "write":
      return say(
        "Сокет не подключён (или его получатель уже закрылся и ядро забыло о нём): подключитесь (connect) "
          + "перед send или укажите адрес в sendto.",
        "The socket is not connected (or its peer closed and the kernel dropped it): connect before send, or "
          + "give sendto an address.")
    case ("bind", "EADDRINUSE"):
      return say(
        "Файл по этому пути уже есть (остался от прошлого запуска): удалите его перед bind, как сервер со страницы.",
        "A file exists at that path already (left by an earlier run): remove it before bind, as the page's server does."
      )
    case (_, "EPROTOTYPE"):
      return say(
        "Сокет по этому пути другого типа (например, SOCK_STREAM против SOCK_DGRAM): создайте оба с одним типом.",
        "The socket at that path is of another type (SOCK_STREAM against SOCK_DGRAM, say): create both with one type."
      )
    case (_, "EINTR"):
      return say(
        "Сигнал прервал вызов до того, как он завершился (например, Ctrl-C), и программа не повторила его.",
        "A signal interrupted the call before it completed (Ctrl-C, for example), and the program did not retry it."
      )
    default:
      return say(
        "Вызов завершился ошибкой\(errno.map { " \($0)" } ?? ""): что она значит для \(call), сказано в man 2 \(call).",
        "The call failed\(errno.map { " with \($0)" } ?? ""): man 2 \(call) says what that means for \(call)."
      )
    }
  }
}
