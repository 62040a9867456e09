import Foundation
import SockScopeTrace
import Testing

@testable import SockScopeExport

/// A two-process trace: a server binds, a client sends `payload` to it, the server receives it;
/// the client's second send is never received.
func exchange(payload: String, role: String = "client") -> Trace {
  let bytes = Array(payload.utf8)
  let events = [
    TraceEvent(
      time: 100, pid: 10, seq: 0, role: "server", call: .bind, fd: 3,
      args: ["addr": .object(["path": .string("./echo.socket")]), "addrlen": .int(16)],
      socket: SocketIdentity(inode: 1)),
    TraceEvent(
      time: 200, duration: 50, pid: 20, seq: 0, role: role, call: .send, fd: 4,
      args: ["len": .int(Int64(bytes.count)), "flags": .string("0")], ret: Int64(bytes.count),
      socket: SocketIdentity(inode: 2, peer: 1), data: Payload(length: UInt64(bytes.count), bytes: bytes),
      flow: 1),
    TraceEvent(
      time: 150, duration: 200, pid: 10, seq: 1, role: "server", call: .recv, fd: 3,
      args: ["len": .int(1024), "flags": .string("0")], ret: Int64(bytes.count),
      socket: SocketIdentity(inode: 1),
      data: Payload(length: UInt64(bytes.count), bytes: bytes, datagramLength: UInt64(bytes.count)),
      flows: [1]),
    TraceEvent(
      time: 400, duration: 10, pid: 20, seq: 1, role: role, call: .send, fd: 4,
      args: ["len": .int(2), "flags": .string("0")], ret: 2, socket: SocketIdentity(inode: 2, peer: 1),
      data: Payload(length: 2, bytes: [0, 0xFF]), flow: 2),
  ]
  var indexed = events
  for i in indexed.indices { indexed[i].index = i }
  return Trace(
    header: TraceHeader(
      t0: 100, started: "2026-11-30T10:00:00.000Z",
      processes: [TracedProcess(pid: 10, role: "server"), TracedProcess(pid: 20, role: role)]),
    events: indexed)
}

/// Text (it is valid UTF-8 without control characters, so the trace keeps it as text) that means
/// something to Mermaid, PlantUML, HTML or Graphviz.
let hostile = "<b>**x**</b>; #35; %% \\N --s-- ~~u~~ \"q\" [[l]] @start"

@Suite("Exports for other tools")
struct ExportTests {
  @Test("a Mermaid diagram has one participant per process and an arrow per received datagram")
  func mermaidShape() {
    let text = MermaidExport.text(exchange(payload: "Лев"))
    let lines = text.split(separator: "\n").map(String.init)
    #expect(lines.first == "sequenceDiagram")
    #expect(lines.filter { $0.hasPrefix("    participant ") }.count == 2)
    #expect(lines.contains("    p20->>p10: «Лев» (6 B)"))
    #expect(lines.contains { $0.contains("Note over p20: send(00 ff) (not received in this trace)") })
  }

  @Test("Mermaid text from the trace cannot end a statement, start an entity or carry HTML or escapes")
  func mermaidEscaping() throws {
    let text = MermaidExport.text(exchange(payload: hostile, role: "cli;ent#<i>\u{1B}]0;title\u{7}"))
    // Text is characters Mermaid takes literally, or entity codes.
    let literal = #"(?:[^;<>%#\n]|#(?:\d+|lt|gt|amp);)"#
    let statement = try Regex(
      #"    (?:participant p\d+ as "# + literal + #"+|p\d+->>p\d+: "# + literal + #"*|Note over p\d+: "#
        + literal
        + "*)")
    for line in text.split(separator: "\n").dropFirst() {
      #expect(line.wholeMatch(of: statement) != nil, "\(line)")
    }
    #expect(text.contains("#lt;b#gt;"))
    #expect(!text.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 })
  }

  @Test("PlantUML text from the trace is written as entities, never as Creole markup")
  func plantUMLEscaping() throws {
    let text = PlantUMLExport.text(exchange(payload: hostile))
    #expect(text.hasPrefix("@startuml\n") && text.hasSuffix("@enduml\n"))
    let message = try #require(text.split(separator: "\n").first { $0.hasPrefix("p20 -> p10 : ") })
    let label = message.dropFirst("p20 -> p10 : ".count)
    for markup in ["**", "--", "~~", "<b>", "[[", "\"", "\\N", "@start", "&#"] {
      #expect(!label.contains(markup), "\(markup) in \(label)")
    }
    #expect(label.contains("<U+002A><U+002A>x<U+002A><U+002A>"))
  }

  @Test("Chrome trace JSON has a slice per call with its duration and a flow from send to receive")
  func perfettoShape() throws {
    let bytes = PerfettoExport.bytes(exchange(payload: "Лев"))
    let json = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    let events = try #require(json["traceEvents"] as? [[String: Any]])
    let slices = events.filter { $0["ph"] as? String == "X" }
    #expect(slices.count == 4)
    let recv = try #require(slices.first { $0["name"] as? String == "recv" })
    #expect(recv["dur"] as? Double == 0.2)
    #expect(recv["ts"] as? Double == 0.05)
    let starts = events.filter { $0["ph"] as? String == "s" }
    let ends = events.filter { $0["ph"] as? String == "f" }
    #expect(starts.count == 1 && ends.count == 1)
    #expect(starts.first?["id"] as? Int == 1 && ends.first?["id"] as? Int == 1)
    #expect(ends.first?["bp"] as? String == "e")
    // The arrow's end lies within the receive's slice and not before its start.
    let endTs = try #require(ends.first?["ts"] as? Double)
    let startTs = try #require(starts.first?["ts"] as? Double)
    #expect(endTs >= startTs && endTs >= 0.05 && endTs <= 0.25)
    let names = events.filter { $0["ph"] as? String == "M" }.compactMap {
      ($0["args"] as? [String: Any])?["name"] as? String
    }
    #expect(names.contains("server (pid 10)") && names.contains("client (pid 20)"))
  }

  @Test("pcapng: a section, an interface per sending socket, a packet per send with its bytes and time")
  func pcapngBlocks() throws {
    let bytes = PcapNGExport.bytes(exchange(payload: "Лев"))
    var blocks: [(type: UInt32, body: ArraySlice<UInt8>)] = []
    var offset = 0
    func u32(_ at: Int) -> UInt32 {
      UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3])
        << 24
    }
    while offset < bytes.count {
      let type = u32(offset)
      let length = Int(u32(offset + 4))
      #expect(length % 4 == 0 && length >= 12)
      #expect(u32(offset + length - 4) == UInt32(length), "trailing length repeats the leading one")
      blocks.append((type, bytes[(offset + 8)..<(offset + length - 4)]))
      offset += length
    }
    #expect(offset == bytes.count)
    #expect(blocks.map(\.type) == [0x0A0D_0D0A, 1, 6, 6])
    let first = blocks[2].body
    let start = first.startIndex
    let captured = Int(u32(start + 12))
    #expect(captured == 6)
    #expect(Array(bytes[(start + 20)..<(start + 26)]) == Array("Лев".utf8))
    // 2026-11-30T10:00:00Z plus the send's end (150 ns after t0), in nanoseconds.
    let high = UInt64(u32(start + 4))
    let low = UInt64(u32(start + 8))
    #expect(high << 32 | low == 1_796_032_800_000_000_150)
  }
}
