import SockScopeAnalysis
import SockScopeGraphviz
import SockScopeLanguage
import SockScopeTrace

/// What the page's text explains: processes hold descriptors of sockets; a socket file in the
/// filesystem names the server's socket; the data itself passes through the kernel's buffer of the
/// receiving socket, never through the file. Edges carry counts of datagrams and bytes.
struct Topology {
  var graph: DOTGraph

  init(trace: Trace, language: Language, theme: DiagramTheme = .light) {
    let text = DiagramText(language: language)
    let palette = theme.palette
    let font = DOTValue.text(DiagramFonts.layout)
    let ru = language == .ru
    var g = DOTGraph(
      name: "topology",
      attributes: [
        // Top to bottom, data flowing down from senders to the receiving socket, which its process
        // sits beside: a figure about as wide as tall, that fits a slide (left to right, the demo's
        // was a 6:1 banner).
        "rankdir": "TB", "fontname": font, "nodesep": .plain("0.8"), "ranksep": .plain("0.45"),
        "bgcolor": .text(palette.background), "fontcolor": .text(palette.text),
      ],
      nodeDefaults: [
        "fontname": font, "fontsize": .plain("11"), "color": .text(palette.text),
        "fontcolor": .text(palette.text),
      ],
      edgeDefaults: [
        "fontname": font, "fontsize": .plain("10"), "color": .text(palette.connection),
        "fontcolor": .text(palette.text),
      ])

    // What the kernel held: every socket's kind and name, every descriptor any process held and
    // how it got it (the kernel model, shared with the player).
    let model = KernelModel(trace: trace)
    var sockets: [UInt64: String] = [:]  // inode → type
    for e in model.events where e.succeeded && e.call != .output {
      for ino in [e.socket?.inode, e.acceptedSocket?.inode].compactMap({ $0 }) {
        sockets[ino] = model.kind(of: ino)?.constant ?? ""
      }
      if e.call == .socketpair, let peer = e.socket?.peer {
        sockets[peer] = model.kind(of: peer)?.constant ?? ""
      }
    }
    for held in model.descriptorsEverHeld.keys where sockets[held.socket] == nil {
      sockets[held.socket] = model.kind(of: held.socket)?.constant ?? ""
    }
    // A name node per socket file (by the file's inode, else its path) and per abstract name.
    var files: [String: (path: String, ino: Int64?, abstract: Bool, autobind: Bool)] = [:]
    var bound: [(socket: UInt64, file: String)] = []
    var connected: [(socket: UInt64, file: String)] = []
    for (k, e) in model.events.enumerated() where e.succeeded && (e.call == .bind || e.call == .connect) {
      guard let ino = e.socket?.inode ?? model.facts[k].socket else { continue }
      let name: SocketName?
      if e.call == .bind, case .autobound? = model.facts[k].name {
        name = model.name(of: ino) ?? .autobound("")
      } else if e.call == .bind, let n = model.name(of: ino), n.isAbstract {
        name = n
      } else {
        name = e.addressName
      }
      let key: String
      let entry: (path: String, ino: Int64?, abstract: Bool, autobind: Bool)
      switch name {
      case .path(let p)?:
        key = e.addressFileInode.map { "ino\($0)" } ?? p
        entry = (p, e.addressFileInode, false, false)
      case .abstract(let n)?:
        key = "abs" + n
        entry = ("@" + n, nil, true, false)
      case .autobound(let n)?:
        key = n.isEmpty ? "auto\(ino)" : "abs" + n
        entry = (n.isEmpty ? "@?" : "@" + n, nil, true, true)
      default:
        continue
      }
      files[key] = entry
      if e.call == .bind { bound.append((ino, key)) } else { connected.append((ino, key)) }
    }

    // One node per process (a process that ran another program with exec has a log per program,
    // so the header lists it twice), titled as every view titles it (`parent/1 → python3`).
    let participants = Dictionary(trace.participants.map { ($0.pid, $0) }, uniquingKeysWith: { a, _ in a })
    var drawn = Set<Int32>()
    for p in trace.header.processes where drawn.insert(p.pid).inserted {
      guard let participant = participants[p.pid] else { continue }
      g.node(
        "p\(p.pid)",
        [
          "shape": "box", "style": "rounded,filled", "fillcolor": .text(palette.processFill),
          "label": .text("\(participant.roleTitle)\npid \(p.pid)"), "fontsize": .plain("13"),
        ])
    }
    for (ino, type) in sockets.sorted(by: { $0.key < $1.key }) {
      let label = (ru ? "сокет " : "socket ") + "\(ino)" + (type.isEmpty ? "" : "\n\(type)")
      g.node(
        "s\(ino)",
        [
          "shape": "ellipse", "style": "filled", "fillcolor": .text(palette.socketFill),
          "label": .text(label),
        ])
    }
    // Each descriptor: the same socket under its own number in every process that holds it (a
    // forked child's copy, a dup, one received with SCM_RIGHTS). A passed one says from which
    // process and number it came; the sender's says where it went (the sender keeps its own
    // number until it closes it).
    let passed = Self.passings(in: trace)
    let execFates = model.execFates
    // A number a process held for several sockets in turn (closed, then given to another): all but
    // the last say the number was later reused, so two `fd 3` edges of one process are not read as
    // one descriptor referring to two sockets.
    var reused = Set<HeldDescriptor>()
    let byNumber = Dictionary(grouping: model.descriptorsEverHeld.keys) {
      DescriptorRef(pid: $0.pid, fd: $0.fd)
    }
    for (_, held) in byNumber where held.count > 1 {
      let inTurn = held.sorted { (model.descriptorFirstHeld[$0] ?? 0) < (model.descriptorFirstHeld[$1] ?? 0) }
      reused.formUnion(inTurn.dropLast())
    }
    for (held, origin) in model.descriptorsEverHeld.sorted(by: {
      ($0.key.pid, $0.key.fd, $0.key.socket) < ($1.key.pid, $1.key.fd, $1.key.socket)
    }) {
      var label = "fd \(held.fd)"
      if reused.contains(held) { label += ru ? " (номер потом занят снова)" : " (number later reused)" }
      var attributes: DOTAttributes = [:]
      switch origin {
      case .passed:
        let from = Self.listed(passed.received[held] ?? []) {
          ru ? "pid \($0.pid) (там fd \($0.fd))" : "pid \($0.pid) (its fd \($0.fd))"
        }
        label +=
          from.isEmpty
          ? (ru ? "\nполучен SCM_RIGHTS" : "\nreceived by SCM_RIGHTS")
          : (ru ? ", получен SCM_RIGHTS\nот " : ", received by SCM_RIGHTS\nfrom ") + from
        attributes["style"] = "bold"
      case .duplicated:
        label += " (dup)"
      default:
        break
      }
      let to = Self.listed(passed.sent[held] ?? []) {
        ru ? "pid \($0.pid) (там fd \($0.fd))" : "pid \($0.pid) (as fd \($0.fd))"
      }
      if !to.isEmpty { label += (ru ? "\nпередан SCM_RIGHTS в " : "\npassed by SCM_RIGHTS to ") + to }
      // exec: a close-on-exec descriptor was closed by it (the new program never held it, drawn
      // dashed); a kept one is the new program's under the same number.
      switch execFates[held] {
      case .closedAtExec?:
        label += ru ? "\nзакрыт при exec (close-on-exec)" : "\nclosed at exec (close-on-exec)"
        attributes["style"] = "dashed"
      case .keptAtExec?:
        label += ru ? "\nостался открыт после exec" : "\nkept open across exec"
      case nil:
        break
      }
      attributes["label"] = .text(label)
      g.edge("p\(held.pid)", "s\(held.socket)", attributes)
    }
    for (key, file) in files.sorted(by: { $0.key < $1.key }) {
      let what: String
      if file.autobind {
        what = ru ? "абстрактное имя (автопривязка),\nфайла нет" : "abstract name (autobind),\nno file"
      } else if file.abstract {
        what = ru ? "абстрактное имя, файла нет" : "abstract name, no file"
      } else {
        what = (ru ? "файл сокета" : "socket file") + (file.ino.map { ", inode \($0)" } ?? "")
      }
      g.node(
        "f_\(key)",
        [
          "shape": file.abstract ? "box" : "note", "style": file.abstract ? "dashed,filled" : "filled",
          "fillcolor": .text(palette.boxFill), "label": .text(file.path + "\n" + what),
        ])
    }
    for b in bound {
      g.edge("s\(b.socket)", "f_\(b.file)", ["label": "bind", "style": "dashed", "arrowhead": "none"])
    }
    for c in connected { g.edge("s\(c.socket)", "f_\(c.file)", ["label": "connect", "style": "dotted"]) }
    let descriptors = model.descriptorsEverHeld.keys

    // Data: sender socket → the receiver's kernel queue → the receiver, counted from linked flows.
    let sends = trace.flowIndex.send
    var traffic: [UInt64: [UInt64: (count: Int, bytes: UInt64)]] = [:]
    // What the receives on each socket got: less than was sent when a datagram or record was cut
    // by a short buffer (the kernel discarded the rest).
    var received: [UInt64: UInt64] = [:]
    for recv in trace.events where !recv.flows.isEmpty {
      guard let to = recv.socket?.inode else { continue }
      received[to, default: 0] += recv.data?.length ?? UInt64(max(0, recv.ret))
      for flow in recv.flows {
        guard let send = sends[flow], let from = send.socket?.inode else { continue }
        let old = traffic[to, default: [:]][from] ?? (0, 0)
        traffic[to, default: [:]][from] = (old.count + 1, old.bytes + (send.data?.length ?? 0))
      }
    }
    for (to, senders) in traffic.sorted(by: { $0.key < $1.key }) {
      let queue = "q\(to)"
      // Datagrams or records only where the model knows the socket's kind; otherwise (a stream, or
      // a socket of unknown type) what is known is bytes and sends.
      let kind = model.kind(of: to)
      g.node(
        queue,
        [
          "shape": "cylinder", "style": "filled", "fillcolor": .text(palette.queueFill),
          "label": .text(
            ru ? "очередь приёма\nсокета \(to) (ядро)" : "receive queue\nof socket \(to) (kernel)"),
        ])
      var total = (count: 0, bytes: UInt64(0))
      for (from, t) in senders.sorted(by: { $0.key < $1.key }) {
        g.edge(
          "s\(from)", queue,
          [
            "label": .text(Self.counts(t.count, t.bytes, kind: kind, text: text, ru: ru)),
            "color": .text(palette.message),
          ])
        total = (total.count + t.count, total.bytes + t.bytes)
      }
      // Out of the queue: what the receiver got. A cut datagram or record delivered only the part
      // that fit; the rest was discarded, and the edge says how much.
      var delivered = Self.counts(total.count, total.bytes, kind: kind, text: text, ru: ru)
      if kind == .datagram || kind == .seqpacket, let got = received[to], got < total.bytes {
        delivered =
          Self.counts(total.count, got, kind: kind, text: text, ru: ru)
          + (ru
            ? "\n(\(text.bytes(total.bytes - got)) отброшено: обрезано)"
            : "\n(\(text.bytes(total.bytes - got)) discarded: cut)")
      }
      g.edge(queue, "s\(to)", ["label": .text(delivered), "color": .text(palette.message)])
    }
    // A process that receives sits beside the sockets it receives on, under the queues that feed them.
    // A socket several processes hold (after fork, or passed) sits beside the first of them only:
    // one node in two same-rank sets makes libgraphviz abort (measured on a socketpair shared
    // across fork).
    var placed = Set<UInt64>()
    for p in trace.header.processes {
      let receiving = Set(
        descriptors.filter { $0.pid == p.pid && traffic[$0.socket] != nil && !placed.contains($0.socket) }
          .map(
            \.socket))
      placed.formUnion(receiving)
      // Nor one fed by a socket this process also holds (a socketpair's two ends): the process
      // above the sender above the queue above the receiver cannot sit level with the receiver,
      // and that rank cycle makes libgraphviz crash (measured: a double free, in SVG and PNG).
      let held = Set(descriptors.filter { $0.pid == p.pid }.map(\.socket))
      let beside = receiving.filter { to in !(traffic[to] ?? [:]).keys.contains { held.contains($0) } }
      guard !beside.isEmpty else { continue }
      g.statements.append(.sameRank(["p\(p.pid)"] + beside.sorted().map { "s\($0)" }))
    }
    graph = g
  }

  /// Every descriptor passed with SCM_RIGHTS whose two numbers the trace recorded: by the
  /// receiver's descriptor, the senders' (process and number); by the sender's, the receivers'.
  static func passings(
    in trace: Trace
  ) -> (
    received: [HeldDescriptor: [DescriptorRef]], sent: [HeldDescriptor: [DescriptorRef]]
  ) {
    let pairing = DescriptorPassings(trace: trace)
    let sends = trace.flowIndex.send
    var received: [HeldDescriptor: [DescriptorRef]] = [:]
    var sent: [HeldDescriptor: [DescriptorRef]] = [:]
    for recv in trace.events where recv.succeeded && !recv.flows.isEmpty {
      for flow in recv.flows {
        guard let send = sends[flow] else { continue }
        for p in pairing.passed(from: send, to: recv) {
          guard let ino = p.inode, let fd = p.receiverFD else { continue }
          let from = DescriptorRef(pid: send.pid, fd: p.senderFD)
          let to = DescriptorRef(pid: recv.pid, fd: fd)
          let receiver = HeldDescriptor(pid: recv.pid, fd: fd, socket: ino)
          let sender = HeldDescriptor(pid: send.pid, fd: p.senderFD, socket: ino)
          if !(received[receiver] ?? []).contains(from) { received[receiver, default: []].append(from) }
          if !(sent[sender] ?? []).contains(to) { sent[sender, default: []].append(to) }
        }
      }
    }
    return (received, sent)
  }

  /// `pid 4 (its fd 5), pid 6 (its fd 5)`: at most three, then how many more.
  static func listed(_ refs: [DescriptorRef], _ say: (DescriptorRef) -> String) -> String {
    let shown = refs.prefix(3).map(say).joined(separator: ", ")
    return refs.count > 3 ? shown + ", … +\(refs.count - 3)" : shown
  }

  /// `3 датагр., 41 Б` for datagrams, `2 записи, 30 Б` for seqpacket records, `41 Б, отправок: 3`
  /// for a stream or a socket of unknown kind (a stream has no messages to count).
  static func counts(_ n: Int, _ bytes: UInt64, kind: SocketKind?, text: DiagramText, ru: Bool) -> String {
    if kind == .seqpacket {
      return ru
        ? "записей: \(n), \(text.bytes(bytes))" : "\(n) record\(n == 1 ? "" : "s"), \(text.bytes(bytes))"
    }
    if kind != .datagram {
      return ru
        ? "\(text.bytes(bytes)), отправок: \(n)" : "\(text.bytes(bytes)) in \(n) send\(n == 1 ? "" : "s")"
    }
    return ru
      ? "\(n) датагр., \(text.bytes(bytes))" : "\(n) datagram\(n == 1 ? "" : "s"), \(text.bytes(bytes))"
  }
}
