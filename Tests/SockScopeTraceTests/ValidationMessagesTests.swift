import Foundation
import Testing

@testable import SockScopeTrace

@Suite("validate's messages say what is wrong")
struct ValidationMessagesTests {
  static let header =
    #"{"format":"sockscope-trace","version":1,"clock":"CLOCK_MONOTONIC","t0_ns":0,"#
    + #""processes":[{"pid":1,"role":"a","events":1,"ended":"closed"}]}"#

  static func event(time: String) -> String {
    #"{"index":0,"t_ns":"# + time
      + #","dur_ns":0,"pid":1,"tid":1,"seq":0,"role":"a","call":"close","fd":3,"args":{},"ret":0}"#
  }

  func problems(_ text: String) -> [String] {
    TraceFile.parse(Array(text.utf8), file: "t.jsonl").problems.map(\.description)
  }

  @Test("an integer past 2^63 is out of range, not 'expected an integer, found number'")
  func integerOutOfRange() {
    #expect(problems(Self.header + "\n" + Self.event(time: "9223372036854775807") + "\n").isEmpty)
    #expect(
      problems(Self.header + "\n" + Self.event(time: "9223372036854775808") + "\n") == [
        #"t.jsonl:2: field "t_ns": 9223372036854775808 is out of range: a trace's integers lie between "#
          + "-9223372036854775808 and 9223372036854775807"
      ])
    #expect(
      problems(Self.header + "\n" + Self.event(time: "1.5") + "\n") == [
        #"t.jsonl:2: field "t_ns": expected an integer, found the number 1.5"#
      ])
  }

  @Test("a byte order mark is named as one, with the fix, not shown as 'ï'")
  func byteOrderMark() {
    let found = problems("\u{FEFF}" + Self.header + "\n" + Self.event(time: "5") + "\n")
    #expect(found.count == 1)
    #expect(found.first?.hasPrefix("t.jsonl:1: not valid JSON at column 1: a byte order mark (BOM") == true)
    #expect(found.first?.contains("save the file as UTF-8 without a BOM") == true)
    #expect(!found.joined().contains("ï"))
  }

  @Test("another unexpected character is shown whole, and a control character escaped")
  func unexpectedCharacters() {
    #expect(problems("Лев\n").first?.hasSuffix("unexpected character 'Л'") == true)
    #expect(problems("\u{1B}]0;owned\u{07}\n").first?.hasSuffix(#"unexpected character '\e'"#) == true)
    let notUTF8 = TraceFile.parse([0xFF, 0x0A], file: "t.jsonl").problems.first?.message
    #expect(notUTF8?.hasSuffix("unexpected byte 0xFF (not UTF-8)") == true)
  }
}
