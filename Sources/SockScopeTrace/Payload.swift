import Glibc

/// The data a call moved: its full length and the first bytes of it.
///
/// The bytes live in an array of their own, or, for payloads a merge decoded, in a block shared
/// with the other payloads of the same log (`PayloadBlocks`): a 64-byte datagram in its own array
/// took 112 bytes of memory, a quarter of a merge's. Both read and compare alike.
public struct Payload: Sendable {
  /// Where the captured bytes are.
  private enum Storage: Sendable {
    case array([UInt8])
    /// `count` bytes at `offset` of a block.
    case block(PayloadBlock)
  }

  private var storage: Storage
  /// In a block: the offset (low 32 bits) and count (bits 32–62). Bit 63: `datagramLength` is set.
  private var place: UInt64
  private var datagramValue: UInt64
  /// Bytes the call moved (for recv: what the program got).
  public var length: UInt64

  private static let hasDatagramLength: UInt64 = 1 << 63

  /// A payload with the bytes already cut to the capture limit.
  public init(length: UInt64, bytes: [UInt8], datagramLength: UInt64? = nil) {
    storage = .array(bytes)
    place = datagramLength == nil ? 0 : Self.hasDatagramLength
    datagramValue = datagramLength ?? 0
    self.length = length
  }

  /// A payload whose bytes are `count` bytes at `offset` of `block`.
  init(length: UInt64, block: PayloadBlock, offset: Int, count: Int, datagramLength: UInt64?) {
    storage = .block(block)
    place = UInt64(UInt32(truncatingIfNeeded: offset)) | UInt64(count) << 32
    if datagramLength != nil { place |= Self.hasDatagramLength }
    datagramValue = datagramLength ?? 0
    self.length = length
  }

  /// The first bytes, at most the capture limit. (Reading this from a merged payload makes an
  /// array: `withUnsafeBufferPointer` reads them in place.)
  public var bytes: [UInt8] {
    get {
      switch storage {
      case .array(let bytes): bytes
      case .block: withUnsafeBufferPointer { Array($0) }
      }
    }
    set { storage = .array(newValue) }
  }

  /// For a datagram receive: the datagram's real size, which exceeds `length` when the buffer was
  /// too small and the kernel cut it (MSG_TRUNC).
  public var datagramLength: UInt64? {
    get { place & Self.hasDatagramLength != 0 ? datagramValue : nil }
    set {
      place = newValue == nil ? place & ~Self.hasDatagramLength : place | Self.hasDatagramLength
      datagramValue = newValue ?? 0
    }
  }

  /// How many bytes were captured (`bytes.count`).
  public var capturedCount: Int {
    switch storage {
    case .array(let bytes): bytes.count
    case .block: Int(truncatingIfNeeded: (place >> 32) & 0x7FFF_FFFF)
    }
  }

  /// Calls `body` with the captured bytes, read in place.
  public func withUnsafeBufferPointer<R, E: Error>(
    _ body: (UnsafeBufferPointer<UInt8>) throws(E) -> R
  ) throws(E) -> R {
    switch storage {
    case .array(let bytes):
      // Array's own accessor rethrows untyped: the result is carried out instead.
      let result: Result<R, E> = bytes.withUnsafeBufferPointer { buffer in
        do throws(E) { return .success(try body(buffer)) } catch { return .failure(error) }
      }
      return try result.get()
    case .block(let block):
      let offset = Int(truncatingIfNeeded: place & 0xFFFF_FFFF)
      return try body(UnsafeBufferPointer(start: block.base + offset, count: capturedCount))
    }
  }

  /// Whether the first `count` captured bytes are the same as `other`'s (`count` at most either's
  /// `capturedCount`). Compared in place, by `memcmp`, for the merge's linker.
  package func hasSamePrefix(_ count: Int, as other: Payload) -> Bool {
    withUnsafeBufferPointer { (x: UnsafeBufferPointer<UInt8>) -> Bool in
      other.withUnsafeBufferPointer { (y: UnsafeBufferPointer<UInt8>) -> Bool in
        guard count > 0 else { return true }
        guard count <= x.count, count <= y.count, let a = x.baseAddress, let b = y.baseAddress else {
          return false
        }
        return memcmp(a, b, count) == 0
      }
    }
  }

  /// Keeps this payload's bytes where `other` keeps its own, when they are the first bytes of
  /// `other`'s; returns whether they were. A receive returns bytes a send moved: sharing them, a
  /// merge holds them once, and frees a block once none of its payloads is left there.
  package mutating func shareBytes(of other: Payload) -> Bool {
    let count = capturedCount
    guard count > 0, count <= other.capturedCount, hasSamePrefix(count, as: other) else { return false }
    switch other.storage {
    case .block(let block):
      storage = .block(block)
      place = (other.place & 0xFFFF_FFFF) | UInt64(count) << 32 | (place & Self.hasDatagramLength)
    case .array(let bytes):
      guard count == bytes.count else { return false }
      storage = .array(bytes)
      place &= Self.hasDatagramLength
    }
    return true
  }

  /// Whether only a prefix of the data was kept.
  public var isTruncated: Bool { UInt64(capturedCount) < length }

  /// Whether the receiver lost the datagram's tail to a short buffer.
  public var datagramWasCut: Bool { (datagramLength ?? 0) > length }

  /// The bytes as text, when they read as text (valid UTF-8 without control characters other than
  /// tab, newline and carriage return); otherwise nil and the format stores hex.
  public var text: String? {
    withUnsafeBufferPointer { UTF8Validation.isText($0) ? String(decoding: $0, as: UTF8.self) : nil }
  }

  /// Whether the bytes read as text (see `text`).
  public var isText: Bool { withUnsafeBufferPointer(UTF8Validation.isText) }

  /// A payload captured from `data` moved by a call, keeping at most `limit` bytes, and never more
  /// than `length` (bytes past what the call moved were not moved, whatever a damaged log says).
  /// When the cut falls inside a UTF-8 sequence of otherwise-valid text, the partial character is
  /// dropped so the prefix still reads as text.
  // Inlinable so that it is specialized where it is called: generic across the module boundary,
  // it copied the bytes one by one.
  @inlinable
  public init(
    capturing data: some Collection<UInt8>, length: UInt64, limit: Int, datagramLength: UInt64? = nil
  ) {
    var kept = Array(data.prefix(Int(clamping: min(UInt64(max(limit, 0)), length))))
    if UInt64(kept.count) < length { kept = Payload.trimPartialCharacter(kept) }
    self.init(length: length, bytes: kept, datagramLength: datagramLength)
  }

  @usableFromInline static func trimPartialCharacter(_ bytes: [UInt8]) -> [UInt8] {
    bytes.withUnsafeBufferPointer { buffer in
      let kept = keptAfterTrimming(buffer)
      return kept == bytes.count ? bytes : Array(buffer.prefix(kept))
    }
  }

  /// How many of `bytes`, a cut prefix, to keep: all of them, or fewer so that a partial UTF-8
  /// sequence at the end of otherwise-valid text is dropped.
  static func keptAfterTrimming(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
    // A UTF-8 sequence is at most 4 bytes: try dropping up to 3 trailing bytes.
    for drop in 0...min(3, bytes.count) {
      if UTF8Validation.isValid(UnsafeBufferPointer(rebasing: bytes.prefix(bytes.count - drop))) {
        return bytes.count - drop
      }
    }
    return bytes.count
  }
}

extension Payload: Equatable {
  /// Payloads are equal when their lengths and captured bytes are, wherever the bytes are stored.
  public static func == (a: Payload, b: Payload) -> Bool {
    guard a.length == b.length, a.datagramLength == b.datagramLength, a.capturedCount == b.capturedCount
    else { return false }
    return a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in x.elementsEqual(y) } }
  }
}
