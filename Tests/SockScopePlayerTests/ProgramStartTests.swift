import Foundation
import SockScopeAnalysis
import SockScopeLanguage
import SockScopeTrace
import Testing

@testable import SockScopePlayer

/// A written trace of `lines` with `processes` (pid, ppid, role, events) in its header.
private func trace(_ processes: [(Int32, Int32, String, Int)], _ lines: [String]) throws -> Trace {
  let list = processes.map {
    #"{"pid":\#($0.0),"ppid":\#($0.1),"role":"\#($0.2)","events":\#($0.3),"ended":"closed"}"#
  }
  let header =
    #"{"format":"sockscope-trace","version":2,"clock":"CLOCK_MONOTONIC","t0_ns":0,"processes":[\#(list.joined(separator: ","))]}"#
  let text = ([header] + lines).joined(separator: "\n") + "\n"
  let read = TraceFile.parse(Array(text.utf8), file: "t.jsonl")
  try #require(read.problems.isEmpty, "\(read.problems)")
  return read.trace
}

private func event(_ i: Int, pid: Int32, role: String, seq: Int, _ body: String) -> String {
  #"{"index":\#(i),"t_ns":\#(i * 1000),"dur_ns":10,"pid":\#(pid),"tid":\#(pid),"seq":\#(seq),"role":"\#(role)",\#(body)}"#
}

private let pair = event(
  0, pid: 7, role: "parent", seq: 0,
  #""call":"socketpair","fd":3,"args":{"domain":"AF_UNIX","type":"SOCK_STREAM|SOCK_CLOEXEC","protocol":0,"fds":[3,4]},"ret":0,"sock":{"ino":11,"peer":12}"#
)

/// pid 8's start, holding fd 4 → socket 12.
private func start(_ i: Int, pid: Int32 = 8, role: String = "child", seq: Int = 0) -> String {
  event(
    i, pid: pid, role: role, seq: seq,
    #""call":"program_start","args":{"path":"/bin/prog","sockets":[{"fd":4,"ino":12,"cloexec":false,"type":"SOCK_STREAM"}]},"ret":0"#
  )
}

private func sentence(_ t: Trace, _ language: Language, step: Int) throws -> String {
  let playback = try #require(Playback(trace: t, language: language))
  return playback.snapshot(step, paneHeight: 3).sentence
}

@Suite("A program's start: the sockets it holds, however it was started")
struct ProgramStartTests {
  @Test(
    "a spawned child (no fork in the trace) holds its parent's socket: one more reference, said as inherited",
    arguments: Language.allCases)
  func spawnedChildInherits(_ language: Language) throws {
    let t = try trace([(7, 1, "parent", 1), (8, 7, "child", 1)], [pair, start(1)])
    let model = KernelModel(trace: t)
    let facts = try #require(model.facts[1].programStart)
    #expect(!facts.continued && facts.parentTraced && facts.parent == 7)
    let d = try #require(facts.received.first)
    #expect(d.fd == 4 && d.inode == 12 && d.sameAs == [DescriptorRef(pid: 7, fd: 4)])
    #expect(d.referencesAfter == 2, "the parent's fd 4 and the child's fd 4")
    // The child got only what its start lists: not the parent's fd 3.
    #expect(model.state(after: 1).descriptors[8] == [4: 12])
    let s = try sentence(t, language, step: 1)
    let facts2 =
      language == .en
      ? [
        "child (pid 8) started the program /bin/prog", "fd 4 → socket 12", "the same socket as parent fd 4",
        "inherited from its parent, parent (pid 7)", "References to the socket now: 2",
      ]
      : [
        "child (pid 8) начал выполнять программу /bin/prog", "fd 4 → сокет 12",
        "тот же сокет, что parent fd 4",
        "унаследован от родителя, parent (pid 7)", "Ссылок на сокет теперь: 2",
      ]
    for f in facts2 { #expect(s.contains(f), "«\(f)» missing in: \(s)") }
  }

  @Test("the parent's close before the child's start: the socket lives on in the child, not destroyed")
  func parentClosesFirst() throws {
    let close = event(
      1, pid: 7, role: "parent", seq: 1, #""call":"close","fd":4,"args":{},"ret":0,"sock":{"ino":12}"#)
    let t = try trace([(7, 1, "parent", 2), (8, 7, "child", 1)], [pair, close, start(2)])
    let model = KernelModel(trace: t)
    #expect(!model.facts[1].released, "the spawned child still holds it")
    #expect(model.facts[1].otherHolders == [DescriptorRef(pid: 8, fd: 4)])
    let d = try #require(model.facts[2].programStart?.received.first)
    #expect(d.sameAs.isEmpty && d.parentHeld == [4] && d.referencesAfter == 1)
    let s = try sentence(t, .en, step: 2)
    #expect(s.contains("the parent's fd 4, which the parent has closed since"), "\(s)")
  }

  @Test(
    "a parent not in the trace: where the socket came from is not claimed, nor a count",
    arguments: Language.allCases)
  func parentNotTraced(_ language: Language) throws {
    let t = try trace([(8, 99, "child", 1)], [start(0)])
    let s = try sentence(t, language, step: 0)
    let expected =
      language == .en
      ? "its parent (pid 99) is not in the trace, so the trace does not show where the socket came from"
      : "родитель (pid 99) не записан в трассе, и откуда сокет, трасса не показывает"
    #expect(s.contains(expected), "\(s)")
    #expect(!s.contains("References") && !s.contains("Ссылок"))
  }

  @Test("after a recorded exec, the start confirms what the exec kept: no second reference")
  func afterExecNoDoubleCount() throws {
    let exec = event(
      1, pid: 7, role: "parent", seq: 1,
      #""call":"execve","args":{"function":"execv","path":"/bin/prog","sockets":[{"fd":3,"ino":11,"cloexec":true},{"fd":4,"ino":12,"cloexec":false}]},"ret":0"#
    )
    let t = try trace(
      [(7, 1, "parent", 2), (7, 1, "parent", 1)], [pair, exec, start(2, pid: 7, role: "parent", seq: 2)])
    let model = KernelModel(trace: t)
    let facts = try #require(model.facts[2].programStart)
    #expect(facts.continued && facts.received.isEmpty && facts.confirmed.map(\.fd) == [4])
    #expect(model.state(after: 2).references(to: 12) == 1)
    let s = try sentence(t, .en, step: 2)
    #expect(s.contains("holding the descriptors the exec kept: fd 4 → socket 12"), "\(s)")
    #expect(s.contains("They are the references the exec kept; there are no new ones"))
  }

  @Test(
    "a descriptor the model had that the new program does not hold is dropped, and said without a guessed cause"
  )
  func missingDescriptorDropped() throws {
    let t = try trace(
      [(7, 1, "parent", 1), (7, 1, "parent", 1)], [pair, start(1, pid: 7, role: "parent", seq: 1)])
    let model = KernelModel(trace: t)
    let facts = try #require(model.facts[1].programStart)
    #expect(facts.missing.map(\.fd) == [3] && facts.missing.first?.released == true)
    #expect(model.state(after: 1).descriptors[7] == [4: 12])
    let s = try sentence(t, .en, step: 1)
    #expect(s.contains("fd 3 → socket 11 is not open in the new program"), "\(s)")
    #expect(s.contains("the trace does not show it closed; no other reference to the socket remains"), "\(s)")
  }
}
