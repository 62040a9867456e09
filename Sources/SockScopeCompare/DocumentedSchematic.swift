import SockScopeResources
import SockScopeTrace

/// A schematic as documented on a course page, as data: the roles, each role's steps, the loop
/// and when it ends, and the arrows between roles. Read from the format in
/// docs/schematic-format.md.
public struct DocumentedSchematic: Sendable, Equatable {
  /// One box of the figure: a call and its key arguments.
  public struct Step: Sendable, Equatable {
    /// The call, by family: `send` stands for send, sendto, sendmsg and write.
    public var call: String
    public var arguments: [String]
    public var line: Int

    /// The step as the figure writes it: `bind($SOCKET)`, `recv(1024)`.
    public var text: String { "\(call)(\(arguments.joined(separator: ", ")))" }
  }

  /// The loop region: steps that repeat, and the datagram that ends them, if any.
  public struct Loop: Sendable, Equatable {
    public var body: [Step]
    public var until: String?
    public var line: Int
  }

  /// A step or a loop, in a role's order.
  public enum Element: Sendable, Equatable {
    case step(Step)
    case loop(Loop)
  }

  /// A column of the figure.
  public struct Role: Sendable, Equatable {
    /// Matched with trace roles by name: `client` stands for `client`, `client#1`, `client#2`...
    public var name: String
    public var titles: [String]
    public var elements: [Element]
    public var line: Int
  }

  /// An arrow between roles: data sent by one step is received by another.
  public struct Arrow: Sendable, Equatable {
    public var fromRole: String
    public var fromCall: String
    public var toRole: String
    public var toCall: String
    public var line: Int
  }

  public var title: String
  public var roles: [Role]
  public var arrows: [Arrow]
  /// The role whose loop ends, and the datagram that ends it.
  public var exit: (role: String, word: String)?
  /// The value of `$SOCKET` in step arguments.
  public var socketPath: String?

  public static func == (a: DocumentedSchematic, b: DocumentedSchematic) -> Bool {
    a.title == b.title && a.roles == b.roles && a.arrows == b.arrows && a.exit?.role == b.exit?.role
      && a.exit?.word == b.exit?.word && a.socketPath == b.socketPath
  }

  public init(
    title: String, roles: [Role], arrows: [Arrow] = [], exit: (role: String, word: String)? = nil,
    socketPath: String? = nil
  ) {
    self.title = title
    self.roles = roles
    self.arrows = arrows
    self.exit = exit
    self.socketPath = socketPath
  }

  /// The lecture page's datagram echo pair, as shipped in Resources/schematics.
  public static var datagramEcho: DocumentedSchematic {
    get throws(SchematicError) {
      try parse(EmbeddedResources.datagramEchoSchematic, file: "datagram-echo.schematic (built in)")
    }
  }

  /// The call families a schematic step may name.
  public static let knownCalls = [
    "socket", "socketpair", "bind", "listen", "accept", "connect", "send", "recv", "shutdown", "close",
    "unlink",
    "getsockname", "getpeername", "setsockopt",
  ]

  /// Reads a schematic; `file` names it in errors.
  public static func parse(_ text: String, file: String) throws(SchematicError) -> DocumentedSchematic {
    var title: String?
    var roles: [Role] = []
    var arrows: [Arrow] = []
    var exit: (role: String, word: String)?
    var socket: String?
    var openLoop: Loop?

    func fail(_ line: Int, _ message: String) -> SchematicError {
      SchematicError(file: file, line: line, message: message)
    }

    // Lines end in "\n" or "\r\n" (a file saved on Windows): Swift reads "\r\n" as one Character,
    // never equal to "\n". A byte order mark an editor added is not part of the first word.
    let body =
      text.unicodeScalars.first == "\u{FEFF}" ? Substring(text.unicodeScalars.dropFirst()) : Substring(text)
    for (n, raw) in body.splittingLines().enumerated() {
      let number = n + 1
      let words: [String]
      do { words = try tokens(String(raw)) } catch { throw fail(number, error.message) }
      guard let keyword = words.first else { continue }
      let rest = Array(words.dropFirst())
      switch keyword {
      case "schematic":
        guard rest.count == 1 else {
          throw fail(number, "write the title in quotes: schematic \"Echo pair\"")
        }
        title = rest[0]
      case "role":
        guard openLoop == nil else { throw fail(number, "a loop is still open: close it with `end` first") }
        guard let name = rest.first, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" })
        else {
          throw fail(number, "a role needs a name of letters and digits: role server \"Сервер\" \"Server\"")
        }
        guard !roles.contains(where: { $0.name == name }) else {
          throw fail(number, "role \"\(name)\" is defined twice")
        }
        roles.append(Role(name: name, titles: Array(rest.dropFirst()), elements: [], line: number))
      case "step":
        guard !roles.isEmpty else { throw fail(number, "a step must come after the `role` it belongs to") }
        guard let call = rest.first else { throw fail(number, "a step needs a call: step bind $SOCKET") }
        guard knownCalls.contains(call) else {
          throw fail(
            number, "unknown call \"\(call)\"; a step is one of: \(knownCalls.joined(separator: ", "))")
        }
        let step = Step(call: call, arguments: Array(rest.dropFirst()), line: number)
        if openLoop != nil {
          openLoop?.body.append(step)
        } else {
          roles[roles.count - 1].elements.append(.step(step))
        }
      case "loop":
        guard !roles.isEmpty else { throw fail(number, "a loop must come after the `role` it belongs to") }
        guard openLoop == nil else {
          throw fail(number, "loops do not nest: close the open loop with `end` first")
        }
        var until: String?
        if !rest.isEmpty {
          guard rest.count == 2, rest[0] == "until" else {
            throw fail(number, "write: loop   or   loop until \"DONE\"")
          }
          until = rest[1]
        }
        openLoop = Loop(body: [], until: until, line: number)
      case "end":
        guard let loop = openLoop else { throw fail(number, "`end` without an open `loop`") }
        guard !loop.body.isEmpty else {
          throw fail(number, "the loop opened on line \(loop.line) has no steps")
        }
        roles[roles.count - 1].elements.append(.loop(loop))
        openLoop = nil
      case "arrow":
        guard rest.count == 3, rest[1] == "->", let from = split(rest[0]), let to = split(rest[2]) else {
          throw fail(number, "write: arrow client.send -> server.recv")
        }
        arrows.append(Arrow(fromRole: from.0, fromCall: from.1, toRole: to.0, toCall: to.1, line: number))
      case "exit":
        guard rest.count == 3, rest[1] == "on" else { throw fail(number, "write: exit server on \"DONE\"") }
        exit = (rest[0], rest[2])
      case "socket":
        guard rest.count == 1 else {
          throw fail(number, "write the path in quotes: socket \"./echo.socket\"")
        }
        socket = rest[0]
      default:
        throw fail(
          number,
          "unknown keyword \"\(keyword)\"; a line starts with schematic, role, step, loop, end, arrow, exit or socket"
        )
      }
    }
    if let loop = openLoop { throw fail(loop.line, "this loop is never closed with `end`") }
    guard !roles.isEmpty else { throw fail(0, "no roles: a schematic needs at least one `role` with steps") }
    for arrow in arrows {
      for (role, call) in [(arrow.fromRole, arrow.fromCall), (arrow.toRole, arrow.toCall)] {
        guard let r = roles.first(where: { $0.name == role }) else {
          throw fail(arrow.line, "the arrow names role \"\(role)\", which is not defined")
        }
        guard r.allSteps.contains(where: { $0.call == call }) else {
          throw fail(arrow.line, "role \"\(role)\" has no \(call) step for the arrow to touch")
        }
      }
    }
    if let exit, !roles.contains(where: { $0.name == exit.role }) {
      throw fail(0, "`exit` names role \"\(exit.role)\", which is not defined")
    }
    return DocumentedSchematic(
      title: title ?? file, roles: roles, arrows: arrows, exit: exit, socketPath: socket)
  }

  private static func split(_ s: String) -> (String, String)? {
    let parts = s.split(separator: ".")
    guard parts.count == 2 else { return nil }
    return (String(parts[0]), String(parts[1]))
  }

  private struct TokenError: Error {
    var message: String
  }

  /// Words of a line; double quotes group words (`"Сервер"`), `#` starts a comment outside quotes.
  private static func tokens(_ line: String) throws(TokenError) -> [String] {
    var words: [String] = []
    var current = ""
    var quoted = false
    var inWord = false
    for c in line {
      if quoted {
        if c == "\"" { quoted = false } else { current.append(c) }
      } else if c == "\"" {
        quoted = true
        inWord = true
      } else if c == "#" && !inWord {
        break
      } else if c == " " || c == "\t" || c == "\r" {
        if inWord { words.append(current) }
        current = ""
        inWord = false
      } else {
        current.append(c)
        inWord = true
      }
    }
    if quoted { throw TokenError(message: "a quote is not closed") }
    if inWord { words.append(current) }
    return words
  }
}

extension DocumentedSchematic.Role {
  /// Every step, loop bodies included.
  public var allSteps: [DocumentedSchematic.Step] {
    elements.flatMap { element -> [DocumentedSchematic.Step] in
      switch element {
      case .step(let s): [s]
      case .loop(let l): l.body
      }
    }
  }
}

/// A schematic file that cannot be used.
public struct SchematicError: Error, Sendable, Equatable, CustomStringConvertible {
  public var file: String
  /// 1-based line, or 0 when the problem is the file as a whole.
  public var line: Int
  public var message: String

  public var description: String { line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)" }
}
