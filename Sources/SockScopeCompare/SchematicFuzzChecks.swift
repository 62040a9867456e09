import SockScopeAnalysis
import SockScopeTrace

/// What the `schematic` fuzz target (Fuzz/, `make fuzz`) checks on every input: the schematic
/// reader never traps, reads a file the same whatever its line ends, and names a line of the
/// file in every error. Nil when all holds, or what was violated.
@_spi(Fuzzing) public enum SchematicFuzzChecks {
  public static func schematic(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
    let text = String(decoding: bytes, as: UTF8.self)
    let lines = text.splittingLines().count
    let plain = Result { () throws(SchematicError) in try DocumentedSchematic.parse(text, file: "f") }
    if case .failure(let error) = plain, !(0...lines).contains(error.line) {
      return "error line \(error.line) is not a line of the \(lines)-line file"
    }
    // The same text with CRLF line ends (as saved on Windows) and with a byte order mark.
    var variants = [(text.replacingLineEnds(with: "\r\n"), "CRLF line ends")]
    if text.unicodeScalars.first != "\u{FEFF}" { variants.append(("\u{FEFF}" + text, "a byte order mark")) }
    for (variant, name) in variants {
      let other = Result { () throws(SchematicError) in try DocumentedSchematic.parse(variant, file: "f") }
      switch (plain, other) {
      case (.success(let a), .success(let b)) where a == b: continue
      case (.failure(let a), .failure(let b)) where a.line == b.line: continue
      default: return "with \(name) the schematic reads otherwise: \(plain) / \(other)"
      }
    }
    return nil
  }
}

extension String {
  /// The text with every `"\n"` written as `ending`.
  fileprivate func replacingLineEnds(with ending: String) -> String {
    unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map {
      String(String.UnicodeScalarView($0))
    }
    .joined(separator: ending)
  }
}
