import Foundation

/// What reading a trace produced: the events that could be read and every problem found.
public struct TraceReadResult: Sendable {
  /// The trace with every valid event. When the header is unusable, a stand-in header is used and
  /// a problem says so: valid events are never thrown away because of a bad neighbour.
  public var trace: Trace
  public var problems: [TraceProblem]

  /// Whether the file is a valid trace.
  public var isValid: Bool { problems.isEmpty }
}

/// An error that stops a trace from being read at all (the file cannot be opened).
public struct TraceFileError: Error, Sendable, CustomStringConvertible {
  public var path: String
  public var message: String
  public var description: String { "\(path): \(message)" }
}

/// Reads and writes `trace.jsonl` files.
public enum TraceFile {
  /// The name of a merged trace inside a trace directory.
  public static let fileName = "trace.jsonl"

  /// Reads a trace. `path` is a `trace.jsonl` file or a trace directory; a directory is read from
  /// its `trace.jsonl` when present, else merged from its per-process logs.
  public static func read(path: String) throws(TraceFileError) -> TraceReadResult {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw TraceFileError(path: path, message: "no such file or directory")
    }
    if isDirectory.boolValue {
      let merged = (path as NSString).appendingPathComponent(fileName)
      if FileManager.default.fileExists(atPath: merged) { return try read(path: merged) }
      let result = try TraceMerger.merge(directory: path)
      return TraceReadResult(trace: result.trace, problems: [])
    }
    return parse(try FileIO.readAll(path), file: path)
  }

  /// Parses the bytes of a trace file; `file` names it in problems.
  public static func parse(_ bytes: [UInt8], file: String) -> TraceReadResult {
    var problems: [TraceProblem] = []
    var header: TraceHeader?
    var events: [TraceEvent] = []
    var lineNumber = 0
    var start = 0
    var sendFlows = Set<Int>()
    var receiveFlowRefs: [(line: Int, flow: Int)] = []
    var lastTime: UInt64 = 0

    func report(_ line: Int, _ field: String?, _ message: String) {
      problems.append(TraceProblem(file: file, line: line, field: field, message: message))
    }

    while start < bytes.count || (lineNumber == 0 && bytes.isEmpty) {
      var end = start
      while end < bytes.count, bytes[end] != 0x0A { end += 1 }
      lineNumber += 1
      let line = bytes[start..<end]
      let endsWithNewline = end < bytes.count
      start = end + 1
      if bytes.isEmpty { break }
      if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
        report(lineNumber, nil, "empty line (each line must hold one JSON object)")
        continue
      }
      let value: JSONValue
      do {
        value = try JSONValue.parse(line)
      } catch {
        let cut =
          endsWithNewline ? "" : " (the last line has no newline: the file was probably cut while written)"
        report(lineNumber, nil, "not valid JSON at \(error)\(cut)")
        continue
      }
      guard let object = value.objectValue else {
        report(lineNumber, nil, "expected a JSON object, found \(value.typeName)")
        continue
      }
      var decoder = LineDecoder()
      if lineNumber == 1 {
        if object["format"] == nil && object["call"] != nil {
          report(
            1, nil, "line 1 must be the trace header ({\"format\": \"sockscope-trace\", ...}); found an event"
          )
        } else {
          header = decoder.header(object)
          for p in decoder.problems { report(1, p.field, p.message) }
          continue
        }
        decoder = LineDecoder()
      }
      if object["format"] != nil && object["call"] == nil {
        report(lineNumber, nil, "a second header; only line 1 may be a header")
        continue
      }
      guard var event = decoder.event(object) else {
        for p in decoder.problems { report(lineNumber, p.field, p.message) }
        continue
      }
      // Checked only while no earlier line was dropped, so one bad line yields one problem, not one per
      // line after it.
      if problems.isEmpty && event.index != events.count {
        report(lineNumber, "index", "expected \(events.count) (events are numbered from 0 in file order)")
      }
      if event.time < lastTime {
        report(
          lineNumber, "t_ns",
          "goes back in time (\(event.time) < \(lastTime)): events must be ordered by t_ns")
      }
      lastTime = max(lastTime, event.time)
      if let flow = event.flow {
        if !event.call.sendsData {
          report(lineNumber, "flow", "only a send carries \"flow\"; a receive carries \"flows\"")
        }
        if !sendFlows.insert(flow).inserted { report(lineNumber, "flow", "flow id \(flow) is used twice") }
      }
      if !event.flows.isEmpty && !event.call.receivesData {
        report(lineNumber, "flows", "only a receive carries \"flows\"")
      }
      for f in event.flows { receiveFlowRefs.append((lineNumber, f)) }
      event.index = events.count
      events.append(event)
    }
    if bytes.isEmpty { report(0, nil, "the file is empty: a trace starts with a header line") }
    for ref in receiveFlowRefs where !sendFlows.contains(ref.flow) {
      report(ref.line, "flows", "flow id \(ref.flow) matches no send in this trace")
    }
    let resolvedHeader =
      header
      ?? TraceHeader(t0: events.first?.time ?? 0, problems: ["the header line was missing or invalid"])
    return TraceReadResult(trace: Trace(header: resolvedHeader, events: events), problems: problems)
  }

  /// The whole trace as JSON Lines text.
  public static func encode(_ trace: Trace) -> String {
    String(decoding: encodedBytes(trace), as: UTF8.self)
  }

  /// The whole trace as JSON Lines, UTF-8.
  public static func encodedBytes(_ trace: Trace) -> [UInt8] {
    var w = JSONWriter(capacity: 340 * (trace.events.count + 1))
    encodeLines(trace, into: &w) { _ in }
    return w.bytes
  }

  /// Writes the trace to `path` atomically: readers never see half a file, and a failure leaves
  /// nothing behind.
  public static func write(_ trace: Trace, to path: String) throws(TraceFileError) {
    try FileIO.writeAtomically(path) { (w, flush) throws(TraceFileError) in
      try encodeLines(trace, into: &w, flush: flush)
    }
  }

  /// Appends the trace's lines to `w`, handing it to `flush` whenever it holds a megabyte.
  static func encodeLines<E: Error>(
    _ trace: Trace, into w: inout JSONWriter, flush: (inout JSONWriter) throws(E) -> Void
  ) throws(E) {
    w.object(trace.header.json)
    w.bytes.append(0x0A)
    for event in trace.events {
      event.write(to: &w)
      w.bytes.append(0x0A)
      if w.bytes.count >= 1 << 20 { try flush(&w) }
    }
  }
}
