import Foundation
import SockScopeTrace
import Testing

@Suite("sockscope import strace")
struct StraceImportCommandTests {
  @Test(
    "the page's Python pair traced by strace and imported makes the same calls per role as the Swift demo",
    .enabled(
      if: which("strace") != nil && which("python3") != nil, "strace and python3 are installed by make test"))
  func pythonUnderStrace() throws {
    let strace = try #require(which("strace"))
    try withTemporaryDirectory { dir throws in
      #expect(try sockscope(["demo", "--out", "swift"], in: dir).status == 0)
      let traced = try run(
        strace,
        [
          "-f", "-tt", "-yy", "-s", "256", "-e", "trace=%network,close,unlink,read,write", "-o", "run.log",
          "--",
          sockscopeBinary, "demo", "--program", "python", "--python-dir", pythonScripts, "--out", "python",
        ], in: dir, seconds: 60)
      #expect(traced.status == 0, "\(traced.stderr)")
      let imported = try sockscope(["import", "strace", "run.log", "-o", "imported.jsonl"], in: dir)
      #expect(imported.status == 0, "\(imported.stderr)")
      let a = try readTrace(dir + "/swift/trace.jsonl")
      let b = try readTrace(dir + "/imported.jsonl")
      for role in ["server", "client#1", "client#2"] {
        #expect(callFamilies(a, role) == callFamilies(b, role), "\(role)")
      }
      #expect(try sockscope(["compare", "imported.jsonl"], in: dir).status == 0)
    }
  }

  @Test("a malformed strace log is reported by line, its readable lines kept; a missing file is bad input")
  func malformed() throws {
    try withTemporaryDirectory { dir throws in
      let log = """
        1 09:00:00.000001 socket(AF_UNIX, SOCK_DGRAM, 0) = 3<UNIX:[10]>
        garbage here
        1 09:00:00.000002 bind(3<UNIX:[10]>, {sa_family=AF_UNIX, sun_path="s"}, 110) = 0

        """
      try log.write(toFile: dir + "/bad.log", atomically: true, encoding: .utf8)
      let r = try sockscope(["import", "strace", "bad.log", "-o", "t.jsonl"], in: dir)
      #expect(r.status == 1)
      #expect(r.stderr.contains("bad.log:2: not a line strace writes: garbage here"))
      #expect(r.stderr.contains("the 2 events around them were kept"))
      #expect(try readTrace(dir + "/t.jsonl").events.count == 2)
      let missing = try sockscope(["import", "strace", "nope.log"], in: dir)
      #expect(missing.status == 2)
    }
  }
}
