import SockScopeTrace

/// The bytes of `trace` as a consistent file, as a merge writes one: the header lists and counts
/// each process's events, and each process's `seq` numbers its events 0, 1, 2… in their order
/// (traces built by hand in tests often leave every `seq` at 0, which `validate` rejects).
func consistentBytes(_ trace: Trace) -> [UInt8] {
  var trace = trace
  var next: [Int32: UInt64] = [:]
  for i in trace.events.indices {
    trace.events[i].seq = next[trace.events[i].pid, default: 0]
    next[trace.events[i].pid, default: 0] += 1
  }
  trace.countEventsPerProcess()
  return TraceFile.encodedBytes(trace)
}
