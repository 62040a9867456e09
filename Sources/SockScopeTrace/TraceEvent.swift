/// The calls SockScope records. Raw values are the names used in the trace format.
public enum SocketCall: String, Sendable, CaseIterable, Codable {
  /// Calls that make, name and connect sockets.
  case socket, socketpair, bind, listen, accept, accept4, connect
  /// Calls that move data.
  case send, sendto, sendmsg, recv, recvfrom, recvmsg
  /// Calls that end, name or configure sockets, and the unlink of a socket file.
  case shutdown, close, unlink, getsockname, getpeername, setsockopt
  /// `read` and `write` on a socket descriptor.
  case read, write
  /// Text the program printed on its standard output or error (not a socket call).
  case output
  /// Descriptors: a new number for an open socket (`fd` the old one, `ret` the new one).
  case dup, dup2, dup3
  /// `fcntl` with F_DUPFD or F_DUPFD_CLOEXEC only (other commands are not recorded).
  case fcntl
  /// In the parent: `ret` is the child's pid.
  case fork
  case getsockopt
  /// Waiting for descriptors (`poll`/`ppoll`, `select`/`pselect`), recorded when a socket is among them.
  case poll, select
  case epollCtl = "epoll_ctl"
  case epollWait = "epoll_wait"
  /// Running another program in the same process (every exec function; recorded before it runs).
  case execve
  /// A program began in this process holding AF_UNIX socket descriptors (not a call: the first
  /// record of its log, made when the interposer loads into the new program).
  case programStart = "program_start"

  /// Whether the call hands data to a socket.
  public var sendsData: Bool { self == .send || self == .sendto || self == .sendmsg || self == .write }

  /// Whether the call takes data from a socket.
  public var receivesData: Bool { self == .recv || self == .recvfrom || self == .recvmsg || self == .read }

  /// The `enum sockscope_call` value used in per-process logs.
  public var logCode: UInt16 {
    UInt16(SocketCall.allCases.firstIndex(of: self).map { $0 + 1 } ?? 0)
  }

  /// The call for a per-process log's `call` field, if known.
  public init?(logCode: UInt16) {
    let i = Int(logCode) - 1
    guard SocketCall.allCases.indices.contains(i) else { return nil }
    self = SocketCall.allCases[i]
  }
}

/// How a failed call failed.
public struct CallFailure: Sendable, Equatable {
  /// The errno symbol, such as `ENOENT` (or `errno 1234` when the number has no name).
  public var name: String
  /// The C library's message, such as `No such file or directory`.
  public var message: String

  /// A failure with its errno symbol and message.
  public init(name: String, message: String) {
    self.name = name
    self.message = message
  }
}

/// A socket as the kernel knows it: its sockfs inode and, once connected, its peer's.
public struct SocketIdentity: Sendable, Equatable {
  /// The socket's sockfs inode number.
  public var inode: UInt64
  /// The connected peer's inode, once known.
  public var peer: UInt64?

  /// A socket identity.
  public init(inode: UInt64, peer: UInt64? = nil) {
    self.inode = inode
    self.peer = peer
  }
}

/// What few events have, boxed (see `TraceEvent.failure` and `TraceEvent.unreadArguments`);
/// immutable, replaced on change.
final class RareFields: Sendable, Equatable {
  let failure: CallFailure?
  let unread: UnreadArguments

  init(failure: CallFailure?, unread: UnreadArguments) {
    self.failure = failure
    self.unread = unread
  }

  static func == (a: RareFields, b: RareFields) -> Bool {
    a === b || (a.failure == b.failure && a.unread == b.unread)
  }
}

/// A call site, boxed (see `TraceEvent.source`); immutable, so events share it.
package final class CallSiteBox: Sendable, Equatable {
  package let site: CallSite
  /// The site as a trace line's `source` object, when many events share the box: encoded once
  /// and copied into each line (encoding it per line was a fifth of writing a trace).
  package let json: [UInt8]?

  package init(_ site: CallSite, encoded: Bool = false) {
    self.site = site
    if encoded {
      var w = JSONWriter()
      site.write(to: &w)
      json = w.bytes
    } else {
      json = nil
    }
  }

  package static func == (a: CallSiteBox, b: CallSiteBox) -> Bool { a === b || a.site == b.site }
}

/// One recorded call of one process.
// Stored properties are declared largest first, and the optional ones kept as plain values with
// a presence bit or a box for the rare case, so that an event takes 184 bytes with no padding: a
// merge holds a million of them (each optional field cost a tag byte and up to 7 of padding).
// The fields behind the hot getters are `@usableFromInline`, so that the merge's loops in other
// modules read them in place rather than through a call that copies the event.
public struct TraceEvent: Sendable, Equatable {
  /// Position in the merged timeline, from 0: the step, in causal order.
  public var index: Int
  /// CLOCK_MONOTONIC at call start, in nanoseconds (comparable across processes of one machine).
  public var time: UInt64
  /// Time spent in the call, in nanoseconds.
  public var duration: UInt64
  /// Position among the events of its process, from 0.
  public var seq: UInt64
  /// The return value as the program saw it (-1 on failure).
  public var ret: Int64
  /// The process that made the call.
  public var pid: Int32
  /// The thread that made the call (the pid for a single-threaded process).
  public var tid: Int32
  /// The process's participant name, such as `server`, `client#1` or `server/1` (as in the header).
  public var role: String
  // Boxed together: few calls fail or have arguments beyond the typed ones, and a box costs one
  // word where the two strings of a failure cost 32 bytes.
  private var rare: RareFields?
  // Boxed, and shared by the events of one call site: a program calls from few places, and a
  // box costs one word where the site costs 96 bytes (a tenth of a merge's memory).
  package var sourceBox: CallSiteBox?
  /// The data moved, for send, receive and output events.
  public var data: Payload?
  // `flow`, and the receive's one flow (`noFlow` for none) when `moreFlows` is nil: a receive
  // almost always returns one send's data, and an array of one flow cost 56 bytes.
  @usableFromInline var sentFlow: Int
  @usableFromInline var receivedFlow: Int
  // Every flow field, when they do not fit the two words above.
  @usableFromInline var moreFlows: FlowLinks?
  @usableFromInline var socketInode: UInt64
  @usableFromInline var socketPeer: UInt64
  /// The call's arguments, typed (the trace's `args`; keys per call: docs/trace-format.md).
  public var arguments: CallArguments
  /// The call made.
  public var call: SocketCall
  // Which of `socket`, its peer and `fd` are present (`Presence`).
  @usableFromInline var presence: UInt8
  @usableFromInline var fdValue: Int32

  @usableFromInline enum Presence {
    @usableFromInline static let socket: UInt8 = 1
    @usableFromInline static let peer: UInt8 = 2
    @usableFromInline static let fd: UInt8 = 4
  }

  @usableFromInline static let noFlow = Int.min

  /// Why the call failed, when it did.
  public var failure: CallFailure? {
    get { rare?.failure }
    set { setRare(failure: newValue, unread: unreadArguments) }
  }

  /// What the trace line's `args` held beyond the typed arguments, kept for writing it back.
  public var unreadArguments: UnreadArguments {
    get { rare?.unread ?? UnreadArguments() }
    set { setRare(failure: failure, unread: newValue) }
  }

  private mutating func setRare(failure: CallFailure?, unread: UnreadArguments) {
    rare = failure == nil && unread.isEmpty ? nil : RareFields(failure: failure, unread: unread)
  }

  /// The descriptor the call acted on.
  public var fd: Int32? {
    @inlinable get { presence & Presence.fd == 0 ? nil : fdValue }
    set {
      fdValue = newValue ?? 0
      presence = newValue == nil ? presence & ~Presence.fd : presence | Presence.fd
    }
  }

  /// The socket acted on.
  public var socket: SocketIdentity? {
    @inlinable get {
      guard presence & Presence.socket != 0 else { return nil }
      return SocketIdentity(inode: socketInode, peer: presence & Presence.peer == 0 ? nil : socketPeer)
    }
    set {
      socketInode = newValue?.inode ?? 0
      socketPeer = newValue?.peer ?? 0
      presence &= ~(Presence.socket | Presence.peer)
      if newValue != nil { presence |= Presence.socket }
      if newValue?.peer != nil { presence |= Presence.peer }
    }
  }

  /// On a send: the flow id that the receive of this data carries.
  public var flow: Int? {
    @inlinable get {
      if let moreFlows { return moreFlows.flow }
      return sentFlow == Self.noFlow ? nil : sentFlow
    }
    set {
      if moreFlows == nil && newValue != Self.noFlow {
        sentFlow = newValue ?? Self.noFlow
      } else {
        setFlows(flow: newValue, flows: flows, candidates: flowCandidates)
      }
    }
  }

  /// On a receive: the flow ids of the sends whose data it returned.
  public var flows: [Int] {
    get {
      if let moreFlows { return moreFlows.flows }
      return receivedFlow == Self.noFlow ? [] : [receivedFlow]
    }
    set {
      if moreFlows == nil && newValue.count <= 1 && newValue.first != Self.noFlow {
        receivedFlow = newValue.first ?? Self.noFlow
      } else {
        setFlows(flow: flow, flows: newValue, candidates: flowCandidates)
      }
    }
  }

  /// On a datagram receive the trace cannot attribute for sure (identical datagrams sent at the
  /// same time by different threads): every send it may have got, the linked one among them.
  public var flowCandidates: [Int] {
    get { moreFlows?.candidates ?? [] }
    set {
      if moreFlows != nil || !newValue.isEmpty { setFlows(flow: flow, flows: flows, candidates: newValue) }
    }
  }

  /// How many flows the receive returned data of (`flows.count`, without making the array).
  @inlinable package var flowCount: Int {
    if let moreFlows { return moreFlows.flows.count }
    return receivedFlow == Self.noFlow ? 0 : 1
  }

  /// The first of `flows`, without making the array.
  @inlinable package var firstFlow: Int? {
    if let moreFlows { return moreFlows.flows.first }
    return receivedFlow == Self.noFlow ? nil : receivedFlow
  }

  /// Sets `flows` to `flow` alone (none when nil), without making an array.
  package mutating func setOnlyFlow(_ flow: Int?) {
    if moreFlows == nil && flow != Self.noFlow {
      receivedFlow = flow ?? Self.noFlow
    } else {
      flows = flow.map { [$0] } ?? []
    }
  }

  /// Calls `body` with each of `flows`, in order, without making the array.
  @inlinable package func forEachFlow<E: Error>(_ body: (Int) throws(E) -> Void) throws(E) {
    if let moreFlows {
      for f in moreFlows.flows { try body(f) }
    } else if receivedFlow != Self.noFlow {
      try body(receivedFlow)
    }
  }

  /// Maps each of `flows` through `renumbered`, dropping those it maps to nil, and likewise each
  /// of `flowCandidates` (then sorted); an event without flows is left as it is. A receive of one
  /// flow is renumbered without making arrays.
  package mutating func renumberReceivedFlows(_ renumbered: (Int) -> Int?) {
    if moreFlows == nil {
      if receivedFlow != Self.noFlow { setOnlyFlow(renumbered(receivedFlow)) }
      return
    }
    guard flowCount > 0 else { return }
    let candidates = flowCandidates
    flows = flows.compactMap(renumbered)
    if !candidates.isEmpty { flowCandidates = candidates.compactMap(renumbered).sorted() }
  }

  /// Stores the flow fields, inline when they fit, so that equal fields are stored alike.
  private mutating func setFlows(flow: Int?, flows: [Int], candidates: [Int]) {
    if candidates.isEmpty && flows.count <= 1 && flow != Self.noFlow && flows.first != Self.noFlow {
      sentFlow = flow ?? Self.noFlow
      receivedFlow = flows.first ?? Self.noFlow
      moreFlows = nil
    } else {
      sentFlow = Self.noFlow
      receivedFlow = Self.noFlow
      moreFlows = FlowLinks(flow: flow, flows: flows, candidates: candidates)
    }
  }

  /// Where in the program the call was made, when the recorder knew (`source` in the format).
  public var source: CallSite? {
    get { sourceBox?.site }
    set { sourceBox = newValue.map { CallSiteBox($0) } }
  }

  /// An event; the thread defaults to the process.
  public init(
    index: Int = 0, time: UInt64, duration: UInt64 = 0, pid: Int32, tid: Int32? = nil, seq: UInt64 = 0,
    role: String, call: SocketCall, fd: Int32? = nil, args: JSONObject = JSONObject(),
    arguments: CallArguments? = nil, ret: Int64 = 0, failure: CallFailure? = nil,
    socket: SocketIdentity? = nil, data: Payload? = nil, flow: Int? = nil,
    flows: [Int] = []
  ) {
    self.index = index
    self.time = time
    self.duration = duration
    self.seq = seq
    self.ret = ret
    self.pid = pid
    self.tid = tid ?? pid
    self.role = role
    let unread: UnreadArguments
    if let arguments {
      // Empty arguments are `.none`, as a line's `{}` reads back.
      self.arguments = arguments.isEmpty ? .none : arguments
      unread = UnreadArguments(members: args)
    } else {
      (self.arguments, unread) = CallArguments.decode(args, call: call)
    }
    rare = failure == nil && unread.isEmpty ? nil : RareFields(failure: failure, unread: unread)
    self.data = data
    sentFlow = Self.noFlow
    receivedFlow = Self.noFlow
    socketInode = 0
    socketPeer = 0
    self.call = call
    presence = 0
    fdValue = 0
    self.fd = fd
    self.socket = socket
    if flow != nil || !flows.isEmpty { setFlows(flow: flow, flows: flows, candidates: []) }
  }

  /// An event that holds no references, to fill a slot whose event was moved out.
  package static let vacant = TraceEvent(
    time: 0, pid: 0, role: "", call: .close, arguments: CallArguments.none)

  /// Whether the call succeeded.
  public var succeeded: Bool { failure == nil }

  /// Time at which the call returned.
  public var endTime: UInt64 { time &+ duration }
}

/// The flow fields of an event that does not fit them inline (see `TraceEvent.flows`); immutable,
/// replaced on change.
@usableFromInline final class FlowLinks: Sendable, Equatable {
  @usableFromInline let flow: Int?
  @usableFromInline let flows: [Int]
  @usableFromInline let candidates: [Int]

  init(flow: Int?, flows: [Int], candidates: [Int]) {
    self.flow = flow
    self.flows = flows
    self.candidates = candidates
  }

  @usableFromInline static func == (a: FlowLinks, b: FlowLinks) -> Bool {
    a === b || (a.flow == b.flow && a.flows == b.flows && a.candidates == b.candidates)
  }
}
