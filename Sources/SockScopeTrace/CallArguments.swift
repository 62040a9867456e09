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
/// returned `msg_flags`, the address (`addr`), and `sendmsg`/`recvmsg`'s `iovlen` and `controllen`.
/// Control messages (`rights`, `creds`, `cmsgs`) are read by their own accessors where recorded.
public struct MessageArguments: Sendable, Equatable {
  public var length: Int64?
  public var flags: MessageFlags?
  public var returnedFlags: MessageFlags?
  public var address: SocketAddress?
  public var vectorCount: Int64?
  public var controlLength: Int64?

  public init(
    length: Int64? = nil, flags: MessageFlags? = nil, returnedFlags: MessageFlags? = nil,
    address: SocketAddress? = nil, vectorCount: Int64? = nil, controlLength: Int64? = nil
  ) {
    self.length = length
    self.flags = flags
    self.returnedFlags = returnedFlags
    self.address = address
    self.vectorCount = vectorCount
    self.controlLength = controlLength
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

/// `setsockopt`: `level`, `optname`, the integer `value` and `optlen`.
public struct OptionArguments: Sendable, Equatable {
  public var level: SocketOptionLevel?
  public var option: SocketOption?
  public var value: Int64?
  public var length: Int64?

  public init(
    level: SocketOptionLevel? = nil, option: SocketOption? = nil, value: Int64? = nil, length: Int64? = nil
  ) {
    self.level = level
    self.option = option
    self.value = value
    self.length = length
  }
}

/// A call's arguments, one case per call family (which case a call has: `SocketCall.argumentFamily`).
public enum CallArguments: Sendable, Equatable {
  /// `close`, and a call whose trace line gave no arguments of its family.
  case none
  case socket(SocketArguments)
  /// `bind`, `connect`.
  case address(AddressArguments)
  case listen(backlog: Int64?)
  case accept(AcceptArguments)
  /// Sends, receives, `read`, `write`.
  case message(MessageArguments)
  case shutdown(how: ShutdownHow?)
  case unlink(UnlinkArguments)
  /// `getsockname`, `getpeername`: the address they returned.
  case name(address: SocketAddress?)
  /// `setsockopt`.
  case option(OptionArguments)
  /// Printed output: which stream.
  case output(stream: OutputStream?)

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

  /// `setsockopt`'s arguments.
  public var option: OptionArguments? {
    if case .option(let a) = self { return a }
    return nil
  }
}

/// The family of arguments a call takes: which `CallArguments` case its trace line is read into.
public enum ArgumentFamily: Sendable {
  case none, socket, address, listen, accept, message, shutdown, unlink, name, option, output
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
    case .close: .none
    case .unlink: .unlink
    case .getsockname, .getpeername: .name
    case .setsockopt: .option
    case .output: .output
    // Not modelled yet: their arguments stay as the trace wrote them (`UnreadArguments`).
    case .dup, .dup2, .dup3, .fcntl, .fork, .getsockopt, .poll, .select, .epollCtl, .epollWait: .none
    }
  }
}

/// The arguments of a trace line that the typed model does not hold, kept so that reading a trace
/// and writing it back loses nothing: keys this version does not know (writers may add keys within
/// a version), and the line's own spelling when it differs from the writer's.
public struct UnreadArguments: Sendable, Equatable {
  /// Keys this reader does not know (or values it cannot type), as read, in order.
  public var members: JSONObject
  /// The whole `args` object as read, when writing the typed arguments would spell it otherwise
  /// (another key order, `AF_LOCAL` for `AF_UNIX`): written instead while the typed arguments
  /// still read the same from it.
  var asRead: JSONObject?

  public init(members: JSONObject = JSONObject()) {
    self.members = members
    self.asRead = nil
  }

  public var isEmpty: Bool { members.isEmpty && asRead == nil }
}

extension TraceEvent {
  /// The socket address argument (bind, connect, sendto, recvfrom, accept, the name calls), if any.
  public var address: SocketAddress? { arguments.address }

  /// The address's filesystem path, or `@name` for an abstract one.
  public var addressPath: String? { arguments.address?.displayPath }

  /// The path the call named: its address's, or `unlink`'s.
  public var namedPath: String? { addressPath ?? arguments.unlinkedPath }
}
