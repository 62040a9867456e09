/// A JSON value whose objects keep their keys in order, so a trace written twice reads the same.
public enum JSONValue: Sendable, Equatable {
  /// `null`.
  case null
  /// `true` or `false`.
  case bool(Bool)
  /// A number without a fraction or exponent that fits in 64 bits.
  case int(Int64)
  /// Any other number.
  case double(Double)
  /// A string.
  case string(String)
  /// An array.
  case array([JSONValue])
  /// An object, its keys in order.
  case object(JSONObject)

  /// The value as an integer, when it is one.
  public var intValue: Int64? {
    if case .int(let v) = self { return v }
    return nil
  }

  /// The value as a string, when it is one.
  public var stringValue: String? {
    if case .string(let v) = self { return v }
    return nil
  }

  /// The value as an object, when it is one.
  public var objectValue: JSONObject? {
    if case .object(let v) = self { return v }
    return nil
  }

  /// The value as an array, when it is one.
  public var arrayValue: [JSONValue]? {
    if case .array(let v) = self { return v }
    return nil
  }

  /// The value as a Boolean, when it is one.
  public var boolValue: Bool? {
    if case .bool(let v) = self { return v }
    return nil
  }

  /// A short name of the value's JSON type, for error messages.
  public var typeName: String {
    switch self {
    case .null: "null"
    case .bool: "boolean"
    case .int: "integer"
    case .double: "number"
    case .string: "string"
    case .array: "array"
    case .object: "object"
    }
  }
}

/// A JSON object with its keys in insertion order.
public struct JSONObject: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
  /// One key and its value.
  public struct Member: Sendable, Equatable {
    /// The member's name.
    public var key: String
    /// The member's value.
    public var value: JSONValue
  }

  /// The members in the order they were read or added.
  public private(set) var members: [Member] = []

  /// An empty object.
  public init() {}

  /// An object with these members, in this order.
  public init(dictionaryLiteral elements: (String, JSONValue)...) {
    for (key, value) in elements { self[key] = value }
  }

  /// The value for `key`; setting `nil` removes it, setting an existing key replaces it in place.
  public subscript(key: String) -> JSONValue? {
    get { members.first { $0.key == key }?.value }
    set {
      if let i = members.firstIndex(where: { $0.key == key }) {
        if let newValue { members[i].value = newValue } else { members.remove(at: i) }
      } else if let newValue {
        members.append(Member(key: key, value: newValue))
      }
    }
  }

  /// Appends a member whose key the caller has checked is new.
  mutating func appendUnchecked(_ key: String, _ value: JSONValue) {
    members.append(Member(key: key, value: value))
  }

  /// The member names, in order.
  public var keys: [String] { members.map(\.key) }
  /// Whether the object has no members.
  public var isEmpty: Bool { members.isEmpty }

  /// Iterates over the members in order.
  public func makeIterator() -> IndexingIterator<[Member]> { members.makeIterator() }
}

/// Why a text is not JSON, and where.
public struct JSONSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
  /// 1-based column (in bytes) where reading stopped.
  public var column: Int
  /// What was wrong at that column.
  public var message: String
  /// `column 7: expected a value`.
  public var description: String { "column \(column): \(message)" }
}

extension JSONValue {
  /// Nesting deeper than this is refused, so hostile input cannot exhaust the stack.
  public static let maximumDepth = 64

  /// Parses one JSON text that must fill `bytes` (surrounding white space allowed).
  public static func parse<Bytes: Collection<UInt8>>(_ bytes: Bytes) throws(JSONSyntaxError) -> JSONValue {
    let result = bytes.withContiguousStorageIfAvailable { buffer in
      Result { () throws(JSONSyntaxError) in try parse(buffer) }
    }
    if let result { return try result.get() }
    return try Array(bytes).withUnsafeBufferPointer { buffer throws(JSONSyntaxError) in try parse(buffer) }
  }

  /// Parses one JSON text that must fill `buffer`.
  static func parse(_ buffer: UnsafeBufferPointer<UInt8>) throws(JSONSyntaxError) -> JSONValue {
    var parser = JSONParser(bytes: buffer)
    return try parser.parseDocument()
  }

  /// Parses one JSON text.
  public static func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue {
    try parse(Array(text.utf8))
  }
}

extension JSONValue {
  /// The value as one line of compact JSON (non-ASCII text stays as UTF-8).
  public var jsonText: String {
    var writer = JSONWriter()
    writer.value(self)
    return String(decoding: writer.bytes, as: UTF8.self)
  }
}
