import SockScopeAnalysis
import SockScopeTrace

/// What a sequence diagram shows of a trace, independent of the tool that draws it: one participant
/// per process, and in the trace's order either a message (data a receive got from a send) or a
/// note (any other call, a failure, data nobody received).
struct SequenceModel {
  struct Participant {
    /// An identifier the diagram languages accept: `p` and the pid.
    var id: String
    var pid: Int32
    /// `server (pid 4600)`; `parent/1 → python3 (pid 8650)` after an exec.
    var title: String
  }

  enum Item {
    case message(from: Int, to: Int, text: String)
    case note(over: Int, text: String)
  }

  var participants: [Participant] = []
  var items: [Item] = []

  init(trace: Trace) {
    var slot: [Int32: Int] = [:]
    // A process that ran another program with exec is titled with it, as on every view:
    // `parent/1 → python3 (pid 8650)`.
    let programs = trace.programChanges
    for e in trace.events where slot[e.pid] == nil {
      slot[e.pid] = participants.count
      let role = ProgramChange.title(e.role, programs[e.pid] ?? [])
      participants.append(Participant(id: "p\(e.pid)", pid: e.pid, title: "\(role) (pid \(e.pid))"))
    }
    let flows = trace.flowIndex
    let passings = DescriptorPassings(trace: trace)
    for e in trace.events where e.call != .output {
      guard let me = slot[e.pid] else { continue }
      if e.call.sendsData, e.failure == nil, let flow = e.flow, flows.receive[flow] != nil {
        continue  // Drawn as the message, where it was received.
      }
      if e.call.receivesData, !e.flows.isEmpty {
        // One arrow per sending process whose data this receive got (a stream read may take pieces
        // of several sends), labelled with what was received.
        var senders: [Int] = []
        for flow in e.flows {
          guard let send = flows.send[flow], let from = slot[send.pid], !senders.contains(from) else {
            continue
          }
          senders.append(from)
        }
        let what = e.data.map { "\($0.preview()) (\($0.length) B)" } ?? ""
        for from in senders {
          // Where in the code: the send's line and the receive's, when the trace recorded them.
          let send = e.flows.lazy.compactMap { flows.send[$0] }.first { slot[$0.pid] == from }
          let places = [send?.recordedSource?.shown, e.recordedSource?.shown]
          let at =
            places.allSatisfy({ $0 == nil })
            ? "" : " [" + places.map { $0 ?? "?" }.joined(separator: " → ") + "]"
          // Descriptors passed with SCM_RIGHTS: the sender's number → the receiver's new one.
          let passed = e.flows.compactMap { flows.send[$0] }.filter { slot[$0.pid] == from }.flatMap {
            passings.passed(from: $0, to: e)
          }
          let rights =
            passed.isEmpty ? "" : " + SCM_RIGHTS " + passed.map(Self.passing).joined(separator: ", ")
          items.append(.message(from: from, to: me, text: what + rights + at))
        }
        continue
      }
      var text = e.summary
      // close names its descriptor, as the player and the sequence chart do (`close(4)`).
      if e.call == .close, let fd = e.fd, text.hasPrefix("close()") {
        text = "close(\(fd))" + text.dropFirst(7)
      }
      if e.call.sendsData, e.failure == nil { text += " (not received in this trace)" }
      if let source = e.recordedSource { text += " [\(source.shown)]" }
      items.append(.note(over: me, text: text))
    }
  }

  /// `fd 5 → fd 3 (socket 14695)`: the sender's descriptor, the receiver's new one, the socket.
  static func passing(_ p: DescriptorPassing) -> String {
    let what = p.inode.map { p.isSocket ? " (socket \($0))" : " (inode \($0))" } ?? ""
    if let fd = p.receiverFD { return "fd \(p.senderFD) → fd \(fd)\(what)" }
    return p.dropped ? "fd \(p.senderFD) → not delivered (MSG_CTRUNC)" : "fd \(p.senderFD)\(what) → ?"
  }
}
