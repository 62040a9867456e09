import Foundation
import SockScopeTrace

/// The page's Python pair as a student has it next to the run: each socket call on its own line.
let serverSource = """
  import os
  import socket

  PATH = "./echo.socket"

  def main():
      server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
      server.bind(PATH)
      print("Слушаем...")
      while True:
          data = server.recv(1024)
          text = data.decode()
          print("Получено:", text)
          if text == "DONE":
              break
      server.close()
      os.unlink(PATH)
      print("Выполнено")

  main()

  """

let clientSource = """
  import socket

  PATH = "./echo.socket"

  def main():
      client = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
      client.connect(PATH)
      while True:
          line = input("> ")
          client.send(line.encode())
          if line == "DONE":
              break
      client.close()

  main()

  """

/// The line of each call in `serverSource` and `clientSource`.
let serverLines: [SocketCall: Int] = [.socket: 7, .bind: 8, .recv: 11, .close: 16, .unlink: 17]
let clientLines: [SocketCall: Int] = [.socket: 6, .connect: 7, .send: 10, .close: 13]

/// A run of `sockscope demo` in `dir/out` whose calls carry the source lines a recorder would give
/// the Python pair (until the recorders write them, the lines are set here); with `files`, the two
/// programs are written beside the run directory, where `record` would have run them.
func demoWithSources(in dir: String, files: Bool = true, serverFile: String = "server.py") throws -> Trace {
  let run = try sockscope(["demo", "--out", "out"], in: dir)
  guard run.status == 0 else { throw SourceFixtureError(message: run.stderr) }
  var trace = try readTrace(dir + "/out/trace.jsonl")
  for i in trace.events.indices where trace.events[i].call != .output {
    let e = trace.events[i]
    let server = e.role == "server"
    if let line = (server ? serverLines : clientLines)[e.call] {
      trace.events[i].source = CallSite(file: server ? serverFile : "client.py", line: line, function: "main")
    }
  }
  try TraceFile.write(trace, to: dir + "/out/trace.with-sources")
  guard rename(dir + "/out/trace.with-sources", dir + "/out/trace.jsonl") == 0 else {
    throw SourceFixtureError(message: "rename: errno \(errno)")
  }
  if files {
    try serverSource.write(toFile: dir + "/" + serverFile, atomically: true, encoding: .utf8)
    try clientSource.write(toFile: dir + "/client.py", atomically: true, encoding: .utf8)
  }
  return trace
}

struct SourceFixtureError: Error { var message: String }
