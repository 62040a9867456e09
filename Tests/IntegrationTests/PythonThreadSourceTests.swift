import Foundation
import SockScopeTrace
import Testing

/// Two threads calling socket methods at the same moment, from different functions and lines,
/// while a third runs Python code without socket calls: each call's source line is read from its
/// own thread's frames (without the GIL on CPython 3.11), never from another thread's.
private let twoThreads = """
  import os, socket, sys, threading

  def failed(args):
      print(args, file=sys.stderr, flush=True)
      os._exit(1)
  threading.excepthook = failed

  start = threading.Barrier(3)
  stop = threading.Event()

  def sender_a(a, b):
      start.wait()
      for i in range(3000):
          a.send(b"a%d" % i)  # A-SEND
          b.recv(100)  # A-RECV

  def numbers():
      for i in range(3000):
          yield i

  def sender_b(a, b):
      start.wait()
      for i in numbers():
          a.sendmsg([b"b%d" % i])  # B-SEND
          b.recvmsg(100)  # B-RECV

  def busy():
      start.wait()
      total = 0
      while not stop.is_set():
          total += sum(range(100))

  def pair():
      return socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)

  threads = [threading.Thread(target=sender_a, args=pair()), threading.Thread(target=sender_b, args=pair())]
  spinner = threading.Thread(target=busy)
  spinner.start()
  for t in threads: t.start()
  for t in threads: t.join()
  stop.set()
  spinner.join()
  print("done", flush=True)
  """

@Suite("Python source lines with threads")
struct PythonThreadSourceTests {
  @Test(
    "two Python threads calling at once: each call points at its own thread's line and function",
    needs("python3"))
  func twoThreadsEachAtItsLine() throws {
    let python = try tool("python3")
    try withTemporaryDirectory { dir throws in
      let file = dir + "/two.py"
      try twoThreads.write(toFile: file, atomically: true, encoding: .utf8)
      let traced = try sockscope(["record", "--out", "t", "--", python, file], in: dir, seconds: 120)
      #expect(traced.status == 0, "\(traced.stderr)")
      #expect(traced.stdout.contains("done"))
      let lines = twoThreads.split(separator: "\n", omittingEmptySubsequences: false)
      func line(_ marker: String) throws -> Int {
        try #require(lines.firstIndex { $0.contains(marker) }, "\(marker)") + 1
      }
      let events = try readTrace(dir + "/t/trace.jsonl").events
      let expected: [(SocketCall, String, String, String)] = [
        (.send, "a", "A-SEND", "sender_a"), (.recv, "a", "A-RECV", "sender_a"),
        (.sendmsg, "b", "B-SEND", "sender_b"), (.recvmsg, "b", "B-RECV", "sender_b"),
      ]
      var threadOf: [String: Set<Int32>] = [:]
      for (call, prefix, marker, function) in expected {
        // Which thread sent what is in the payload: "a…" from sender_a, "b…" from sender_b.
        let made = events.filter { $0.call == call && $0.data?.bytes.first == prefix.utf8.first }
        #expect(made.count == 3000, "\(call) \(prefix): \(made.count)")
        let at = try line(marker)
        let wrong = made.filter {
          $0.source?.file != file || $0.source?.line != at || $0.source?.function != function
        }
        let misplaced = wrong.count
        #expect(
          misplaced == 0,
          "\(misplaced) of \(call) from \(function) elsewhere, e.g. \(String(describing: wrong.first?.source))"
        )
        threadOf[prefix, default: []].formUnion(made.map(\.tid))
      }
      #expect(threadOf["a"]?.count == 1 && threadOf["b"]?.count == 1 && threadOf["a"] != threadOf["b"])
      // They ran at once: sender_b called while sender_a had calls still to make.
      let aTimes = events.filter { $0.call == .send }.map(\.time)
      let bTimes = events.filter { $0.call == .sendmsg }.map(\.time)
      let overlap = bTimes.filter { $0 > (aTimes.min() ?? 0) && $0 < (aTimes.max() ?? 0) }.count
      #expect(overlap > 0, "the threads did not overlap: the test proves nothing")
    }
  }
}
