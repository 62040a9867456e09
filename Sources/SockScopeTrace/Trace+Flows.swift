/// Which send produced a receive's data, looked up by flow id (the links the merge made).
public struct FlowIndex: Sendable {
  /// The send of each flow id.
  public let send: [Int: TraceEvent]
  /// The first receive that took data of each flow id (a stream send may feed several).
  public let receive: [Int: TraceEvent]

  /// The index of `events`' flows.
  public init(_ events: [TraceEvent]) {
    var send: [Int: TraceEvent] = [:]
    var receive: [Int: TraceEvent] = [:]
    for e in events {
      if let flow = e.flow, send[flow] == nil { send[flow] = e }
      for flow in e.flows where receive[flow] == nil { receive[flow] = e }
    }
    self.send = send
    self.receive = receive
  }
}

extension Trace {
  /// The flow links of this trace, indexed both ways.
  public var flowIndex: FlowIndex { FlowIndex(events) }

  /// The sockets (sockfs inodes) that carry a byte stream: made `SOCK_STREAM` by `socket` or
  /// `socketpair` (both ends), returned by `accept`, or the peer a stream socket connected to.
  /// One rule for the linker, the player and every view.
  public static func streamSockets(in events: [TraceEvent]) -> Set<UInt64> {
    var streams = Set<UInt64>()
    // Fields are read in place: copying each event retains and releases its payload.
    for i in events.indices where events[i].failure == nil {
      switch events[i].call {
      case .socket, .socketpair:
        if events[i].arguments.socket?.type?.isStream == true {
          if let ino = events[i].socket?.inode { streams.insert(ino) }
          if let peer = events[i].socket?.peer { streams.insert(peer) }
        }
      case .accept, .accept4:
        if let ino = events[i].arguments.acceptedSocket?.inode { streams.insert(ino) }
      case .connect:
        if let ino = events[i].socket?.inode, streams.contains(ino), let peer = events[i].socket?.peer {
          streams.insert(peer)
        }
      default: break
      }
    }
    return streams
  }
}
