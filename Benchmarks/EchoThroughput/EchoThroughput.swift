// The Swift datagram pair for `make bench`, on SockScope's socket layer: this process receives,
// a child process (this program again, with --send) sends. Recording is on with --trace DIR.
// Usage: echo-throughput COUNT SIZE SOCKET_PATH [--trace DIR]
// Prints: datagrams seconds
import Foundation
import Glibc
import SockScopeSockets

@main
struct EchoThroughput {
  static func main() throws {
    var arguments = Array(CommandLine.arguments.dropFirst())
    var trace: String?
    if let i = arguments.firstIndex(of: "--trace"), i + 1 < arguments.count {
      trace = arguments[i + 1]
      arguments.removeSubrange(i...(i + 1))
    }
    let sending = arguments.first == "--send"
    if sending { arguments.removeFirst() }
    guard arguments.count == 3, let count = Int(arguments[0]), let size = Int(arguments[1]) else {
      FileHandle.standardError.write(
        Data("usage: echo-throughput COUNT SIZE SOCKET_PATH [--trace DIR]\n".utf8))
      exit(2)
    }
    let address = try UnixAddress(path: arguments[2])
    if let trace { try Recorder.start(directory: trace, role: sending ? "client" : "server") }
    defer { Recorder.finish() }
    var buffer = [UInt8](repeating: 0x61, count: max(size, 1024))

    if sending {
      let client = try SocketDescriptor.open(.unix, .datagram)
      try client.connect(to: address)
      try buffer.withUnsafeBytes { raw in
        let message = UnsafeRawBufferPointer(rebasing: raw.prefix(size))
        for _ in 0..<count { _ = try client.send(message) }
      }
      try client.close()
      return
    }

    try SocketFile.removeStale(at: arguments[2])
    let server = try SocketDescriptor.open(.unix, .datagram)
    try server.bind(to: address)
    let start = Date()
    let child = Process()
    child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
    child.arguments = ["--send"] + arguments + (trace.map { ["--trace", $0] } ?? [])
    try child.run()
    try buffer.withUnsafeMutableBytes { raw in
      let receive = UnsafeMutableRawBufferPointer(rebasing: raw.prefix(1024))
      for _ in 0..<count { _ = try server.receive(into: receive) }
    }
    let elapsed = Date().timeIntervalSince(start)
    child.waitUntilExit()
    try server.close()
    try SocketFile.unlink(arguments[2])
    print(count, String(format: "%.6f", elapsed))
  }
}
