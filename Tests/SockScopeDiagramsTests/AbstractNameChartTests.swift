import SockScopeGraphviz
import SockScopeLanguage
import SockScopeTrace
import Testing

@testable import SockScopeDiagrams

@Suite("The sequence chart draws an abstract name as a name, never as a created file")
struct AbstractNameChartTests {
  /// A server binds the abstract name `@gallery`; a client connects to it.
  static func trace(path: Bool = false) -> Trace {
    let addr: JSONValue = .object(
      path ? ["path": .string("./echo.socket")] : ["abstract": .string("gallery")])
    let events = [
      TraceEvent(
        time: 1_000, duration: 10, pid: 1, seq: 0, role: "server", call: .bind, fd: 3, args: ["addr": addr],
        socket: SocketIdentity(inode: 11)),
      TraceEvent(
        time: 2_000, duration: 10, pid: 2, seq: 0, role: "client", call: .connect, fd: 3,
        args: ["addr": addr],
        socket: SocketIdentity(inode: 12)),
    ]
    var indexed = events
    for i in indexed.indices { indexed[i].index = i }
    return Trace(
      header: TraceHeader(
        t0: 1_000, processes: [TracedProcess(pid: 1, role: "server"), TracedProcess(pid: 2, role: "client")]),
      events: indexed)
  }

  static func labels(_ trace: Trace, _ language: Language) throws -> [String: String] {
    let graph = try Diagrams.graph(of: trace, view: .sequence, options: DiagramOptions(language: language)).0
    var labels: [String: String] = [:]
    for case .node(let id, let a) in graph.statements {
      if case .text(let s)? = a["label"] { labels[id] = s }
    }
    return labels
  }

  @Test(
    "the kernel's lane holds socket names, and bind says: abstract name, no file",
    arguments: Language.allCases)
  func abstractName(_ language: Language) throws {
    let labels = try Self.labels(Self.trace(), language)
    let kernel = labels.first { $0.key.hasSuffix("kernel_head") }?.value
    #expect(kernel == (language == .en ? "kernel: socket names" : "ядро: имена сокетов"), "\(labels)")
    #expect(
      labels["e0_file_label"]
        == (language == .en ? "@gallery: abstract name, no file" : "@gallery: абстрактное имя, файла нет"))
    #expect(!labels.values.contains { $0.contains("created") || $0.contains("создан") })
  }

  @Test("autobind: the program passed no name; the call says so and the kernel's note names its choice")
  func autobind() throws {
    var trace = Self.trace()
    trace.events[0].args = ["addr": .object(["abstract": .string("67d85")]), "addrlen": .int(2)]
    let labels = try Self.labels(trace, .en)
    #expect(labels["e0_label"] == "bind(\"\") = 0")
    #expect(labels["e0_file_label"] == "@67d85: named by the kernel (autobind), no file")
    let ru = try Self.labels(trace, .ru)
    #expect(ru["e0_file_label"] == "@67d85: имя выбрало ядро (автопривязка), файла нет")
  }

  @Test("a path name still shows as a socket file created by bind")
  func pathName() throws {
    let labels = try Self.labels(Self.trace(path: true), .en)
    #expect(labels.first { $0.key.hasSuffix("kernel_head") }?.value == "kernel: socket files")
    #expect(labels["e0_file_label"] == "./echo.socket created")
  }
}
