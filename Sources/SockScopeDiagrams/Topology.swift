import SockScopeGraphviz
import SockScopeLanguage
import SockScopeTrace

/// What the page's text explains: processes hold descriptors of sockets; a socket file in the
/// filesystem names the server's socket; the data itself passes through the kernel's buffer of the
/// receiving socket, never through the file. Edges carry counts of datagrams and bytes.
struct Topology {
  var graph: DOTGraph

  init(trace: Trace, language: DiagramLanguage, theme: DiagramTheme = .light) {
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

    var sockets: [UInt64: String] = [:]  // inode → type
    var descriptors: [String: (pid: Int32, fd: Int32, ino: UInt64)] = [:]
    var files: [String: (path: String, ino: Int64?)] = [:]
    var bound: [(socket: UInt64, file: String)] = []
    var connected: [(socket: UInt64, file: String)] = []
    for e in trace.events where e.succeeded && e.call != .output {
      guard let ino = e.socket?.inode else {
        continue
      }
      if e.call == .socket || e.call == .socketpair {
        sockets[ino] = e.arguments.socket?.type?.baseName ?? ""
      } else if sockets[ino] == nil {
        sockets[ino] = ""
      }
      if let fd = e.fd { descriptors["\(e.pid):\(fd):\(ino)"] = (e.pid, fd, ino) }
      // The other end of a socketpair, and the socket accept made: the same type, their own nodes.
      if e.call == .socketpair, let peer = e.socket?.peer {
        sockets[peer] = sockets[ino]
        if let fds = e.arguments.socket?.descriptors, fds.count == 2, case let second = fds[1],
          let fd = Int32(exactly: second)
        {
          descriptors["\(e.pid):\(fd):\(peer)"] = (e.pid, fd, peer)
        }
      }
      if e.call == .accept || e.call == .accept4, let new = e.arguments.acceptedSocket?.inode,
        new > 0
      {
        sockets[UInt64(new)] = sockets[ino]
        descriptors["\(e.pid):\(e.ret):\(new)"] = (e.pid, Int32(truncatingIfNeeded: e.ret), UInt64(new))
      }
      if e.call == .bind || e.call == .connect, let path = e.addressPath {
        let key = e.address?.inode.map { "ino\($0)" } ?? path
        files[key] = (path, e.address?.inode.map { Int64(clamping: $0) })
        if e.call == .bind { bound.append((ino, key)) } else { connected.append((ino, key)) }
      }
    }

    for p in trace.header.processes
    where trace.events.contains(where: { $0.pid == p.pid && $0.call != .output }) {
      g.node(
        "p\(p.pid)",
        [
          "shape": "box", "style": "rounded,filled", "fillcolor": .text(palette.processFill),
          "label": .text("\(p.role)\npid \(p.pid)"), "fontsize": .plain("13"),
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
    for d in descriptors.values.sorted(by: { ($0.pid, $0.fd) < ($1.pid, $1.fd) }) {
      g.edge("p\(d.pid)", "s\(d.ino)", ["label": .text("fd \(d.fd)")])
    }
    for (key, file) in files.sorted(by: { $0.key < $1.key }) {
      let label =
        file.path + "\n" + (ru ? "файл сокета" : "socket file") + (file.ino.map { ", inode \($0)" } ?? "")
      g.node(
        "f_\(key)",
        ["shape": "note", "style": "filled", "fillcolor": .text(palette.boxFill), "label": .text(label)])
    }
    for b in bound {
      g.edge("s\(b.socket)", "f_\(b.file)", ["label": "bind", "style": "dashed", "arrowhead": "none"])
    }
    for c in connected { g.edge("s\(c.socket)", "f_\(c.file)", ["label": "connect", "style": "dotted"]) }

    // Data: sender socket → the receiver's kernel queue → the receiver, counted from linked flows.
    let sends = trace.flowIndex.send
    var traffic: [UInt64: [UInt64: (count: Int, bytes: UInt64)]] = [:]
    var datagramSockets = Set<UInt64>()
    for recv in trace.events where !recv.flows.isEmpty {
      guard let to = recv.socket?.inode else { continue }
      if recv.data?.datagramLength != nil { datagramSockets.insert(to) }
      for flow in recv.flows {
        guard let send = sends[flow], let from = send.socket?.inode else { continue }
        let old = traffic[to, default: [:]][from] ?? (0, 0)
        traffic[to, default: [:]][from] = (old.count + 1, old.bytes + (send.data?.length ?? 0))
      }
    }
    for (to, senders) in traffic.sorted(by: { $0.key < $1.key }) {
      let queue = "q\(to)"
      // Datagrams only where the socket is known to take them; otherwise (a stream, or a socket
      // of unknown type) what is known is bytes and sends.
      let stream = !(sockets[to]?.hasPrefix("SOCK_DGRAM") == true || datagramSockets.contains(to))
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
            "label": .text(Self.counts(t.count, t.bytes, stream: stream, text: text, ru: ru)),
            "color": .text(palette.message),
          ])
        total = (total.count + t.count, total.bytes + t.bytes)
      }
      g.edge(
        queue, "s\(to)",
        [
          "label": .text(Self.counts(total.count, total.bytes, stream: stream, text: text, ru: ru)),
          "color": .text(palette.message),
        ])
    }
    // A process that receives sits beside the sockets it receives on, under the queues that feed them.
    for p in trace.header.processes {
      let receiving = Set(descriptors.values.filter { $0.pid == p.pid && traffic[$0.ino] != nil }.map(\.ino))
      guard !receiving.isEmpty else { continue }
      g.statements.append(.sameRank(["p\(p.pid)"] + receiving.sorted().map { "s\($0)" }))
    }
    graph = g
  }

  static func counts(_ n: Int, _ bytes: UInt64, stream: Bool = false, text: DiagramText, ru: Bool) -> String {
    if stream {
      return ru
        ? "\(text.bytes(bytes)), отправок: \(n)" : "\(text.bytes(bytes)) in \(n) send\(n == 1 ? "" : "s")"
    }
    return ru
      ? "\(n) датагр., \(text.bytes(bytes))" : "\(n) datagram\(n == 1 ? "" : "s"), \(text.bytes(bytes))"
  }
}
