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
    /// The box's text as the page writes it (`as "datagram = recv(1024)"`), when it says so.
    public var label: String? = nil

    public init(call: String, arguments: [String], line: Int, label: String? = nil) {
      self.call = call
      self.arguments = arguments
      self.line = line
      self.label = label
    }

    /// The step as the figure writes it: `bind($SOCKET)`, `recv(1024)`.
    public var text: String { "\(call)(\(arguments.joined(separator: ", ")))" }
  }

  /// The loop region: steps that repeat, and the datagram that ends them, if any.
  public struct Loop: Sendable, Equatable {
    public var body: [Step]
    public var until: String?
    public var line: Int
    /// The body in the figure's order: its steps, and the decisions and output steps between them
    /// (`body` holds the steps alone, which is what a comparison aligns).
    public var items: [LoopItem] = []

    /// A loop of `body`'s steps; `items` (with decisions and output steps) defaults to the steps.
    public init(body: [Step], until: String?, line: Int, items: [LoopItem]? = nil) {
      self.body = body
      self.until = until
      self.line = line
      self.items = items ?? body.map(LoopItem.step)
    }

    /// The decisions of the loop, in order.
    public var decisions: [Decision] {
      items.compactMap { if case .decision(let d) = $0 { d } else { nil } }
    }
  }

  /// What a loop's body holds, in the figure's order.
  public enum LoopItem: Sendable, Equatable {
    case step(Step)
    /// A diamond: a test of the datagram the loop's last receive got.
    case decision(Decision)
    /// A parallelogram: the program prints what it received.
    case output(Output)
  }

  /// A diamond of the figure: `if datagram`, `if "DONE"`. One branch leaves the loop, the other
  /// goes on to the next item (or back to the loop's first step, after the last).
  public struct Decision: Sendable, Equatable {
    /// What is tested, on the data of the loop's latest receive.
    public enum Condition: Sendable, Equatable {
      /// The receive got at least one byte (Python's `if datagram`: an empty datagram, or end of
      /// file on a stream, is false).
      case received
      /// The receive got exactly these bytes (`"DONE" == datagram`): no prefix, no case folding.
      case equals(String)
    }
    public var condition: Condition
    /// The diamond's text, as the page writes it: `if datagram`, `if “DONE”`.
    public var label: String
    /// The branch that leaves the loop: true (`then exit`) or false (`else exit`).
    public var exitsWhen: Bool
    public var line: Int
  }

  /// An output step (`print datagram`): the program writes what its latest receive got to its
  /// standard output or error, as the run's recorded output shows.
  public struct Output: Sendable, Equatable {
    /// The parallelogram's text: `print datagram`.
    public var label: String
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

    public init(name: String, titles: [String], elements: [Element], line: Int) {
      self.name = name
      self.titles = titles
      self.elements = elements
      self.line = line
    }
  }

  /// An arrow between roles: data sent by one step is received by another.
  public struct Arrow: Sendable, Equatable {
    public var fromRole: String
    public var fromCall: String
    public var toRole: String
    public var toCall: String
    public var line: Int

    public init(fromRole: String, fromCall: String, toRole: String, toCall: String, line: Int) {
      self.fromRole = fromRole
      self.fromCall = fromCall
      self.toRole = toRole
      self.toCall = toCall
      self.line = line
    }
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
}

extension DocumentedSchematic.Role {
  /// The role's loop, if it has one (loops do not nest, and a role has at most one that the
  /// figure draws as its loop region: the first).
  public var loop: DocumentedSchematic.Loop? {
    elements.lazy.compactMap { if case .loop(let l) = $0 { l } else { nil } }.first
  }

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
  /// 1-based column (in characters; a byte order mark is not one), or 0 for the line as a whole.
  public var column: Int
  public var message: String

  public init(file: String, line: Int, column: Int = 0, message: String) {
    self.file = file
    self.line = line
    self.column = column
    self.message = message
  }

  /// `file:line:column: message`, as compilers write it (editors jump to the place).
  public var description: String {
    guard line > 0 else { return "\(file): \(message)" }
    return column > 0 ? "\(file):\(line):\(column): \(message)" : "\(file):\(line): \(message)"
  }
}
