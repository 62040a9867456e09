import SockScopeAnalysis
import SockScopeGraphviz
import SockScopeLanguage
import SockScopeTrace
import Testing

@testable import SockScopeDiagrams

/// pid 7 (`main`) makes a stream pair (fds 3, 4: sockets 11, 12) and forks pid 8 (`main/1`), which
/// runs /usr/bin/prog with exec: fd 3 is close-on-exec and closed, fd 4 kept; the new program sends
/// on its fd 4 and pid 7 receives on fd 3.
func execTrace() throws -> Trace {
  let header =
    #"{"format":"sockscope-trace","version":2,"clock":"CLOCK_MONOTONIC","t0_ns":0,"processes":[{"pid":7,"role":"main","events":3,"ended":"closed"},{"pid":8,"ppid":7,"role":"main/1","events":2,"ended":"closed"}]}"#
  let seq: [Int: Int] = [0: 0, 1: 1, 2: 0, 3: 1, 4: 2]  // per process, counting from 0
  func event(_ i: Int, _ pid: Int, _ role: String, _ body: String) -> String {
    #"{"index":\#(i),"t_ns":\#(i * 1000),"dur_ns":10,"pid":\#(pid),"tid":\#(pid),"seq":\#(seq[i] ?? i),"role":"\#(role)",\#(body)}"#
  }
  let lines = [
    event(
      0, 7, "main",
      #""call":"socketpair","fd":3,"args":{"domain":"AF_UNIX","type":"SOCK_STREAM|SOCK_CLOEXEC","protocol":0,"fds":[3,4]},"ret":0,"sock":{"ino":11,"peer":12}"#
    ),
    event(1, 7, "main", #""call":"fork","args":{},"ret":8"#),
    event(
      2, 8, "main/1",
      #""call":"execve","args":{"function":"execv","path":"/usr/bin/prog","sockets":[{"fd":3,"ino":11,"cloexec":true},{"fd":4,"ino":12,"cloexec":false}]},"ret":0"#
    ),
    event(
      3, 8, "main/1",
      #""call":"send","fd":4,"args":{"len":2,"flags":"0"},"ret":2,"sock":{"ino":12,"peer":11},"data":{"len":2,"captured":2,"text":"hi"},"flow":1"#
    ),
    event(
      4, 7, "main",
      #""call":"recv","fd":3,"args":{"len":100,"flags":"0"},"ret":2,"sock":{"ino":11,"peer":12},"data":{"len":2,"captured":2,"text":"hi"},"flows":[1]"#
    ),
  ]
  let text = ([header] + lines).joined(separator: "\n") + "\n"
  let read = TraceFile.parse(Array(text.utf8), file: "t.jsonl")
  try #require(read.problems.isEmpty, "\(read.problems)")
  return read.trace
}

/// The label of every node and edge of `graph`: by node id, and by `from -> to`.
private func labels(_ graph: DOTGraph) -> (nodes: [String: String], edges: [String: (String, String?)]) {
  var nodes: [String: String] = [:]
  var edges: [String: (String, String?)] = [:]
  for statement in graph.statements {
    switch statement {
    case .node(let id, let a):
      if case .text(let s)? = a["label"] { nodes[id] = s }
    case .edge(let from, let to, let a):
      var style: String?
      if case .text(let s)? = a["style"] { style = s } else if case .plain(let s)? = a["style"] { style = s }
      if case .text(let s)? = a["label"] { edges[from + " -> " + to] = (s, style) }
    default: break
    }
  }
  return (nodes, edges)
}

@Suite("exec on the figures: the new program's descriptors and its name")
struct ExecViewsTests {
  @Test("the model: after the exec the new program holds only the kept descriptor; the fates say which")
  func modelFacts() throws {
    let model = KernelModel(trace: try execTrace())
    let exec = try #require(model.events.firstIndex { $0.call == .execve })
    #expect(model.descriptors(of: 8, after: exec - 1) == [3: 11, 4: 12], "inherited at fork")
    #expect(model.descriptors(of: 8, after: exec) == [4: 12], "only the kept one")
    let fates = model.execFates
    #expect(fates[HeldDescriptor(pid: 8, fd: 3, socket: 11)] == .closedAtExec(eventIndex: 2))
    #expect(fates[HeldDescriptor(pid: 8, fd: 4, socket: 12)] == .keptAtExec(eventIndex: 2))
    #expect(fates[HeldDescriptor(pid: 7, fd: 3, socket: 11)] == nil, "the parent did not exec")
  }

  @Test(
    "topology: the descriptor exec closed is drawn dashed and says so; the kept one says it was kept",
    arguments: Language.allCases)
  func topology(_ language: Language) throws {
    let graph = Topology(trace: try execTrace(), language: language).graph
    let (nodes, edges) = labels(graph)
    let closed = try #require(edges["p8 -> s11"])
    let kept = try #require(edges["p8 -> s12"])
    #expect(
      closed.0
        == (language == .en
          ? "fd 3\nclosed at exec (close-on-exec)" : "fd 3\nзакрыт при exec (close-on-exec)"))
    #expect(closed.1 == "dashed")
    #expect(kept.0 == (language == .en ? "fd 4\nkept open across exec" : "fd 4\nостался открыт после exec"))
    #expect(kept.1 != "dashed")
    // The parent's descriptors are not touched by the child's exec.
    #expect(edges["p7 -> s11"]?.0 == "fd 3")
    #expect(nodes["p8"] == "main/1 → prog\npid 8")
    #expect(nodes["p7"] == "main\npid 7")
    // The figure lays out (libgraphviz) with the dashed edge.
    #expect(!(try Diagrams.render(graph, engine: .dot, format: .svg)).isEmpty)
  }

  @Test("sequence chart: the lane of the process that ran exec is titled with the new program")
  func sequenceLane() throws {
    let graph = try Diagrams.graph(
      of: try execTrace(), view: .sequence, options: DiagramOptions(language: .en)
    ).0
    let titles = labels(graph).nodes.values
    #expect(titles.contains("main/1 → prog\npid 8"), "\(titles)")
    #expect(titles.contains("main\npid 7"))
  }

  @Test("schematic: the column of the process that ran exec is titled with the new program")
  func schematicColumn() throws {
    let schematic = Schematic(trace: try execTrace(), language: .en)
    #expect(schematic.titles.sorted() == ["main", "main/1 → prog"], "\(schematic.titles)")
  }

  @Test("participants: the title names the program from the exec on; without exec, the name alone")
  func participantTitles() throws {
    let trace = try execTrace()
    let child = try #require(trace.participants.first { $0.pid == 8 })
    #expect(child.role == "main/1", "the role stays: compare and --role still find it")
    #expect(child.programs == [ProgramChange(eventIndex: 2, program: "prog")])
    #expect(child.title == "main/1 → prog")
    #expect(child.title(through: 1) == "main/1")
    #expect(child.title(through: 2) == "main/1 → prog")
    let parent = try #require(trace.participants.first { $0.pid == 7 })
    #expect(parent.title == "main" && parent.programs.isEmpty)
  }
}
