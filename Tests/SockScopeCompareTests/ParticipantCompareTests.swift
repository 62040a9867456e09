import Foundation
import SockScopeTrace
import Testing

@testable import SockScopeCompare

extension Trace {
  /// The trace with every role starting with `prefix` replaced by `role`, in events and header.
  func renaming(rolesStartingWith prefix: String, to role: String) -> Trace {
    var copy = self
    for i in copy.events.indices where copy.events[i].role.hasPrefix(prefix) { copy.events[i].role = role }
    for i in copy.header.processes.indices where copy.header.processes[i].role.hasPrefix(prefix) {
      copy.header.processes[i].role = role
    }
    return copy
  }

  /// The trace with the process of `role` marked as ended this way in the header.
  func ending(_ role: String, _ ending: ProcessEnding, signal: String? = nil) -> Trace {
    var copy = self
    for i in copy.header.processes.indices where copy.header.processes[i].role == role {
      copy.header.processes[i].ending = ending
      copy.header.processes[i].signal = signal
    }
    return copy
  }
}

@Suite("Checking runs of N processes, each on its own")
struct ParticipantCompareTests {
  @Test("the page's run with both clients named client (two record --role client) conforms")
  func sameRoleTwice() throws {
    let trace = try demoTrace().renaming(rolesStartingWith: "client", to: "client")
    let c = try compareWithPage(trace)
    #expect(c.conforms, "\(c.findings.map(\.message))")
    #expect(!c.findings.contains { $0.kind == .wrongOrder })
    #expect(c.summaries.count == 3)
    #expect(c.summaries.dropFirst().allSatisfy { $0.steps == "socket, connect, send ×2, close" })
    #expect(Set(c.summaries.map(\.pid)).count == 3)
    #expect(c.summaries[1].role == "client")
    let text = c.report(.text, trace: "t")
    #expect(text.contains("  client (pid \(c.summaries[1].pid))  "), "\(text)")
    #expect(!text.contains(") (pid "), "the pid said once")
  }

  @Test("any number of client processes match the schematic's client column, each checked on its own")
  func manyClients() throws {
    var trace = try demoTrace()
    // Three more clients: copies of client#2 with other pids, the last one without its connect.
    let second = trace.events.filter { $0.role == "client#2" }
    for (n, pid) in [Int32(901), 902, 903].enumerated() {
      for e in second where !(pid == 903 && e.call == .connect) {
        var copy = e
        copy.pid = pid
        copy.tid = pid
        copy.role = "client#\(n + 3)"
        copy.index = trace.events.count
        copy.flow = nil
        copy.flows = []
        trace.events.append(copy)
      }
    }
    let c = try compareWithPage(trace)
    let differences = c.findings.filter { $0.severity == .difference }
    #expect(differences.map(\.kind) == [.missingStep], "\(differences.map(\.message))")
    #expect(differences.first?.role == "client#5")
    #expect(differences.first?.message == "client#5 never made the step connect($SOCKET)")
  }

  @Test("a killed client is said, with its signal, at its last step; its missing close says why")
  func killedClient() throws {
    let trace = try demoTrace().without { $0.role == "client#1" && $0.call == .close }
      .ending("client#1", .killed, signal: "SIGKILL")
    let c = try compareWithPage(trace)
    let killed = try #require(c.findings.first { $0.kind == .killed })
    #expect(killed.role == "client#1" && killed.severity == .note)
    #expect(killed.message == "client#1 was killed by SIGKILL after send(«Толстой»)")
    #expect(killed.event == (try trace.index("client#1", .send, 1)))
    let missing = try #require(c.findings.first { $0.kind == .missingStep })
    #expect(missing.message == "client#1 never made the step close() (it was killed by SIGKILL before)")
    #expect(c.report(.text, trace: "t").contains("note: client#1 at +"))
  }

  @Test("a server still running when the trace was merged is said so, never called dead")
  func runningServer() throws {
    let lastReceive = try demoTrace().index("server", .recv, 1)
    let trace = try demoTrace().without { $0.role == "server" && $0.index > lastReceive }
      .ending("server", .running)
    let c = try compareWithPage(trace)
    #expect(c.findings.contains { $0.kind == .stillRunning && $0.role == "server" })
    let exit = try #require(c.findings.first { $0.kind == .exitCondition })
    #expect(exit.message.hasSuffix("(it was still running when the trace was merged)"))
    let report = c.report(.text, trace: "t")
    for word in ["killed", "abrupt", "cut short", "crashed"] { #expect(!report.contains(word), "\(word)") }
  }

  @Test("a reference whose clients did different things is the same as itself; each client held to its own")
  func diffDifferentClients() throws {
    // The first client was killed before closing; the second closed.
    let a = try demoTrace().without { $0.role == "client#1" && $0.call == .close }
      .ending("client#1", .killed, signal: "SIGKILL")
    let (reference, options) = Comparer.reference(from: a, language: .en)
    let same = Comparer.compare(a, with: reference, reference: "A", options: options)
    #expect(same.conforms, "\(same.findings.map(\.message))")
    // A run whose second client never closed differs there, and only there.
    let b = try demoTrace().without { $0.role == "client#2" && $0.call == .close }
    let d = Comparer.compare(b, with: reference, reference: "A", options: options)
    let differences = d.findings.filter { $0.severity == .difference }
    #expect(differences.map(\.role) == ["client#1", "client#2"], "\(differences.map(\.message))")
    #expect(differences.map(\.kind) == [.extraStep, .missingStep])
  }

  @Test("diff holds each process to the reference's process in the same place")
  func diffPerProcess() throws {
    // A reference whose first client sent once and second twice.
    let a = try demoTrace().without { $0.role == "client#1" && $0.data?.text == "Толстой" }
    let (reference, options) = Comparer.reference(from: a, language: .en)
    #expect(options.loopCounts["client"] == [1, 2])
    let same = Comparer.compare(a, with: reference, reference: "A", options: options)
    #expect(same.conforms, "\(same.findings.map(\.message))")
    let b = try demoTrace()  // its first client sent twice
    let d = Comparer.compare(b, with: reference, reference: "A", options: options)
    #expect(
      d.findings.filter { $0.kind == .loopCount }.map(\.role) == ["client#1"],
      "\(d.findings.map(\.message))")
  }
}
