extension String {
  /// The text for a target format: control characters escaped as for a terminal, then each
  /// character the format would read as markup written as `table` says (others kept as they are).
  func escaped(by table: [Character: String]) -> String {
    var out = ""
    for ch in terminalSafe { out += table[ch] ?? String(ch) }
    return out
  }
}
