public import SockScopeTrace

/// A loop's control flow as the documented schematic draws it (its steps, the decisions between
/// them, the output steps), with how often the run took each branch and made each output.
///
/// A decision is evaluated on the data each pass's receive got, by the condition the schematic
/// writes (`if datagram`: at least one byte; `if "DONE"`: exactly these bytes); an output step
/// counts the recorded output events that wrote that data (as Python's `print` does: the bytes
/// and a newline, or `b'…'` for bytes).
public struct ControlFlow: Sendable, Equatable {
  public enum Item: Sendable, Equatable {
    /// A step of the column, by its index in `Column.steps`.
    case step(Int)
    case decision(Decision)
    case output(Output)
  }

  public struct Decision: Sendable, Equatable {
    public var label: String
    public var condition: DocumentedSchematic.Decision.Condition
    /// The branch that leaves the loop.
    public var exitsWhen: Bool
    /// Passes on which the condition held, and on which it did not (a pass that left the loop at
    /// an earlier decision never reaches this one).
    public var trueCount: Int
    public var falseCount: Int
    /// Passes that took the branch leaving the loop, yet the process received again: the run did
    /// not do what the schematic says.
    public var wentOn: Int
    /// The branch that leaves the loop, taken this many times.
    public var exits: Int { exitsWhen ? trueCount : falseCount }
    /// The branch that stays in the loop, taken this many times.
    public var stays: Int { exitsWhen ? falseCount : trueCount }
  }

  public struct Output: Sendable, Equatable {
    public var label: String
    /// Output events that wrote a pass's received data.
    public var count: Int
  }

  public var items: [Item]

  /// The flow of `column`'s loop from `role`'s documented loop, or nil when the column did not
  /// make the documented steps (with their arguments, in order) or the loop has no decision and
  /// no output step: then nothing the schematic says about branches applies to this run.
  init?(
    column: RunSchematic.Column, loop: RunSchematic.Loop, role: DocumentedSchematic.Role,
    schematic: DocumentedSchematic, trace: Trace
  ) {
    guard let documented = role.loop,
      documented.items.contains(where: { if case .step = $0 { false } else { true } }),
      Self.follows(column, loop: loop, role: role, socketPath: schematic.socketPath)
    else { return nil }
    // The steps of the loop, in the documented order, with the decisions and outputs between.
    var items: [Item] = []
    var stepIndex = loop.range.lowerBound
    var receive: Int?
    for item in documented.items {
      switch item {
      case .step(let s):
        if receive == nil, s.call == "recv" { receive = stepIndex }
        items.append(.step(stepIndex))
        stepIndex += 1
      case .decision(let d):
        items.append(
          .decision(
            Decision(
              label: d.label, condition: d.condition, exitsWhen: d.exitsWhen, trueCount: 0, falseCount: 0,
              wentOn: 0)))
      case .output(let o):
        items.append(.output(Output(label: o.label, count: 0)))
      }
    }
    guard let receive else { return nil }
    self.items = items
    evaluate(receives: Set(column.steps[receive].events), pids: Set(column.pids), trace: trace)
  }

  /// Counts each decision's branches and each output step over the passes of the loop.
  private mutating func evaluate(receives: Set<Int>, pids: Set<Int32>, trace: Trace) {
    // Each process's events in order, the receives of the loop marked.
    var byPID: [Int32: [TraceEvent]] = [:]
    for e in trace.events where pids.contains(e.pid) { byPID[e.pid, default: []].append(e) }
    for events in byPID.values {
      let passes = events.indices.filter { receives.contains(events[$0].index) }
      for (n, p) in passes.enumerated() {
        let received = events[p]
        // The pass's outputs: what the process wrote before its next receive.
        let end = events[(p + 1)...].firstIndex { $0.call.receivesData } ?? events.endIndex
        let outputs = events[(p + 1)..<end].filter { $0.call == .output }
        var reached = true
        for i in items.indices {
          switch items[i] {
          case .step: break
          case .output(var o):
            o.count += outputs.count { Self.writes($0, received) }
            items[i] = .output(o)
          case .decision(var d):
            guard reached, let value = Self.holds(d.condition, on: received) else {
              reached = false
              continue
            }
            if value { d.trueCount += 1 } else { d.falseCount += 1 }
            if value == d.exitsWhen {
              reached = false
              if n + 1 < passes.count { d.wentOn += 1 }
            }
            items[i] = .decision(d)
          }
        }
      }
    }
  }

  /// Whether `condition` held on the data `e` received; nil when the trace does not say (the data
  /// was not captured).
  public static func holds(_ condition: DocumentedSchematic.Decision.Condition, on e: TraceEvent) -> Bool? {
    switch condition {
    case .received:
      return e.ret > 0
    case .equals(let word):
      let bytes = Array(word.utf8)
      guard e.ret > 0 else { return bytes.isEmpty }
      guard let data = e.data, !data.isTruncated || data.bytes.count >= bytes.count else { return nil }
      return data.length == UInt64(bytes.count) && data.bytes == bytes
    }
  }

  /// Whether output event `o` wrote what `e` received: the bytes (and a newline), or Python 3's
  /// `b'…'` form of them.
  static func writes(_ o: TraceEvent, _ e: TraceEvent) -> Bool {
    guard let written = o.data?.bytes, let data = e.data, data.length > 0 else { return false }
    var line = written[...]
    if line.last == UInt8(ascii: "\n") { line = line.dropLast() }
    if line.elementsEqual(data.bytes) { return true }
    return line.elementsEqual(pythonBytes(data.bytes).utf8)
  }

  /// Python 3's `repr` of bytes: `b'DONE'`, `b'\xd0\x9b'`.
  static func pythonBytes(_ bytes: [UInt8]) -> String {
    var s = "b'"
    for byte in bytes {
      switch byte {
      case UInt8(ascii: "\\"): s += "\\\\"
      case UInt8(ascii: "'"): s += "\\'"
      case UInt8(ascii: "\n"): s += "\\n"
      case UInt8(ascii: "\r"): s += "\\r"
      case UInt8(ascii: "\t"): s += "\\t"
      case 0x20..<0x7F: s.unicodeScalars.append(Unicode.Scalar(byte))
      default:
        let hex = String(byte, radix: 16)
        s += "\\x" + (hex.count == 1 ? "0" : "") + hex
      }
    }
    return s + "'"
  }

  /// Whether the column made the role's documented steps in order (`matches`), its loop where
  /// the role has it (steps the figure leaves out, such as the page's `unlink`,
  /// may come between).
  static func follows(
    _ column: RunSchematic.Column, loop: RunSchematic.Loop, role: DocumentedSchematic.Role,
    socketPath: String?
  ) -> Bool {
    var next = 0
    for element in role.elements {
      switch element {
      case .step(let s):
        guard
          let found = column.steps[next...].firstIndex(where: {
            $0.omitted == 0 && !loop.range.contains(next) && matches(s, $0, socketPath: socketPath)
          }), found < loop.range.lowerBound || found >= loop.range.upperBound
        else { return false }
        next = found + 1
      case .loop(let l):
        guard next <= loop.range.lowerBound, l.body.count == loop.range.count,
          zip(l.body, column.steps[loop.range]).allSatisfy({ matches($0, $1, socketPath: socketPath) })
        else { return false }
        next = loop.range.upperBound
      }
    }
    return true
  }

  /// Whether a run's step is the documented step: same call family and, for `socket` and
  /// `socketpair`, the written domain and type (a stream program is not the datagram figure's).
  /// Other arguments (a student's `recv(16)`, another path) are for `compare` to report: the
  /// program's control flow is still the figure's.
  static func matches(_ s: DocumentedSchematic.Step, _ step: RunSchematic.Step, socketPath: String?) -> Bool {
    guard step.call.family == s.call, step.failure == nil else { return false }
    guard s.call == "socket" || s.call == "socketpair" else { return true }
    func plain(_ p: String) -> String { p.hasPrefix("./") ? String(p.dropFirst(2)) : p }
    return s.arguments.allSatisfy { written in
      let value = written == "$SOCKET" ? socketPath ?? written : written
      return step.arguments.contains { argument in
        switch argument {
        case .name(let n): n == value
        case .path(let p): plain(p) == plain(value)
        case .number(let n): Int64(value) == n
        }
      }
    }
  }
}

extension ControlFlow {
  /// The flow after a step was inserted at `index` of its column.
  mutating func shift(insertedAt index: Int) {
    for i in items.indices {
      if case .step(let s) = items[i], s >= index { items[i] = .step(s + 1) }
    }
  }

  /// The flow after the steps before its loop moved by `offset`.
  mutating func shift(by offset: Int) {
    for i in items.indices {
      if case .step(let s) = items[i] { items[i] = .step(s + offset) }
    }
  }
}
