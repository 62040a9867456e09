import SockScopeTrace
import Testing

@testable import SockScopeExport

@Suite("Exports title a process that ran another program with exec")
struct ExecTitleExportTests {
  /// pid 8 (`main/1`) runs /usr/bin/prog with exec and then sends on a socket to pid 7 (`main`).
  static func trace() throws -> Trace {
    let header =
      #"{"format":"sockscope-trace","version":2,"clock":"CLOCK_MONOTONIC","t0_ns":0,"processes":[{"pid":7,"role":"main","events":1,"ended":"closed"},{"pid":8,"ppid":7,"role":"main/1","events":2,"ended":"closed"}]}"#
    let lines = [
      #"{"index":0,"t_ns":0,"dur_ns":10,"pid":7,"tid":7,"seq":0,"role":"main","call":"socketpair","fd":3,"args":{"domain":"AF_UNIX","type":"SOCK_STREAM","protocol":0,"fds":[3,4]},"ret":0,"sock":{"ino":11,"peer":12}}"#,
      #"{"index":1,"t_ns":1000,"dur_ns":10,"pid":8,"tid":8,"seq":0,"role":"main/1","call":"execve","args":{"function":"execv","path":"/usr/bin/prog","sockets":[{"fd":4,"ino":12,"cloexec":false}]},"ret":0}"#,
      #"{"index":2,"t_ns":2000,"dur_ns":10,"pid":8,"tid":8,"seq":1,"role":"main/1","call":"close","fd":4,"args":{},"ret":0,"sock":{"ino":12,"peer":11}}"#,
    ]
    let read = TraceFile.parse(
      Array((([header] + lines).joined(separator: "\n") + "\n").utf8), file: "t.jsonl")
    try #require(read.problems.isEmpty, "\(read.problems)")
    return read.trace
  }

  @Test("Mermaid, PlantUML and Perfetto: `main/1 → prog (pid 8)`; a process without exec keeps its role")
  func titles() throws {
    let trace = try Self.trace()
    let mermaid = MermaidExport.text(trace)
    #expect(mermaid.contains("participant p8 as main/1 → prog (pid 8)\n"), "\(mermaid)")
    #expect(mermaid.contains("participant p7 as main (pid 7)\n"))
    let plantuml = PlantUMLExport.text(trace)
    #expect(
      plantuml.contains("participant \"\(PlantUMLExport.escaped("main/1 → prog (pid 8)"))\" as p8\n"),
      "\(plantuml)")
    // close names its descriptor, as the player and the sequence chart do.
    #expect(mermaid.contains("Note over p8: close(4)\n"), "\(mermaid)")
    let perfetto = String(decoding: PerfettoExport.bytes(trace), as: UTF8.self)
    #expect(perfetto.contains("main/1 → prog (pid 8)"))
  }
}
