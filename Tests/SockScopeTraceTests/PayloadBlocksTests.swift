import Testing

@testable import SockScopeTrace

@Suite("Payloads stored in shared blocks")
struct PayloadBlocksTests {
  /// The same capture made into an array of its own and into a block.
  func both(
    _ data: [UInt8], length: UInt64, limit: Int, datagramLength: UInt64? = nil
  ) -> (array: Payload, block: Payload) {
    var blocks = PayloadBlocks()
    let block = data.withUnsafeBufferPointer {
      blocks.payload(capturing: $0, length: length, limit: limit, datagramLength: datagramLength)
    }
    return (Payload(capturing: data, length: length, limit: limit, datagramLength: datagramLength), block)
  }

  @Test("a payload in a block equals the same payload in an array, and reads the same")
  func sameAsArray() {
    let (array, block) = both(Array("hello, server".utf8), length: 13, limit: 256)
    #expect(block == array)
    #expect(block.bytes == Array("hello, server".utf8))
    #expect(block.capturedCount == 13)
    #expect(block.text == "hello, server")
    #expect(block.json == array.json)
  }

  @Test("payloads that differ in one byte, or only in where the data was cut, are not equal")
  func differences() {
    let a = both(Array("ping 1".utf8), length: 6, limit: 256).block
    let b = both(Array("ping 2".utf8), length: 6, limit: 256).block
    #expect(a != b)
    let cut = both(Array("ping 1".utf8), length: 6, limit: 4).block
    #expect(cut != a)
    #expect(cut.isTruncated)
    let longer = both(Array("ping 1".utf8), length: 7, limit: 256).block
    #expect(longer != a)
  }

  @Test("binary bytes in a block are written as hex, as from an array")
  func hex() {
    let (array, block) = both([0x00, 0xFF, 0x41], length: 3, limit: 256)
    #expect(block.text == nil)
    #expect(block.json["hex"] == .string("00ff41"))
    #expect(block.json == array.json)
  }

  @Test("a cut inside a Cyrillic letter drops the partial letter in a block too")
  func cutInsideCharacter() {
    let data = Array(String(repeating: "Л", count: 200).utf8)
    let (array, block) = both(data, length: 400, limit: 255)
    #expect(block.capturedCount == 254)
    #expect(block.text == String(repeating: "Л", count: 127))
    #expect(block == array)
    #expect(block.json["truncated"] == .bool(true))
  }

  @Test("a datagram cut by a short buffer keeps its real length in a block")
  func datagramLength() {
    let (array, block) = both(
      [UInt8](repeating: 7, count: 100), length: 100, limit: 256, datagramLength: 4000)
    #expect(block.datagramWasCut)
    #expect(block.datagramLength == 4000)
    #expect(block == array)
    var unset = block
    unset.datagramLength = nil
    #expect(unset.datagramLength == nil)
    #expect(unset != block)
    #expect(unset.bytes == block.bytes)
  }

  @Test("payloads filling several blocks each keep their own bytes")
  func manyBlocks() {
    var blocks = PayloadBlocks()
    var payloads: [Payload] = []
    let count = 3 * PayloadBlocks.blockSize / 1000 + 7
    for n in 0..<count {
      let data = [UInt8](repeating: UInt8(truncatingIfNeeded: n), count: 1000)
      payloads.append(
        data.withUnsafeBufferPointer { blocks.payload(capturing: $0, length: 1000, limit: 4096) })
    }
    for (n, p) in payloads.enumerated() {
      #expect(p.bytes == [UInt8](repeating: UInt8(truncatingIfNeeded: n), count: 1000))
    }
  }

  @Test("a payload larger than a block's share, or empty, is kept whole")
  func largeAndEmpty() {
    let large = [UInt8](repeating: 0x61, count: PayloadBlocks.largest + 1)
    let (array, block) = both(large, length: UInt64(large.count), limit: large.count)
    #expect(block == array)
    #expect(block.capturedCount == large.count)
    let empty = both([], length: 0, limit: 256)
    #expect(empty.block == empty.array)
    #expect(empty.block.text == "")
  }

  @Test("setting the bytes of a payload in a block replaces them")
  func replaceBytes() {
    var p = both(Array("abcdef".utf8), length: 6, limit: 256).block
    p.bytes = Array("abc".utf8)
    #expect(p.bytes == Array("abc".utf8))
    #expect(p.isTruncated)
    #expect(p == Payload(length: 6, bytes: Array("abc".utf8)))
  }

  @Test("a receive's bytes are kept where its send's are only when they are the send's first bytes")
  func sharingBytes() {
    let sent = both(Array("hello, server".utf8), length: 13, limit: 256).block
    // Cut by a 5-byte buffer: the first 5 bytes, with the datagram's real length.
    var cut = both(Array("hello".utf8), length: 5, limit: 256, datagramLength: 13).block
    let before = cut
    let cutShared = cut.shareBytes(of: sent)
    #expect(cutShared)
    #expect(cut == before)
    #expect(cut.bytes == Array("hello".utf8))
    #expect(cut.datagramLength == 13 && cut.length == 5 && cut.capturedCount == 5)
    #expect(cut.json == before.json)
    // Other bytes, more bytes than the send kept, or none: each keeps its own.
    var other = both(Array("HELLO".utf8), length: 5, limit: 256).block
    let otherShared = other.shareBytes(of: sent)
    #expect(!otherShared)
    #expect(other.bytes == Array("HELLO".utf8))
    var longer = both(Array("hello, server!".utf8), length: 14, limit: 256).block
    let longerShared = longer.shareBytes(of: sent)
    #expect(!longerShared)
    #expect(longer.bytes == Array("hello, server!".utf8))
    var empty = both([], length: 0, limit: 256).block
    let emptyShared = empty.shareBytes(of: sent)
    #expect(!emptyShared)
    // A send whose bytes are in an array of their own: shared only whole.
    let whole = both(Array("hello, server".utf8), length: 13, limit: 256).array
    var same = both(Array("hello, server".utf8), length: 13, limit: 256).block
    let sameShared = same.shareBytes(of: whole)
    #expect(sameShared)
    #expect(same.bytes == Array("hello, server".utf8))
    var prefix = both(Array("hello".utf8), length: 5, limit: 256).block
    let prefixShared = prefix.shareBytes(of: whole)
    #expect(!prefixShared)
    #expect(prefix.bytes == Array("hello".utf8))
  }
}
