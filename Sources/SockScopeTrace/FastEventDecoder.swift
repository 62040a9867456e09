import Glibc

/// Reads a well-formed event line straight into a `TraceEvent`, without building a JSON tree
/// for it: the fast path that lets a million-event trace load in about a second.
///
/// It accepts only lines that `LineDecoder` accepts, and produces the same event; for anything
/// else (a problem to report, an unknown key, a duplicate, a number with a fraction) it returns
/// nil and `LineDecoder` decides and explains. The fuzz target `trace-reader` checks that the
/// two agree on every input it makes.
enum FastEventDecoder {
  private struct Bail: Error {}

  static func event(_ line: UnsafeBufferPointer<UInt8>) -> TraceEvent? {
    var sites = CallSites()
    return event(line, sites: &sites)
  }

  /// The event of `line`; its call site shared with the earlier events of `sites` that have it.
  static func event(_ line: UnsafeBufferPointer<UInt8>, sites: inout CallSites) -> TraceEvent? {
    var p = JSONParser(bytes: line)
    do {
      return try event(&p, sites: &sites)
    } catch {
      return nil
    }
  }

  /// The call sites met so far, each boxed once: a program calls from few places, and a box of its
  /// own per event (96 bytes and its strings) was a fifth of a loaded trace's memory.
  struct CallSites {
    private var boxes: [CallSite: CallSiteBox] = [:]

    mutating func box(_ site: CallSite) -> CallSiteBox {
      if let known = boxes[site] { return known }
      let box = CallSiteBox(site)
      // Bounded: a trace whose every call comes from another place gains nothing from sharing.
      if boxes.count < 65_536 { boxes[site] = box }
      return box
    }
  }

  private static func event(_ p: inout JSONParser, sites: inout CallSites) throws(Bail) -> TraceEvent? {
    p.skipSpace()
    guard p.consume(UInt8(ascii: "{")) else { return nil }
    var index: Int64?
    var time: Int64?
    var duration: Int64?
    var pid: Int64?
    var tid: Int64?
    var seq: Int64?
    var role: String?
    var call: SocketCall?
    var fd: Int64?
    var args: JSONObject?
    var ret: Int64?
    var errnoName: String?
    var message: String?
    var socket: SocketIdentity?
    var data: Payload?
    var flow: Int64?
    var flows: [Int] = []
    var hasFlows = false
    var source: CallSite?
    var nextKey = 0

    repeat {
      p.skipSpace()
      guard let key = p.plainString() else { throw Bail() }
      p.skipSpace()
      guard p.consume(UInt8(ascii: ":")) else { throw Bail() }
      p.skipSpace()
      switch Key(key, next: &nextKey) {
      case .index: try once(&index, int(&p, minimum: 0))
      case .time: try once(&time, int(&p, minimum: 0))
      case .duration: try once(&duration, int(&p, minimum: 0))
      case .pid: try once(&pid, int(&p))
      case .tid: try once(&tid, int(&p))
      case .seq: try once(&seq, int(&p, minimum: 0))
      case .role: try once(&role, string(&p))
      case .call:
        guard let c = SocketCall(rawValue: try string(&p)) else { throw Bail() }
        try once(&call, c)
      case .fd: try once(&fd, int(&p))
      case .args:
        guard args == nil, let o = (try? p.parseValue(depth: 1))?.objectValue else { throw Bail() }
        var check = LineDecoder()
        check.checkArgs(o)
        guard check.problems.isEmpty else { throw Bail() }
        args = o
      case .ret: try once(&ret, int(&p))
      case .errno:
        let name = try string(&p)
        guard LineDecoder.isErrnoName(name) else { throw Bail() }
        try once(&errnoName, name)
      case .error: try once(&message, string(&p))
      case .sock: try once(&socket, identity(&p))
      case .data: try once(&data, payload(&p))
      case .flow: try once(&flow, int(&p, minimum: 1))
      case .flows:
        guard !hasFlows, p.consume(UInt8(ascii: "[")) else { throw Bail() }
        hasFlows = true
        p.skipSpace()
        if !p.consume(UInt8(ascii: "]")) {
          repeat {
            p.skipSpace()
            flows.append(Int(try int(&p, minimum: 1)))
            p.skipSpace()
          } while p.consume(UInt8(ascii: ","))
          guard p.consume(UInt8(ascii: "]")) else { throw Bail() }
        }
      case .source: try once(&source, callSite(&p))
      case nil: throw Bail()
      }
      p.skipSpace()
    } while p.consume(UInt8(ascii: ","))
    guard p.consume(UInt8(ascii: "}")) else { throw Bail() }
    p.skipSpace()
    guard p.i == p.bytes.count else { throw Bail() }

    guard let index, let time, let duration, let pid, let tid, let seq, let role, let call, let args,
      let ret, (errnoName == nil) == (message == nil)
    else { return nil }
    var event = TraceEvent(
      read: (index, time, duration, pid, tid, seq), role: role, call: call, fd: fd, args: args, ret: ret,
      errno: errnoName, error: message, socket: socket, data: data, flow: flow, flows: flows)
    event.sourceBox = source.map { sites.box($0) }
    return event
  }

  private static func callSite(_ p: inout JSONParser) throws(Bail) -> CallSite {
    var location = CallSite()
    var seen: Set<String> = []
    try members(&p) { (key, p) throws(Bail) in
      let name = String(decoding: key, as: UTF8.self)
      guard seen.insert(name).inserted else { throw Bail() }
      switch name {
      case "file": location.file = try string(&p)
      case "line": location.line = Int(clamping: try int(&p, minimum: 1))
      case "function": location.function = try string(&p)
      case "module": location.module = try string(&p)
      case "offset": location.offset = UInt64(try int(&p, minimum: 0))
      default: throw Bail()
      }
    }
    return location
  }

  private static func once<T>(_ slot: inout T?, _ value: T) throws(Bail) {
    guard slot == nil else { throw Bail() }  // A duplicate key: the JSON reader reports it.
    slot = value
  }

  private static func int(_ p: inout JSONParser, minimum: Int64 = .min) throws(Bail) -> Int64 {
    guard let v = p.plainInteger(), v >= minimum else { throw Bail() }
    return v
  }

  private static func string(_ p: inout JSONParser) throws(Bail) -> String {
    guard p.i < p.bytes.count, p.bytes[p.i] == UInt8(ascii: "\""), let s = try? p.parseString() else {
      throw Bail()
    }
    return s
  }

  private static func identity(_ p: inout JSONParser) throws(Bail) -> SocketIdentity {
    var inode: Int64?
    var peer: Int64?
    try members(&p) { (key, p) throws(Bail) in
      if equal(key, "ino") {
        try once(&inode, int(&p, minimum: 0))
      } else if equal(key, "peer") {
        try once(&peer, int(&p, minimum: 0))
      } else {
        throw Bail()
      }
    }
    guard let inode else { throw Bail() }
    return SocketIdentity(inode: UInt64(inode), peer: peer.map { UInt64($0) })
  }

  private static func payload(_ p: inout JSONParser) throws(Bail) -> Payload {
    var length: Int64?
    var captured: Int64?
    var bytes: [UInt8]?
    var truncated: Bool?
    var datagram: Int64?
    try members(&p) { (key, p) throws(Bail) in
      if equal(key, "len") {
        try once(&length, int(&p, minimum: 0))
      } else if equal(key, "captured") {
        try once(&captured, int(&p, minimum: 0))
      } else if equal(key, "text") {
        guard bytes == nil else { throw Bail() }
        if let plain = p.plainString() {
          bytes = Array(plain)
        } else {
          bytes = Array(try string(&p).utf8)
        }
      } else if equal(key, "hex") {
        guard bytes == nil, let hex = p.plainString(), hex.count % 2 == 0 else { throw Bail() }
        var out = [UInt8]()
        out.reserveCapacity(hex.count / 2)
        var k = 0
        while k < hex.count {
          guard let high = lowerHex(hex[k]), let low = lowerHex(hex[k + 1]) else { throw Bail() }
          out.append(high << 4 | low)
          k += 2
        }
        bytes = out
      } else if equal(key, "truncated") {
        let value: Bool
        if p.bytes[p.i...].starts(with: "true".utf8) {
          value = true
        } else if p.bytes[p.i...].starts(with: "false".utf8) {
          value = false
        } else {
          throw Bail()
        }
        p.i += value ? 4 : 5
        try once(&truncated, value)
      } else if equal(key, "datagram_len") {
        try once(&datagram, int(&p, minimum: 0))
      } else {
        throw Bail()
      }
    }
    guard let length, let captured, let bytes, Int64(bytes.count) == captured, captured <= length else {
      throw Bail()
    }
    return Payload(length: UInt64(length), bytes: bytes, datagramLength: datagram.map { UInt64($0) })
  }

  /// Reads `{"key": value, ...}`, handing each key to `member` with the reader at its value.
  private static func members(
    _ p: inout JSONParser, _ member: (UnsafeBufferPointer<UInt8>, inout JSONParser) throws(Bail) -> Void
  ) throws(Bail) {
    guard p.consume(UInt8(ascii: "{")) else { throw Bail() }
    p.skipSpace()
    if p.consume(UInt8(ascii: "}")) { return }
    repeat {
      p.skipSpace()
      guard let key = p.plainString() else { throw Bail() }
      p.skipSpace()
      guard p.consume(UInt8(ascii: ":")) else { throw Bail() }
      p.skipSpace()
      try member(key, &p)
      p.skipSpace()
    } while p.consume(UInt8(ascii: ","))
    guard p.consume(UInt8(ascii: "}")) else { throw Bail() }
  }

  private static func lowerHex(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
    default: nil
    }
  }

  static func equal(_ key: UnsafeBufferPointer<UInt8>, _ name: StaticString) -> Bool {
    guard key.count == name.utf8CodeUnitCount else { return false }
    if key.count <= 8 {
      return packed(key) == packed(UnsafeBufferPointer(start: name.utf8Start, count: key.count))
    }
    guard let base = key.baseAddress else { return true }
    return memcmp(base, name.utf8Start, key.count) == 0
  }

  /// A key of at most 8 bytes as one number, so that telling keys apart is one comparison.
  static func packed(_ key: UnsafeBufferPointer<UInt8>) -> UInt64 {
    var v: UInt64 = 0
    for (k, b) in key.enumerated() { v |= UInt64(b) << (8 * UInt64(k)) }
    return v
  }

  /// The keys of an event line.
  private enum Key: CaseIterable {
    case index, time, duration, pid, tid, seq, role, call, fd, args, ret, errno, error, sock, data, flow,
      flows, source

    var name: StaticString {
      switch self {
      case .index: "index"
      case .time: "t_ns"
      case .duration: "dur_ns"
      case .pid: "pid"
      case .tid: "tid"
      case .seq: "seq"
      case .role: "role"
      case .call: "call"
      case .fd: "fd"
      case .args: "args"
      case .ret: "ret"
      case .errno: "errno"
      case .error: "error"
      case .sock: "sock"
      case .data: "data"
      case .flow: "flow"
      case .flows: "flows"
      case .source: "source"
      }
    }

    // Every key is at most 8 bytes: packed, they are distinct numbers. In the order the writer
    // puts them, so that a line sockscope wrote finds each key at the first try.
    static let table: [(packed: UInt64, key: Key)] = allCases.map { key in
      (
        FastEventDecoder.packed(
          UnsafeBufferPointer(start: key.name.utf8Start, count: key.name.utf8CodeUnitCount)), key
      )
    }

    /// The key named `key`; `next` is where in `table` to look first, and is moved past it.
    init?(_ key: UnsafeBufferPointer<UInt8>, next: inout Int) {
      guard key.count <= 8 else { return nil }
      let v = FastEventDecoder.packed(key)
      let table = Key.table
      var i = next < table.count && table[next].packed == v ? next : 0
      while i < table.count, table[i].packed != v { i += 1 }
      guard i < table.count else { return nil }
      self = table[i].key
      next = i + 1
    }
  }
}
