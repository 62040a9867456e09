import Foundation
import SockScopeTrace
import Testing

/// The `.sslog` files directly in `directory` (not in subfolders).
private func logs(in directory: String) -> [String] {
  ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".sslog") }
}

/// `merge`, `validate`, `render` and `play` all succeed on the trace directory `trace`, and the
/// merge finds `processes` processes.
private func expectEveryCommandReads(_ trace: String, processes: Int, in dir: String) throws {
  try? FileManager.default.removeItem(atPath: dir + "/" + trace + "/trace.jsonl")
  let merge = try sockscope(["merge", trace], in: dir)
  #expect(merge.status == 0, "merge \(trace): \(merge.stderr)")
  #expect(merge.stdout.contains("from \(processes) processes"), "\(merge.stdout)")
  #expect(merge.stdout.contains("wrote \(trace)/trace.jsonl"), "\(merge.stdout)")
  #expect(try readTrace(dir + "/" + trace + "/trace.jsonl").header.processes.count == processes)
  // The same directory read without its trace.jsonl: merged in memory from its logs.
  try FileManager.default.removeItem(atPath: dir + "/" + trace + "/trace.jsonl")
  let validate = try sockscope(["validate", trace], in: dir)
  #expect(validate.status == 0, "validate \(trace): \(validate.stdout)\(validate.stderr)")
  let render = try sockscope(["render", trace, "--view", "sequence", "--format", "dot"], in: dir)
  #expect(render.status == 0, "render \(trace): \(render.stderr)")
  #expect(render.stdout.contains("digraph"))
  let play = try sockscope(["play", trace, "--frames", "--lang", "en"], in: dir)
  #expect(play.status == 0, "play \(trace): \(play.stderr)")
  #expect(play.stdout.contains("step 1/"))
}

@Suite("One layout for every recording: DIR/trace.jsonl and DIR/logs/*.sslog", .serialized)
struct TraceLayoutTests {
  @Test(
    "server and client --trace DIR write their logs into DIR/logs; merge, validate, render and play read DIR")
  func serverAndClientTrace() throws {
    try withTemporaryDirectory { dir throws in
      let server = try RunningProcess(sockscopeBinary, ["server", "--trace", "run", "--lang", "en"], in: dir)
      #expect(server.waitUntil { server.stdout.contains("Listening") }, "\(server.stderr)")
      let client = try sockscope(["client", "--trace", "run", "--lang", "en"], in: dir, input: "Лев\nDONE\n")
      #expect(client.status == 0, "\(client.stderr)")
      #expect(server.finish().status == 0)
      #expect(logs(in: dir + "/run/logs").count == 2)
      #expect(logs(in: dir + "/run").isEmpty, "no log directly in the trace directory")
      try expectEveryCommandReads("run", processes: 2, in: dir)
    }
  }

  @Test("record --out DIR writes DIR/logs, says what it recorded, and merge DIR finds the logs")
  func record() throws {
    try withTemporaryDirectory { dir throws in
      // sockscope's own pair, recorded as any program is: through the interposer.
      let server = try RunningProcess(
        sockscopeBinary, ["record", "--out", "rec", "--role", "server", "--", sockscopeBinary, "server"],
        in: dir)
      #expect(server.waitUntil { server.stdout.contains("Слушаем") }, "\(server.stderr)")
      let client = try sockscope(
        ["record", "--out", "rec", "--role", "client", "--", sockscopeBinary, "client"], in: dir,
        input: "Лев\nDONE\n")
      #expect(client.status == 0, "\(client.stderr)")
      // What it recorded, as demo says it, on standard error (standard output is the program's).
      #expect(client.stderr.contains("the run is recorded:"), "\(client.stderr)")
      #expect(client.stderr.contains("socket calls from"), "\(client.stderr)")
      #expect(client.stderr.contains("roles: "), "\(client.stderr)")
      #expect(client.stderr.contains("trace      rec/trace.jsonl"), "\(client.stderr)")
      #expect(!client.stdout.contains("the run is recorded"))
      let served = server.finish()
      #expect(served.status == 0)
      #expect(served.stderr.contains("from 2 processes"), "the second record's summary counts both")
      #expect(logs(in: dir + "/rec/logs").count == 2)
      try expectEveryCommandReads("rec", processes: 2, in: dir)
    }
  }

  @Test("demo --out DIR: merge DIR finds the logs in DIR/logs")
  func demo() throws {
    try withTemporaryDirectory { dir throws in
      let demo = try sockscope(["demo", "--out", "out", "--lang", "en"], in: dir, seconds: 120)
      #expect(demo.status == 0, "\(demo.stderr)")
      #expect(logs(in: dir + "/out/logs").count == 3)
      try expectEveryCommandReads("out", processes: 3, in: dir)
    }
  }

  @Test("a directory of the old layout, logs directly in DIR, is still read by every command")
  func oldLayout() throws {
    try withTemporaryDirectory { dir throws in
      let server = try RunningProcess(sockscopeBinary, ["server", "--trace", "new", "--lang", "en"], in: dir)
      #expect(server.waitUntil { server.stdout.contains("Listening") }, "\(server.stderr)")
      _ = try sockscope(["client", "--trace", "new", "--lang", "en"], in: dir, input: "DONE\n")
      _ = server.finish()
      try FileManager.default.createDirectory(atPath: dir + "/old", withIntermediateDirectories: false)
      for name in logs(in: dir + "/new/logs") {
        try FileManager.default.copyItem(atPath: dir + "/new/logs/" + name, toPath: dir + "/old/" + name)
      }
      try expectEveryCommandReads("old", processes: 2, in: dir)

      // Both layouts in one directory: the logs/ folder is merged, and the others are named.
      try FileManager.default.createDirectory(atPath: dir + "/old/logs", withIntermediateDirectories: false)
      let first = logs(in: dir + "/old").sorted()[0]
      try FileManager.default.moveItem(atPath: dir + "/old/" + first, toPath: dir + "/old/logs/" + first)
      let mixed = try sockscope(["merge", "old"], in: dir)
      #expect(mixed.status == 0)
      #expect(mixed.stdout.contains("from 1 process"), "\(mixed.stdout)")
      #expect(mixed.stdout.contains("also holds 1 log directly in it"), "\(mixed.stdout)")
    }
  }
}
