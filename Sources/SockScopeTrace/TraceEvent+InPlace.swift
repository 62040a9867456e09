// Reads of events in an array, for other modules. There, a getter that is not inlined
// (`failure`, `address`) is called on a copy of the whole event taken out of the array: every
// reference it holds retained and released, which showed in merges of a million events. Here,
// in the event's own module, the getters are inlined and read the fields in place.

extension Array where Element == TraceEvent {
  /// Whether the call at `i` succeeded.
  package func succeeded(at i: Int) -> Bool { self[i].failure == nil }

  /// The address the call at `i` named.
  package func address(at i: Int) -> SocketAddress? { self[i].arguments.address }
}
