import SockScopeTrace

/// A Mermaid `sequenceDiagram` (GitLab, GitHub, MkDocs render it in Markdown pages).
enum MermaidExport {
  static func text(_ trace: Trace) -> String {
    let model = SequenceModel(trace: trace)
    var out = "sequenceDiagram\n"
    for p in model.participants { out += "    participant \(p.id) as \(escaped(p.title))\n" }
    for item in model.items {
      switch item {
      case .message(let from, let to, let text):
        let a = model.participants[from].id
        let b = model.participants[to].id
        out += "    \(a)->>\(b): \(escaped(text))\n"
      case .note(let over, let text):
        out += "    Note over \(model.participants[over].id): \(escaped(text))\n"
      }
    }
    return out
  }

  /// Mermaid reads `#…;` as an entity, `;` as the end of a statement and `<…>` as HTML: each is
  /// written as an entity code so payloads and paths show as they are.
  static func escaped(_ text: String) -> String {
    text.escaped(by: ["#": "#35;", ";": "#59;", "<": "#lt;", ">": "#gt;", "&": "#amp;", "%": "#37;"])
  }
}
