import Foundation
import Glibc
import SockScopeMerge
import SockScopeTrace
import Testing

/// Busy loops that keep the machine's cores occupied while they live; always stopped, and each
/// also stops by itself once the test process is gone (killed before it could stop them).
final class BusyLoops {
  private var pids: [pid_t] = []

  init(count: Int) throws {
    for _ in 0..<count {
      var pid: pid_t = 0
      let argv: [UnsafeMutablePointer<CChar>?] = [
        strdup("/bin/sh"), strdup("-c"), strdup("while kill -0 $PPID 2>/dev/null; do :; done"), nil,
      ]
      defer { for p in argv { free(p) } }
      let status = posix_spawn(&pid, "/bin/sh", nil, nil, argv, environ)
      guard status == 0 else {
        stop()
        throw POSIXError(POSIXErrorCode(rawValue: status) ?? .EINVAL)
      }
      pids.append(pid)
    }
  }

  func stop() {
    for pid in pids {
      kill(pid, SIGKILL)
      var status: Int32 = 0
      _ = waitpid(pid, &status, 0)
    }
    pids.removeAll()
  }

  deinit { stop() }
}

@Suite("Cause before effect under load")
struct CausalOrderStressTests {
  static let runs = 20

  @Test(
    "the documented run, 20 times on a busy machine: no receive before its send in frames or in the chart")
  func demoUnderLoad() throws {
    let busy = try BusyLoops(count: 2)
    defer { busy.stop() }
    var sendsReturningLate = 0
    try withTemporaryDirectory { dir in
      for run in 1...Self.runs {
        let out = "run\(run)"
        let demo = try sockscope(["demo", "--out", out, "--lang", "en"], in: dir, seconds: 60)
        try #require(demo.status == 0, "run \(run): \(demo.stderr)")
        let read = try TraceFile.read(path: "\(dir)/\(out)/trace.jsonl")
        #expect(read.problems.isEmpty && read.orderProblems.isEmpty, "run \(run): \(read.orderProblems)")
        let trace = read.trace
        let sends = Dictionary(
          trace.events.compactMap { e in e.flow.map { ($0, e) } }, uniquingKeysWith: { a, _ in a })
        let receives = trace.events.filter { !$0.flows.isEmpty }
        #expect(receives.count == 4, "run \(run): the page's four datagrams are each linked")
        sendsReturningLate += receives.count { r in r.flows.contains { (sends[$0]?.endTime ?? 0) > r.endTime }
        }

        try checkFrames(run: run, trace: trace, sends: sends, in: "\(dir)/\(out)", dir: dir)
        for timeAxis in [false, true] {
          try checkChart(
            run: run, timeAxis: timeAxis, messages: receives.count, in: "\(dir)/\(out)", dir: dir)
        }
        try? FileManager.default.removeItem(atPath: "\(dir)/\(out)")
      }
    }
    // Not a requirement, but what makes the test worth running: under load a blocking recv often
    // returns before its send does, which is when ordering by time goes wrong.
    print(
      "causal-order stress: \(sendsReturningLate) receives returned before their send in \(Self.runs) runs")
  }

  /// The frames' steps are the trace's calls in order, and each receive's send is an earlier step.
  func checkFrames(run: Int, trace: Trace, sends: [Int: TraceEvent], in path: String, dir: String) throws {
    let play = try sockscope(["play", path, "--frames", "--lang", "en"], in: dir)
    try #require(play.status == 0, "run \(run): \(play.stderr)")
    // Each frame's call line: "▶ ROLE  CALL(..." (the pane titles start with a box corner).
    let steps = play.stdout.split(separator: "\n").compactMap { line -> (role: String, call: String)? in
      let words = line.split(separator: " ", omittingEmptySubsequences: true)
      guard words.count >= 3, words[0] == "▶", words[2].contains("(") else { return nil }
      return (String(words[1]), String(words[2].prefix { $0 != "(" }))
    }
    let calls = trace.events.filter { $0.call != .output }
    try #require(steps.count == calls.count, "run \(run): \(steps.count) frames for \(calls.count) calls")
    var stepOf: [Int: Int] = [:]
    for (k, (step, e)) in zip(steps, calls).enumerated() {
      #expect(step.role == e.role && step.call == e.call.rawValue, "run \(run) step \(k + 1): \(step)")
      stepOf[e.index] = k
    }
    var sent = 0
    var received = 0
    for (k, e) in calls.enumerated() {
      if e.call.sendsData && e.succeeded { sent += 1 }
      guard !e.flows.isEmpty else { continue }
      received += 1
      #expect(received <= sent, "run \(run) step \(k + 1): more receives than sends so far")
      for f in e.flows {
        let send = try #require(sends[f].flatMap { stepOf[$0.index] })
        #expect(send < k, "run \(run): the receive at step \(k + 1) comes before its send (step \(send + 1))")
      }
    }
  }

  /// In the sequence chart's DOT every message arrow goes down the page (Graphviz's y grows
  /// upwards); in rows strictly, on a time axis at worst level.
  func checkChart(run: Int, timeAxis: Bool, messages: Int, in path: String, dir: String) throws {
    let render = try sockscope(
      ["render", path, "--view", "sequence", "--format", "dot"] + (timeAxis ? ["--time-axis"] : []), in: dir)
    try #require(render.status == 0, "run \(run): \(render.stderr)")
    var y: [String: Double] = [:]
    var arrows: [(String, String)] = []
    for line in render.stdout.split(separator: "\n") {
      let words = line.trimmingCharacters(in: .whitespaces)
      if words.contains("#2f6fbf"), let arrow = words.range(of: " -> ") {
        let from = String(words[..<arrow.lowerBound])
        let to = String(words[arrow.upperBound...].prefix { $0 != " " })
        arrows.append((from, to))
      } else if let id = words.split(separator: " ").first, let pos = words.range(of: "pos=\"") {
        let value = words[pos.upperBound...].prefix { $0 != "!" && $0 != "\"" }
        if let comma = value.firstIndex(of: ","), let v = Double(value[value.index(after: comma)...]) {
          y[String(id)] = v
        }
      }
    }
    #expect(arrows.count == messages, "run \(run): \(arrows.count) message arrows")
    for (from, to) in arrows {
      let a = try #require(y[from])
      let b = try #require(y[to])
      if timeAxis {
        #expect(a >= b, "run \(run), time axis: \(from) at \(a) points up to \(to) at \(b)")
      } else {
        #expect(a > b, "run \(run): \(from) at \(a) is not above \(to) at \(b)")
      }
    }
  }
}
