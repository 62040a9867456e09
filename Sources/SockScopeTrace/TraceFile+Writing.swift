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
    var w = JSONWriter(capacity: 340 * (trace.events.count + 1))
    encodeLines(trace, into: &w) { _ in }
    return w.bytes
  }

  /// Writes the trace to `path` atomically: readers never see half a file, and a failure leaves
  /// nothing behind.
  public static func write(_ trace: Trace, to path: String) throws(OutputError) {
    try FileIO.writeAtomically(path) { (buffer, flush) throws(OutputError) in
      var w = JSONWriter()
      swap(&w.bytes, &buffer)
      defer { swap(&w.bytes, &buffer) }
      try encodeLines(trace, into: &w) { (w: inout JSONWriter) throws(OutputError) in try flush(&w.bytes) }
    }
  }

  /// Appends the trace's lines to `w`, handing it to `flush` whenever it holds about a megabyte.
  /// Events are encoded a batch per core at a time, and the batches handed on in order.
  static func encodeLines<E: Error>(
    _ trace: Trace, into w: inout JSONWriter, flush: (inout JSONWriter) throws(E) -> Void
  ) throws(E) {
    w.object(trace.header.json)
    w.bytes.append(0x0A)
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
              // Through `pointee`, read where it is: the buffer's subscript copied each event.
              (base + i).pointee.write(into: &piece)
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
      // Taken out, not copied: a piece held twice was copied again by the next append.
      var pieces: [[UInt8]] = []
      encoded.withLock { swap(&pieces, &$0) }
      for k in pieces.indices {
        if w.bytes.isEmpty {
          swap(&w.bytes, &pieces[k])  // Handed on as it is, not copied.
        } else {
          w.bytes.append(contentsOf: pieces[k])
          pieces[k] = []
        }
        if w.bytes.count >= 1 << 20 { try flush(&w) }
      }
      start = ranges[workers - 1].upperBound
    }
  }
}
