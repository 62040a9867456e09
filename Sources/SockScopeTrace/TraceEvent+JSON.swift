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
  public func write(to w: inout JSONWriter) { write(into: &w) }

  /// `write(to:)` for any sink.
  func write<Sink: JSONSink>(into w: inout Sink) {
    withUnsafePointer(to: self) { Self.write($0, into: &w) }
  }

  /// Appends the event at `event` as one trace line's object: the trace writer encodes a
  /// million lines this way into a `JSONLineBuffer`, each event read where it lies. Passed as
  /// `self` instead, an event was copied (every reference it holds retained and released) to be
  /// lent to the arguments' writer, for each line.
  @inline(__always)
  static func write<Sink: JSONSink>(_ event: UnsafePointer<TraceEvent>, into w: inout Sink) {
    w.put(#"{"index":"#)
    w.putInt(Int64(event.pointee.index))
    w.put(#","t_ns":"#)
    w.putInt(Int64(clamping: event.pointee.time))
    w.put(#","dur_ns":"#)
    w.putInt(Int64(clamping: event.pointee.duration))
    w.put(#","pid":"#)
    w.putInt(Int64(event.pointee.pid))
    w.put(#","tid":"#)
    w.putInt(Int64(event.pointee.tid))
    w.put(#","seq":"#)
    w.putInt(Int64(clamping: event.pointee.seq))
    w.put(#","role":"#)
    w.putName(event.pointee.role)
    w.put(#","call":"#)
    w.putName(event.pointee.call.rawValue)
    if let fd = event.pointee.fd {
      w.put(#","fd":"#)
      w.putInt(Int64(fd))
    }
    w.put(#","args":"#)
    event.pointee.arguments.write(into: &w, call: event.pointee.call, unread: event.pointee.unreadArguments)
    w.put(#","ret":"#)
    w.putInt(event.pointee.ret)
    if let failure = event.pointee.failure {
      w.put(#","errno":"#)
      w.putString(failure.name)
      w.put(#","error":"#)
      w.putString(failure.message)
    }
    if let socket = event.pointee.socket {
      w.put(#","sock":"#)
      socket.write(into: &w)
    }
    if let data = event.pointee.data {
      w.put(#","data":"#)
      data.write(into: &w)
    }
    if let flow = event.pointee.flow {
      w.put(#","flow":"#)
      w.putInt(Int64(flow))
    }
    // A receive of one flow (nearly all) without the array `flows` makes: and not through
    // `forEachFlow`, whose closure, writing while the event is lent to it, made a copy of it.
    let flowCount = event.pointee.flowCount
    if flowCount > 0 {
      w.put(#","flows":"#)
      w.put(UInt8(ascii: "["))
      if flowCount == 1, let only = event.pointee.firstFlow {
        w.putInt(Int64(only))
      } else {
        for (n, f) in event.pointee.flows.enumerated() {
          if n > 0 { w.put(UInt8(ascii: ",")) }
          w.putInt(Int64(f))
        }
      }
      w.put(UInt8(ascii: "]"))
    }
    let candidates = event.pointee.flowCandidates
    if !candidates.isEmpty {
      w.put(#","flow_candidates":"#)
      w.put(UInt8(ascii: "["))
      for (n, f) in candidates.enumerated() {
        if n > 0 { w.put(UInt8(ascii: ",")) }
        w.putInt(Int64(f))
      }
      w.put(UInt8(ascii: "]"))
    }
    if let box = event.pointee.sourceBox, !box.site.isEmpty {
      w.put(#","source":"#)
      if let json = box.json {
        json.withUnsafeBufferPointer { w.put($0) }
      } else {
        w.embed(box) { box, w in box.site.write(to: &w) }
      }
    }
    w.put(UInt8(ascii: "}"))
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
  func write(to w: inout JSONWriter) { write(into: &w) }

  func write<Sink: JSONSink>(into w: inout Sink) {
    w.put(#"{"ino":"#)
    w.putInt(Int64(clamping: inode))
    if let peer {
      w.put(#","peer":"#)
      w.putInt(Int64(clamping: peer))
    }
    w.put(UInt8(ascii: "}"))
  }
}

extension Payload {
  func write(to w: inout JSONWriter) { write(into: &w) }

  func write<Sink: JSONSink>(into w: inout Sink) {
    w.put(#"{"len":"#)
    w.putInt(Int64(clamping: length))
    w.put(#","captured":"#)
    w.putInt(Int64(capturedCount))
    withUnsafeBufferPointer { bytes in
      if JSONWriter.isPlain(bytes) {
        // Printable ASCII with no quote or backslash: text, and written as it is, in one pass
        // instead of validating and then escaping.
        w.put(#","text":""#)
        w.put(bytes)
        w.put(UInt8(ascii: "\""))
      } else if UTF8Validation.isText(bytes) {
        w.put(#","text":"#)
        w.putString(utf8: bytes)
      } else {
        w.put(#","hex":"#)
        w.put(UInt8(ascii: "\""))
        w.putHex(bytes)
        w.put(UInt8(ascii: "\""))
      }
    }
    if isTruncated {
      w.put(#","truncated":"#)
      w.put("true")
    }
    if let datagramLength {
      w.put(#","datagram_len":"#)
      w.putInt(Int64(clamping: datagramLength))
    }
    w.put(UInt8(ascii: "}"))
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
