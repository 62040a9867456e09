import Testing

@testable import SockScopeStrace
@testable import SockScopeTrace

@Suite("Importing strace output")
struct StraceImportTests {
  // The lines strace 6.1 prints here for the echo pair (../shared/notes/formats.md), with a pid column.
  static let log = """
    8855  09:20:34.923888 unlink("echo.socket") = -1 ENOENT (No such file or directory)
    8855  09:20:34.924024 socket(AF_UNIX, SOCK_DGRAM, 0) = 3<UNIX:[14394]>
    8855  09:20:34.924227 bind(3<UNIX:[14394]>, {sa_family=AF_UNIX, sun_path="echo.socket"}, 110) = 0
    8855  09:20:34.924723 recvfrom(3<UNIX:[14394,"echo.socket"]>,  <unfinished ...>
    8856  09:20:34.925000 socket(AF_UNIX, SOCK_DGRAM, 0) = 4<UNIX:[13615]>
    8856  09:20:34.925187 connect(4<UNIX:[13615]>, {sa_family=AF_UNIX, sun_path="echo.socket"}, 110) = 0
    8856  09:20:34.925353 sendto(4<UNIX:[13615->14394]>, "\\320\\233\\320\\265\\320\\262", 6, 0, NULL, 0) = 6
    8855  09:20:34.925444 <... recvfrom resumed>"\\320\\233\\320\\265\\320\\262", 1024, 0, NULL, NULL) = 6
    8856  09:20:34.925500 close(4<UNIX:[13615->14394]>) = 0
    8856  09:20:34.925600 +++ exited with 0 +++
    8855  09:20:34.926400 close(3<UNIX:[14394,"echo.socket"]>) = 0
    8855  09:20:34.926500 unlink("echo.socket") = 0
    8855  09:20:34.926600 write(1, "done\\n", 5) = 5
    """

  @Test("the echo pair's strace lines become the pair's events, with roles, payloads and the link")
  func echoPair() throws {
    let result = StraceImport.read([StraceImport.Input(name: "run.log", text: Self.log)])
    #expect(result.problems.isEmpty, "\(result.problems)")
    let trace = result.trace
    #expect(trace.calls(of: "server").map(\.call) == [.unlink, .socket, .bind, .recvfrom, .close, .unlink])
    #expect(trace.calls(of: "client").map(\.call) == [.socket, .connect, .sendto, .close])
    let recv = try #require(trace.events.first { $0.call == .recvfrom })
    #expect(recv.data?.text == "Лев", "octal escapes decode to UTF-8")
    #expect(recv.duration == 721_000, "the unfinished call and its resumption are one event")
    let send = try #require(trace.events.first { $0.call == .sendto })
    #expect(send.data?.text == "Лев", "the arrow in 4<UNIX:[13615->14394]> does not end the argument")
    #expect(send.args["len"] == .int(6))
    #expect(recv.flows == [send.flow ?? -1])
    #expect(send.socket == SocketIdentity(inode: 13615, peer: 14394))
    #expect(trace.events.first?.failure == CallFailure(name: "ENOENT", message: "No such file or directory"))
    #expect(trace.events.first { $0.call == .bind }?.addressPath == "echo.socket")
    #expect(!trace.events.contains { $0.call == .write }, "writes to files are not socket calls")
  }

  // A stream pair as strace 6.1 prints it on Linux 5.15 and later (kernel protocol `UNIX-STREAM`).
  static let streamLog = """
    21891 19:27:18.812447 socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0) = 3<UNIX-STREAM:[215793]>
    21891 19:27:18.812701 bind(3<UNIX-STREAM:[215793]>, {sa_family=AF_UNIX, sun_path="s.sock"}, 9) = 0
    21891 19:27:18.812952 listen(3<UNIX-STREAM:[215793,"s.sock"]>, 1) = 0
    21891 19:27:18.813584 accept4(3<UNIX-STREAM:[215793,"s.sock"]>,  <unfinished ...>
    21932 19:27:18.814269 socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0) = 4<UNIX-STREAM:[216926]>
    21932 19:27:18.814408 connect(4<UNIX-STREAM:[216926]>, {sa_family=AF_UNIX, sun_path="s.sock"}, 9) = 0
    21891 19:27:18.814492 <... accept4 resumed>{sa_family=AF_UNIX}, [110 => 2], SOCK_CLOEXEC) = 4<UNIX-STREAM:[215794->216926,"s.sock"]>
    21932 19:27:18.814555 sendto(4<UNIX-STREAM:[216926->215794]>, "\\320\\233\\320\\265\\320\\262", 6, 0, NULL, 0) = 6
    21932 19:27:18.814633 close(4<UNIX-STREAM:[216926->215794]>) = 0
    21891 19:27:18.814756 recvfrom(4<UNIX-STREAM:[215794->216926,"s.sock"]>, "\\320\\233\\320\\265\\320\\262", 1024, 0, NULL, NULL) = 6
    21891 19:27:18.815651 close(4<UNIX-STREAM:[215794->216926,"s.sock"]>) = 0
    21891 19:27:18.815743 close(3<UNIX-STREAM:[215793,"s.sock"]>) = 0
    21891 19:27:18.815829 unlink("s.sock")  = 0
    """

  @Test(
    "a stream pair (UNIX-STREAM sockets, [110 => 2] in accept4) keeps its calls, arguments and identities")
  func streamPair() throws {
    let result = StraceImport.read([StraceImport.Input(name: "stream.log", text: Self.streamLog)])
    #expect(result.problems.isEmpty, "\(result.problems)")
    let trace = result.trace
    #expect(
      trace.calls(of: "server").map(\.call) == [
        .socket, .bind, .listen, .accept4, .recvfrom, .close, .close, .unlink,
      ])
    #expect(trace.calls(of: "client").map(\.call) == [.socket, .connect, .sendto, .close])
    let accept = try #require(trace.events.first { $0.call == .accept4 })
    #expect(accept.args["flags"] == .string("SOCK_CLOEXEC"))
    #expect(accept.args["new_sock"] == .object(["ino": .int(215794), "peer": .int(216926)]))
    #expect(accept.ret == 4)
    let send = try #require(trace.events.first { $0.call == .sendto })
    #expect(send.socket == SocketIdentity(inode: 216926, peer: 215794))
    #expect(send.data?.text == "Лев")
    let recv = try #require(trace.events.first { $0.call == .recvfrom })
    #expect(recv.args["len"] == .int(1024))
    #expect(recv.flows == [send.flow ?? -1])
  }

  @Test("the sockets glibc opens to ask nscd are left out and counted; the rest keep consecutive seq numbers")
  func nameServiceSockets() {
    let text = """
      7 09:00:00.000001 socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, 0) = 3<UNIX-STREAM:[50]>
      7 09:00:00.000002 connect(3<UNIX-STREAM:[50]>, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT (No such file or directory)
      7 09:00:00.000003 close(3<UNIX-STREAM:[50]>) = 0
      7 09:00:00.000004 socket(AF_UNIX, SOCK_DGRAM|SOCK_CLOEXEC, 0) = 3<UNIX:[51]>
      7 09:00:00.000005 bind(3<UNIX:[51]>, {sa_family=AF_UNIX, sun_path="./echo.socket"}, 16) = 0
      7 09:00:00.000006 close(3<UNIX:[51,"./echo.socket"]>) = 0
      """
    let result = StraceImport.read([StraceImport.Input(name: "n.log", text: text)])
    #expect(result.problems.isEmpty)
    #expect(result.nameServiceSockets == 1)
    #expect(result.trace.events.map(\.call) == [.socket, .bind, .close])
    #expect(result.trace.events.map(\.seq) == [0, 1, 2])
  }

  @Test("unlinks of files no socket call names are left out and counted; ./name and name are one file")
  func otherUnlinks() {
    let text = """
      7 09:00:00.000001 unlink("/tmp/run/old.sslog") = 0
      7 09:00:00.000002 unlink("echo.socket") = -1 ENOENT (No such file or directory)
      7 09:00:00.000003 socket(AF_UNIX, SOCK_DGRAM, 0) = 3<UNIX:[51]>
      7 09:00:00.000004 bind(3<UNIX:[51]>, {sa_family=AF_UNIX, sun_path="./echo.socket"}, 16) = 0
      7 09:00:00.000005 unlink("./echo.socket") = 0
      """
    let result = StraceImport.read([StraceImport.Input(name: "u.log", text: text)])
    #expect(result.problems.isEmpty)
    #expect(result.otherUnlinks == 1)
    #expect(result.trace.events.map(\.call) == [.unlink, .socket, .bind, .unlink])
  }

  @Test("results padded to strace's column 40 are read, and so are lines without -tt's time of day")
  func paddedAndUntimed() {
    let text = """
      7 bind(3<UNIX:[51]>, {sa_family=AF_UNIX, sun_path="s"}, 4) = 0
      7 close(3<UNIX:[51]>)                    = 0
      7 unlink("s")                            = -1 ENOENT (No such file or directory)
      """
    let result = StraceImport.read([StraceImport.Input(name: "u.log", text: text)])
    #expect(result.problems.isEmpty, "\(result.problems)")
    #expect(result.trace.events.map(\.call) == [.bind, .close, .unlink])
    #expect(result.trace.events.map(\.pid) == [7, 7, 7])
    #expect(result.trace.events.last?.failure?.name == "ENOENT")
    #expect(result.untimedCalls == 3)
  }

  @Test("[pid N] prefixes and per-process files (-ff) are read too")
  func otherShapes() {
    let prefixed = """
      09:00:00.000001 socket(AF_UNIX, SOCK_STREAM, 0) = 3<UNIX:[10]>
      [pid 42] 09:00:00.000002 socket(AF_UNIX, SOCK_STREAM, 0) = 3<UNIX:[11]>
      """
    let a = StraceImport.read([StraceImport.Input(name: "e", text: prefixed)])
    #expect(Set(a.trace.events.map(\.pid)) == [0, 42])
    let perProcess = StraceImport.read([
      StraceImport.Input(
        name: "log.77", text: "09:00:00.000001 socket(AF_UNIX, SOCK_DGRAM, 0) = 3<UNIX:[10]>", pid: 77)
    ])
    #expect(perProcess.trace.events.map(\.pid) == [77])
  }

  @Test("sockets of other families, signals and exits are passed over; unknown lines are reported by number")
  func problems() {
    let text = """
      100 09:00:00.000001 socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_SOCK_DIAG) = 5<NETLINK:[9]>
      100 09:00:00.000002 --- SIGINT {si_signo=SIGINT, si_code=SI_USER} ---
      this is not strace
      100 09:00:00.000003 recvfrom(3<UNIX:[1]>,  <unfinished ...>
      100 09:00:00.000004 sendto(3<UNIX:[1]>, "x", 1, 0, NULL, 0
      """
    let result = StraceImport.read([StraceImport.Input(name: "bad.log", text: text)])
    #expect(result.trace.events.isEmpty)
    #expect(result.problems.map(\.line) == [3, 5, 4])
    #expect(result.problems[0].description.hasPrefix("bad.log:3: not a line strace writes"))
    #expect(result.problems[2].message.contains("never finished"))
  }

  @Test(
    "a socket call the process never returned from (= ?) is reported and left out; a read on a tty is passed over"
  )
  func neverReturned() {
    let text = """
      1 09:00:00.000001 recvfrom(3<UNIX:[1]>, 0x55, 1024, 0, NULL, NULL) = ? ERESTARTSYS (To be restarted)
      1 09:00:00.000002 read(0</dev/pts/1>, 0x55, 8192) = ? ERESTARTSYS (To be restarted)
      1 09:00:00.000003 close(3<UNIX:[1]>) = 0
      """
    let result = StraceImport.read([StraceImport.Input(name: "q.log", text: text)])
    #expect(result.trace.events.map(\.call) == [.close])
    #expect(
      result.problems.map(\.description) == [
        "q.log:1: recvfrom never returned: the process ended during it; left out"
      ])
  }

  @Test("strace's time of day is read to the nanosecond; anything out of range is not a time")
  func timesOfDay() {
    #expect(
      StraceImport.timeOfDay("09:20:34.924024") == ((9 * 60 + 20) * 60 + 34) * 1_000_000_000 + 924_024_000)
    #expect(StraceImport.timeOfDay("23:59:60") == ((23 * 60 + 59) * 60 + 60) * 1_000_000_000)
    for bad in [
      "77777777709:20:34.9", "24:00:00", "09:60:00", "09:20:.", "09:20:", "09:20:34.5.6", "9:20", "",
    ] {
      #expect(StraceImport.timeOfDay(Substring(bad)) == nil, "\(bad)")
    }
  }

  @Test("bytes strace shows past what a call returned are not taken as moved")
  func dataBeyondResult() throws {
    let text = """
      1 09:00:00.000001 recvfrom(3<UNIX:[1]>, "abcdef", 1024, 0, NULL, NULL) = 2
      """
    let e = try #require(StraceImport.read([StraceImport.Input(name: "t", text: text)]).trace.events.first)
    #expect(e.data?.bytes == Array("ab".utf8))
  }

  @Test("a receive strace shows with MSG_TRUNC (as SockScope's layer makes it) keeps the program's view")
  func msgTrunc() throws {
    let text = """
      1 09:00:00.000001 recvfrom(3<UNIX:[1]>, "abcd", 4, MSG_TRUNC, NULL, NULL) = 4000
      """
    let e = try #require(StraceImport.read([StraceImport.Input(name: "t", text: text)]).trace.events.first)
    #expect(e.ret == 4)
    #expect(e.data?.datagramLength == 4000)
  }
}
