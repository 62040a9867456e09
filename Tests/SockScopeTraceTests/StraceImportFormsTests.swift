import Testing

@testable import SockScopeStrace
@testable import SockScopeTrace

/// The other shapes strace writes the same run in: one file per process (`-ff`), with durations
/// (`-T`), with Windows line ends, and damaged.
@Suite("Importing strace output: -ff, -T, line ends, damaged lines")
struct StraceImportFormsTests {
  // The page's pair under `strace -ff -tt -T -yy`, as strace 6.1 wrote it here: each file holds
  // one process, whole lines only. The receive's line starts before strace decodes its arguments
  // and -T counts from after, so start + -T (…437295) falls 17 µs before the send that woke it
  // started (…437312): measured on a real run.
  static let server = """
    20:04:43.821000 socket(AF_UNIX, SOCK_DGRAM|SOCK_CLOEXEC, 0) = 3<UNIX:[107986]> <0.000013>
    20:04:43.822000 bind(3<UNIX:[107986]>, {sa_family=AF_UNIX, sun_path="./echo.socket"}, 16) = 0 <0.000127>
    20:04:43.834330 recvfrom(3<UNIX:[107986,"./echo.socket"]>, "\\320\\233\\320\\265\\320\\262", 1024, 0, NULL, NULL) = 6 <5.602965>
    20:04:49.437390 write(1</tmp/server.out>, "--------------------\\n", 21) = 21 <0.000016>
    20:04:49.437827 recvfrom(3<UNIX:[107986,"./echo.socket"]>, "hello", 1024, 0, NULL, NULL) = 5 <0.000038>
    20:04:49.461059 close(3<UNIX:[107986,"./echo.socket"]>) = 0 <0.000016>
    20:04:49.461107 unlink("./echo.socket") = 0 <0.000027>
    +++ exited with 0 +++
    """
  static let client = """
    20:04:49.425710 socket(AF_UNIX, SOCK_DGRAM|SOCK_CLOEXEC, 0) = 3<UNIX:[109004]> <0.000017>
    20:04:49.425793 connect(3<UNIX:[109004]>, {sa_family=AF_UNIX, sun_path="./echo.socket"}, 16) = 0 <0.000011>
    20:04:49.425900 connect(4<UNIX:[109005]>, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT (No such file or directory) <0.000011>
    20:04:49.437312 sendto(3<UNIX:[109004->107986]>, "\\320\\233\\320\\265\\320\\262", 6, 0, NULL, 0) = 6 <0.000015>
    20:04:49.437719 sendto(3<UNIX:[109004->107986]>, "hello", 5, 0, NULL, 0) = 5 <0.000007>
    20:04:49.438248 close(3<UNIX:[109004->107986]>) = 0 <0.000020>
    +++ exited with 0 +++
    """

  static func perProcess(_ server: String = server, _ client: String = client) -> StraceImport.Result {
    StraceImport.read([
      StraceImport.Input(name: "run.log.22446", text: server, pid: 22446),
      StraceImport.Input(name: "run.log.22786", text: client, pid: 22786),
    ])
  }

  /// Each receive's payload and the payload of the send it is linked to.
  static func links(_ trace: Trace) -> [String] {
    let sends = Dictionary(trace.events.compactMap { e in e.flow.map { ($0, e) } }) { a, _ in a }
    return trace.events.filter { $0.call.receivesData }.map { r in
      "\(r.data?.text ?? "?") ← \(r.flows.map { sends[$0]?.data?.text ?? "?" }.joined(separator: ","))"
    }
  }

  @Test("-ff files, one per process, link every receive to the send that woke it, with -T's durations")
  func perProcessFilesWithDurations() throws {
    let result = Self.perProcess()
    #expect(result.problems.isEmpty, "\(result.problems)")
    #expect(result.filesWithoutDurations.isEmpty)
    let trace = result.trace
    #expect(Self.links(trace) == ["Лев ← Лев", "hello ← hello"])
    #expect(trace.header.problems.isEmpty, "\(trace.header.problems)")
    let recv = try #require(trace.events.first { $0.call == .recvfrom })
    // -T's 5.602965 s, and the 1 ms the line's clock may run ahead of it, but not past the next call.
    #expect(recv.duration >= 5_602_965_000 && recv.duration <= 5_603_060_000, "\(recv.duration)")
    let send = try #require(trace.events.first { $0.call == .sendto })
    #expect(send.duration == 15_000, "a send keeps -T's duration as it is")
    #expect(trace.calls(of: "server").map(\.call) == [.socket, .bind, .recvfrom, .recvfrom, .close, .unlink])
    #expect(trace.calls(of: "client").map(\.call) == [.socket, .connect, .sendto, .sendto, .close])
  }

  @Test("-ff files written without -T: each call ends at its process's next call, and the trace says so")
  func perProcessFilesWithoutDurations() throws {
    func withoutT(_ text: String) -> String {
      text.split(separator: "\n").map { line in
        guard let cut = line.range(of: " <", options: .backwards), line.hasSuffix(">") else {
          return String(line)
        }
        return String(line[..<cut.lowerBound])
      }.joined(separator: "\n")
    }
    let result = Self.perProcess(withoutT(Self.server), withoutT(Self.client))
    #expect(result.problems.isEmpty, "\(result.problems)")
    #expect(result.filesWithoutDurations == ["run.log.22446", "run.log.22786"])
    #expect(Self.links(result.trace) == ["Лев ← Лев", "hello ← hello"])
    let recv = try #require(result.trace.events.first { $0.call == .recvfrom })
    #expect(recv.duration == 5_603_060_000, "until the server's next call, the write at …437390")
    #expect(result.trace.header.problems.contains { $0.contains("without -T") && $0.contains("upper bound") })
  }

  @Test("-T in a single -f file: durations kept, a split call keeps the later of its two ends")
  func durationsInOneFile() throws {
    let log = """
      8855  09:20:34.924723 recvfrom(3<UNIX:[14394,"echo.socket"]>,  <unfinished ...>
      8856  09:20:34.925000 socket(AF_UNIX, SOCK_DGRAM, 0) = 4<UNIX:[13615]> <0.000020>
      8856  09:20:34.925187 connect(4<UNIX:[13615]>, {sa_family=AF_UNIX, sun_path="echo.socket"}, 110) = -1 ENOENT (No such file or directory) <0.000031>
      8856  09:20:34.925353 sendto(4<UNIX:[13615->14394]>, "hi", 2, 0, NULL, 0) = 2 <0.000040>
      8855  09:20:34.925444 <... recvfrom resumed>"hi", 1024, 0, NULL, NULL) = 2 <0.000600>
      8856  09:20:34.925600 close(4<UNIX:[13615->14394]>) = 0 <0.000009>
      """
    let result = StraceImport.read([StraceImport.Input(name: "run.log", text: log)])
    #expect(result.problems.isEmpty, "\(result.problems)")
    let events = result.trace.events
    #expect(events.first { $0.call == .socket }?.duration == 20_000)
    #expect(events.first { $0.call == .sendto }?.duration == 40_000)
    #expect(events.first { $0.call == .close }?.duration == 9_000)
    let connect = try #require(events.first { $0.call == .connect })
    #expect(
      connect.failure == CallFailure(name: "ENOENT", message: "No such file or directory"), "no <0.000031>")
    #expect(connect.duration == 31_000)
    // -T says 600 µs, but the resumed line was written 721 µs after the start: the call cannot
    // have returned before strace saw it return.
    let recv = try #require(events.first { $0.call == .recvfrom })
    #expect(recv.duration == 721_000)
    #expect(Self.links(result.trace) == ["hi ← hi"])
  }

  @Test("a log with Windows line ends (CRLF) or a byte order mark imports as the same log with LF")
  func lineEnds() throws {
    let plain = StraceImport.read([StraceImport.Input(name: "a.log", text: StraceImportTests.log)])
    #expect(plain.trace.events.count == 10)
    let crlf = StraceImportTests.log.split(separator: "\n", omittingEmptySubsequences: false).joined(
      separator: "\r\n")
    for text in [crlf, crlf + "\r\n", "\u{FEFF}" + StraceImportTests.log, "\u{FEFF}" + crlf] {
      let result = StraceImport.read([StraceImport.Input(name: "a.log", text: text)])
      #expect(result.problems.isEmpty, "\(result.problems)")
      #expect(result.trace == plain.trace)
    }
  }

  @Test("a damaged socket call (sendto() = 2) is reported with its line, never dropped silently")
  func damagedCallsAreReported() throws {
    let log = """
      09:20:34.924024 socket(AF_UNIX, SOCK_DGRAM, 0) = 3<UNIX:[14394]>
      09:20:34.924100 sendto() = 2
      09:20:34.924200 recvfrom(zz, "", 10, 0, NULL, NULL) = 0
      09:20:34.924300 close(3</etc/passwd>) = 0
      09:20:34.924400 sendto(5<TCP:[1.2.3.4:5->6.7.8.9:10]>, "x", 1, 0, NULL, 0) = 1
      09:20:34.924500 sendto(9, "x", 1, 0, NULL, 0) = -1 EBADF (Bad file descriptor)
      """
    let result = StraceImport.read([StraceImport.Input(name: "d.log", text: log)])
    #expect(
      result.problems.map(\.description) == [
        "d.log:2: sendto: no descriptor where strace writes one; left out",
        "d.log:3: recvfrom: cannot read its descriptor \"zz\"; left out",
      ])
    #expect(
      result.trace.events.map(\.call) == [.socket], "a file and a TCP socket are passed over, by design")
  }

  @Test("a log recorded without -yy (bare descriptor numbers) is reported once per file, not taken in")
  func withoutSocketAnnotations() throws {
    let log = """
      09:20:34.924024 socket(AF_UNIX, SOCK_DGRAM, 0) = 3
      09:20:34.924100 bind(3, {sa_family=AF_UNIX, sun_path="echo.socket"}, 110) = 0
      09:20:34.924200 recvfrom(3, "hi", 1024, 0, NULL, NULL) = 2
      09:20:34.924300 close(3) = 0
      """
    let result = StraceImport.read([StraceImport.Input(name: "n.log", text: log)])
    #expect(result.problems.count == 1)
    let problem = try #require(result.problems.first)
    #expect(problem.line == 2)
    #expect(
      problem.message.hasPrefix("2 socket calls") && problem.message.hasSuffix("record with strace -yy"))
  }
}
