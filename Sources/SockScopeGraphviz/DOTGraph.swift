/// An attribute value, quoted as DOT needs.
public enum DOTValue: Sendable, Equatable, ExpressibleByStringLiteral {
  /// A string, written in double quotes with `"` and `\` escaped and newlines as `\n`.
  case text(String)
  /// An HTML-like label, written in angle brackets; build its text with `DOTValue.html(escaping:)`.
  case html(String)
  /// A number or keyword written as is (`1.5`, `true`, `LR`).
  case plain(String)

  /// A quoted text value.
  public init(stringLiteral value: String) { self = .text(value) }

  /// A number attribute.
  public static func number(_ value: Double) -> DOTValue {
    .plain(
      value == value.rounded() && abs(value) < 1e15
        ? String(Int64(value)) : String((value * 100).rounded() / 100))
  }

  /// Text escaped for use inside an HTML-like label. Graphviz expands `\N`, `\G`, `\E`, `\T`, `\H`
  /// in HTML labels too (after reading entities, so `&#92;N` is expanded as well): a backslash is
  /// doubled, which dot shows as one. A newline (`\n` or `\r\n`) becomes `<br/>`.
  public static func escapeHTML(_ text: String) -> String {
    var out = ""
    for c in text.unicodeScalars {
      switch c {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "\\": out += "\\\\"
      case "\n": out += "<br/>"
      case "\r": break
      default: out.unicodeScalars.append(c)
      }
    }
    return out
  }

  var dot: String {
    switch self {
    case .text(let s): DOTValue.quoted(s)
    case .html(let s): "<" + s + ">"
    case .plain(let s): s
    }
  }

  /// `s` in double quotes. A backslash is doubled so it shows as itself, not as one of DOT's label
  /// escapes (`\N`, `\G`, `\E`, `\T`, `\H`, `\L`, `\l`, `\r`, `\n`); a newline becomes `\n`. Every
  /// quoted attribute and identifier the views emit goes through here.
  static func quoted(_ s: String) -> String {
    // Most values need no escape: one scan of the bytes, then one concatenation.
    if !s.utf8.contains(where: {
      $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 == 0x0A || $0 == 0x0D
    }) {
      return "\"" + s + "\""
    }
    var out = "\""
    for c in s.unicodeScalars {
      switch c {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": break
      default: out.unicodeScalars.append(c)
      }
    }
    return out + "\""
  }
}

/// Attributes in the order they were set.
public struct DOTAttributes: Sendable, Equatable, ExpressibleByDictionaryLiteral {
  /// The attributes, in the order they were set (written in that order).
  public private(set) var pairs: [(key: String, value: DOTValue)] = []

  /// Attributes set in this order.
  public init(dictionaryLiteral elements: (String, DOTValue)...) {
    for (k, v) in elements { self[k] = v }
  }

  /// The value of `key`; setting nil removes it, setting a new key appends it.
  public subscript(key: String) -> DOTValue? {
    get { pairs.first { $0.key == key }?.value }
    set {
      if let i = pairs.firstIndex(where: { $0.key == key }) {
        if let newValue { pairs[i].value = newValue } else { pairs.remove(at: i) }
      } else if let newValue {
        pairs.append((key, newValue))
      }
    }
  }

  /// Whether no attribute is set.
  public var isEmpty: Bool { pairs.isEmpty }

  /// Equal when the same attributes are set in the same order.
  public static func == (a: DOTAttributes, b: DOTAttributes) -> Bool {
    a.pairs.map(\.key) == b.pairs.map(\.key) && a.pairs.map(\.value) == b.pairs.map(\.value)
  }

  var dot: String {
    var out = ""
    write(to: &out)
    return out
  }

  /// Appends `[key=value, ...]` to `out` (a chart of 100 000 calls writes a million of these).
  func write(to out: inout String) {
    out += "["
    for (i, pair) in pairs.enumerated() {
      if i > 0 { out += ", " }
      out += DOTGraph.identifier(pair.key)
      out += "="
      out += pair.value.dot
    }
    out += "]"
  }
}

/// One statement of a graph body.
public enum DOTStatement: Sendable, Equatable {
  /// `id [attributes]`.
  case node(id: String, DOTAttributes)
  /// `from -> to [attributes]`.
  case edge(from: String, to: String, DOTAttributes)
  /// A subgraph; a name starting with `cluster` is drawn as a box by dot.
  case subgraph(DOTSubgraph)
  /// `{rank=same; a; b}`: the nodes share a row.
  case sameRank([String])
}

/// A subgraph or cluster.
public struct DOTSubgraph: Sendable, Equatable {
  /// The subgraph's name (`cluster_server` draws a box).
  public var name: String
  /// Attributes of the subgraph itself (`label`, `style`).
  public var attributes: DOTAttributes
  /// The nodes, edges and subgraphs inside it, in order.
  public var statements: [DOTStatement]

  /// A subgraph with these statements.
  public init(name: String, attributes: DOTAttributes = [:], statements: [DOTStatement] = []) {
    self.name = name
    self.attributes = attributes
    self.statements = statements
  }
}

/// A directed graph, written as DOT text. One edge per statement, so no statement grows past
/// what Graphviz's parser can hold.
public struct DOTGraph: Sendable, Equatable {
  /// The graph's name (`digraph NAME`).
  public var name: String
  /// Attributes of the graph itself (`rankdir`, `bgcolor`).
  public var attributes: DOTAttributes
  /// Attributes every node gets (`node [...]`).
  public var nodeDefaults: DOTAttributes
  /// Attributes every edge gets (`edge [...]`).
  public var edgeDefaults: DOTAttributes
  /// The nodes, edges and subgraphs, in order.
  public var statements: [DOTStatement] = []

  /// An empty graph.
  public init(
    name: String = "G", attributes: DOTAttributes = [:], nodeDefaults: DOTAttributes = [:],
    edgeDefaults: DOTAttributes = [:]
  ) {
    self.name = name
    self.attributes = attributes
    self.nodeDefaults = nodeDefaults
    self.edgeDefaults = edgeDefaults
  }

  /// Adds a node statement.
  public mutating func node(_ id: String, _ attributes: DOTAttributes = [:]) {
    statements.append(.node(id: id, attributes))
  }

  /// Adds an edge statement.
  public mutating func edge(_ from: String, _ to: String, _ attributes: DOTAttributes = [:]) {
    statements.append(.edge(from: from, to: to, attributes))
  }

  /// The graph as DOT text.
  public var text: String {
    var out = "digraph \(DOTGraph.identifier(name)) {\n"
    if !attributes.isEmpty { out += "  graph \(attributes.dot);\n" }
    if !nodeDefaults.isEmpty { out += "  node \(nodeDefaults.dot);\n" }
    if !edgeDefaults.isEmpty { out += "  edge \(edgeDefaults.dot);\n" }
    write(statements, indent: "  ", to: &out)
    return out + "}\n"
  }

  private func write(_ statements: [DOTStatement], indent: String, to out: inout String) {
    for statement in statements {
      switch statement {
      case .node(let id, let attributes):
        out += indent
        out += DOTGraph.identifier(id)
        if !attributes.isEmpty {
          out += " "
          attributes.write(to: &out)
        }
        out += ";\n"
      case .edge(let from, let to, let attributes):
        out += indent
        out += DOTGraph.identifier(from)
        out += " -> "
        out += DOTGraph.identifier(to)
        if !attributes.isEmpty {
          out += " "
          attributes.write(to: &out)
        }
        out += ";\n"
      case .subgraph(let sub):
        out += indent + "subgraph \(DOTGraph.identifier(sub.name)) {\n"
        if !sub.attributes.isEmpty { out += indent + "  graph \(sub.attributes.dot);\n" }
        write(sub.statements, indent: indent + "  ", to: &out)
        out += indent + "}\n"
      case .sameRank(let ids):
        out +=
          indent + "{ rank=same; " + ids.map { DOTGraph.identifier($0) + ";" }.joined(separator: " ") + " }\n"
      }
    }
  }

  /// An identifier as DOT reads it: bare when it is a plain word, quoted otherwise.
  static func identifier(_ s: String) -> String {
    // A word: ASCII letters, digits and `_`, not starting with a digit (checked on the bytes:
    // identifiers are written once per node, edge and attribute).
    let isWord =
      !s.isEmpty
      && s.utf8.allSatisfy { b in
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z"))
          || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
          || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: "_")
      }
      && !(s.utf8.first.map { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } ?? true)
    guard isWord else { return DOTValue.quoted(s) }
    return s.utf8.count <= 8 && keywords.contains(s.lowercased()) ? DOTValue.quoted(s) : s
  }

  private static let keywords: Set<String> = ["node", "edge", "graph", "digraph", "subgraph", "strict"]
}
