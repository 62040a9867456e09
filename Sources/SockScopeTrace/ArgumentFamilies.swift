// The arguments of each call family, which `CallArguments` (CallArguments.swift) holds.

/// A socket address as a call passed or got it.
public struct SocketAddress: Sendable, Hashable {
  /// What the address names.
  public enum Name: Sendable, Hashable {
    /// A filesystem path (`sun_path`; bytes that are not UTF-8 as `\xNN`).
    case path(String)
    /// An abstract name (after the leading NUL).
    case abstract(String)
    /// No name: an unbound socket's address.
    case unnamed
    /// An address of another family, by the family's name (`AF_INET`).
    case family(String)
  }

  public var name: Name
  /// The inode of the file at the path (`ino`), when the recorder could see it.
  public var inode: UInt64?

  public init(_ name: Name, inode: UInt64? = nil) {
    self.name = name
    self.inode = inode
  }

  /// The filesystem path, when the address is one.
  public var path: String? {
    if case .path(let p) = name { return p }
    return nil
  }

  /// The path, or `@name` for an abstract address.
  public var displayPath: String? {
    switch name {
    case .path(let p): p
    case .abstract(let a): "@" + a
    case .unnamed, .family: nil
    }
  }
}

/// `socket` and `socketpair`: `domain`, `type`, `protocol`, and `socketpair`'s two descriptors.
public struct SocketArguments: Sendable, Equatable {
  public var domain: SocketDomain?
  public var type: SocketType?
  public var `protocol`: Int64?
  /// `socketpair`'s two new descriptors (`fds`).
  public var descriptors: [Int64]?

  public init(
    domain: SocketDomain? = nil, type: SocketType? = nil, protocol: Int64? = nil, descriptors: [Int64]? = nil
  ) {
    self.domain = domain
    self.type = type
    self.protocol = `protocol`
    self.descriptors = descriptors
  }
}

/// `bind` and `connect`: the address and its length as passed (`addr`, `addrlen`).
public struct AddressArguments: Sendable, Equatable {
  public var address: SocketAddress?
  public var length: Int64?

  public init(address: SocketAddress? = nil, length: Int64? = nil) {
    self.address = address
    self.length = length
  }
}

/// `accept` and `accept4`: `flags` (accept4), the peer's address, and the new socket (`new_sock`).
public struct AcceptArguments: Sendable, Equatable {
  public var flags: SocketFlags?
  public var address: SocketAddress?
  public var newSocket: SocketIdentity?

  public init(flags: SocketFlags? = nil, address: SocketAddress? = nil, newSocket: SocketIdentity? = nil) {
    self.flags = flags
    self.address = address
    self.newSocket = newSocket
  }
}

/// The send and receive calls, `read` and `write`: the buffer's length (`len`), `flags`, a receive's
/// returned `msg_flags`, the address (`addr`), and `sendmsg`/`recvmsg`'s `iovlen`, `controllen` and
/// control messages (`rights`, `creds`, `cmsgs`).
///
/// Most events of a trace are sends and receives, so this is stored compactly (32 bytes): the length
/// and flags inline, the rest (rarely present, and shared between events that repeat it) in a box.
public struct MessageArguments: Sendable, Equatable {
  private var lengthValue: Int64 = 0
  private var flagsValue: Int64 = 0
  private var rest: Rest?
  private var present: UInt8 = 0

  /// The arguments a send or receive rarely has; immutable, replaced on change.
  final class Rest: Sendable, Equatable {
    let returnedFlags: MessageFlags?
    let address: SocketAddress?
    let vectorCount: Int64?
    let controlLength: Int64?
    let control: ControlMessages?

    init(
      returnedFlags: MessageFlags?, address: SocketAddress?, vectorCount: Int64?, controlLength: Int64?,
      control: ControlMessages?
    ) {
      self.returnedFlags = returnedFlags
      self.address = address
      self.vectorCount = vectorCount
      self.controlLength = controlLength
      self.control = control
    }

    static func == (a: Rest, b: Rest) -> Bool {
      a === b
        || (a.returnedFlags == b.returnedFlags && a.address == b.address && a.vectorCount == b.vectorCount
          && a.controlLength == b.controlLength && a.control == b.control)
    }
  }

  public init(
    length: Int64? = nil, flags: MessageFlags? = nil, returnedFlags: MessageFlags? = nil,
    address: SocketAddress? = nil, vectorCount: Int64? = nil, controlLength: Int64? = nil
  ) {
    self.length = length
    self.flags = flags
    setRest(
      returnedFlags: returnedFlags, address: address, vectorCount: vectorCount, controlLength: controlLength)
  }

  public static func == (a: MessageArguments, b: MessageArguments) -> Bool {
    a.length == b.length && a.flags == b.flags && a.rest == b.rest
  }

  /// The buffer's length as passed (`len`).
  public var length: Int64? {
    get { present & 1 != 0 ? lengthValue : nil }
    set {
      lengthValue = newValue ?? 0
      present = newValue == nil ? present & ~1 : present | 1
    }
  }

  /// The flags the program passed.
  public var flags: MessageFlags? {
    get { present & 2 != 0 ? MessageFlags(rawValue: flagsValue) : nil }
    set {
      flagsValue = newValue?.rawValue ?? 0
      present = newValue == nil ? present & ~2 : present | 2
    }
  }

  /// The flags a receive returned (`msg_flags`: `MSG_TRUNC`, `MSG_CTRUNC`).
  public var returnedFlags: MessageFlags? {
    get { rest?.returnedFlags }
    set { setRest(returnedFlags: .some(newValue)) }
  }

  /// The address the call passed (sendto, sendmsg) or got (recvfrom, recvmsg).
  public var address: SocketAddress? {
    get { rest?.address }
    set { setRest(address: .some(newValue)) }
  }

  /// `sendmsg`'s number of buffers (`iovlen`).
  public var vectorCount: Int64? {
    get { rest?.vectorCount }
    set { setRest(vectorCount: .some(newValue)) }
  }

  /// The control buffer's length (`controllen`).
  public var controlLength: Int64? {
    get { rest?.controlLength }
    set { setRest(controlLength: .some(newValue)) }
  }

  /// Shares `other`'s boxed arguments when they are equal, so events that repeat an address hold
  /// one copy of it.
  package mutating func share(with other: MessageArguments?) {
    if let mine = rest, let theirs = other?.rest, mine !== theirs, mine == theirs { rest = theirs }
  }

  private mutating func setRest(
    returnedFlags: MessageFlags?? = nil, address: SocketAddress?? = nil, vectorCount: Int64?? = nil,
    controlLength: Int64?? = nil, control: ControlMessages?? = nil
  ) {
    let r = returnedFlags ?? rest?.returnedFlags
    let a = address ?? rest?.address
    let v = vectorCount ?? rest?.vectorCount
    let c = controlLength ?? rest?.controlLength
    let m = control ?? rest?.control
    rest =
      r == nil && a == nil && v == nil && c == nil && m == nil
      ? nil : Rest(returnedFlags: r, address: a, vectorCount: v, controlLength: c, control: m)
  }

  /// The control messages (see `rights`, `credentials`, `otherControlMessages`).
  var control: ControlMessages? {
    get { rest?.control }
    set { setRest(control: .some(newValue.flatMap { $0.isEmpty ? nil : $0 })) }
  }
}

/// `unlink`: the path and, when it was there, the inode of the file it named (`ino`).
public struct UnlinkArguments: Sendable, Equatable {
  public var path: String?
  public var inode: UInt64?

  public init(path: String? = nil, inode: UInt64? = nil) {
    self.path = path
    self.inode = inode
  }
}

/// `setsockopt` and `getsockopt`: `level`, `optname`, the integer `value`, `optlen`, and
/// `getsockopt(SO_PEERCRED)`'s credentials.
public struct OptionArguments: Sendable, Equatable {
  public var level: SocketOptionLevel?
  public var option: SocketOption?
  public var value: Int64?
  public var length: Int64?
  /// `getsockopt(SO_PEERCRED)`'s answer (`cred`).
  public var credentials: Credentials?

  public init(
    level: SocketOptionLevel? = nil, option: SocketOption? = nil, value: Int64? = nil, length: Int64? = nil,
    credentials: Credentials? = nil
  ) {
    self.level = level
    self.option = option
    self.value = value
    self.length = length
    self.credentials = credentials
  }
}
