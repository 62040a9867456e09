import SockScopeTrace

extension DocumentedSchematic {
  /// Reads a schematic; `file` names it in errors, which give the line and column of the word at
  /// fault.
  ///
  /// Lines may end in `\n` or `\r\n` (a file saved on Windows reads the same), and a byte order
  /// mark an editor put first is not part of the first word.
  public static func parse(_ text: String, file: String) throws(SchematicError) -> DocumentedSchematic {
    var parser = Parser(file: file)
    let body =
      text.unicodeScalars.first == "\u{FEFF}" ? Substring(text.unicodeScalars.dropFirst()) : Substring(text)
    for (n, raw) in body.splittingLines().enumerated() {
      let words: [Word]
      do { words = try tokens(raw) } catch {
        throw SchematicError(file: file, line: n + 1, column: error.column, message: error.message)
      }
      try parser.read(words, line: n + 1)
    }
    return try parser.finish()
  }

  /// A word of a line and the 1-based column it starts at.
  struct Word {
    var text: String
    var column: Int
  }

  private struct Parser {
    let file: String
    var title: String?
    var roles: [Role] = []
    var arrows: [Arrow] = []
    var exit: (role: String, word: String, line: Int)?
    var socket: String?
    var openLoop: Loop?
    /// The column of the open loop's `loop` keyword.
    var openLoopColumn = 0

    init(file: String) { self.file = file }

    func fail(_ line: Int, _ word: Word?, _ message: String) -> SchematicError {
      SchematicError(file: file, line: line, column: word?.column ?? 0, message: message)
    }

    mutating func read(_ words: [Word], line number: Int) throws(SchematicError) {
      guard let head = words.first else { return }
      let keyword = head.text
      let rest = Array(words.dropFirst())
      let texts = rest.map(\.text)
      switch keyword {
      case "schematic":
        guard rest.count == 1 else {
          throw fail(
            number, rest.dropFirst().first ?? head, "write the title in quotes: schematic \"Echo pair\"")
        }
        title = texts[0]
      case "role":
        if let loop = openLoop {
          throw fail(
            number, head, "the loop opened on line \(loop.line) is still open: close it with `end` first")
        }
        guard let name = rest.first?.text,
          name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" })
        else {
          throw fail(
            number, rest.first ?? head,
            "a role needs a name of letters and digits: role server \"Сервер\" \"Server\"")
        }
        guard !roles.contains(where: { $0.name == name }) else {
          throw fail(number, rest[0], "role \"\(name)\" is defined twice")
        }
        roles.append(Role(name: name, titles: Array(texts.dropFirst()), elements: [], line: number))
      case "step":
        guard !roles.isEmpty else {
          throw fail(number, head, "a step must come after the `role` it belongs to")
        }
        guard let call = rest.first else {
          throw fail(number, head, "a step needs a call: step bind $SOCKET")
        }
        guard knownCalls.contains(call.text) else {
          throw fail(
            number, call,
            "unknown call \"\(call.text)\"; a step is one of: \(knownCalls.joined(separator: ", "))")
        }
        var arguments = Array(rest.dropFirst())
        var label: String?
        if let at = arguments.firstIndex(where: { $0.text == "as" }) {
          guard at == arguments.count - 2 else {
            throw fail(
              number, arguments[at], "write the box's text last, in quotes: step recv 1024 as \"recv(1024)\"")
          }
          label = arguments[at + 1].text
          arguments.removeLast(2)
        }
        let step = Step(call: call.text, arguments: arguments.map(\.text), line: number, label: label)
        if openLoop != nil {
          openLoop?.body.append(step)
          openLoop?.items.append(.step(step))
        } else {
          roles[roles.count - 1].elements.append(.step(step))
        }
      case "if":
        try readDecision(head, rest, line: number)
      case "print":
        guard openLoop != nil, openLoop?.body.contains(where: { $0.call == "recv" }) == true else {
          throw fail(
            number, head, "`print` goes inside a loop, after the `step recv` whose datagram it prints")
        }
        guard rest.first?.text == "datagram", rest.count <= 2 else {
          throw fail(
            number, rest.first ?? head, "write: print datagram   or   print datagram \"print datagram\"")
        }
        openLoop?.items.append(
          .output(Output(label: rest.count == 2 ? rest[1].text : "print datagram", line: number)))
      case "loop":
        guard !roles.isEmpty else {
          throw fail(number, head, "a loop must come after the `role` it belongs to")
        }
        if let loop = openLoop {
          throw fail(
            number, head, "loops do not nest: close the loop opened on line \(loop.line) with `end` first")
        }
        var until: String?
        if !rest.isEmpty {
          guard rest.count == 2, rest[0].text == "until" else {
            throw fail(number, rest[0], "write: loop   or   loop until \"DONE\"")
          }
          until = rest[1].text
        }
        openLoop = Loop(body: [], until: until, line: number)
        openLoopColumn = head.column
      case "end":
        guard let loop = openLoop else { throw fail(number, head, "`end` without an open `loop`") }
        guard !loop.body.isEmpty else {
          throw fail(number, head, "the loop opened on line \(loop.line) has no steps")
        }
        roles[roles.count - 1].elements.append(.loop(loop))
        openLoop = nil
      case "arrow":
        guard rest.count == 3, rest[1].text == "->", let from = split(texts[0]), let to = split(texts[2])
        else {
          throw fail(number, rest.first ?? head, "write: arrow client.send -> server.recv")
        }
        arrows.append(Arrow(fromRole: from.0, fromCall: from.1, toRole: to.0, toCall: to.1, line: number))
      case "exit":
        guard rest.count == 3, rest[1].text == "on" else {
          throw fail(number, rest.first ?? head, "write: exit server on \"DONE\"")
        }
        exit = (texts[0], texts[2], number)
      case "socket":
        guard rest.count == 1 else {
          throw fail(number, rest.first ?? head, "write the path in quotes: socket \"./echo.socket\"")
        }
        socket = texts[0]
      default:
        throw fail(
          number, head,
          "unknown keyword \"\(keyword)\"; a line starts with schematic, role, step, loop, if, print, end, arrow, "
            + "exit or socket")
      }
    }

    /// `if datagram ["LABEL"] else exit`, `if equals "WORD" ["LABEL"] then exit`.
    mutating func readDecision(_ head: Word, _ rest: [Word], line number: Int) throws(SchematicError) {
      let usage =
        "write: if datagram \"if datagram\" else exit   or   if equals \"DONE\" \"if “DONE”\" then exit"
      guard openLoop != nil, openLoop?.body.contains(where: { $0.call == "recv" }) == true else {
        throw fail(number, head, "`if` goes inside a loop, after the `step recv` whose datagram it tests")
      }
      guard let what = rest.first else { throw fail(number, head, usage) }
      var words = rest.dropFirst()
      let condition: Decision.Condition
      var label: String
      switch what.text {
      case "datagram":
        condition = .received
        label = "if datagram"
      case "equals":
        guard let word = words.popFirst() else { throw fail(number, what, usage) }
        condition = .equals(word.text)
        label = "if \"\(word.text)\""
      default:
        throw fail(number, what, "unknown condition \"\(what.text)\"; " + usage)
      }
      if words.count == 3 { label = words.removeFirst().text }
      guard words.count == 2, let branch = words.first, branch.text == "then" || branch.text == "else",
        words.last?.text == "exit"
      else {
        throw fail(number, words.first ?? what, usage)
      }
      openLoop?.items.append(
        .decision(
          Decision(condition: condition, label: label, exitsWhen: branch.text == "then", line: number)))
    }

    func finish() throws(SchematicError) -> DocumentedSchematic {
      if let loop = openLoop {
        throw SchematicError(
          file: file, line: loop.line, column: openLoopColumn,
          message: "this loop is never closed with `end`: write `end` after its last step")
      }
      guard !roles.isEmpty else {
        throw SchematicError(
          file: file, line: 0, message: "no roles: a schematic needs at least one `role` with steps")
      }
      for arrow in arrows {
        for (role, call) in [(arrow.fromRole, arrow.fromCall), (arrow.toRole, arrow.toCall)] {
          guard let r = roles.first(where: { $0.name == role }) else {
            throw fail(arrow.line, nil, "the arrow names role \"\(role)\", which is not defined")
          }
          guard r.allSteps.contains(where: { $0.call == call }) else {
            throw fail(arrow.line, nil, "role \"\(role)\" has no \(call) step for the arrow to touch")
          }
        }
      }
      if let exit, !roles.contains(where: { $0.name == exit.role }) {
        throw fail(exit.line, nil, "`exit` names role \"\(exit.role)\", which is not defined")
      }
      return DocumentedSchematic(
        title: title ?? file, roles: roles, arrows: arrows, exit: exit.map { ($0.role, $0.word) },
        socketPath: socket)
    }

    private func split(_ s: String) -> (String, String)? {
      let parts = s.split(separator: ".")
      guard parts.count == 2 else { return nil }
      return (String(parts[0]), String(parts[1]))
    }
  }

  struct TokenError: Error {
    var message: String
    var column: Int
  }

  /// Words of a line; double quotes group words (`"Сервер"`), `#` starts a comment outside quotes.
  static func tokens(_ line: Substring) throws(TokenError) -> [Word] {
    var words: [Word] = []
    var current = ""
    var start = 0
    var quoteColumn = 0
    var quoted = false
    var inWord = false
    var column = 0
    for c in line {
      column += 1
      if quoted {
        if c == "\"" { quoted = false } else { current.append(c) }
      } else if c == "\"" {
        quoted = true
        quoteColumn = column
        if !inWord { start = column }
        inWord = true
      } else if c == "#" && !inWord {
        break
      } else if c == " " || c == "\t" || c == "\r" || c == "\r\n" {
        if inWord { words.append(Word(text: current, column: start)) }
        current = ""
        inWord = false
      } else {
        if !inWord { start = column }
        current.append(c)
        inWord = true
      }
    }
    if quoted {
      throw TokenError(message: "a quote is not closed (it opens at this column)", column: quoteColumn)
    }
    if inWord { words.append(Word(text: current, column: start)) }
    return words
  }
}
