// The mapping between the model and the JSON of one trace line. Decoding checks every field as
// Resources/trace.schema.json does and reports each problem with its field path, so `validate`, the
// player and the renderers all accept exactly the same lines.

/// A problem found in a trace: where it is and what is wrong.
public struct TraceProblem: Sendable, Equatable, CustomStringConvertible {
  /// The file, as the user named it.
  public var file: String
  /// 1-based line number, or 0 when the problem concerns the whole file.
  public var line: Int
  /// The field path, such as `args.addr.path`, when one field is at fault.
  public var field: String?
  /// What is wrong, in a sentence.
  public var message: String

  /// A problem at `line` of `file`.
  public init(file: String, line: Int, field: String? = nil, message: String) {
    self.file = file
    self.line = line
    self.field = field
    self.message = message
  }

  /// `trace.jsonl:3: args.addr.path: expected a string`.
  public var description: String {
    let place = line > 0 ? "\(file):\(line)" : file
    if let field { return "\(place): field \"\(field)\": \(message)" }
    return "\(place): \(message)"
  }
}

extension TraceEvent {
  /// Appends the event as one trace line's object (no newline), keys in documented order.
  public func write(to w: inout JSONWriter) {
    w.raw(#"{"index":"#)
    w.int(Int64(index))
    w.raw(#","t_ns":"#)
    w.int(Int64(clamping: time))
    w.raw(#","dur_ns":"#)
    w.int(Int64(clamping: duration))
    w.raw(#","pid":"#)
    w.int(Int64(pid))
    w.raw(#","tid":"#)
    w.int(Int64(tid))
    w.raw(#","seq":"#)
    w.int(Int64(clamping: seq))
    w.raw(#","role":"#)
    w.string(role)
    w.raw(#","call":"#)
    w.string(call.rawValue)
    if let fd {
      w.raw(#","fd":"#)
      w.int(Int64(fd))
    }
    w.raw(#","args":"#)
    arguments.write(to: &w, call: call, unread: unreadArguments)
    w.raw(#","ret":"#)
    w.int(ret)
    if let failure {
      w.raw(#","errno":"#)
      w.string(failure.name)
      w.raw(#","error":"#)
      w.string(failure.message)
    }
    if let socket {
      w.raw(#","sock":"#)
      socket.write(to: &w)
    }
    if let data {
      w.raw(#","data":"#)
      data.write(to: &w)
    }
    if let flow {
      w.raw(#","flow":"#)
      w.int(Int64(flow))
    }
    if !flows.isEmpty {
      w.raw(#","flows":"#)
      w.bytes.append(UInt8(ascii: "["))
      for (n, f) in flows.enumerated() {
        if n > 0 { w.bytes.append(UInt8(ascii: ",")) }
        w.int(Int64(f))
      }
      w.bytes.append(UInt8(ascii: "]"))
    }
    if !flowCandidates.isEmpty {
      w.raw(#","flow_candidates":"#)
      w.bytes.append(UInt8(ascii: "["))
      for (n, f) in flowCandidates.enumerated() {
        if n > 0 { w.bytes.append(UInt8(ascii: ",")) }
        w.int(Int64(f))
      }
      w.bytes.append(UInt8(ascii: "]"))
    }
    if let box = sourceBox, !box.site.isEmpty {
      w.raw(#","source":"#)
      if let json = box.json {
        w.bytes.append(contentsOf: json)
      } else {
        box.site.write(to: &w)
      }
    }
    w.bytes.append(UInt8(ascii: "}"))
  }
}

extension CallSite {
  func write(to w: inout JSONWriter) {
    var first = true
    func key(_ name: String, _ w: inout JSONWriter) {
      w.bytes.append(UInt8(ascii: first ? "{" : ","))
      w.string(name)
      w.bytes.append(UInt8(ascii: ":"))
      first = false
    }
    if let file {
      key("file", &w)
      w.string(file)
    }
    if let line {
      key("line", &w)
      w.int(Int64(line))
    }
    if let function {
      key("function", &w)
      w.string(function)
    }
    if let module {
      key("module", &w)
      w.string(module)
    }
    if let offset {
      key("offset", &w)
      w.int(Int64(clamping: offset))
    }
    w.bytes.append(UInt8(ascii: "}"))
  }
}

extension SocketIdentity {
  func write(to w: inout JSONWriter) {
    w.raw(#"{"ino":"#)
    w.int(Int64(clamping: inode))
    if let peer {
      w.raw(#","peer":"#)
      w.int(Int64(clamping: peer))
    }
    w.bytes.append(UInt8(ascii: "}"))
  }
}

extension Payload {
  func write(to w: inout JSONWriter) {
    w.raw(#"{"len":"#)
    w.int(Int64(clamping: length))
    w.raw(#","captured":"#)
    w.int(Int64(bytes.count))
    if isText {
      w.raw(#","text":"#)
      bytes.withUnsafeBufferPointer { w.string(utf8: $0) }
    } else {
      w.raw(#","hex":"#)
      w.bytes.append(UInt8(ascii: "\""))
      w.bytes.append(contentsOf: bytes.hexBytes)
      w.bytes.append(UInt8(ascii: "\""))
    }
    if isTruncated {
      w.raw(#","truncated":"#)
      w.raw("true")
    }
    if let datagramLength {
      w.raw(#","datagram_len":"#)
      w.int(Int64(clamping: datagramLength))
    }
    w.bytes.append(UInt8(ascii: "}"))
  }

  /// The payload as a trace line's `data` object, read back from what `write` appends, so field
  /// names and order have one source.
  var json: JSONObject {
    var w = JSONWriter()
    write(to: &w)
    // What JSONWriter writes is JSON; the fallback only keeps this total.
    return (try? JSONValue.parse(w.bytes))?.objectValue ?? JSONObject()
  }
}

extension TraceHeader {
  /// The header as the first line's object.
  public var json: JSONObject {
    var o = JSONObject()
    o["format"] = .string("sockscope-trace")
    o["version"] = .int(Int64(version))
    o["clock"] = .string("CLOCK_MONOTONIC")
    o["t0_ns"] = .int(Int64(clamping: t0))
    if let started { o["started"] = .string(started) }
    if let captureLimit { o["capture_limit"] = .int(Int64(captureLimit)) }
    if let maxDatagramQueueLength { o["max_dgram_qlen"] = .int(Int64(maxDatagramQueueLength)) }
    o["processes"] = .array(
      processes.map { p in
        var po = JSONObject()
        po["pid"] = .int(Int64(p.pid))
        po["ppid"] = .int(Int64(p.ppid))
        po["role"] = .string(p.role)
        if let asked = p.requestedRole { po["requested_role"] = .string(asked) }
        po["exe"] = .string(p.executable)
        po["events"] = .int(Int64(p.events))
        po["ended"] = .string(p.ending.rawValue)
        if p.dropped > 0 { po["dropped"] = .int(Int64(clamping: p.dropped)) }
        if let signal = p.signal { po["signal"] = .string(signal) }
        if let status = p.exitStatus { po["exit_status"] = .int(Int64(status)) }
        return .object(po)
      })
    if !problems.isEmpty { o["problems"] = .array(problems.map { .string($0) }) }
    return o
  }
}

extension Array where Element == UInt8 {
  /// Lower-case hex, two digits a byte.
  public var hexString: String { String(decoding: hexBytes, as: UTF8.self) }

  /// Lower-case hex as UTF-8 bytes.
  var hexBytes: [UInt8] {
    let digits: StaticString = "0123456789abcdef"
    var out = [UInt8]()
    out.reserveCapacity(count * 2)
    digits.withUTF8Buffer { digits in
      for b in self {
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 0xF)])
      }
    }
    return out
  }

  /// Bytes from lower- or upper-case hex; nil when `hex` is not an even run of hex digits.
  public init?(hex: String) {
    var bytes: [UInt8] = []
    var high: UInt8?
    for c in hex.utf8 {
      let v: UInt8
      switch c {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c - UInt8(ascii: "a") + 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): v = c - UInt8(ascii: "A") + 10
      default: return nil
      }
      if let h = high {
        bytes.append(h << 4 | v)
        high = nil
      } else {
        high = v
      }
    }
    guard high == nil else { return nil }
    self = bytes
  }
}

extension TraceEvent {
  /// An event from the fields of a line, as both line readers (`LineDecoder`, `FastEventDecoder`)
  /// read and checked them: numbers as JSON integers, within their ranges.
  init(
    read numbers: (index: Int64, time: Int64, duration: Int64, pid: Int64, tid: Int64, seq: Int64),
    role: String,
    call: SocketCall, fd: Int64?, args: JSONObject, ret: Int64, errno: String?, error: String?,
    socket: SocketIdentity?, data: Payload?, flow: Int64?, flows: [Int]
  ) {
    self.init(
      index: Int(numbers.index), time: UInt64(numbers.time), duration: UInt64(numbers.duration),
      pid: Int32(truncatingIfNeeded: numbers.pid), tid: Int32(truncatingIfNeeded: numbers.tid),
      seq: UInt64(numbers.seq), role: role, call: call, fd: fd.map { Int32(truncatingIfNeeded: $0) },
      args: args,
      ret: ret, failure: errno.map { CallFailure(name: $0, message: error ?? "") }, socket: socket,
      data: data,
      flow: flow.map { Int($0) }, flows: flows)
  }
}

/// Reads one line's object, collecting every problem instead of stopping at the first.
struct LineDecoder {
  var problems: [(field: String?, message: String)] = []

  mutating func problem(_ field: String?, _ message: String) { problems.append((field, message)) }

  mutating func required(_ o: JSONObject, _ key: String, in path: String = "") -> JSONValue? {
    guard let v = o[key] else {
      problem(path + key, "missing (required)")
      return nil
    }
    return v
  }

  mutating func int(_ v: JSONValue?, _ field: String, minimum: Int64? = nil) -> Int64? {
    guard let v else { return nil }
    guard let i = v.intValue else {
      if case .double(let d) = v {
        // A whole number past 64-bit range is read as a double: say which rule it breaks.
        if d.rounded(.towardZero) == d, d.magnitude >= 0x1p63 {
          let shown = d.magnitude < 0x1p64 ? (d < 0 ? "-" : "") + String(UInt64(d.magnitude)) : "\(d)"
          problem(
            field, "\(shown) is out of range: a trace's integers lie between \(Int64.min) and \(Int64.max)")
        } else {
          problem(field, "expected an integer, found the number \(d)")
        }
      } else {
        problem(field, "expected an integer, found \(v.typeName)")
      }
      return nil
    }
    if let minimum, i < minimum {
      problem(field, "must be at least \(minimum), found \(i)")
      return nil
    }
    return i
  }

  mutating func string(_ v: JSONValue?, _ field: String) -> String? {
    guard let v else { return nil }
    guard let s = v.stringValue else {
      problem(field, "expected a string, found \(v.typeName)")
      return nil
    }
    return s
  }

  mutating func object(_ v: JSONValue?, _ field: String) -> JSONObject? {
    guard let v else { return nil }
    guard let o = v.objectValue else {
      problem(field, "expected an object, found \(v.typeName)")
      return nil
    }
    return o
  }

  // MARK: Header

  mutating func header(_ o: JSONObject) -> TraceHeader? {
    let format = string(required(o, "format"), "format")
    if let format, format != "sockscope-trace" {
      problem("format", "expected \"sockscope-trace\", found \"\(format)\"")
    }
    let version = int(required(o, "version"), "version", minimum: 1)
    if let version, version > Int64(TraceHeader.currentVersion) {
      problem(
        "version",
        "this trace is format version \(version); this sockscope reads versions 1 to \(TraceHeader.currentVersion): update sockscope"
      )
    }
    if let clock = string(required(o, "clock"), "clock"), clock != "CLOCK_MONOTONIC" {
      problem("clock", "expected \"CLOCK_MONOTONIC\", found \"\(clock)\"")
    }
    let t0 = int(required(o, "t0_ns"), "t0_ns", minimum: 0)
    let started = string(o["started"], "started")
    let capture = int(o["capture_limit"], "capture_limit", minimum: 0)
    let queueLength = int(o["max_dgram_qlen"], "max_dgram_qlen", minimum: 0)
    var processes: [TracedProcess] = []
    if let list = required(o, "processes") {
      if let items = list.arrayValue {
        for (n, item) in items.enumerated() {
          if let p = process(item, "processes[\(n)]") { processes.append(p) }
        }
      } else {
        problem("processes", "expected an array, found \(list.typeName)")
      }
    }
    var problemTexts: [String] = []
    if let list = o["problems"] {
      if let items = list.arrayValue {
        for (n, item) in items.enumerated() {
          if let s = string(item, "problems[\(n)]") { problemTexts.append(s) }
        }
      } else {
        problem("problems", "expected an array, found \(list.typeName)")
      }
    }
    guard problems.isEmpty, let version, let t0 else { return nil }
    var header = TraceHeader(
      version: Int(version), t0: UInt64(t0), started: started, captureLimit: capture.map { Int($0) },
      processes: processes, problems: problemTexts)
    header.maxDatagramQueueLength = queueLength.map { Int(clamping: $0) }
    return header
  }

  mutating func process(_ v: JSONValue, _ path: String) -> TracedProcess? {
    guard let o = object(v, path) else { return nil }
    let pid = int(required(o, "pid", in: path + "."), path + ".pid")
    let ppid = int(o["ppid"], path + ".ppid")
    let role = string(required(o, "role", in: path + "."), path + ".role")
    let exe = string(o["exe"], path + ".exe")
    let asked = string(o["requested_role"], path + ".requested_role")
    let events = int(required(o, "events", in: path + "."), path + ".events", minimum: 0)
    let endedText = string(required(o, "ended", in: path + "."), path + ".ended")
    let ending = endedText.flatMap(ProcessEnding.init(rawValue:))
    if let endedText, ending == nil {
      problem(
        path + ".ended",
        "expected \"closed\", \"exited\", \"killed\", \"running\" or \"cut\", found \"\(endedText)\"")
    }
    let dropped = int(o["dropped"], path + ".dropped", minimum: 0)
    let signal = string(o["signal"], path + ".signal")
    let exitStatus = int(o["exit_status"], path + ".exit_status", minimum: 0)
    guard let pid, let role, let events, let ending else { return nil }
    return TracedProcess(
      pid: Int32(truncatingIfNeeded: pid), ppid: Int32(truncatingIfNeeded: ppid ?? 0), role: role,
      executable: exe ?? "", events: Int(events), ending: ending, dropped: UInt64(dropped ?? 0),
      signal: signal, exitStatus: exitStatus.map { Int(clamping: $0) }, requestedRole: asked)
  }

  // MARK: Event

  mutating func event(_ o: JSONObject) -> TraceEvent? {
    let index = int(required(o, "index"), "index", minimum: 0)
    let time = int(required(o, "t_ns"), "t_ns", minimum: 0)
    let duration = int(required(o, "dur_ns"), "dur_ns", minimum: 0)
    let pid = int(required(o, "pid"), "pid")
    let tid = int(required(o, "tid"), "tid")
    let seq = int(required(o, "seq"), "seq", minimum: 0)
    let role = string(required(o, "role"), "role")
    let callName = string(required(o, "call"), "call")
    let call = callName.flatMap(SocketCall.init(rawValue:))
    if let callName, call == nil {
      problem(
        "call",
        "unknown call \"\(callName)\" (known: \(SocketCall.allCases.map(\.rawValue).joined(separator: ", ")))"
      )
    }
    let fd = int(o["fd"], "fd")
    let args = object(required(o, "args"), "args")
    if let args { checkArgs(args) }
    let ret = int(required(o, "ret"), "ret")
    let errnoName = string(o["errno"], "errno")
    let message = string(o["error"], "error")
    if let errnoName, !Self.isErrnoName(errnoName) {
      problem("errno", "expected an errno symbol such as \"ENOENT\", found \"\(errnoName)\"")
    }
    if (o["errno"] == nil) != (o["error"] == nil) {
      problem(o["errno"] == nil ? "errno" : "error", "\"errno\" and \"error\" go together")
    }
    let socket = o["sock"].flatMap { identity($0, "sock") }
    let data = o["data"].flatMap { payload($0, "data") }
    let flow = int(o["flow"], "flow", minimum: 1)
    var flows: [Int] = []
    if let list = o["flows"] {
      if let items = list.arrayValue {
        for (n, item) in items.enumerated() {
          if let f = int(item, "flows[\(n)]", minimum: 1) { flows.append(Int(f)) }
        }
      } else {
        problem("flows", "expected an array, found \(list.typeName)")
      }
    }
    var candidates: [Int] = []
    if let list = o["flow_candidates"] {
      if let items = list.arrayValue {
        for (n, item) in items.enumerated() {
          if let f = int(item, "flow_candidates[\(n)]", minimum: 1) { candidates.append(Int(f)) }
        }
      } else {
        problem("flow_candidates", "expected an array, found \(list.typeName)")
      }
    }
    let source = o["source"].flatMap { callSite($0, "source") }
    guard problems.isEmpty, let index, let time, let duration, let pid, let tid, let seq, let role, let call,
      let args, let ret
    else { return nil }
    var event = TraceEvent(
      read: (index, time, duration, pid, tid, seq), role: role, call: call, fd: fd, args: args, ret: ret,
      errno: errnoName, error: message, socket: socket, data: data, flow: flow, flows: flows)
    event.flowCandidates = candidates
    event.source = source
    return event
  }

  mutating func callSite(_ v: JSONValue, _ path: String) -> CallSite? {
    guard let o = object(v, path) else { return nil }
    for key in o.keys where !["file", "line", "function", "module", "offset"].contains(key) {
      problem(path + "." + key, "unknown key (known: file, line, function, module, offset)")
    }
    let line = int(o["line"], path + ".line", minimum: 1)
    let offset = int(o["offset"], path + ".offset", minimum: 0)
    return CallSite(
      file: string(o["file"], path + ".file"), line: line.map { Int(clamping: $0) },
      function: string(o["function"], path + ".function"), module: string(o["module"], path + ".module"),
      offset: offset.map { UInt64($0) })
  }

  static func isErrnoName(_ s: String) -> Bool {
    if s.hasPrefix("errno "), Int(s.dropFirst(6)) != nil { return true }
    let body = s.utf8.dropFirst()
    return s.hasPrefix("E") && !body.isEmpty
      && body.allSatisfy { ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) }
  }

  mutating func checkArgs(_ args: JSONObject) {
    for member in args {
      let field = "args." + member.key
      switch member.key {
      case "domain", "type", "flags", "msg_flags", "how", "path", "level", "optname":
        _ = string(member.value, field)
      case "protocol", "backlog", "value":
        _ = int(member.value, field)
      case "addrlen", "len", "ino", "optlen":
        _ = int(member.value, field, minimum: 0)
      case "fds":
        if let items = member.value.arrayValue, !items.isEmpty, items.allSatisfy({ $0.objectValue != nil }) {
          // poll: one object per descriptor asked about.
          for (n, item) in items.enumerated() { _ = int(item.objectValue?["fd"], "\(field)[\(n)].fd") }
        } else if let items = member.value.arrayValue, items.count == 2 {
          for (n, item) in items.enumerated() { _ = int(item, "\(field)[\(n)]") }
        } else {
          problem(field, "expected an array of two descriptors")
        }
      case "addr":
        _ = address(member.value, field)
      case "stream":
        if let s = string(member.value, field), s != "stdout", s != "stderr" {
          problem(field, "expected \"stdout\" or \"stderr\", found \"\(s)\"")
        }
      case "new_sock":
        _ = identity(member.value, field)
      default:
        break  // Unknown keys are allowed: newer writers may add arguments (docs/trace-format.md).
      }
    }
  }

  mutating func address(_ v: JSONValue, _ field: String) -> JSONObject? {
    guard let o = object(v, field) else { return nil }
    let kinds = ["path", "abstract", "unnamed", "family"].filter { o[$0] != nil }
    if kinds.count != 1 {
      problem(field, "an address has exactly one of \"path\", \"abstract\", \"unnamed\", \"family\"")
    }
    _ = string(o["path"], field + ".path")
    _ = string(o["abstract"], field + ".abstract")
    _ = string(o["family"], field + ".family")
    if let u = o["unnamed"], u != .bool(true) { problem(field + ".unnamed", "expected true") }
    _ = int(o["ino"], field + ".ino", minimum: 0)
    return o
  }

  mutating func identity(_ v: JSONValue, _ field: String) -> SocketIdentity? {
    guard let o = object(v, field) else { return nil }
    let ino = int(required(o, "ino", in: field + "."), field + ".ino", minimum: 0)
    let peer = int(o["peer"], field + ".peer", minimum: 0)
    guard let ino else { return nil }
    return SocketIdentity(inode: UInt64(ino), peer: peer.map { UInt64($0) })
  }

  mutating func payload(_ v: JSONValue, _ field: String) -> Payload? {
    guard let o = object(v, field) else { return nil }
    let length = int(required(o, "len", in: field + "."), field + ".len", minimum: 0)
    let captured = int(required(o, "captured", in: field + "."), field + ".captured", minimum: 0)
    let text = string(o["text"], field + ".text")
    let hex = string(o["hex"], field + ".hex")
    if o["truncated"] != nil, o["truncated"]?.boolValue == nil {
      problem(field + ".truncated", "expected a boolean")
    }
    let datagram = int(o["datagram_len"], field + ".datagram_len", minimum: 0)
    var bytes: [UInt8]?
    switch (text, hex) {
    case (let t?, nil): bytes = Array(t.utf8)
    case (nil, let h?):
      bytes = [UInt8](hex: h)
      if bytes == nil || h.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x46 }) {
        problem(field + ".hex", "expected lower-case hex digits, two a byte")
        bytes = nil
      }
    default:
      problem(field, "a payload has exactly one of \"text\" and \"hex\"")
    }
    guard let length, let captured, let bytes else { return nil }
    if Int64(bytes.count) != captured {
      problem(field + ".captured", "says \(captured) bytes but the text or hex holds \(bytes.count)")
    }
    if captured > length { problem(field + ".captured", "exceeds len (\(captured) > \(length))") }
    return Payload(length: UInt64(length), bytes: bytes, datagramLength: datagram.map { UInt64($0) })
  }
}
