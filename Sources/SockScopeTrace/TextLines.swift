extension Character {
  /// Whether the character ends a line: `"\n"`, or `"\r\n"`, which Swift reads as one Character
  /// (a grapheme cluster) that is never equal to `"\n"`, so splitting on `"\n"` alone leaves a
  /// file saved on Windows in one piece.
  public var isLineEnd: Bool { self == "\n" || self == "\r\n" }
}

extension StringProtocol {
  /// The text's lines, split at `"\n"` and `"\r\n"`, without their ends; empty lines are kept,
  /// and text after the last line end is a last line (empty when the text ends with one).
  public func splittingLines() -> [SubSequence] {
    split(omittingEmptySubsequences: false, whereSeparator: \.isLineEnd)
  }
}
