import Foundation
public import SockScopeOutput
import Synchronization

extension TraceFile {
  /// The whole trace as JSON Lines text.
  public static func encode(_ trace: Trace) -> String {
    String(decoding: encodedBytes(trace), as: UTF8.self)
  }

  /// The whole trace as JSON Lines, UTF-8.
  public static func encodedBytes(_ trace: Trace) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(340 * (trace.events.count + 1))
    encodeLines(trace) { piece in bytes.append(contentsOf: piece) }
    return bytes
  }

  /// Writes the trace to `path` atomically: readers never see half a file, and a failure leaves
  /// nothing behind.
  public static func write(_ trace: Trace, to path: String) throws(OutputError) {
    try FileIO.writeAtomically(path) { submit throws(OutputError) in try encodeLines(trace, emit: submit) }
  }

  /// Hands the trace's lines to `emit` in pieces, in order: the header's line, then a batch of
  /// events at a time. Events are encoded a batch per core at a time.
  static func encodeLines<E: Error>(_ trace: Trace, emit: ([UInt8]) throws(E) -> Void) throws(E) {
    var header = JSONWriter()
    header.object(trace.header.json)
    header.bytes.append(0x0A)
    try emit(header.bytes)
    let events = trace.events
    let batch = 4096
    let workers = events.count < 4 * batch ? 1 : min(ProcessInfo.processInfo.activeProcessorCount, 8)
    var start = 0
    while start < events.count {
      let ranges = (0..<workers).map { k in
        min(events.count, start + k * batch)..<min(events.count, start + (k + 1) * batch)
      }
      let encoded = Mutex([[UInt8]](repeating: [], count: workers))
      let encodeOne = { @Sendable (k: Int) in
        // Written through raw pointers straight into the batch's array, each event read in place
        // (a copy of an event retains and releases all it holds).
        let piece = JSONLineBuffer.bytes(capacity: 440 * ranges[k].count) { sink in
          var piece = sink
          events.withUnsafeBufferPointer { events in
            guard let base = events.baseAddress else { return }
            for i in ranges[k] {
              // Read where it is: the buffer's subscript copied each event.
              TraceEvent.write(base + i, into: &piece)
              piece.put(0x0A)
            }
          }
        }
        encoded.withLock { $0[k] = piece }
      }
      if workers == 1 {
        encodeOne(0)
      } else {
        DispatchQueue.concurrentPerform(iterations: workers, execute: encodeOne)
      }
      // Taken out, not copied: a piece still held by the lock would be copied by a later change.
      var pieces: [[UInt8]] = []
      encoded.withLock { swap(&pieces, &$0) }
      for k in pieces.indices where !pieces[k].isEmpty {
        try emit(pieces[k])
        pieces[k] = []
      }
      start = ranges[workers - 1].upperBound
    }
  }
}
