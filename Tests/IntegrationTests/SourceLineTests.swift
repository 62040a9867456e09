import Foundation
import SockScopeTrace
import Testing

/// The 1-based number of the first line of `file` containing `text`.
private func lineNumber(of text: String, in file: String, last: Bool = false) throws -> Int {
  let lines = try String(contentsOfFile: file, encoding: .utf8).split(
    separator: "\n", omittingEmptySubsequences: false)
  let found = last ? lines.lastIndex { $0.contains(text) } : lines.firstIndex { $0.contains(text) }
  return try #require(found, "\(text) is not in \(file)") + 1
}

/// A C program whose calls are on known lines (marked in comments), including one made from a
/// helper function.
private let markedC = #"""
  #include <stdio.h>
  #include <string.h>
  #include <sys/socket.h>
  #include <unistd.h>

  static void say(int fd, const char *text) {
    send(fd, text, strlen(text), 0); /* SEND-LINE */
  }

  int main(void) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) != 0) return 1; /* PAIR-LINE */
    say(sv[0], "hello");
    char buf[64];
    ssize_t n = recv(sv[1], buf, sizeof buf, 0); /* RECV-LINE */
    printf("%zd\n", n);
    close(sv[0]); /* CLOSE-LINE */
    close(sv[1]);
    return 0;
  }
  """#

@Suite("The source line of every call")
struct SourceLineTests {
  @Test(
    "the page's Python pair, recorded unmodified: each send points at client.send, each receive at server.recv",
    needs("python3"))
  func pythonPair() throws {
    try withTemporaryDirectory { dir throws in
      let server = try RunningProcess(
        sockscopeBinary, ["record", "--out", "run", "--", "python3", "-u", pythonScripts + "/server.py"],
        in: dir)
      #expect(server.waitUntil { FileManager.default.fileExists(atPath: dir + "/echo.socket") })
      let client = try sockscope(
        ["record", "--out", "run", "--", "python3", "-u", pythonScripts + "/client.py"], in: dir,
        input: "Лев\nDONE\n")
      #expect(client.status == 0, "\(client.stderr)")
      #expect(server.finish().status == 0)
      let trace = try readTrace(dir + "/run/trace.jsonl")
      let clientFile = pythonScripts + "/client.py"
      let serverFile = pythonScripts + "/server.py"
      let sendLine = try lineNumber(of: "client.send(", in: clientFile)
      let recvLine = try lineNumber(of: "server.recv(1024)", in: serverFile)
      let sends = trace.events.filter { $0.call.sendsData }
      let receives = trace.events.filter { $0.call.receivesData }
      #expect(sends.count == 2 && receives.count == 2)
      for send in sends {
        #expect(
          send.source?.file == clientFile && send.source?.line == sendLine,
          "\(String(describing: send.source))")
        #expect(send.source?.function == "<module>")
      }
      for receive in receives {
        #expect(receive.source?.file == serverFile && receive.source?.line == recvLine)
      }
      // The socket constructor runs through the stdlib's socket.py: the line is the script's.
      let made = try #require(trace.events.first { $0.call == .socket && $0.role == "server" })
      #expect(made.source?.file == serverFile)
      #expect(made.source?.line == (try lineNumber(of: "server = socket.socket(", in: serverFile)))
      let removed = try #require(trace.events.last { $0.call == .unlink })
      #expect(
        removed.source?.line == (try lineNumber(of: "os.remove(SOCKET_FILE)", in: serverFile, last: true)))
    }
  }

  @Test(
    "a C program built with -g points at its lines; the same program stripped at its module and offset",
    needs("gcc"))
  func cProgram() throws {
    let gcc = try tool("gcc")
    _ = try tool("addr2line")
    try withTemporaryDirectory { dir throws in
      try markedC.write(toFile: dir + "/pair.c", atomically: true, encoding: .utf8)
      #expect(try run(gcc, ["-g", "-O0", "-o", "pair", "pair.c"], in: dir).status == 0)
      #expect(try run(gcc, ["-O0", "-s", "-o", "stripped", "pair.c"], in: dir).status == 0)
      #expect(try sockscope(["record", "--out", "g", "--", "./pair"], in: dir).status == 0)
      #expect(try sockscope(["record", "--out", "s", "--", "./stripped"], in: dir).status == 0)
      let source = dir + "/pair.c"
      let withDebug = try readTrace(dir + "/g/trace.jsonl").events.filter { $0.call != .output }
      let expected: [(SocketCall, String, String)] = [
        (.socketpair, "PAIR-LINE", "main"), (.send, "SEND-LINE", "say"), (.recv, "RECV-LINE", "main"),
        (.close, "CLOSE-LINE", "main"),
      ]
      for (call, marker, function) in expected {
        let event = try #require(withDebug.first { $0.call == call })
        #expect(event.source?.file == source, "\(call): \(String(describing: event.source))")
        #expect(event.source?.line == (try lineNumber(of: marker, in: source)), "\(call)")
        #expect(event.source?.function == function)
        #expect(event.source?.module == dir + "/pair")
      }
      #expect(
        try FormatTests().pythonInvalidLines(dir + "/g/trace.jsonl") == [], "the schema accepts every line")
      let stripped = try readTrace(dir + "/s/trace.jsonl").events.filter { $0.call != .output }
      #expect(stripped.count == withDebug.count)
      for (plain, debug) in zip(stripped, withDebug) {
        #expect(plain.source?.file == nil && plain.source?.line == nil)
        #expect(plain.source?.module == dir + "/stripped")
        // -g changes no code: the same call is at the same offset in both builds.
        #expect(plain.source?.offset != nil && plain.source?.offset == debug.source?.offset)
      }
    }
  }

  @Test("the Swift demo's events point at the echo pair's sources")
  func swiftDemo() throws {
    try withTemporaryDirectory { dir throws in
      #expect(try sockscope(["demo", "--out", "out"], in: dir).status == 0)
      let trace = try readTrace(dir + "/out/trace.jsonl")
      let calls = trace.events.filter { $0.call != .output }
      #expect(!calls.isEmpty)
      for event in calls {
        let file = try #require(event.source?.file, "\(event.call) has no source")
        let expected = event.role == "server" ? "EchoPair/EchoServer.swift" : "EchoPair/EchoClient.swift"
        #expect(file == expected, "\(event.role) \(event.call)")
        let path = repositoryRoot + "/Sources/" + file
        let line = try #require(event.source?.line)
        let text = try String(contentsOfFile: path, encoding: .utf8).split(
          separator: "\n", omittingEmptySubsequences: false)[line - 1]
        // The line is the call's own: it names the method the event records.
        let method: [SocketCall: String] = [
          .socket: "open(", .bind: "bind(", .connect: "connect(", .send: "send(", .recv: "receive(",
          .close: "close(", .unlink: "remove",
        ]
        if let name = method[event.call] { #expect(text.contains(name), "\(file):\(line): \(text)") }
      }
    }
  }

  /// Threads sending at once, and asyncio's signal handling (Python's C signal handler writes to a
  /// socket from inside the handler): the GIL is taken for source lines, and must never deadlock.
  static let threadedPython = """
    import asyncio, os, signal, socket, threading, sys

    def worker(n):
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        for i in range(500):
            a.send(b"x" * 10)
            b.recv(100)
            if i % 250 == 0:
                print(f"worker {n} at {i}", flush=True)
        a.close(); b.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads: t.start()
    for t in threads: t.join()

    # The test runner's blocked signals are inherited: unblock the one used here.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGUSR1])

    async def main():
        loop = asyncio.get_running_loop()
        got = asyncio.Event()
        loop.add_signal_handler(signal.SIGUSR1, got.set)
        r, w = socket.socketpair()
        r.setblocking(False)
        for _ in range(20):
            os.kill(os.getpid(), signal.SIGUSR1)
            await asyncio.wait_for(got.wait(), 5)
            got.clear()
            w.send(b"ping")
            await loop.sock_recv(r, 10)
        print("asyncio done", flush=True)
    asyncio.run(main())
    """

  @Test(
    "a threaded Python program with asyncio signal handling runs recorded as unrecorded, each thread's calls at its line",
    needs("python3"))
  func threadsAndSignals() throws {
    let python = try tool("python3")
    try withTemporaryDirectory { dir throws in
      try Self.threadedPython.write(toFile: dir + "/th.py", atomically: true, encoding: .utf8)
      let plain = try run(python, ["th.py"], in: dir, seconds: 60)
      let traced = try sockscope(["record", "--out", "t", "--", python, "th.py"], in: dir, seconds: 120)
      #expect(plain.status == 0 && traced.status == 0, "\(traced.stderr)")
      // Threads print at once, so lines may interleave: compare what was said, not the lines.
      for said in ["asyncio done"] + (0..<4).flatMap({ n in [0, 250].map { "worker \(n) at \($0)" } }) {
        #expect(plain.stdout.contains(said) && traced.stdout.contains(said), "\(said)")
      }
      let events = try readTrace(dir + "/t/trace.jsonl").events
      let workerSends = events.filter { $0.call == .send && $0.source?.line == 6 }
      let workerReceives = events.filter { $0.call == .recv && $0.source?.line == 7 }
      #expect(workerSends.count == 2000 && workerReceives.count == 2000)
      #expect(Set(workerSends.map(\.tid)).count == 4, "four threads, each at its own line")
    }
  }
}
