import SockScopeTrace

/// A PlantUML sequence diagram (`plantuml -tsvg` renders it).
enum PlantUMLExport {
  static func text(_ trace: Trace) -> String {
    let model = SequenceModel(trace: trace)
    var out = "@startuml\n"
    for p in model.participants { out += "participant \"\(escaped(p.title))\" as \(p.id)\n" }
    for item in model.items {
      switch item {
      case .message(let from, let to, let text):
        out += "\(model.participants[from].id) -> \(model.participants[to].id) : \(escaped(text))\n"
      case .note(let over, let text):
        out += "note over \(model.participants[over].id) : \(escaped(text))\n"
      }
    }
    return out + "@enduml\n"
  }

  /// PlantUML reads Creole markup (`**bold**`, `--strike--`, `~` escapes, `<tags>`) and `\n` inside
  /// labels: every character that could start markup is written as a `<U+002A>` code, so payloads
  /// and paths show literally. (Numeric entities are not safe: PlantUML 1.2020 passes the decoded
  /// `\` and `$` of `&#92;` and `&#36;` to a regular-expression replacement and fails.)
  static func escaped(_ text: String) -> String {
    var out = ""
    for scalar in text.terminalSafe.unicodeScalars {
      switch scalar {
      case "\\", "*", "_", "-", "~", "\"", "<", ">", "[", "]", "#", "|", "/", "=", "^", "$", "@", "&", "%",
        ":", ";", "'", "`", "+", "!", "{", "}":
        let hex = String(scalar.value, radix: 16, uppercase: true)
        out += "<U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex + ">"
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out
  }
}
