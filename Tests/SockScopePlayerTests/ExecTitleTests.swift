import SockScopeLanguage
import SockScopeTrace
import Testing

@testable import SockScopePlayer

/// pid 8 (`main/1`) holds a stream pair's ends 3 and 4, runs /usr/bin/prog with exec (3 is
/// close-on-exec), then sends on 4 to pid 7 (`main`).
private func execTrace() throws -> Trace {
  let header =
    #"{"format":"sockscope-trace","version":2,"clock":"CLOCK_MONOTONIC","t0_ns":0,"processes":[{"pid":7,"role":"main","events":2,"ended":"closed"},{"pid":8,"ppid":7,"role":"main/1","events":2,"ended":"closed"}]}"#
  let seq: [Int: Int] = [0: 0, 1: 1, 2: 0, 3: 1]  // per process, counting from 0
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
      #""call":"send","fd":4,"args":{"len":2,"flags":"0"},"ret":2,"sock":{"ino":12,"peer":11},"data":{"len":2,"captured":2,"text":"hi"}"#
    ),
  ]
  let read = TraceFile.parse(Array((([header] + lines).joined(separator: "\n") + "\n").utf8), file: "t.jsonl")
  try #require(read.problems.isEmpty, "\(read.problems)")
  return read.trace
}

@Suite("exec in the player: the process is titled with the program it runs")
struct ExecTitleTests {
  @Test("before the exec the step and the pane carry the role; from the exec on, role → program")
  func titles() throws {
    let playback = try #require(Playback(trace: try execTrace(), language: .en))
    let fork = playback.snapshot(1, paneHeight: 3)
    #expect(fork.panes.map(\.title) == ["main 7", "main/1 8"])
    let exec = playback.snapshot(2, paneHeight: 3)
    #expect(exec.role == "main/1 → prog")
    #expect(exec.panes.map(\.title) == ["main 7", "main/1 → prog 8"])
    let send = playback.snapshot(3, paneHeight: 3)
    #expect(send.role == "main/1 → prog")
    // The kernel panel: after the exec the new program holds only its kept descriptor.
    let pair = send.sockets.filter { $0.socket == 11 || $0.socket == 12 }
    #expect(pair.first { $0.socket == 11 }?.holders == ["main fd3"])
    #expect(pair.first { $0.socket == 12 }?.holders == ["main fd4", "main/1 fd4"])
  }
}
