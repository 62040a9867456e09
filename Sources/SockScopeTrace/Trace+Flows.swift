/// Which send produced a receive's data, looked up by flow id (the links the merge made).
public struct FlowIndex: Sendable {
  /// One end of each flow: the event at that end, looked up by flow id.
  ///
  /// Holds positions into the trace's events rather than copies of them: a table of whole events
  /// retained and rehashed each one as it grew, which made indexing a 100 000-event trace take
  /// longer than reading it.
  public struct Ends: Sendable {
    private let events: [TraceEvent]
    private let positions: [Int: Int]

    init(events: [TraceEvent], positions: [Int: Int]) {
      self.events = events
      self.positions = positions
    }

    /// The event at this end of `flow`, or `nil` when no event has it.
    public subscript(flow: Int) -> TraceEvent? {
      guard let position = positions[flow] else { return nil }
      return events[position]
    }

    /// The position in the trace's events of the event at this end of `flow`.
    public func position(ofFlow flow: Int) -> Int? { positions[flow] }
  }

  /// The send of each flow id.
  public let send: Ends
  /// The first receive that took data of each flow id (a stream send may feed several).
  public let receive: Ends

  /// The index of `events`' flows.
  public init(_ events: [TraceEvent]) {
    var send: [Int: Int] = [:]
    var receive: [Int: Int] = [:]
    // Fields are read in place: copying each event retains and releases its payload.
    for i in events.indices {
      if let flow = events[i].flow, send[flow] == nil { send[flow] = i }
      events[i].forEachFlow { flow in
        if receive[flow] == nil { receive[flow] = i }
      }
    }
    self.send = Ends(events: events, positions: send)
    self.receive = Ends(events: events, positions: receive)
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
    for i in events.indices {
      switch events[i].call {
      case .socket, .socketpair, .accept, .accept4, .connect:
        guard events[i].failure == nil else { continue }
      default: continue
      }
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
