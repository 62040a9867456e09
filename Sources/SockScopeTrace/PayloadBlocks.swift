/// A block of payload bytes that many payloads share, each a range of it.
///
/// Immutable once a payload refers to a range: bytes are only appended past `used`, by the one
/// thread that fills the block (`PayloadBlocks`), and a range is read only after it was written.
package final class PayloadBlock: @unchecked Sendable {
  let base: UnsafeMutablePointer<UInt8>
  let capacity: Int
  /// How many bytes are written, from `base`.
  fileprivate var used = 0

  fileprivate init(capacity: Int) {
    self.capacity = capacity
    base = .allocate(capacity: capacity)
  }

  deinit { base.deallocate() }
}

/// Stores the payloads one reader decodes (a merge's log) in shared blocks rather than an array
/// each: an array's header and the allocator's rounding cost 48 bytes beside a 64-byte datagram.
/// A payload keeps its whole block alive, so this suits payloads that live and die together.
package struct PayloadBlocks {
  /// Bytes per block: large enough that a block holds thousands of datagrams, small enough that
  /// a log's last, partly filled block costs little (its untouched pages take no memory).
  static let blockSize = 1 << 20
  /// Payloads larger than this get an array of their own, so a block is never mostly wasted.
  static let largest = 1 << 16

  private var current: PayloadBlock?

  package init() {}

  /// A payload captured from `data` moved by a call, as `Payload(capturing:length:limit:datagramLength:)`
  /// makes it (at most `limit` bytes, never more than `length`, no partial character at a cut),
  /// with its bytes in a shared block.
  package mutating func payload(
    capturing data: UnsafeBufferPointer<UInt8>, length: UInt64, limit: Int, datagramLength: UInt64? = nil
  ) -> Payload {
    var count = min(data.count, Int(clamping: min(UInt64(max(limit, 0)), length)))
    if UInt64(count) < length {
      count = Payload.keptAfterTrimming(UnsafeBufferPointer(rebasing: data.prefix(count)))
    }
    guard count > 0, count <= Self.largest else {
      return Payload(length: length, bytes: Array(data.prefix(count)), datagramLength: datagramLength)
    }
    let block: PayloadBlock
    if let current, current.capacity - current.used >= count {
      block = current
    } else {
      block = PayloadBlock(capacity: Self.blockSize)
      current = block
    }
    let offset = block.used
    if let source = data.baseAddress { (block.base + offset).initialize(from: source, count: count) }
    block.used += count
    return Payload(length: length, block: block, offset: offset, count: count, datagramLength: datagramLength)
  }
}
