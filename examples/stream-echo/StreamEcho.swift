// A stream (SOCK_STREAM) echo pair written on SockScope's socket layer, in one program and one
// thread: it listens, connects to itself, accepts, and echoes each line back over the connection.
// Run it with a trace directory to see listen/accept and byte-stream linking in the trace:
//
//   swift run stream-echo /tmp/stream-run && sockscope validate /tmp/stream-run
import Foundation
import SockScopeSockets

@main
struct StreamEcho {
  static func main() throws {
    let arguments = CommandLine.arguments.dropFirst()
    if let option = arguments.first(where: { $0.hasPrefix("-") }) {
      // Not a directory name: `--help` must not create a directory called `--help`.
      let known = option == "-h" || option == "--help"
      let usage = "usage: stream-echo [TRACE-DIRECTORY]   (default ./stream-echo-trace)\n"
      FileHandle.standardError.write(Data(((known ? "" : "unknown option \(option)\n") + usage).utf8))
      exit(known ? 0 : 2)
    }
    let directory = arguments.first ?? "./stream-echo-trace"
    try Recorder.start(directory: directory + "/logs", role: "stream-echo")
    defer { Recorder.finish() }

    let path = "/tmp/stream-echo-\(getpid()).socket"
    let address = try UnixAddress(path: path)
    try SocketFile.removeStale(at: path)
    let listener = try SocketDescriptor.open(.unix, .stream)
    try listener.bind(to: address)
    try listener.listen(backlog: 1)

    let client = try SocketDescriptor.open(.unix, .stream)
    try client.connect(to: address)
    let (connection, _) = try listener.accept()

    var buffer = [UInt8](repeating: 0, count: 64)
    for line in ["hello", "stream"] {
      _ = try client.send(Array(line.utf8))
      let got = try buffer.withUnsafeMutableBytes { try connection.receive(into: $0) }
      _ = try connection.send(Array(buffer[..<got.count]))
      let echoed = try buffer.withUnsafeMutableBytes { try client.receive(into: $0) }
      print("echoed:", String(decoding: buffer[..<echoed.count], as: UTF8.self))
    }
    try client.shutdown(.write)
    for socket in [client, connection, listener] { try socket.close() }
    try SocketFile.unlink(path)
    print("recorded into \(directory)/logs; merge with: sockscope merge \(directory)")
  }
}
