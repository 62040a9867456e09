// The typed arguments of the calls that move descriptors or wait on them (dup, dup2, dup3, fcntl,
// poll, select, epoll_ctl, epoll_wait), and what a `sendmsg`/`recvmsg` or a `getsockopt` carries
// beside its data: passed descriptors, credentials, other control messages. Their JSON keys are
// read and written in CallArguments+DescriptorsJSON.swift (docs/trace-format.md, "args, per call").

/// A descriptor passed with SCM_RIGHTS (`rights`): on `sendmsg` the sender's descriptor, on
/// `recvmsg` the new descriptor the kernel installed in the receiver.
public struct PassedDescriptor: Sendable, Hashable {
  public var fd: Int32
  /// The inode of the open file it refers to (for a socket, its sockfs inode: `sock.ino`).
  public var inode: UInt64?

  public init(fd: Int32, inode: UInt64? = nil) {
    self.fd = fd
    self.inode = inode
  }
}

/// Process credentials: an SCM_CREDENTIALS message (`creds`), or `getsockopt(SO_PEERCRED)`'s
/// answer (`cred`).
public struct Credentials: Sendable, Hashable {
  public var pid: Int64
  public var uid: Int64
  public var gid: Int64

  public init(pid: Int64, uid: Int64, gid: Int64) {
    self.pid = pid
    self.uid = uid
    self.gid = gid
  }
}

/// A control message other than SCM_RIGHTS and SCM_CREDENTIALS (`cmsgs`), by its header.
public struct OtherControlMessage: Sendable, Hashable {
  public var level: Int64?
  public var type: Int64?
  /// `cmsg_len`, as the header claimed.
  public var length: Int64?
  /// Whether the header's length ran past the control buffer (the recorder stopped reading there).
  public var truncated: Bool

  public init(level: Int64? = nil, type: Int64? = nil, length: Int64? = nil, truncated: Bool = false) {
    self.level = level
    self.type = type
    self.length = length
    self.truncated = truncated
  }
}

/// `dup2`, `dup3` and `fcntl(F_DUPFD…)`: the number asked for (`newfd`), `dup3`'s `flags`,
/// `fcntl`'s command (`cmd`) and its argument (`arg`: the lowest number asked for). `dup` has none;
/// the old descriptor is the event's `fd`, the new one its `ret`.
public struct DuplicateArguments: Sendable, Equatable {
  public var newDescriptor: Int32?
  public var flags: DuplicateFlags?
  public var command: FcntlCommand?
  public var argument: Int64?

  public init(
    newDescriptor: Int32? = nil, flags: DuplicateFlags? = nil, command: FcntlCommand? = nil,
    argument: Int64? = nil
  ) {
    self.newDescriptor = newDescriptor
    self.flags = flags
    self.command = command
    self.argument = argument
  }
}

/// `poll`: `nfds`, the timeout (`timeout_ms`, -1 for none) and every descriptor asked about (`fds`).
public struct PollArguments: Sendable, Equatable {
  public var count: Int64?
  public var timeoutMilliseconds: Int64?
  public var descriptors: [PollDescriptor]?

  public init(count: Int64? = nil, timeoutMilliseconds: Int64? = nil, descriptors: [PollDescriptor]? = nil) {
    self.count = count
    self.timeoutMilliseconds = timeoutMilliseconds
    self.descriptors = descriptors
  }
}

/// One descriptor a `poll` asked about: the events asked for and those that happened (`revents`).
public struct PollDescriptor: Sendable, Hashable {
  public var fd: Int32
  public var events: PollEvents?
  public var returnedEvents: PollEvents?

  public init(fd: Int32, events: PollEvents? = nil, returnedEvents: PollEvents? = nil) {
    self.fd = fd
    self.events = events
    self.returnedEvents = returnedEvents
  }
}

/// `select`: `nfds`, the timeout, the descriptors asked about for reading, writing and exceptions,
/// and those that were ready of each (`ready_read`…). The exception sets only when the program
/// asked.
public struct SelectArguments: Sendable, Equatable {
  public var count: Int64?
  public var timeoutMilliseconds: Int64?
  public var read: [Int32]?
  public var write: [Int32]?
  public var readyRead: [Int32]?
  public var readyWrite: [Int32]?
  public var except: [Int32]?
  public var readyExcept: [Int32]?

  public init(
    count: Int64? = nil, timeoutMilliseconds: Int64? = nil, read: [Int32]? = nil, write: [Int32]? = nil,
    readyRead: [Int32]? = nil, readyWrite: [Int32]? = nil, except: [Int32]? = nil, readyExcept: [Int32]? = nil
  ) {
    self.count = count
    self.timeoutMilliseconds = timeoutMilliseconds
    self.read = read
    self.write = write
    self.readyRead = readyRead
    self.readyWrite = readyWrite
    self.except = except
    self.readyExcept = readyExcept
  }
}

/// `epoll_ctl`: the operation (`op`), the descriptor it adds, changes or removes (`target_fd`),
/// and the events asked for (not for `EPOLL_CTL_DEL`). The epoll descriptor is the event's `fd`.
public struct EpollControlArguments: Sendable, Equatable {
  public var operation: EpollOperation?
  public var target: Int32?
  public var events: EpollEvents?

  public init(operation: EpollOperation? = nil, target: Int32? = nil, events: EpollEvents? = nil) {
    self.operation = operation
    self.target = target
    self.events = events
  }
}

/// `epoll_wait`: `maxevents`, the timeout, and the events it returned (`ready`).
public struct EpollWaitArguments: Sendable, Equatable {
  public var maxEvents: Int64?
  public var timeoutMilliseconds: Int64?
  public var ready: [EpollReadyEvent]?

  public init(maxEvents: Int64? = nil, timeoutMilliseconds: Int64? = nil, ready: [EpollReadyEvent]? = nil) {
    self.maxEvents = maxEvents
    self.timeoutMilliseconds = timeoutMilliseconds
    self.ready = ready
  }
}

/// One event `epoll_wait` returned: the descriptor `epoll_ctl` registered with its data, or the
/// data itself when none was.
public struct EpollReadyEvent: Sendable, Hashable {
  public var fd: Int32?
  public var data: Int64?
  public var events: EpollEvents?

  public init(fd: Int32? = nil, data: Int64? = nil, events: EpollEvents? = nil) {
    self.fd = fd
    self.data = data
    self.events = events
  }
}

extension CallArguments {
  /// `dup2`, `dup3` and `fcntl`'s arguments.
  public var duplicate: DuplicateArguments? {
    if case .duplicate(let a) = self { return a }
    return nil
  }

  /// `poll`'s arguments.
  public var poll: PollArguments? {
    if case .poll(let a) = self { return a }
    return nil
  }

  /// `select`'s arguments.
  public var select: SelectArguments? {
    if case .select(let a) = self { return a }
    return nil
  }

  /// `epoll_ctl`'s arguments.
  public var epollControl: EpollControlArguments? {
    if case .epollControl(let a) = self { return a }
    return nil
  }

  /// `epoll_wait`'s arguments.
  public var epollWait: EpollWaitArguments? {
    if case .epollWait(let a) = self { return a }
    return nil
  }
}

/// What a `sendmsg` or `recvmsg` carried in its control buffer, as recorded; immutable, replaced
/// on change. A box of its own inside the message's rare arguments (`MessageArguments.Rest`), so
/// that the many sends and receives with an address but no control message pay one word for it.
final class ControlMessages: Sendable, Equatable {
  let credentials: Credentials?
  let rights: [PassedDescriptor]?
  let others: [OtherControlMessage]?

  init(credentials: Credentials?, rights: [PassedDescriptor]?, others: [OtherControlMessage]?) {
    self.credentials = credentials
    self.rights = rights
    self.others = others
  }

  var isEmpty: Bool { credentials == nil && rights == nil && others == nil }

  static func == (a: ControlMessages, b: ControlMessages) -> Bool {
    a === b || (a.credentials == b.credentials && a.rights == b.rights && a.others == b.others)
  }
}

extension MessageArguments {
  /// The descriptors passed with SCM_RIGHTS (`rights`).
  public var rights: [PassedDescriptor]? {
    get { control?.rights }
    set {
      control = ControlMessages(credentials: credentials, rights: newValue, others: otherControlMessages)
    }
  }

  /// The SCM_CREDENTIALS message (`creds`).
  public var credentials: Credentials? {
    get { control?.credentials }
    set { control = ControlMessages(credentials: newValue, rights: rights, others: otherControlMessages) }
  }

  /// The control messages other than SCM_RIGHTS and SCM_CREDENTIALS (`cmsgs`).
  public var otherControlMessages: [OtherControlMessage]? {
    get { control?.others }
    set { control = ControlMessages(credentials: credentials, rights: rights, others: newValue) }
  }
}
