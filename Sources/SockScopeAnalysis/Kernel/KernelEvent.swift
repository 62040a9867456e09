public import SockScopeTrace

/// A call as the kernel model knows it: every call the trace format names, the ones newer
/// recorders add (`dup`, `fork`, `poll`...) included, so the model reads them whatever version of
/// the trace reader produced the event.
public enum KernelCall: String, Sendable, CaseIterable {
  case socket, socketpair, bind, listen, accept, accept4, connect
  case send, sendto, sendmsg, recv, recvfrom, recvmsg
  case shutdown, close, unlink, getsockname, getpeername, setsockopt
  case read, write, output
  case dup, dup2, dup3, fcntl, fork, getsockopt, poll, select
  case epollCtl = "epoll_ctl"
  case epollWait = "epoll_wait"
  case execve
  case programStart = "program_start"

  /// The call of a trace event (nil for a call this model does not know).
  public init?(_ call: SocketCall) { self.init(rawValue: call.rawValue) }

  /// Whether the call hands data to a socket.
  public var sendsData: Bool { self == .send || self == .sendto || self == .sendmsg || self == .write }

  /// Whether the call takes data from a socket.
  public var receivesData: Bool { self == .recv || self == .recvfrom || self == .recvmsg || self == .read }

  /// Whether the call makes a new descriptor for an open file the process already has.
  public var duplicates: Bool { self == .dup || self == .dup2 || self == .dup3 || self == .fcntl }

  /// Whether the call waits for one of several descriptors to become ready.
  public var waitsForReadiness: Bool { self == .poll || self == .select || self == .epollWait }
}

/// One recorded call, as the kernel model reads it: the trace event's fields, its call as a
/// `KernelCall`. Built from a `TraceEvent`, or by hand (tests, calls a trace reader does not know).
public struct KernelEvent: Sendable, Equatable {
  public var index: Int
  public var time: UInt64
  public var duration: UInt64
  public var pid: Int32
  public var tid: Int32
  public var role: String
  public var call: KernelCall
  public var fd: Int32?
  /// The call's typed arguments (read through `KernelEvent+Arguments.swift`).
  public var arguments: CallArguments
  /// The arguments the trace model does not type (keys a newer writer added), as written.
  public var unread: JSONObject
  public var ret: Int64
  public var failure: CallFailure?
  public var socket: SocketIdentity?
  public var data: Payload?
  public var flow: Int?
  public var flows: [Int]

  /// An event built by hand, its arguments given as a trace line's `args` (read as the trace
  /// readers read them).
  public init(
    index: Int, time: UInt64 = 0, duration: UInt64 = 0, pid: Int32, tid: Int32? = nil, role: String = "",
    call: KernelCall, fd: Int32? = nil, args: JSONObject = JSONObject(), ret: Int64 = 0,
    failure: CallFailure? = nil, socket: SocketIdentity? = nil, data: Payload? = nil, flow: Int? = nil,
    flows: [Int] = []
  ) {
    let typed = SocketCall(rawValue: call.rawValue).map { CallArguments.decode(args, call: $0) }
    self.init(
      index: index, time: time, duration: duration, pid: pid, tid: tid, role: role, call: call, fd: fd,
      arguments: typed?.0 ?? .none, unread: typed?.1.members ?? args, ret: ret, failure: failure,
      socket: socket, data: data,
      flow: flow, flows: flows)
  }

  init(
    index: Int, time: UInt64, duration: UInt64, pid: Int32, tid: Int32?, role: String, call: KernelCall,
    fd: Int32?, arguments: CallArguments, unread: JSONObject = JSONObject(), ret: Int64,
    failure: CallFailure?,
    socket: SocketIdentity?, data: Payload?, flow: Int?, flows: [Int]
  ) {
    self.index = index
    self.time = time
    self.duration = duration
    self.pid = pid
    self.tid = tid ?? pid
    self.role = role
    self.call = call
    self.fd = fd
    self.arguments = arguments
    self.unread = unread
    self.ret = ret
    self.failure = failure
    self.socket = socket
    self.data = data
    self.flow = flow
    self.flows = flows
  }

  /// The event of a trace, or nil when its call is one the model does not know.
  public init?(_ e: TraceEvent) {
    guard let call = KernelCall(e.call) else { return nil }
    self.init(
      index: e.index, time: e.time, duration: e.duration, pid: e.pid, tid: e.tid, role: e.role, call: call,
      fd: e.fd, arguments: e.arguments, unread: e.unreadArguments.members, ret: e.ret, failure: e.failure,
      socket: e.socket, data: e.data, flow: e.flow, flows: e.flows)
  }

  public var succeeded: Bool { failure == nil }
  public var endTime: UInt64 { time &+ duration }
}
