import Foundation
import SockScopeLanguage
import SockScopePlayer
import SockScopeTrace
import Testing

/// A Python program that makes one student's mistake per case, on real sockets, and prints the
/// errno each failed call got (so the test knows the kernel really said it, recorded or not).
let studentErrorsPython = #"""
  import errno, os, socket, sys
  U = socket.AF_UNIX
  def attempt(f):
      try:
          f()
      except OSError as e:
          print(errno.errorcode.get(e.errno, e.errno), flush=True)
  case = sys.argv[1]
  if case == "enoent-connect":
      c = socket.socket(U, socket.SOCK_DGRAM)
      attempt(lambda: c.connect("./missing.socket"))
  elif case == "enoent-sendto":
      c = socket.socket(U, socket.SOCK_DGRAM)
      attempt(lambda: c.sendto(b"hello", "./missing.socket"))
  elif case == "econnrefused-stale":
      s = socket.socket(U, socket.SOCK_DGRAM); s.bind("./stale.socket"); s.close()
      c = socket.socket(U, socket.SOCK_DGRAM)
      attempt(lambda: c.connect("./stale.socket"))
  elif case == "econnrefused-not-listening":
      s = socket.socket(U, socket.SOCK_STREAM); s.bind("./quiet.socket")
      c = socket.socket(U, socket.SOCK_STREAM)
      attempt(lambda: c.connect("./quiet.socket"))
  elif case == "econnrefused-send":
      s = socket.socket(U, socket.SOCK_DGRAM); s.bind("./echo.socket")
      c = socket.socket(U, socket.SOCK_DGRAM); c.connect("./echo.socket")
      s.close()
      attempt(lambda: c.send(b"hello"))
      attempt(lambda: c.send(b"hello"))
  elif case == "eaddrinuse":
      s = socket.socket(U, socket.SOCK_DGRAM); s.bind("./echo.socket"); s.close()
      s2 = socket.socket(U, socket.SOCK_DGRAM)
      attempt(lambda: s2.bind("./echo.socket"))
  elif case == "eprototype-dgram-to-stream":
      s = socket.socket(U, socket.SOCK_STREAM); s.bind("./echo.socket"); s.listen(1)
      c = socket.socket(U, socket.SOCK_DGRAM)
      attempt(lambda: c.connect("./echo.socket"))
  elif case == "eprototype-stream-to-dgram":
      s = socket.socket(U, socket.SOCK_DGRAM); s.bind("./echo.socket")
      c = socket.socket(U, socket.SOCK_STREAM)
      attempt(lambda: c.connect("./echo.socket"))
  elif case == "enotconn-dgram":
      c = socket.socket(U, socket.SOCK_DGRAM)
      attempt(lambda: c.send(b"hello"))
  elif case == "enotconn-stream":
      c = socket.socket(U, socket.SOCK_STREAM)
      attempt(lambda: c.send(b"hello"))
  elif case == "eisconn":
      s = socket.socket(U, socket.SOCK_STREAM); s.bind("./echo.socket"); s.listen(1)
      c = socket.socket(U, socket.SOCK_STREAM); c.connect("./echo.socket")
      attempt(lambda: c.connect("./echo.socket"))
  elif case == "epipe":
      a, b = socket.socketpair(U, socket.SOCK_STREAM); b.close()
      attempt(lambda: a.send(b"hello"))
  elif case == "econnreset":
      a, b = socket.socketpair(U, socket.SOCK_STREAM); a.send(b"unread"); b.close()
      attempt(lambda: a.recv(100))
  elif case == "emsgsize":
      a, b = socket.socketpair(U, socket.SOCK_DGRAM)
      attempt(lambda: a.send(b"x" * 300000))
  elif case == "eagain":
      a, b = socket.socketpair(U, socket.SOCK_DGRAM); b.setblocking(False)
      attempt(lambda: b.recv(100))
  elif case == "eagain-send":
      s = socket.socket(U, socket.SOCK_DGRAM); s.bind("./echo.socket")
      c = socket.socket(U, socket.SOCK_DGRAM); c.connect("./echo.socket"); c.setblocking(False)
      for _ in range(50):
          try:
              c.send(b"hello")
          except OSError as e:
              print(errno.errorcode.get(e.errno, e.errno), flush=True)
              break
  elif case == "eagain-send-pair":
      a, b = socket.socketpair(U, socket.SOCK_DGRAM); a.setblocking(False)
      for _ in range(10000):
          try:
              a.send(b"x" * 100)
          except OSError as e:
              print(errno.errorcode.get(e.errno, e.errno), flush=True)
              break
  elif case == "emsgsize-seqpacket":
      a, b = socket.socketpair(U, socket.SOCK_SEQPACKET)
      attempt(lambda: a.send(b"x" * 300000))
  elif case == "eacces-bind":
      os.mkdir("dir"); os.chmod("dir", 0o555)
      # Made before the fork: the child keeps the parent's log (one made as nobody could not be).
      s = socket.socket(U, socket.SOCK_DGRAM)
      if os.geteuid() == 0:
          pid = os.fork()
          if pid == 0:
              os.setuid(65534)
              attempt(lambda: s.bind("dir/echo.socket"))
              os._exit(0)
          os.waitpid(pid, 0)
      else:
          attempt(lambda: s.bind("dir/echo.socket"))
  elif case == "eacces-dir":
      os.mkdir("dir")
      s = socket.socket(U, socket.SOCK_DGRAM); s.bind("dir/echo.socket")
      os.chmod("dir/echo.socket", 0o777)
      if os.geteuid() == 0:
          os.chmod("dir", 0o700)
          pid = os.fork()
          if pid == 0:
              os.setuid(65534)
              attempt(lambda: socket.socket(U, socket.SOCK_DGRAM).connect("dir/echo.socket"))
              os._exit(0)
          os.waitpid(pid, 0)
      else:
          os.chmod("dir", 0o600)
          attempt(lambda: socket.socket(U, socket.SOCK_DGRAM).connect("dir/echo.socket"))
      os.chmod("dir", 0o700)
  elif case == "eacces":
      os.mkdir("dir")
      s = socket.socket(U, socket.SOCK_DGRAM); s.bind("dir/echo.socket")
      os.chmod("dir/echo.socket", 0o555)
      if os.geteuid() == 0:
          # root passes every permission check: ask as nobody.
          pid = os.fork()
          if pid == 0:
              os.setuid(65534)
              attempt(lambda: socket.socket(U, socket.SOCK_DGRAM).connect("dir/echo.socket"))
              os._exit(0)
          os.waitpid(pid, 0)
      else:
          attempt(lambda: socket.socket(U, socket.SOCK_DGRAM).connect("dir/echo.socket"))
  """#

/// What the player must say about one failed call, in each language: facts, not prose.
struct StudentError: Sendable, CustomTestStringConvertible {
  var mode: String
  var errno: String
  var call: String
  var english: [String]
  var russian: [String]
  var testDescription: String { mode }
}

let studentErrors: [StudentError] = [
  StudentError(
    mode: "enoent-connect", errno: "ENOENT", call: "connect",
    english: ["./missing.socket", "not running", "another directory", "Fix: start the server first"],
    russian: ["./missing.socket", "не запущен", "в другом каталоге", "Что делать: сначала запустите сервер"]),
  StudentError(
    mode: "enoent-sendto", errno: "ENOENT", call: "sendto",
    english: ["sendto failed", "./missing.socket", "another directory"],
    russian: ["sendto не удался", "./missing.socket", "в другом каталоге"]),
  StudentError(
    mode: "econnrefused-stale", errno: "ECONNREFUSED", call: "connect",
    english: [
      "./stale.socket", "exists but no socket is bound", "without removing the file", "Fix: start the server",
    ],
    russian: [
      "./stale.socket", "не привязан ни один сокет", "не удалив файл", "Что делать: запустите сервер",
    ]),
  StudentError(
    mode: "econnrefused-not-listening", errno: "ECONNREFUSED", call: "connect",
    english: ["./quiet.socket", "does not listen"],
    russian: ["./quiet.socket", "не слушает"]),
  StudentError(
    mode: "econnrefused-send", errno: "ECONNREFUSED", call: "send",
    english: ["(./echo.socket)", "was closed", "ENOTCONN", "connect again"],
    russian: ["(./echo.socket)", "закрыт", "ENOTCONN", "снова вызовите connect"]),
  StudentError(
    mode: "eaddrinuse", errno: "EADDRINUSE", call: "bind",
    english: ["./echo.socket", "already exists", "removes its socket file (./echo.socket) before bind"],
    russian: ["./echo.socket", "уже существует", "удаляет свой файл сокета (./echo.socket) перед bind"]),
  StudentError(
    mode: "eprototype-dgram-to-stream", errno: "EPROTOTYPE", call: "connect",
    english: ["./echo.socket", "this one is SOCK_DGRAM", "the server's is SOCK_STREAM", "server's type"],
    russian: ["./echo.socket", "у этого SOCK_DGRAM", "у сервера SOCK_STREAM", "того же типа"]),
  StudentError(
    mode: "eprototype-stream-to-dgram", errno: "EPROTOTYPE", call: "connect",
    english: ["./echo.socket", "this one is SOCK_STREAM", "the server's is SOCK_DGRAM"],
    russian: ["./echo.socket", "у этого SOCK_STREAM", "у сервера SOCK_DGRAM"]),
  StudentError(
    mode: "enotconn-dgram", errno: "ENOTCONN", call: "send",
    english: ["no destination", "descriptor 3", "sendto"],
    russian: ["нет адресата", "дескриптор 3", "sendto"]),
  StudentError(
    mode: "enotconn-stream", errno: "ENOTCONN", call: "send",
    english: ["not connected", "accept returned"],
    russian: ["не соединён", "вернул accept"]),
  StudentError(
    mode: "eisconn", errno: "EISCONN", call: "connect",
    english: ["already connected", "new socket"],
    russian: ["уже соединён", "новый сокет"]),
  StudentError(
    mode: "epipe", errno: "EPIPE", call: "send",
    english: ["other end", "closed", "SIGPIPE"],
    russian: ["другой конец", "закрыт", "SIGPIPE"]),
  StudentError(
    mode: "econnreset", errno: "ECONNRESET", call: "recv",
    english: ["had not read", "before close"],
    russian: ["непрочитанные данные", "перед close"]),
  StudentError(
    mode: "emsgsize", errno: "EMSGSIZE", call: "send",
    english: ["300000 B", "SO_SNDBUF", "smaller datagrams"],
    russian: ["300000 Б", "SO_SNDBUF", "датаграммы меньше"]),
  StudentError(
    mode: "eagain", errno: "EAGAIN", call: "recv",
    english: ["non-blocking", "receive queue is empty", "poll"],
    russian: ["неблокирующий", "ничего нет", "poll"]),
  StudentError(
    mode: "eagain-send", errno: "EAGAIN", call: "send",
    english: [
      "non-blocking", "net.unix.max_dgram_qlen", "poll", "(./echo.socket) held at least",
      "more than net.unix.max_dgram_qlen (",
    ],
    russian: ["неблокирующий", "net.unix.max_dgram_qlen", "poll", "больше предела net.unix.max_dgram_qlen ("]),
  StudentError(
    mode: "eagain-send-pair", errno: "EAGAIN", call: "send",
    english: ["non-blocking", "SO_SNDBUF", "does not apply between the ends of a socketpair"],
    russian: ["неблокирующий", "SO_SNDBUF", "между концами socketpair не действует"]),
  StudentError(
    mode: "emsgsize-seqpacket", errno: "EMSGSIZE", call: "send",
    english: ["the record of 300000 B", "SO_SNDBUF"],
    russian: ["запись в 300000 Б", "SO_SNDBUF"]),
  StudentError(
    mode: "eacces-bind", errno: "EACCES", call: "bind",
    english: ["dir/echo.socket", "write permission on its directory"],
    russian: ["dir/echo.socket", "записи в его каталог"]),
  StudentError(
    mode: "eacces-dir", errno: "EACCES", call: "connect",
    english: ["dir/echo.socket", "search (x) permission on a directory", "the trace does not say which"],
    russian: ["dir/echo.socket", "права поиска (x) в одном из каталогов", "трасса не говорит"]),
  StudentError(
    mode: "eacces", errno: "EACCES", call: "connect",
    english: ["dir/echo.socket", "write permission", "search (x) permission"],
    russian: ["dir/echo.socket", "права записи", "права поиска (x)"]),
]

@Suite("A student's failed call is explained with its path, its numbers and the fix")
struct FailureExplanationTests {
  @Test(
    "a real run's failed call gets a true explanation in both languages",
    needs("python3"), arguments: studentErrors)
  func explained(_ expected: StudentError) throws {
    let python = try #require(which("python3"), "python3 is installed by make test")
    try withTemporaryDirectory { dir throws in
      try studentErrorsPython.write(toFile: dir + "/errors.py", atomically: true, encoding: .utf8)
      // Unrecorded, the kernel says this errno: the explanation is about a real failure.
      let plain = try run(python, ["errors.py", expected.mode], in: dir)
      #expect(plain.stdout.split(separator: "\n").first.map(String.init) == expected.errno, "\(plain)")
      for leftover in ["echo.socket", "stale.socket", "quiet.socket", "dir/echo.socket", "dir"] {
        try? FileManager.default.removeItem(atPath: dir + "/" + leftover)
      }
      let result = try sockscope(["record", "--out", "t", "--", python, "errors.py", expected.mode], in: dir)
      #expect(result.status == 0, "\(result.stderr)")
      let trace = try readTrace(dir + "/t/trace.jsonl")
      for (language, facts) in [(Language.en, expected.english), (.ru, expected.russian)] {
        let playback = try #require(Playback(trace: trace, language: language))
        let step = try #require(
          (0..<playback.count).first { k in
            let s = playback.snapshot(k, paneHeight: 5)
            return s.failed && s.call.tail.contains(expected.errno)
          }, "no failed \(expected.errno) step")
        let sentence = playback.snapshot(step, paneHeight: 5).sentence
        #expect(
          sentence.contains(expected.call + (language == .en ? " failed: " : " не удался: ") + expected.errno)
        )
        for fact in facts {
          #expect(sentence.contains(fact), "\(language): «\(fact)» missing in: \(sentence)")
        }
        // On the smallest terminal the player allows, the whole explanation, fix included, is
        // on the screen: a failed step borrows rows from the panes.
        let renderer = FrameRenderer(
          width: FrameRenderer.minimumWidth, height: FrameRenderer.minimumHeight, color: false,
          language: language,
          title: "t")
        let frame = renderer.render(playback.snapshot(step, paneHeight: renderer.paneHeight))
        #expect(frame.count == FrameRenderer.minimumHeight)
        let shown = frame.map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        #expect(shown.contains(sentence), "\(language): cut on the screen:\n\(frame.joined(separator: "\n"))")
      }
    }
  }
}

/// A C program that passes an address longer than struct sockaddr_un: a 108-byte path and one
/// byte more (measured: Linux binds the 108-byte path when addrlen is 110, with no NUL, and
/// refuses addrlen 111 with EINVAL).
let sunPathC = #"""
  #include <errno.h>
  #include <stdio.h>
  #include <string.h>
  #include <sys/socket.h>
  #include <sys/un.h>
  #include <unistd.h>

  int main(void) {
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    memset(a.sun_path, 'p', sizeof a.sun_path);
    int s = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (bind(s, (struct sockaddr *)&a, sizeof a + 1) != 0 && errno == EINVAL) puts("EINVAL");
    return 0;
  }
  """#

extension FailureExplanationTests {
  @Test(
    "an address longer than sockaddr_un is explained as the sun_path limit, with its length",
    needs("gcc"))
  func sunPathLimit() throws {
    try withTemporaryDirectory { dir throws in
      try compileC(sunPathC, named: "long", in: dir, flags: [])
      let result = try sockscope(["record", "--out", "t", "--", "./long"], in: dir)
      #expect(result.status == 0 && result.stdout.contains("EINVAL"), "\(result)")
      let trace = try readTrace(dir + "/t/trace.jsonl")
      for (language, facts) in [
        (
          Language.en,
          ["bind failed: EINVAL", "111 bytes", "108 for sun_path", "at most 107 bytes plus its NUL"]
        ),
        (.ru, ["bind не удался: EINVAL", "111 Б", "108 на sun_path", "до 107 байт и завершающего NUL"]),
      ] {
        let playback = try #require(Playback(trace: trace, language: language))
        let step = try #require((0..<playback.count).first { playback.snapshot($0, paneHeight: 5).failed })
        let sentence = playback.snapshot(step, paneHeight: 5).sentence
        #expect(sentence.contains(String(repeating: "p", count: 108)))
        for fact in facts {
          #expect(sentence.contains(fact), "\(language): «\(fact)» missing in: \(sentence)")
        }
      }
    }
  }
}
