import Foundation
import SockScopeTrace
import Testing

/// One socket call as both tools can describe it.
struct ObservedCall: Equatable, CustomStringConvertible {
  var call: String
  var fd: Int?
  var ret: Int64
  var description: String { "\(call)(\(fd.map(String.init) ?? "-")) = \(ret)" }
}

/// Reads the socket calls on AF_UNIX sockets from one `strace -yy -ff` per-process file.
/// The tracer's own NETLINK_SOCK_DIAG queries (it asks the kernel for peers) are not the
/// program's calls and are left out, as are descriptors that are not UNIX sockets.
func straceCalls(_ text: String) -> [ObservedCall] {
  var calls: [ObservedCall] = []
  let pattern = /^(\w+)\((.*)\)\s+= (-?\d+)/
  for line in text.split(separator: "\n") {
    guard let m = line.firstMatch(of: pattern), let ret = Int64(m.3) else { continue }
    let name = String(m.1)
    let args = m.2
    let fdMatch = args.firstMatch(of: /^(\d+)<(\w+):/)
    switch name {
    case "socket" where args.hasPrefix("AF_UNIX"):
      calls.append(ObservedCall(call: name, fd: Int(ret), ret: ret))
    case "bind", "connect", "sendto", "recvfrom", "close", "shutdown", "listen", "accept", "accept4":
      guard let fdMatch, fdMatch.2 == "UNIX", let fd = Int(fdMatch.1) else { continue }
      calls.append(ObservedCall(call: name, fd: fd, ret: ret))
    case "unlink" where args.contains("echo.socket"):
      calls.append(ObservedCall(call: name, fd: nil, ret: ret))
    default:
      continue
    }
  }
  return calls
}

/// The same calls as SockScope recorded them; send and recv arrive in the kernel as sendto and
/// recvfrom, which is how strace names them.
func recordedCalls(_ events: [TraceEvent]) -> [ObservedCall] {
  events.filter { $0.call != .output }.map { e in
    let name =
      switch e.call {
      case .send: "sendto"
      case .recv: "recvfrom"
      default: e.call.rawValue
      }
    return ObservedCall(call: name, fd: e.call == .unlink ? nil : e.fd.map(Int.init), ret: e.ret)
  }
}

@Suite("Cross-check against strace")
struct StraceCrossCheckTests {
  @Test(
    "the calls sockscope recorded per process are the calls strace saw: same calls, order, descriptors, results",
    needs("strace"))
  func matchesStrace() throws {
    let strace = try #require(which("strace"))
    try withTemporaryDirectory { dir throws in
      let result = try run(
        strace,
        [
          "-f", "-ff", "-yy", "-o", dir + "/st", "-e", "trace=%network,close,unlink", sockscopeBinary, "demo",
          "--out", "out",
        ],
        in: dir, seconds: 60)
      #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
      let trace = try readTrace(dir + "/out/trace.jsonl")
      var comparedProcesses = 0
      for name in try FileManager.default.contentsOfDirectory(atPath: dir) where name.hasPrefix("st.") {
        guard let pid = Int32(name.dropFirst(3)) else { continue }
        let seen = straceCalls(try String(contentsOfFile: dir + "/" + name, encoding: .utf8))
        let recorded = recordedCalls(trace.events(ofPID: pid))
        #expect(recorded == seen, "pid \(pid): sockscope recorded \(recorded), strace saw \(seen)")
        if !recorded.isEmpty { comparedProcesses += 1 }
      }
      #expect(comparedProcesses == 3, "server and both clients were compared")
    }
  }

  @Test("the strace line reader keeps AF_UNIX calls and leaves out the tracer's netlink queries")
  func straceReader() {
    let text = """
      socket(AF_UNIX, SOCK_DGRAM, 0)          = 3<UNIX:[14394]>
      bind(3<UNIX:[14394]>, {sa_family=AF_UNIX, sun_path="./echo.socket"}, 16) = 0
      socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_SOCK_DIAG) = 4<NETLINK:[5551]>
      sendto(4<NETLINK:[5551]>, [{nlmsg_len=40}], 40, 0, NULL, 0) = 40
      close(4<NETLINK:[5551]>)                = 0
      recvfrom(3<UNIX:[14394,"./echo.socket"]>, "DONE", 1024, MSG_TRUNC, NULL, NULL) = 4
      close(5</tmp/x.sslog>)                  = 0
      unlink("./echo.socket")                 = 0
      """
    #expect(
      straceCalls(text) == [
        ObservedCall(call: "socket", fd: 3, ret: 3), ObservedCall(call: "bind", fd: 3, ret: 0),
        ObservedCall(call: "recvfrom", fd: 3, ret: 4), ObservedCall(call: "unlink", fd: nil, ret: 0),
      ])
  }
}
