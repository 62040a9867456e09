import Testing

@testable import SockScopeTrace

@Suite("Trace lines written through raw pointers")
struct JSONLineBufferTests {
  /// Events with everything a line can hold: text that needs escaping (quotes, controls, U+2028,
  /// C1 controls), bytes that are not text (hex), cut payloads, failures, flows and call sites.
  func events(count: Int) -> [TraceEvent] {
    var generator = SplitMix64(seed: 2028)
    let pieces: [[UInt8]] = [
      Array("plain".utf8), Array("\"q\"\\".utf8), [0x0A, 0x09, 0x01, 0x7F], [0xE2, 0x80, 0xA8],
      [0xC2, 0x85], [0xFF, 0x00, 0x80], Array("Лев".utf8), Array(String(repeating: "y", count: 40).utf8),
    ]
    let shared = CallSiteBox(CallSite(file: "a \"b\".py", line: 3, function: "main"), encoded: true)
    return (0..<count).map { n in
      var bytes: [UInt8] = []
      for _ in 0..<Int(generator.next() % 4) { bytes += pieces[Int(generator.next() % UInt64(pieces.count))] }
      let cut = generator.next() % 5 == 0
      var event = TraceEvent(
        index: n, time: generator.next() >> 1, duration: generator.next() % 1000, pid: Int32(n % 7),
        seq: UInt64(n), role: n % 3 == 0 ? "server" : "client\u{2028}#2", call: n % 2 == 0 ? .send : .recv,
        fd: n % 5 == 0 ? nil : 4, arguments: .message(MessageArguments(length: Int64(bytes.count))),
        ret: Int64(bytes.count),
        failure: n % 11 == 0 ? CallFailure(name: "EAGAIN", message: "Resource temporarily unavailable") : nil,
        socket: SocketIdentity(inode: UInt64(n), peer: n % 2 == 0 ? 9 : nil),
        data: Payload(
          length: UInt64(bytes.count + (cut ? 10 : 0)), bytes: bytes, datagramLength: cut ? 99 : nil),
        flow: n % 2 == 0 ? n + 1 : nil, flows: n % 2 == 1 ? [n, n + 2] : [])
      if n % 13 == 0 { event.flowCandidates = [n, n + 1] }
      if n % 4 == 0 { event.sourceBox = shared }
      if n % 4 == 1 { event.source = CallSite(module: "/lib/x.so", offset: UInt64(n)) }
      return event
    }
  }

  @Test("each line is the bytes JSONWriter writes for the event, however small the buffer starts")
  func sameBytesAsWriter() {
    let (lines, expected) = writtenBothWays(events(count: 500))
    #expect(lines == expected)
  }

  @Test("a whole trace, encoded a batch per core, is its lines in order")
  func wholeTraceInOrder() {
    // More than four batches, so that several threads encode it.
    let trace = Trace(header: TraceHeader(t0: 0), events: events(count: 20_000))
    var expected = JSONWriter()
    expected.object(trace.header.json)
    expected.bytes.append(0x0A)
    for event in trace.events {
      event.write(to: &expected)
      expected.bytes.append(0x0A)
    }
    #expect(TraceFile.encodedBytes(trace) == expected.bytes)
  }

  @Test("a payload is written as the text or hex the escaping writer gives, for bytes at every boundary")
  func payloadTextOrHex() {
    // Printable ASCII and its neighbours, what must be escaped, and UTF-8 that is or is not text.
    let alphabet: [[UInt8]] = [
      [0x20], [0x7E], [0x7F], [0x1F], [0x22], [0x5C], Array("abcdefgh".utf8), [0x0A], [0x80], [0xC2, 0x85],
      [0xC3, 0xA9], [0xE2, 0x80, 0xA8], [0xFF],
    ]
    var generator = SplitMix64(seed: 64)
    for _ in 0..<3000 {
      var bytes: [UInt8] = []
      for _ in 0..<Int(generator.next() % 12) {
        // Mostly plain letters, so that long plain runs with one odd byte at any offset occur.
        let pick = generator.next() % 4 == 0 ? Int(generator.next() % UInt64(alphabet.count)) : 6
        bytes += alphabet[pick].prefix(Int(generator.next() % 8) + 1)
      }
      var expected = JSONWriter()
      expected.raw(#"{"len":"#)
      expected.int(Int64(bytes.count))
      expected.raw(#","captured":"#)
      expected.int(Int64(bytes.count))
      if bytes.withUnsafeBufferPointer(UTF8Validation.isText) {
        expected.raw(#","text":"#)
        bytes.withUnsafeBufferPointer { expected.putString(utf8: $0) }
      } else {
        expected.raw(#","hex":""#)
        expected.bytes += bytes.hexBytes
        expected.raw(#"""#)
      }
      expected.raw("}")
      var written = JSONWriter()
      Payload(length: UInt64(bytes.count), bytes: bytes).write(to: &written)
      #expect(written.bytes == expected.bytes, "bytes \(bytes)")
    }
  }

  @Test("roles and calls are written as their own bytes, however many and whatever they equal as text")
  func namesByTheirBytes() {
    // "café" twice, composed and decomposed: equal as Swift strings, different bytes on disk. More
    // names than the buffer keeps escaped, one needing escapes.
    let roles = ["caf\u{E9}", "cafe\u{301}", "a \"quoted\" role"] + (0..<40).map { "client#\($0)" }
    let (lines, expected) = writtenBothWays(
      (0..<400).map { n in
        TraceEvent(
          index: n, time: UInt64(n), pid: 1, role: roles[(n * 7) % roles.count],
          call: n % 3 == 0 ? .epollWait : .send)
      })
    #expect(lines == expected)
    // Both spellings reached the lines (`String.contains` would equate them too).
    let decomposed: [UInt8] = [0x65, 0xCC, 0x81]
    #expect(expected.indices.contains { expected[$0...].starts(with: decomposed) })
    #expect(expected.indices.contains { expected[$0...].starts(with: [0xC3, 0xA9]) })
  }

  @Test("numbers are written in decimal at every count of digits, on both sides of each power of ten")
  func numbersAtEveryWidth() {
    var values: [UInt64] = [0, 1, 9, UInt64.max, UInt64.max - 1]
    var power: UInt64 = 10
    for _ in 1...19 {
      values += [power - 1, power, power + 1] + (power <= UInt64.max / 2 ? [power * 2 - 1] : [])
      power = power &* 10
    }
    var generator = SplitMix64(seed: 10)
    for _ in 0..<2000 { values.append(generator.next() >> (generator.next() % 64)) }
    // After a few bytes already written, so that digits land at an offset.
    let wrong = values.filter { v in
      let buffer = JSONLineBuffer(capacity: 1)
      buffer.put(UInt8(ascii: "["))
      buffer.putUnsigned(v)
      return String(decoding: buffer.bytes, as: UTF8.self) != "[\(v)"
        || JSONLineBuffer.decimalDigits(v) != String(v).count
    }
    #expect(wrong.isEmpty, "written wrongly: \(wrong.prefix(5))")
  }

  @Test("pieces of every length up to past two words are copied whole, in order")
  func piecesOfEveryLength() {
    let buffer = JSONLineBuffer(capacity: 3)
    var expected: [UInt8] = []
    for length in 0...40 {
      let piece = (0..<length).map { UInt8(truncatingIfNeeded: 0x41 + ($0 + length) % 26) }
      piece.withUnsafeBufferPointer { buffer.put($0) }
      expected += piece
    }
    #expect(buffer.bytes == expected)
  }

  @Test("lines written into an array made in place are the same whether they fit or outgrow it")
  func arrayMadeInPlace() {
    let events = events(count: 300)
    var expected = JSONWriter()
    for event in events { event.write(to: &expected) }
    for capacity in [0, 1, 100, 1 << 20] {
      let made = JSONLineBuffer.bytes(capacity: capacity) { sink in
        var sink = sink
        for event in events { event.write(into: &sink) }
      }
      #expect(made == expected.bytes, "capacity \(capacity)")
    }
  }
}

/// `events` written through one line buffer, and each through the escaping writer: what the two
/// made, to compare.
private func writtenBothWays(_ events: [TraceEvent]) -> (lines: [UInt8], expected: [UInt8]) {
  let buffer = JSONLineBuffer(capacity: 1)
  var expected: [UInt8] = []
  for event in events {
    var w = JSONWriter()
    event.write(to: &w)
    expected += w.bytes
    var sink = buffer
    event.write(into: &sink)
  }
  return (buffer.bytes, expected)
}
