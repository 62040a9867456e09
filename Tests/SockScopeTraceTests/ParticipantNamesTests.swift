import Testing

@testable import SockScopeMerge
@testable import SockScopeStrace
@testable import SockScopeTrace

@Suite("Every process its own participant")
struct ParticipantNamesTests {
  /// Merges one socket call per process, made in the order given, and returns pid → name.
  /// (Or, with `byPID`, at times that follow the pids.)
  static func merge(
    _ processes: [TracedProcess], byPID: Bool = false
  ) -> (names: [Int32: String], trace: Trace) {
    let events = processes.enumerated().map { n, p in
      TraceEvent(
        time: UInt64(100 * (byPID ? Int(p.pid) : n + 1)), pid: p.pid, role: p.role, call: .socket, fd: 3)
    }
    let trace = TraceMerger.merge(events: events, processes: processes)
    let names = Dictionary(trace.header.processes.map { ($0.pid, $0.role) }, uniquingKeysWith: { a, _ in a })
    return (names, trace)
  }

  @Test("one role asked for by two processes gives two participants, numbered by their first step")
  func sameRoleTwice() throws {
    let (names, trace) = Self.merge([
      TracedProcess(pid: 900, role: "server"), TracedProcess(pid: 902, role: "client"),
      TracedProcess(pid: 901, role: "client"),
    ])
    #expect(names == [900: "server", 902: "client#1", 901: "client#2"])
    #expect(trace.roles == ["server", "client#1", "client#2"])
    #expect(trace.events.allSatisfy { names[$0.pid] == $0.role }, "every event carries its name")
    let header = try #require(trace.header.processes.first { $0.pid == 901 })
    #expect(header.requestedRole == "client")
    #expect(trace.header.processes.first { $0.pid == 900 }?.requestedRole == nil)
    // The role asked for survives writing and reading.
    let read = TraceFile.parse(consistentBytes(trace), file: "t")
    #expect(read.trace.header.processes.first { $0.pid == 901 }?.requestedRole == "client")
    #expect(read.problems.isEmpty)
  }

  @Test("a number already taken by name is skipped; distinct roles keep their own names")
  func takenNumbers() {
    let (names, _) = Self.merge([
      TracedProcess(pid: 1, role: "client"), TracedProcess(pid: 2, role: "client#1"),
      TracedProcess(pid: 3, role: "client"), TracedProcess(pid: 4, role: "client#2"),
    ])
    #expect(names == [1: "client#3", 2: "client#1", 3: "client#4", 4: "client#2"])
  }

  @Test("a forked child that kept its parent's role is named after its parent; one with its own role is not")
  func forkedChildren() {
    let (names, trace) = Self.merge([
      TracedProcess(pid: 10, ppid: 1, role: "server"),
      TracedProcess(pid: 12, ppid: 10, role: "server"),
      TracedProcess(pid: 11, ppid: 10, role: "server"),
      TracedProcess(pid: 13, ppid: 12, role: "server"),
      TracedProcess(pid: 14, ppid: 10, role: "logger"),
    ])
    #expect(names == [10: "server", 12: "server/1", 11: "server/2", 13: "server/1/1", 14: "logger"])
    #expect(trace.header.processes.first { $0.pid == 13 }?.ppid == 12)
  }

  @Test("a process with a log per program it ran (exec) is one participant")
  func execKeepsTheName() {
    let (names, trace) = Self.merge([
      TracedProcess(pid: 40, role: "client"), TracedProcess(pid: 40, role: "client"),
      TracedProcess(pid: 41, role: "client"),
    ])
    #expect(names == [40: "client#1", 41: "client#2"])
    #expect(trace.header.processes.map(\.role) == ["client#1", "client#1", "client#2"])
  }

  @Test("children of a parent that made no socket call are numbered as independent processes")
  func silentParent() {
    let events = [
      TraceEvent(time: 100, pid: 21, role: "client", call: .socket),
      TraceEvent(time: 200, pid: 22, role: "client", call: .socket),
    ]
    let trace = TraceMerger.merge(
      events: events,
      processes: [
        TracedProcess(pid: 20, role: "client"), TracedProcess(pid: 21, ppid: 20, role: "client"),
        TracedProcess(pid: 22, ppid: 20, role: "client"),
      ])
    #expect(trace.roles == ["client#1", "client#2"])
  }

  @Test("names are stable: merging the same processes again gives the same names")
  func stable() {
    let processes = [
      TracedProcess(pid: 5, role: "client"), TracedProcess(pid: 6, role: "client"),
      TracedProcess(pid: 7, ppid: 6, role: "client"),
    ]
    let names = Self.merge(processes, byPID: true).names
    #expect(
      Self.merge(processes.reversed(), byPID: true).names == names, "the order of the logs does not matter")
    #expect(names == [5: "client#1", 6: "client#2", 7: "client#2/1"])
  }

  @Test("a trace written when one role could name several processes is read with a name for each")
  func olderTrace() {
    let events = [
      TraceEvent(index: 0, time: 100, pid: 31, seq: 0, role: "client", call: .socket),
      TraceEvent(index: 1, time: 200, pid: 32, seq: 0, role: "client", call: .socket),
    ]
    let trace = Trace(
      header: TraceHeader(
        t0: 100, processes: [TracedProcess(pid: 31, role: "client"), TracedProcess(pid: 32, role: "client")]),
      events: events)
    let read = TraceFile.parse(consistentBytes(trace), file: "old")
    #expect(read.problems.isEmpty)
    #expect(read.trace.roles == ["client#1", "client#2"])
    #expect(read.trace.header.processes.map(\.role) == ["client#1", "client#2"])
  }

  @Test("an strace import given one name for two processes makes two participants")
  func straceSameName() {
    let log = """
      8855  09:20:34.924024 socket(AF_UNIX, SOCK_DGRAM, 0) = 3<UNIX:[14394]>
      8856  09:20:34.925000 socket(AF_UNIX, SOCK_DGRAM, 0) = 4<UNIX:[13615]>
      8857  09:20:34.926000 socket(AF_UNIX, SOCK_DGRAM, 0) = 4<UNIX:[13616]>
      """
    let result = StraceImport.read(
      [StraceImport.Input(name: "run.log", text: log)],
      roles: [8855: "server", 8856: "worker", 8857: "worker"])
    #expect(result.problems.isEmpty)
    #expect(result.trace.roles == ["server", "worker#1", "worker#2"])
    #expect(result.trace.header.processes.map(\.role) == ["server", "worker#1", "worker#2"])
  }

  @Test("pids are numbered in the order they first appear, however the events alternate")
  func pidsNumberedByFirstAppearance() {
    var g = SplitMix64(seed: 5)
    for round in 0..<200 {
      // Few processes, as a run has; runs of one pid, two alternating, and jumps back to older ones.
      let kinds = 1 + round % 6
      let pids = (0..<300).map { _ in Int32(100 + g.next() % UInt64(kinds)) }
      var recent = RecentKeys<Int32>()
      var reference: [Int32: Int] = [:]
      var agree = true
      for pid in pids {
        let isNew = reference[pid] == nil
        if isNew { reference[pid] = reference.count }
        let got = recent.slot(of: pid)
        if got.slot != reference[pid] || got.isNew != isNew { agree = false }
      }
      #expect(agree, "pids \(pids.prefix(20))")
      #expect(recent.slots == reference)
    }
  }

  @Test("a pid the header does not name keeps the role of the first event of each of its runs")
  func unnamedPIDKeepsEachRunsRole() {
    // As an inconsistent trace file reads back: pid 3 has events but no header entry.
    var processes = [TracedProcess(pid: 1, role: "x"), TracedProcess(pid: 2, role: "x")]
    var events = [
      TraceEvent(time: 1, pid: 3, role: "c1", call: .socket),
      TraceEvent(time: 2, pid: 3, role: "c1b", call: .bind),
      TraceEvent(time: 3, pid: 1, role: "x", call: .socket),
      TraceEvent(time: 4, pid: 3, role: "c2", call: .close),
      TraceEvent(time: 5, pid: 2, role: "x", call: .socket),
    ]
    ParticipantNames.assign(&processes, events: &events)
    #expect(events.map(\.role) == ["c1", "c1", "x#1", "c2", "x#2"])
  }
}
