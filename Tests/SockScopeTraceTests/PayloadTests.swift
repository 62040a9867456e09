import Testing

@testable import SockScopeTrace

@Suite("Payload capture")
struct PayloadTests {
  @Test("Cyrillic text is kept as text")
  func cyrillic() {
    let p = Payload(capturing: Array("Толстой".utf8), length: 14, limit: 256)
    #expect(p.text == "Толстой")
    #expect(!p.isTruncated)
    #expect(p.json["text"] == .string("Толстой"))
  }

  @Test("binary data is stored as hex")
  func binary() {
    let p = Payload(capturing: [0x00, 0xFF, 0x41], length: 3, limit: 256)
    #expect(p.text == nil)
    #expect(p.json["hex"] == .string("00ff41"))
  }

  @Test("text with control characters other than tab and newline is stored as hex")
  func controlCharacters() {
    #expect(Payload(capturing: Array("a\u{7}b".utf8), length: 3, limit: 256).text == nil)
    #expect(Payload(capturing: Array("a\tb\n".utf8), length: 4, limit: 256).text == "a\tb\n")
  }

  @Test("a capture limit keeps the first bytes and marks the payload truncated")
  func truncation() {
    let data = [UInt8](repeating: 0x61, count: 4000)
    let p = Payload(capturing: data, length: 4000, limit: 256)
    #expect(p.bytes.count == 256)
    #expect(p.isTruncated)
    #expect(p.json["truncated"] == .bool(true))
    #expect(p.json["len"] == .int(4000))
  }

  @Test("a cut inside a Cyrillic letter drops the partial letter so the prefix stays text")
  func cutInsideCharacter() {
    let data = Array(String(repeating: "Л", count: 200).utf8)  // 400 bytes, 2 per letter
    let p = Payload(capturing: data, length: 400, limit: 255)
    #expect(p.bytes.count == 254)
    #expect(p.text == String(repeating: "Л", count: 127))
  }

  @Test("a datagram longer than the receive buffer is reported with its real length")
  func datagramCut() {
    let p = Payload(
      capturing: [UInt8](repeating: 1, count: 1024), length: 1024, limit: 256, datagramLength: 4000)
    #expect(p.datagramWasCut)
    #expect(p.json["datagram_len"] == .int(4000))
  }

  @Test("hex round-trips and rejects odd or non-hex input")
  func hex() {
    #expect([UInt8](hex: "00ff10") == [0, 255, 16])
    #expect([UInt8](hex: "abc") == nil)
    #expect([UInt8](hex: "zz") == nil)
    #expect([UInt8]([1, 171]).hexString == "01ab")
  }
}
