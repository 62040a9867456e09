import Foundation
import SockScopeTrace

/// pcapng that Wireshark and tshark read: one packet per send that moved data, with its payload
/// (as much as was captured), its time to the nanosecond, and a comment naming the process, the
/// descriptor, the socket and where the data went. UNIX sockets have no link type of their own, so
/// packets use LINKTYPE_USER0 (147), as sockdump does; one interface per sending socket.
enum PcapNGExport {
  static let linkTypeUser0: UInt16 = 147

  static func bytes(_ trace: Trace) -> [UInt8] {
    var out: [UInt8] = []
    section(&out)
    let epochOfT0 = epochNanoseconds(trace.header.started) ?? 0
    let receiverOfFlow = trace.flowIndex.receive
    var interfaceOf: [InterfaceKey: UInt32] = [:]
    for e in trace.events where e.call.sendsData && e.failure == nil {
      guard let data = e.data else { continue }
      let key = InterfaceKey(e)
      let interface: UInt32
      if let known = interfaceOf[key] {
        interface = known
      } else {
        interface = UInt32(interfaceOf.count)
        interfaceOf[key] = interface
        interfaceDescription(&out, name: key.name(e))
      }
      var comment = "\(e.role) pid \(e.pid) fd \(e.fd.map(String.init) ?? "?") \(e.call.rawValue)"
      if let ino = e.socket?.inode { comment += " socket \(ino)" }
      if let path = e.addressPath { comment += " to \(path)" }
      if let source = e.recordedSource { comment += " at \(source.shown)" }
      if let flow = e.flow, let receiver = receiverOfFlow[flow] {
        comment +=
          " → received by \(receiver.role) pid \(receiver.pid) (\(receiver.call.rawValue), trace event \(receiver.index)"
          + (receiver.recordedSource.map { " at \($0.shown)" } ?? "") + ")"
      } else {
        comment += " → not received in this trace"
      }
      let relative = Int64(bitPattern: e.endTime &- trace.header.t0)
      let when = UInt64(clamping: epochOfT0 + relative)
      enhancedPacket(
        &out, interface: interface, nanoseconds: when, data: data.bytes,
        originalLength: UInt32(clamping: data.length), comment: comment)
    }
    return out
  }

  /// Packets of one sending socket share an interface (or, without inodes, one process's descriptor).
  struct InterfaceKey: Hashable {
    var inode: UInt64
    var pid: Int32
    var fd: Int32

    init(_ e: TraceEvent) {
      inode = e.socket?.inode ?? 0
      pid = inode == 0 ? e.pid : 0
      fd = inode == 0 ? (e.fd ?? -1) : 0
    }

    func name(_ e: TraceEvent) -> String {
      inode != 0
        ? "unix socket \(inode) (\(e.role), pid \(e.pid), fd \(e.fd.map(String.init) ?? "?"))"
        : "\(e.role), pid \(e.pid), fd \(e.fd.map(String.init) ?? "?")"
    }
  }

  /// Nanoseconds since 1970 of the header's `started` (ISO 8601 UTC with milliseconds).
  static func epochNanoseconds(_ started: String?) -> Int64? {
    guard let started else { return nil }
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    guard let date = formatter.date(from: started) else { return nil }
    return Int64((date.timeIntervalSince1970 * 1000).rounded()) * 1_000_000
  }

  static func section(_ out: inout [UInt8]) {
    var body: [UInt8] = []
    u32(&body, 0x1A2B_3C4D)  // byte-order magic
    u16(&body, 1)
    u16(&body, 0)
    u64(&body, UInt64.max)  // section length: not given
    option(&body, code: 4, Array("sockscope".utf8))  // shb_userappl
    endOfOptions(&body)
    block(&out, type: 0x0A0D_0D0A, body: body)
  }

  static func interfaceDescription(_ out: inout [UInt8], name: String) {
    var body: [UInt8] = []
    u16(&body, linkTypeUser0)
    u16(&body, 0)
    u32(&body, 0)  // snaplen: no limit
    option(&body, code: 2, Array(name.utf8))  // if_name
    option(&body, code: 9, [9])  // if_tsresol: 10^-9 s
    endOfOptions(&body)
    block(&out, type: 1, body: body)
  }

  static func enhancedPacket(
    _ out: inout [UInt8], interface: UInt32, nanoseconds: UInt64, data: [UInt8], originalLength: UInt32,
    comment: String
  ) {
    var body: [UInt8] = []
    u32(&body, interface)
    u32(&body, UInt32(truncatingIfNeeded: nanoseconds >> 32))
    u32(&body, UInt32(truncatingIfNeeded: nanoseconds))
    u32(&body, UInt32(data.count))
    u32(&body, max(originalLength, UInt32(data.count)))
    body += data
    pad(&body)
    option(&body, code: 1, Array(comment.utf8))  // opt_comment
    endOfOptions(&body)
    block(&out, type: 6, body: body)
  }

  static func block(_ out: inout [UInt8], type: UInt32, body: [UInt8]) {
    let total = UInt32(12 + body.count)
    u32(&out, type)
    u32(&out, total)
    out += body
    u32(&out, total)
  }

  static func option(_ out: inout [UInt8], code: UInt16, _ value: [UInt8]) {
    u16(&out, code)
    u16(&out, UInt16(clamping: value.count))
    out += value.prefix(Int(UInt16.max))
    pad(&out)
  }

  static func endOfOptions(_ out: inout [UInt8]) { u32(&out, 0) }

  static func pad(_ out: inout [UInt8]) {
    while out.count % 4 != 0 { out.append(0) }
  }

  static func u16(_ out: inout [UInt8], _ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
  static func u32(_ out: inout [UInt8], _ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
  static func u64(_ out: inout [UInt8], _ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
}
