import Glibc
public import SockScopeTrace
import Synchronization

/// The `net.unix.max_dgram_qlen` limit, and where the number came from.
public struct QueueLimit: Sendable, Equatable {
  public enum Source: Sendable, Equatable {
    /// Read on the machine when the trace was recorded or merged (the header says it).
    case recorded
    /// Read on this machine now: the run's machine may have had another (the model infers it).
    case inferred
  }

  public var value: Int
  public var source: Source

  public init(value: Int, source: Source) {
    self.value = value
    self.source = source
  }

  /// `/proc/sys/net/unix/max_dgram_qlen` as this machine has it now, marked inferred (the run may
  /// have been recorded elsewhere, or before a change); nil when it cannot be read.
  public static func thisMachine() -> QueueLimit? {
    TraceHeader.maxDatagramQueueLengthOfThisMachine().map { QueueLimit(value: $0, source: .inferred) }
  }

  /// The limit a trace recorded, else this machine's (inferred).
  public static func of(_ trace: Trace) -> QueueLimit? {
    trace.header.maxDatagramQueueLength.map { QueueLimit(value: $0, source: .recorded) } ?? thisMachine()
  }

}

/// What one receive queue holds at a moment.
public struct QueueDepth: Sendable, Equatable {
  public var socket: UInt64
  /// Datagrams or records (for a stream: sends whose bytes are not all read).
  public var items: Int
  public var bytes: UInt64
}

/// What one step did to the kernel's objects, as the model worked it out.
public struct StepFacts: Sendable, Equatable {
  /// The socket the call acted on, and its kind and name after the call.
  public var socket: UInt64?
  public var kind: SocketKind?
  public var name: SocketName?
  /// Whether the socket is an end of a socketpair.
  public var isPairEnd = false
  /// References to the socket after the call (descriptors in every process, and in flight).
  public var referencesAfter: Int?
  /// close, dup2 onto an open number: the descriptors that still refer to the socket.
  public var otherHolders: [DescriptorRef] = []
  /// close: whether this was the last reference, so the kernel destroyed the socket.
  public var released = false
  /// close of what looked like the last reference, when the trace shows this process using the
  /// socket later: a descriptor the trace did not see made (an older trace without SCM_RIGHTS or
  /// fork records) still refers to it.
  public var laterUser: Int32?
  /// close that destroyed the socket: what its receive queue still held (datagrams or records, or
  /// sends' bytes on a stream).
  public var discarded: (items: Int, bytes: UInt64)? = nil
  /// A send: the socket whose receive queue got the data, and what that queue held before.
  public var destination: UInt64?
  public var destinationKind: SocketKind?
  public var queuedBefore: Int?
  /// A datagram send: whether net.unix.max_dgram_qlen limits the destination's queue (it does not
  /// when the receiver is connected back to the sender, as a socketpair's ends are).
  public var queueLimitApplies: Bool?
  /// A stream receive: how many sends' bytes it took, and whether it left part of the last one.
  public var streamPieces: (sends: Int, leftPartOfLast: Bool)? = nil
  /// fork: how many descriptors of sockets the child got.
  public var inheritedDescriptors: Int?
  /// SCM_RIGHTS: the sockets the passed descriptors refer to.
  public var passed: [PassedDescriptor] = []
  /// accept: the new socket; connect on a connection socket: the listening socket found.
  public var listener: UInt64?
  /// exec: the socket descriptors kept and closed (close-on-exec).
  public var exec: ExecFacts?
  /// program_start: the socket descriptors the program started with, and where they came from.
  public var programStart: StartFacts?

  public init() {}

  public static func == (a: StepFacts, b: StepFacts) -> Bool {
    a.socket == b.socket && a.kind == b.kind && a.name == b.name && a.referencesAfter == b.referencesAfter
      && a.otherHolders == b.otherHolders && a.released == b.released && a.destination == b.destination
      && a.queuedBefore == b.queuedBefore
  }
}

/// The kernel's objects step by step: sockets of each kind, descriptors per process (a socket lives
/// while any refers to it: fork, dup, SCM_RIGHTS add references, close removes one), receive queues
/// (datagrams and records with boundaries, a stream's bytes), listen backlogs and socket files.
/// Built from what the trace recorded; where it infers (a child's descriptors without a recorded
/// `fork`, the queue limit of a trace that did not record it), its types say so.
public struct KernelModel: Sendable {
  public let events: [KernelEvent]
  /// Per event (same positions as `events`), what it did.
  public let facts: [StepFacts]
  /// The datagram queue limit, when known.
  public let datagramQueueLimit: QueueLimit?
  /// The state after every `interval`th event, to rebuild any step's state quickly.
  let checkpoints: [Replayer]
  /// Every descriptor a process held during the run, and how it got it.
  public let descriptorsEverHeld: [HeldDescriptor: DescriptorOrigin]
  /// For each of them, the position in `events` at which the process first held it (to tell a
  /// number's sockets apart in time when it was closed and reused).
  public let descriptorFirstHeld: [HeldDescriptor: Int]
  /// Per event, the receive queues that hold something after it.
  public let queues: [[QueueDepth]]
  /// Each process's last event.
  let lastPosition: [Int32: Int]
  /// The position of the send that carries each flow (see `sendPosition(ofFlow:)`).
  let sendOfFlow: [Int: Int]

  /// The position in `events` of the send whose data carries `flow`, when the trace has it.
  // An index: narrating each receive by searching the events for its send was quadratic.
  public func sendPosition(ofFlow flow: Int) -> Int? { sendOfFlow[flow] }

  /// Whether the process makes a call after the event at `position` (else it may have exited
  /// since, closing its descriptors; the trace does not record when).
  public func callsLater(_ pid: Int32, than position: Int) -> Bool { (lastPosition[pid] ?? -1) > position }

  /// Every socket's name, the last the trace showed it having.
  let names: [UInt64: SocketName]
  /// Every socket's kind, as far as the trace shows.
  let kinds: [UInt64: SocketKind]
  static let interval = 256

  /// The model of a trace (events the model does not know, such as a future call, are left out).
  public init(trace: Trace, datagramQueueLimit: QueueLimit? = nil) {
    self.init(
      events: trace.events.compactMap(KernelEvent.init), processes: trace.header.processes,
      datagramQueueLimit: datagramQueueLimit)
  }

  /// The model of `events` in causal order; `processes` give each process's parent, so a child's
  /// inherited descriptors are known even when the trace has no `fork`.
  public init(events: [KernelEvent], processes: [TracedProcess] = [], datagramQueueLimit: QueueLimit? = nil) {
    self.events = events
    self.datagramQueueLimit = datagramQueueLimit
    var last: [Int32: Int] = [:]
    var sendOfFlow: [Int: Int] = [:]
    for (k, e) in events.enumerated() {
      last[e.pid] = k
      if let flow = e.flow, sendOfFlow[flow] == nil { sendOfFlow[flow] = k }
    }
    lastPosition = last
    self.sendOfFlow = sendOfFlow
    var replayer = Replayer(events: events, processes: processes)
    var facts: [StepFacts] = []
    var checkpoints: [Replayer] = []
    var names: [UInt64: SocketName] = [:]
    var depths: [UInt64: QueueDepth] = [:]
    var queues: [[QueueDepth]] = []
    queues.reserveCapacity(events.count)
    facts.reserveCapacity(events.count)
    for (k, e) in events.enumerated() {
      if k % Self.interval == 0 { checkpoints.append(replayer.withSenders([:])) }
      let f = replayer.apply(e)
      if let ino = f.socket, let n = f.name, n != .unnamed, n != .autobound("") { names[ino] = n }
      facts.append(f)
      for ino in [f.socket, f.destination].compactMap({ $0 }) {
        if let q = replayer.state.sockets[ino], !q.queue.isEmpty {
          depths[ino] = QueueDepth(socket: ino, items: q.queuedItems, bytes: q.queuedBytes)
        } else {
          depths[ino] = nil
        }
      }
      queues.append(depths.values.sorted { $0.socket < $1.socket })
    }
    self.queues = queues
    self.names = names
    self.facts = facts
    // Every checkpoint shares the one table of unnamed senders (see `Replayer.unnamedSenderOfFlow`).
    self.checkpoints = checkpoints.map { $0.withSenders(replayer.unnamedSenderOfFlow) }
    kinds = replayer.state.sockets.compactMapValues(\.kind)
    descriptorsEverHeld = replayer.everHeld
    descriptorFirstHeld = replayer.firstHeld
  }

  /// The position in `events` of the trace event with `index`.
  public func position(ofEventIndex index: Int) -> Int? {
    var low = 0
    var high = events.count
    while low < high {
      let mid = (low + high) / 2
      if events[mid].index < index { low = mid + 1 } else { high = mid }
    }
    return low < events.count && events[low].index == index ? low : nil
  }

  /// What the kernel held after the event at `position` (before any event when -1).
  public func state(after position: Int) -> KernelState {
    guard position >= 0, !events.isEmpty else { return KernelState() }
    let p = min(position, events.count - 1)
    var k = (p / Self.interval) * Self.interval
    var replayer = checkpoints[p / Self.interval]
    // A view that visits every step in order (the web page, the asciicast) asks for p, p + 1, …:
    // it goes on from the state it last got instead of replaying from the checkpoint each time.
    if let last = lastState.value.withLock({ $0 }), last.position <= p, last.position + 1 >= k {
      replayer = last.replayer
      k = last.position + 1
    }
    while k <= p {
      _ = replayer.apply(events[k])
      k += 1
    }
    let reached = replayer
    lastState.value.withLock { $0 = (p, reached) }
    return replayer.state
  }

  /// The state `state(after:)` last returned, and its position: shared by copies of the model.
  let lastState = LastState()

  /// The facts of the trace event with `index`.
  public func facts(ofEventIndex index: Int) -> StepFacts? { position(ofEventIndex: index).map { facts[$0] } }

  /// The kind of the socket with `inode`, as far as the trace shows.
  public func kind(of inode: UInt64) -> SocketKind? { kinds[inode] }

  /// The name of the socket with `inode`, the last the trace showed it having.
  public func name(of inode: UInt64) -> SocketName? { names[inode] }
}

/// The last state a model rebuilt (see `KernelModel.state(after:)`); a class, so that the model
/// stays a value and its copies share what one of them rebuilt.
final class LastState: Sendable {
  let value = Mutex<(position: Int, replayer: Replayer)?>(nil)
}
