import SockScopeTrace

extension Playback {
  /// What a step says first when it is the last call of a process a signal killed: which signal,
  /// said at the step after which the process made no other call (first, so a narrow pane never
  /// cuts it off). Empty for every other step.
  func endingNote(_ e: TraceEvent) -> String {
    guard
      let process = trace.header.processes.first(where: { $0.pid == e.pid }), process.ending == .killed,
      let last = steps.last(where: { $0.pid == e.pid }), last.index == e.index
    else { return "" }
    let signal = process.signal ?? (language == .ru ? "сигнал" : "a signal")
    return language == .ru
      ? "✕ После этого вызова процесс убит сигналом \(signal). "
      : "✕ After this call the process was killed by \(signal). "
  }
}
