import Testing

@testable import SockScopeTrace

@Suite("JSON values")
struct JSONValueTests {
  @Test("Cyrillic, quotes, backslashes and control characters survive a write and a read")
  func roundTrip() throws {
    var object = JSONObject()
    object["text"] = .string("Лев \"Толстой\" \\ tab\there\nline\u{1}")
    object["n"] = .int(-42)
    object["list"] = .array([.bool(true), .null, .double(1.5)])
    let text = JSONValue.object(object).jsonText
    #expect(text.contains("Лев"))  // kept as UTF-8, readable in the file
    #expect(text.contains("\\u0001"))
    #expect(try JSONValue.parse(text) == .object(object))
  }

  @Test("the writer escapes what would break a line or a string, and nothing else")
  func escaping() {
    let text = JSONValue.string("a\u{0}\u{1F}\u{7F}\u{85}\u{2028}\u{2029}\"\\/é«»😀").jsonText
    #expect(text == #""a\u0000\u001f\u007f\u0085\u2028\u2029\"\\/é«»😀""#)
    #expect(JSONValue.int(.min).jsonText == "-9223372036854775808")
    #expect(JSONValue.int(0).jsonText == "0")
  }

  @Test("any string survives a write and a read")
  func randomStringsRoundTrip() throws {
    var generator = SplitMix64(seed: 11)
    let alphabet: [Unicode.Scalar] = [
      "a", "\"", "\\", "\n", "\u{0}", "\u{7F}", "\u{2028}", "я", "😀", "\u{E2}",
    ]
    for _ in 0..<500 {
      var s = String.UnicodeScalarView()
      for _ in 0..<Int(generator.next() % 12) {
        s.append(alphabet[Int(generator.next() % UInt64(alphabet.count))])
      }
      let value = JSONValue.string(String(s))
      #expect(try JSONValue.parse(value.jsonText) == value)
    }
  }

  @Test("keys keep their order, so a trace written twice reads the same")
  func orderedKeys() throws {
    let value = try JSONValue.parse(#"{"z":1,"a":2,"m":3}"#)
    #expect(value.objectValue?.keys == ["z", "a", "m"])
    #expect(value.jsonText == #"{"z":1,"a":2,"m":3}"#)
  }

  @Test("a line cut short is reported with its column, not a crash")
  func cutLine() {
    #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(#"{"index":3,"call":"se"#) }
    let error = #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(#"{"a": tru}"#) }
    #expect(error?.column == 7)
  }

  @Test("deep nesting is refused instead of exhausting the stack")
  func depthLimit() {
    let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
    #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(deep) }
  }

  @Test("duplicate keys, raw control characters and bad escapes are errors")
  func strictness() {
    #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(#"{"a":1,"a":2}"#) }
    #expect(throws: JSONSyntaxError.self) { try JSONValue.parse("\"a\tb\"") }
    #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(#""\q""#) }
    #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(#""\ud800""#) }
  }

  @Test("surrogate pairs decode to one character")
  func surrogates() throws {
    #expect(try JSONValue.parse(#""\ud83d\ude00""#) == .string("😀"))
  }

  @Test("integers beyond 64 bits are numbers, not silently wrapped")
  func bigIntegers() throws {
    #expect(try JSONValue.parse("18446744073709551616").intValue == nil)
    #expect(try JSONValue.parse("9223372036854775807") == .int(.max))
  }
}
