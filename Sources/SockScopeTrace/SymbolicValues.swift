// The numbers socket calls take, typed: a trace spells them as strace does (`SOCK_DGRAM|SOCK_CLOEXEC`,
// `MSG_TRUNC`), the model keeps the number, so a consumer asks `type.isStream`, never a string.

/// A number a call took that has symbolic names (a family, a type, flags, a `how`).
public protocol SymbolicArgument: Sendable, Equatable, CustomStringConvertible {
  /// The number the program passed.
  var rawValue: Int64 { get }
  init(rawValue: Int64)
  /// The number of one name, such as `MSG_TRUNC`; nil when the name is unknown.
  static func value(named name: Substring) -> Int64?
  /// Whether the spelling joins names with `|` (a set of flags).
  static var isFlagSet: Bool { get }
}

extension SymbolicArgument {
  public static var isFlagSet: Bool { false }

  /// The value a trace spells as `text`: names, `0`, decimal or `0x` hex numbers, joined with `|` for
  /// flag sets; nil when a part is none of these.
  public init?(spelling text: String) {
    var value: Int64 = 0
    let parts =
      Self.isFlagSet ? text.split(separator: "|", omittingEmptySubsequences: false) : [Substring(text)]
    for part in parts {
      if let named = Self.value(named: part) {
        value |= named
      } else if let number = Int64(part) {
        value |= number
      } else if part.hasPrefix("0x"), let number = Int64(part.dropFirst(2), radix: 16) {
        value |= number
      } else {
        return nil
      }
    }
    self.init(rawValue: value)
  }
}

/// Reverse lookups of `ArgumentNames`' tables.
enum ArgumentValues {
  static func reversed(_ table: [Int64: String]) -> [Substring: Int64] {
    Dictionary(table.map { (Substring($0.value), $0.key) }, uniquingKeysWith: { a, _ in a })
  }
  static func reversed(_ table: [(Int64, String)]) -> [Substring: Int64] {
    Dictionary(table.map { (Substring($0.1), $0.0) }, uniquingKeysWith: { a, _ in a })
  }
  static let domains = reversed(ArgumentNames.domains)
  static let socketTypes = reversed(ArgumentNames.socketTypes).merging(
    reversed(ArgumentNames.socketTypeFlags), uniquingKeysWith: { a, _ in a })
  static let socketTypeFlags = reversed(ArgumentNames.socketTypeFlags)
  static let messageFlags = reversed(ArgumentNames.messageFlags)
  static let shutdownHows = reversed(ArgumentNames.shutdownHows)
  static let levels = reversed(ArgumentNames.levels)
  static let socketOptions = reversed(ArgumentNames.socketOptions)
}

/// An address family (`AF_UNIX`), as `socket` and `socketpair` took it.
public struct SocketDomain: SymbolicArgument, Hashable {
  public var rawValue: Int64
  public init(rawValue: Int64) { self.rawValue = rawValue }
  public static let unix = SocketDomain(rawValue: 1)
  public static func value(named name: Substring) -> Int64? { ArgumentValues.domains[name] }
  public var description: String { ArgumentNames.domain(rawValue) }
}

/// A socket type with its creation flags (`SOCK_DGRAM|SOCK_CLOEXEC`).
public struct SocketType: SymbolicArgument, Hashable {
  public var rawValue: Int64
  public init(rawValue: Int64) { self.rawValue = rawValue }
  public static let stream = SocketType(rawValue: 1)
  public static let datagram = SocketType(rawValue: 2)
  public static let seqpacket = SocketType(rawValue: 5)
  public static var isFlagSet: Bool { true }
  public static func value(named name: Substring) -> Int64? { ArgumentValues.socketTypes[name] }
  public var description: String { ArgumentNames.socketType(rawValue) }
  /// The type without its flags (`SOCK_STREAM` for `SOCK_STREAM|SOCK_CLOEXEC`).
  public var base: SocketType { SocketType(rawValue: rawValue & 0xF) }
  /// Whether the socket carries a byte stream.
  public var isStream: Bool { base == .stream }
  /// The base type's name: `SOCK_STREAM`.
  public var baseName: String { base.description }
}

/// `accept4`'s flags (`SOCK_NONBLOCK|SOCK_CLOEXEC`, `0` for none).
public struct SocketFlags: SymbolicArgument, Hashable {
  public var rawValue: Int64
  public init(rawValue: Int64) { self.rawValue = rawValue }
  public static var isFlagSet: Bool { true }
  public static func value(named name: Substring) -> Int64? { ArgumentValues.socketTypeFlags[name] }
  public var description: String { ArgumentNames.acceptFlags(rawValue) }
}

/// The flags of a send or receive, or the flags a receive returned (`MSG_TRUNC`, `0` for none).
public struct MessageFlags: SymbolicArgument, Hashable {
  public var rawValue: Int64
  public init(rawValue: Int64) { self.rawValue = rawValue }
  public static let peek = MessageFlags(rawValue: 0x2)
  public static let controlTruncated = MessageFlags(rawValue: 0x8)
  public static let truncate = MessageFlags(rawValue: 0x20)
  public static let dontWait = MessageFlags(rawValue: 0x40)
  public static var isFlagSet: Bool { true }
  public static func value(named name: Substring) -> Int64? { ArgumentValues.messageFlags[name] }
  public var description: String { ArgumentNames.messageFlags(rawValue) }
  /// Whether every bit of `flag` is set.
  public func contains(_ flag: MessageFlags) -> Bool { rawValue & flag.rawValue == flag.rawValue }
}

/// Which directions `shutdown` closed (`SHUT_WR`).
public struct ShutdownHow: SymbolicArgument, Hashable {
  public var rawValue: Int64
  public init(rawValue: Int64) { self.rawValue = rawValue }
  public static func value(named name: Substring) -> Int64? { ArgumentValues.shutdownHows[name] }
  public var description: String { ArgumentNames.shutdownHow(rawValue) }
}

/// A socket option's level (`SOL_SOCKET`).
public struct SocketOptionLevel: SymbolicArgument, Hashable {
  public var rawValue: Int64
  public init(rawValue: Int64) { self.rawValue = rawValue }
  public static let socket = SocketOptionLevel(rawValue: 1)
  public static func value(named name: Substring) -> Int64? { ArgumentValues.levels[name] }
  public var description: String { ArgumentNames.level(rawValue) }
}

/// A socket option (`SO_PASSCRED`); named for `SOL_SOCKET` only, a number at other levels.
public struct SocketOption: Sendable, Hashable, CustomStringConvertible {
  public var rawValue: Int64
  public var level: SocketOptionLevel
  public init(rawValue: Int64, level: SocketOptionLevel) {
    self.rawValue = rawValue
    self.level = level
  }
  /// The option a trace spells as `text` at `level`; nil when the name is unknown.
  public init?(spelling text: String, level: SocketOptionLevel) {
    if level == .socket, let v = ArgumentValues.socketOptions[Substring(text)] {
      self.init(rawValue: v, level: level)
    } else if let v = Int64(text) {
      self.init(rawValue: v, level: level)
    } else {
      return nil
    }
  }
  public var description: String { ArgumentNames.socketOption(rawValue, level: level.rawValue) }
}

/// Where a program's printed text went.
public enum OutputStream: String, Sendable, Hashable {
  case stdout, stderr
}
