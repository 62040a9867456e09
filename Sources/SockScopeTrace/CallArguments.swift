// A call's arguments, typed per call family. The trace's JSON (`args`, docs/trace-format.md) is read
// into these and written from them only at the format's edges: the line readers, the writer, the
// binary-log reader and the strace importer. Everything else reads the typed fields.

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
  mutating func share(with other: MessageArguments?) {
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

/// A call's arguments, one case per call family (which case a call has: `SocketCall.argumentFamily`).
public enum CallArguments: Sendable, Equatable {
  /// `close`, and a call whose trace line gave no arguments of its family.
  case none
  indirect case socket(SocketArguments)
  /// `bind`, `connect`.
  indirect case address(AddressArguments)
  case listen(backlog: Int64?)
  indirect case accept(AcceptArguments)
  /// Sends, receives, `read`, `write`.
  case message(MessageArguments)
  case shutdown(how: ShutdownHow?)
  indirect case unlink(UnlinkArguments)
  /// `getsockname`, `getpeername`: the address they returned.
  indirect case name(address: SocketAddress?)
  /// `setsockopt`, `getsockopt`.
  indirect case option(OptionArguments)
  /// Printed output: which stream.
  case output(stream: OutputStream?)
  /// `dup2`, `dup3`, `fcntl` (`dup` takes none).
  indirect case duplicate(DuplicateArguments)
  indirect case poll(PollArguments)
  indirect case select(SelectArguments)
  /// `epoll_ctl`.
  indirect case epollControl(EpollControlArguments)
  /// `epoll_wait`.
  indirect case epollWait(EpollWaitArguments)

  /// Whether the arguments hold nothing (a trace line's `args` is then `{}`, read back as `.none`).
  public var isEmpty: Bool {
    switch self {
    case .none: true
    case .socket(let a): a == SocketArguments()
    case .address(let a): a == AddressArguments()
    case .listen(let b): b == nil
    case .accept(let a): a == AcceptArguments()
    case .message(let a): a == MessageArguments()
    case .shutdown(let how): how == nil
    case .unlink(let a): a == UnlinkArguments()
    case .name(let a): a == nil
    case .option(let a): a == OptionArguments()
    case .output(let s): s == nil
    case .duplicate(let a): a == DuplicateArguments()
    case .poll(let a): a == PollArguments()
    case .select(let a): a == SelectArguments()
    case .epollControl(let a): a == EpollControlArguments()
    case .epollWait(let a): a == EpollWaitArguments()
    }
  }

  /// The address the call passed or got (bind, connect, accept, sendto, recvfrom, the name calls).
  public var address: SocketAddress? {
    switch self {
    case .address(let a): a.address
    case .accept(let a): a.address
    case .message(let a): a.address
    case .name(let address): address
    default: nil
    }
  }

  /// The socket arguments, for `socket` and `socketpair`.
  public var socket: SocketArguments? {
    if case .socket(let a) = self { return a }
    return nil
  }

  /// The send or receive arguments.
  public var message: MessageArguments? {
    if case .message(let a) = self { return a }
    return nil
  }

  /// The socket `accept` returned (`new_sock`).
  public var acceptedSocket: SocketIdentity? {
    if case .accept(let a) = self { return a.newSocket }
    return nil
  }

  /// The buffer length a send, receive, `read` or `write` passed (`len`).
  public var length: Int64? { message?.length }

  /// The flags a send or receive passed.
  public var messageFlags: MessageFlags? { message?.flags }

  /// The `flags` text of a send, receive or `accept4`, as the trace spells it.
  public var flagsText: String? {
    switch self {
    case .message(let a): a.flags?.description
    case .accept(let a): a.flags?.description
    default: nil
    }
  }

  /// The address length `bind` or `connect` passed (`addrlen`).
  public var addressLength: Int64? {
    if case .address(let a) = self { return a.length }
    return nil
  }

  /// `listen`'s backlog.
  public var backlog: Int64? {
    if case .listen(let b) = self { return b }
    return nil
  }

  /// `unlink`'s path.
  public var unlinkedPath: String? {
    if case .unlink(let a) = self { return a.path }
    return nil
  }

  /// `shutdown`'s direction.
  public var shutdownHow: ShutdownHow? {
    if case .shutdown(let how) = self { return how }
    return nil
  }

  /// `setsockopt`'s and `getsockopt`'s arguments.
  public var option: OptionArguments? {
    if case .option(let a) = self { return a }
    return nil
  }
}

/// The family of arguments a call takes: which `CallArguments` case its trace line is read into.
public enum ArgumentFamily: Sendable {
  case none, socket, address, listen, accept, message, shutdown, unlink, name, option, output
  case duplicate, poll, select, epollControl, epollWait
}

extension SocketCall {
  /// Which `CallArguments` case holds this call's arguments.
  public var argumentFamily: ArgumentFamily {
    switch self {
    case .socket, .socketpair: .socket
    case .bind, .connect: .address
    case .listen: .listen
    case .accept, .accept4: .accept
    case .send, .sendto, .sendmsg, .recv, .recvfrom, .recvmsg, .read, .write: .message
    case .shutdown: .shutdown
    case .close, .fork, .dup: .none
    case .unlink: .unlink
    case .getsockname, .getpeername: .name
    case .setsockopt, .getsockopt: .option
    case .output: .output
    case .dup2, .dup3, .fcntl: .duplicate
    case .poll: .poll
    case .select: .select
    case .epollCtl: .epollControl
    case .epollWait: .epollWait
    }
  }
}

/// The arguments of a trace line that the typed model does not hold, kept so that reading a trace
/// and writing it back loses nothing: keys this version does not know (writers may add keys within
/// a version), and the line's own spelling when it differs from the writer's.
public struct UnreadArguments: Sendable, Equatable {
  // Boxed: almost every event has none, and it then costs one word.
  private final class Storage: Sendable {
    let members: JSONObject
    let asRead: JSONObject?
    init(members: JSONObject, asRead: JSONObject?) {
      self.members = members
      self.asRead = asRead
    }
  }
  private var storage: Storage?

  public init(members: JSONObject = JSONObject()) {
    storage = members.isEmpty ? nil : Storage(members: members, asRead: nil)
  }

  /// Keys this reader does not know (or values it cannot type), as read, in order.
  public var members: JSONObject {
    get { storage?.members ?? JSONObject() }
    set { set(members: newValue, asRead: asRead) }
  }

  /// The whole `args` object as read, when writing the typed arguments would spell it otherwise
  /// (another key order, `AF_LOCAL` for `AF_UNIX`): written instead while the typed arguments
  /// still read the same from it.
  var asRead: JSONObject? {
    get { storage?.asRead }
    set { set(members: members, asRead: newValue) }
  }

  private mutating func set(members: JSONObject, asRead: JSONObject?) {
    storage = members.isEmpty && asRead == nil ? nil : Storage(members: members, asRead: asRead)
  }

  public var isEmpty: Bool { storage == nil }

  public static func == (a: UnreadArguments, b: UnreadArguments) -> Bool {
    a.members == b.members && a.asRead == b.asRead
  }
}

extension TraceEvent {
  /// The socket address argument (bind, connect, sendto, recvfrom, accept, the name calls), if any.
  public var address: SocketAddress? { arguments.address }

  /// The address's filesystem path, or `@name` for an abstract one.
  public var addressPath: String? { arguments.address?.displayPath }

  /// The path the call named: its address's, or `unlink`'s.
  public var namedPath: String? { addressPath ?? arguments.unlinkedPath }
}
