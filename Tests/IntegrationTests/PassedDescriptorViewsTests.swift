import SockScopeAnalysis
import SockScopeDiagrams
import SockScopeGraphviz
import SockScopeLanguage
import SockScopeTrace
import Testing

@Suite("A passed descriptor on the figures and exports of a recorded run", needs("python3"))
struct PassedDescriptorViewsTests {
  /// The labels of a graph's nodes by id, and of its edges by `from -> to`.
  static func labels(_ graph: DOTGraph) -> (nodes: [String: String], edges: [String: [String]]) {
    var nodes: [String: String] = [:]
    var edges: [String: [String]] = [:]
    for statement in graph.statements {
      switch statement {
      case .node(let id, let a):
        if case .text(let s)? = a["label"] { nodes[id] = s }
      case .edge(let from, let to, let a):
        if case .text(let s)? = a["label"] { edges[from + " -> " + to, default: []].append(s) }
      default: break
      }
    }
    return (nodes, edges)
  }

  @Test(
    "the gallery's pass-descriptor run: the arrow, the topology and the export name the sender's fd, the receiver's new fd and one socket"
  )
  func galleryRun() throws {
    try withTemporaryDirectory { dir in
      let trace = try recordGalleryExample(.one("pass-descriptor", "parent", "rights.py"), in: dir)
      // What the two ends recorded: the sender's descriptor, the receiver's new one, one inode.
      let send = try #require(
        trace.events.first { $0.call == .sendmsg && $0.arguments.message?.rights != nil })
      let recv = try #require(
        trace.events.first { $0.call == .recvmsg && $0.flows.contains(send.flow ?? -1) })
      let sent = try #require(KernelEvent(send)?.passedDescriptors.first)
      let got = try #require(KernelEvent(recv)?.passedDescriptors.first)
      let inode = try #require(sent.inode)
      #expect(got.inode == inode, "both ends refer to one socket")
      #expect(
        trace.events.contains { $0.socket?.inode == inode }, "the passed file is a socket the trace shows")
      // The child printed the number it got: the receiver's own number is the one recorded.
      let printed = trace.events.filter { $0.pid == recv.pid && $0.call == .output }.compactMap {
        $0.data?.text
      }
      .joined()
      #expect(printed.contains("child got descriptor \(got.fd) with"), "\(printed)")

      // The sequence chart: the message arrow from the sendmsg to the recvmsg carries the passing.
      let passing = "fd \(sent.fd) → fd \(got.fd)"
      for (language, socket) in [(Language.en, "socket"), (.ru, "сокет")] {
        let options = DiagramOptions(language: language)
        let sequence = try Diagrams.graph(of: trace, view: .sequence, options: options).0
        let note = try #require(Self.labels(sequence).nodes["m\(send.flow ?? -1)_\(recv.index)"])
        #expect(note.contains("SCM_RIGHTS\n\(passing) (\(socket) \(inode))"), "\(note)")
        // The arrow is drawn between the two calls.
        #expect(
          sequence.statements.contains { s in
            if case .edge("e\(send.index)", "e\(recv.index)", _) = s { return true }
            return false
          })
      }

      // The topology: the same socket node, held by both processes under their own numbers.
      let topology = try Diagrams.graph(of: trace, view: .topology, options: DiagramOptions(language: .en)).0
      let edges = Self.labels(topology).edges
      #expect(
        edges["p\(recv.pid) -> s\(inode)"]?.contains(
          "fd \(got.fd), received by SCM_RIGHTS\nfrom pid \(send.pid) (its fd \(sent.fd))") == true,
        "\(edges)")
      #expect(
        edges["p\(send.pid) -> s\(inode)"]?.contains(
          "fd \(sent.fd)\npassed by SCM_RIGHTS to pid \(recv.pid) (as fd \(got.fd))") == true, "\(edges)")

      // The exports' sequence diagrams name it on the message.
      for format in ["mermaid", "plantuml"] {
        let export = try sockscope(["export", format, "run"], in: dir)
        #expect(export.status == 0, "\(export.stderr)")
        let expected =
          format == "mermaid"
          ? "SCM_RIGHTS \(passing) (socket \(inode))" : "RIGHTS \(passing) (socket \(inode))"
        #expect(export.stdout.contains(expected), "\(export.stdout)")
      }
    }
  }
}
