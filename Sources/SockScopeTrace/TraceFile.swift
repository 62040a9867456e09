import Foundation
import Synchronization

/// What reading a trace produced: the events that could be read and every problem found.
public struct TraceReadResult: Sendable {
  /// The trace with every valid event. When the header is unusable, a stand-in header is used and
  /// a problem says so: valid events are never thrown away because of a bad neighbour.
  public var trace: Trace
  /// Every line that is not valid, with its line number and what is wrong.
  public var problems: [TraceProblem]
  /// Where the file's events break the causal order (docs/trace-format.md, "The order of
  /// events"): a file written before the order was defined lists a blocking receive before its
  /// send. `trace` is already put in causal order, so views can use it; `validate` reports these.
  public var orderProblems: [TraceProblem] = []

  /// Whether the file is a valid trace.
  public var isValid: Bool { problems.isEmpty }

  /// A read result.
  public init(trace: Trace, problems: [TraceProblem], orderProblems: [TraceProblem] = []) {
    self.trace = trace
    self.problems = problems
    self.orderProblems = orderProblems
  }
}

/// An error that stops a trace or a log from being read at all (the file cannot be opened).
public struct TraceFileError: Error, Sendable, CustomStringConvertible {
  /// The file that could not be read.
  public var path: String
  /// Why, with the fix when there is one.
  public var message: String
  /// The system call's errno, when one failed.
  public var errno: Int32?
  /// Whether the path was refused before anything was done (it is an input of the command, a
  /// link, a directory): a usage error, not a failure of the system.
  public var isRefusal = false
  /// `trace.jsonl: cannot open: ...`.
  public var description: String { "\(path): \(message)" }

  /// An error about `path`.
  public init(path: String, message: String, errno: Int32? = nil, isRefusal: Bool = false) {
    self.path = path
    self.message = message
    self.errno = errno
    self.isRefusal = isRefusal
  }
}

/// Reads and writes `trace.jsonl` files.
public enum TraceFile {
  /// The name of a merged trace inside a trace directory.
  public static let fileName = "trace.jsonl"

  /// Parses the bytes of a trace file; `file` names it in problems.
  public static func parse(_ bytes: [UInt8], file: String) -> TraceReadResult {
    bytes.withUnsafeBufferPointer { parse($0, file: file) }
  }

  /// What one piece of a file held besides its events: the line of each event, and the problems
  /// and header found on its lines. Line numbers count from the piece's start.
  private struct Piece: Sendable {
    var eventCount = 0
    var eventLines: [Int] = []
    var notes: [(line: Int, field: String?, message: String)] = []
    var header: TraceHeader?
    var lines = 0
  }

  /// Memory shared with the threads that read pieces of a file; each thread touches only its
  /// own range, and all of it outlives them.
  private struct Shared: @unchecked Sendable {
    let bytes: UnsafeBufferPointer<UInt8>
    let slots: UnsafeMutablePointer<TraceEvent>
  }

  /// `pieces` overrides how many pieces the file is read in (tests check that it does not
  /// matter).
  package static func parse(
    _ buffer: UnsafeBufferPointer<UInt8>, file: String, pieces: Int? = nil
  ) -> TraceReadResult {
    var problems: [TraceProblem] = []
    func report(_ line: Int, _ field: String?, _ message: String) {
      problems.append(TraceProblem(file: file, line: line, field: field, message: message))
    }
    guard !buffer.isEmpty else {
      report(0, nil, "the file is empty: a trace starts with a header line")
      let header = TraceHeader(t0: 0, problems: ["the header line was missing or invalid"])
      return TraceReadResult(trace: Trace(header: header, events: []), problems: problems)
    }

    // Lines are read in parallel, a piece of the file per core, each piece's events placed
    // straight into the final array at the slot of the piece's first line, then closed up; what
    // depends on earlier lines (numbering, time order, flow ids) is checked afterwards, in order.
    let pieceCount =
      pieces ?? (buffer.count < 1 << 20 ? 1 : min(ProcessInfo.processInfo.activeProcessorCount, 8))
    let bounds = pieceBounds(buffer, pieces: pieceCount)
    let lineCounts = bounds.map { lineCount(buffer, $0) }
    let firstSlot = lineCounts.indices.map { lineCounts[..<$0].reduce(0, +) }
    let lineTotal = lineCounts.reduce(0, +)
    let results = Mutex([Piece?](repeating: nil, count: bounds.count))
    var events = [TraceEvent](unsafeUninitializedCapacity: lineTotal) { storage, initialized in
      guard let slots = storage.baseAddress else { return }
      let shared = Shared(bytes: buffer, slots: slots)
      let readOne = { @Sendable (n: Int) in
        let piece = readPiece(shared.bytes, bounds[n], isFirst: n == 0, into: shared.slots + firstSlot[n])
        results.withLock { $0[n] = piece }
      }
      // One piece (any file under a megabyte) is read here: handing it to a thread costs more.
      if bounds.count == 1 {
        readOne(0)
      } else {
        DispatchQueue.concurrentPerform(iterations: bounds.count, execute: readOne)
      }
      for (n, piece) in results.withLock({ $0 }).enumerated() {
        let count = piece?.eventCount ?? 0
        if firstSlot[n] != initialized {
          (slots + initialized).moveInitialize(from: slots + firstSlot[n], count: count)
        }
        initialized += count
      }
    }
    let pieceResults = results.withLock { all in all.map { $0 ?? Piece() } }

    var header: TraceHeader?
    var sendFlows = IDSet()
    var receiveFlowRefs: [(line: Int, flow: Int)] = []
    var eventLineNumbers: [Int] = []
    eventLineNumbers.reserveCapacity(events.count)
    var processes = ProcessTally()
    var firstLine = 1
    var k = 0
    for piece in pieceResults {
      header = header ?? piece.header
      var next = 0
      func reportNotes(through line: Int) {
        while next < piece.notes.count, piece.notes[next].line <= line {
          let note = piece.notes[next]
          report(firstLine + note.line - 1, note.field, note.message)
          next += 1
        }
      }
      for eventLine in piece.eventLines {
        let lineNumber = firstLine + eventLine - 1
        reportNotes(through: eventLine)
        // Checked only while no earlier line was dropped, so one bad line yields one problem, not
        // one per line after it.
        if problems.isEmpty && events[k].index != k {
          report(lineNumber, "index", "expected \(k) (events are numbered from 0 in file order)")
        }
        eventLineNumbers.append(lineNumber)
        let call = events[k].call
        if let flow = events[k].flow {
          if !call.sendsData {
            report(lineNumber, "flow", "only a send carries \"flow\"; a receive carries \"flows\"")
          }
          if !sendFlows.insert(flow) { report(lineNumber, "flow", "flow id \(flow) is used twice") }
        }
        if events[k].flowCount > 0 {
          if !call.receivesData { report(lineNumber, "flows", "only a receive carries \"flows\"") }
          events[k].forEachFlow { f in receiveFlowRefs.append((lineNumber, f)) }
        }
        checkReturn(events[k], line: lineNumber, report: report)
        processes.add(pid: events[k].pid, seq: events[k].seq, line: lineNumber)
        events[k].index = k
        k += 1
      }
      reportNotes(through: .max)
      firstLine += piece.lines
    }
    for ref in receiveFlowRefs where !sendFlows.contains(ref.flow) {
      report(ref.line, "flows", "flow id \(ref.flow) matches no send in this trace")
    }
    if let header {
      let unreadable = lineTotal - events.count - 1
      for p in processes.problems(against: header, unreadable: unreadable) {
        report(p.line, p.field, p.message)
      }
    }
    let resolvedHeader =
      header
      ?? TraceHeader(t0: events.first?.time ?? 0, problems: ["the header line was missing or invalid"])
    // Version 1 traces list events by start time: that is their rule. They are read in causal
    // order all the same, so every view shows cause before effect.
    let orderProblems =
      resolvedHeader.version < 2
      ? startTimeOrderProblems(&events, lines: eventLineNumbers, file: file)
      : putInCausalOrder(&events, lines: eventLineNumbers, file: file)
    var trace = Trace(header: resolvedHeader, events: events)
    // Whatever version the file was, the events are now in causal order: version 2.
    trace.header.version = TraceHeader.currentVersion
    // A trace written before every process had its own name may list one role for several.
    if Set(trace.header.processes.map(\.role)).count < trace.header.processes.count {
      ParticipantNames.assign(&trace.header.processes, events: &trace.events)
    }
    return TraceReadResult(trace: trace, problems: problems, orderProblems: orderProblems)
  }

  /// A call's return and what it recorded agree: a failed call returns -1, one that succeeded 0 or
  /// more, and a call that moved data returned how many bytes it moved (a receive the program
  /// itself asked for MSG_TRUNC returns the datagram's real size instead, so it is not checked).
  /// Without this, a player would explain a send that "returned -5" as a datagram queued.
  static func checkReturn(_ e: TraceEvent, line: Int, report: (Int, String?, String) -> Void) {
    if e.failure != nil {
      if e.ret != -1 { report(line, "ret", "a failed call returns -1, this one \(e.ret)") }
      return
    }
    if e.ret < 0 {
      report(
        line, "ret",
        "\(e.ret) is a failure, but the line has no errno: a call that succeeded returns 0 or more")
      return
    }
    let programTruncates = e.arguments.messageFlags?.contains(.truncate) ?? false
    if e.call.sendsData || e.call.receivesData || e.call == .output,
      !(e.call.receivesData && programTruncates),
      let data = e.data, data.length != UInt64(e.ret)
    {
      report(line, "data.len", "the call moved \(data.length) bytes but returned \(e.ret): they must agree")
    }
  }

  /// The most order problems listed for one file: an old file can have one per blocking receive.
  static let orderProblemLimit = 20

  /// Checks a version 1 trace's rule (t_ns never decreases), then puts its events in causal order.
  static func startTimeOrderProblems(
    _ events: inout [TraceEvent], lines: [Int], file: String
  )
    -> [TraceProblem]
  {
    var listed: [TraceProblem] = []
    for k in events.indices.dropFirst() where events[k].time < events[k - 1].time {
      if listed.count == orderProblemLimit {
        listed.append(
          TraceProblem(file: file, line: 0, field: nil, message: "and more events whose t_ns decreases"))
        break
      }
      listed.append(
        TraceProblem(
          file: file, line: k < lines.count ? lines[k] : 0, field: "t_ns",
          message: "t_ns \(events[k].time) is before the previous event's \(events[k - 1].time): a version 1 "
            + "trace lists events by start time"))
    }
    if !CausalOrder.violations(events).isEmpty { CausalOrder.apply(&events) }
    return listed
  }

  /// Checks that `events` are in causal order; when they are not, puts them in it and returns
  /// where the file broke it (at most `orderProblemLimit`, then a count of the rest).
  static func putInCausalOrder(_ events: inout [TraceEvent], lines: [Int], file: String) -> [TraceProblem] {
    let found = CausalOrder.violations(events)
    guard !found.isEmpty else { return [] }
    var listed = found.prefix(orderProblemLimit).map { v in
      TraceProblem(
        file: file, line: v.position < lines.count ? lines[v.position] : 0, field: v.field,
        message: v.message
          + " (events must be in causal order; sockscope reads the trace in that order anyway, and "
          + "`sockscope merge DIR` writes it in order from the run's logs)")
    }
    if found.count > orderProblemLimit {
      listed.append(
        TraceProblem(
          file: file, line: 0, field: nil,
          message: "and \(found.count - orderProblemLimit) more steps out of causal order"))
    }
    CausalOrder.apply(&events)
    return listed
  }

  /// The number of lines in `range`, a last line without a newline included.
  private static func lineCount(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int {
    guard let base = buffer.baseAddress else { return 0 }
    var count = 0
    var start = range.lowerBound
    while start < range.upperBound {
      count += 1
      start = lineEnd(base, start..<range.upperBound) + 1
    }
    return count
  }

  /// Where the line starting at `range.lowerBound` ends: its newline, or `range.upperBound`.
  private static func lineEnd(_ base: UnsafePointer<UInt8>, _ range: Range<Int>) -> Int {
    guard let newline = memchr(base + range.lowerBound, 0x0A, range.count) else { return range.upperBound }
    return base.distance(to: newline.assumingMemoryBound(to: UInt8.self))
  }

  /// Splits `buffer` into about `pieces` ranges that each end after a newline (or at the end).
  private static func pieceBounds(_ buffer: UnsafeBufferPointer<UInt8>, pieces: Int) -> [Range<Int>] {
    var bounds: [Range<Int>] = []
    var start = 0
    for n in 1...pieces {
      var end = n == pieces ? buffer.count : max(start, buffer.count * n / pieces)
      while end < buffer.count, end > 0, buffer[end - 1] != 0x0A { end += 1 }
      if end > start { bounds.append(start..<end) }
      start = end
    }
    return bounds
  }

  /// Reads the lines of one piece: each is an event, a header (line 1 of the file) or problems.
  private static func readPiece(
    _ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, isFirst: Bool,
    into slots: UnsafeMutablePointer<TraceEvent>
  ) -> Piece {
    var piece = Piece()
    guard let base = buffer.baseAddress else { return piece }
    piece.eventLines.reserveCapacity(range.count / 256)
    func add(_ event: TraceEvent, line: Int) {
      (slots + piece.eventCount).initialize(to: event)
      piece.eventCount += 1
      piece.eventLines.append(line)
    }
    var start = range.lowerBound
    var lineNumber = 0
    var sites = FastEventDecoder.CallSites()
    while start < range.upperBound {
      let end = lineEnd(base, start..<range.upperBound)
      lineNumber += 1
      let line = UnsafeBufferPointer(rebasing: buffer[start..<end])
      let endsWithNewline = end < buffer.count
      start = end + 1
      let isHeaderLine = isFirst && lineNumber == 1
      if !isHeaderLine, let event = FastEventDecoder.event(line, sites: &sites) {
        add(event, line: lineNumber)
        continue
      }
      let outcome = decodeLine(line, isHeader: isHeaderLine, endsWithNewline: endsWithNewline)
      for p in outcome.problems { piece.notes.append((lineNumber, p.field, p.message)) }
      if isHeaderLine && outcome.event == nil { piece.header = outcome.header }
      if let event = outcome.event { add(event, line: lineNumber) }
    }
    piece.lines = lineNumber
    return piece
  }

  /// What one line held, read the thorough way, every problem explained.
  package struct LineOutcome {
    package var event: TraceEvent?
    package var header: TraceHeader?
    package var problems: [(field: String?, message: String)] = []
  }

  /// Reads one line with the JSON reader and `LineDecoder`: what `FastEventDecoder` leaves to it,
  /// and what the fuzz target compares it with. `isHeader` says the line is the file's first.
  package static func decodeLine(
    _ line: UnsafeBufferPointer<UInt8>, isHeader: Bool, endsWithNewline: Bool = true
  ) -> LineOutcome {
    var outcome = LineOutcome()
    func note(_ field: String?, _ message: String) { outcome.problems.append((field, message)) }
    if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
      note(nil, "empty line (each line must hold one JSON object)")
      return outcome
    }
    let value: JSONValue
    do {
      value = try JSONValue.parse(line)
    } catch {
      let cut =
        endsWithNewline ? "" : " (the last line has no newline: the file was probably cut while written)"
      note(nil, "not valid JSON at \(error)\(cut)")
      return outcome
    }
    guard let object = value.objectValue else {
      note(nil, "expected a JSON object, found \(value.typeName)")
      return outcome
    }
    if isHeader {
      if object["format"] == nil && object["call"] != nil {
        note(nil, "line 1 must be the trace header ({\"format\": \"sockscope-trace\", ...}); found an event")
      } else {
        var decoder = LineDecoder()
        outcome.header = decoder.header(object)
        for p in decoder.problems { note(p.field, p.message) }
        return outcome
      }
    }
    if object["format"] != nil && object["call"] == nil {
      note(nil, "a second header; only line 1 may be a header")
      return outcome
    }
    var decoder = LineDecoder()
    outcome.event = decoder.event(object)
    if outcome.event == nil { for p in decoder.problems { note(p.field, p.message) } }
    return outcome
  }
}
