// A call's arguments, typed per call family. The trace's JSON (`args`, docs/trace-format.md) is read
// into these and written from them only at the format's edges: the line readers, the writer, the
// binary-log reader and the strace importer. Everything else reads the typed fields.

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
  /// `execve`, `program_start`.
  indirect case program(ProgramArguments)

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
    case .program(let a): a == ProgramArguments()
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
  case duplicate, poll, select, epollControl, epollWait, program
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
    case .execve, .programStart: .program
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
