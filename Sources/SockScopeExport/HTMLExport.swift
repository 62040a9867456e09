import SockScopeDiagrams
import SockScopeLanguage
import SockScopePlayer
import SockScopeResources
import SockScopeTrace

/// A self-contained web page that steps through a run beside its code, as Python Tutor steps
/// through a program: the call, what the kernel did, the receive queues, every process's console,
/// the source line (when the trace recorded it) and the sequence chart with the step highlighted.
/// HTML, CSS, script and figures are inline: nothing is fetched, it works from `file://` offline.
enum HTMLExport {
  /// The page for `trace`; `title` names it (the run's directory, usually).
  static func page(_ trace: Trace, title: String, language: PlayerLanguage) throws(Export.Failure) -> [UInt8]
  {
    guard let ru = Playback(trace: trace, language: .ru), let en = Playback(trace: trace, language: .en)
    else {
      throw Export.Failure(
        description: "the trace holds no socket call, so there is nothing to step through; record a run first"
      )
    }
    var participants: [JSONValue] = []
    var slot: [Int32: Int] = [:]
    let first = ru.snapshot(0, paneHeight: 0)
    for pane in first.panes {
      slot[pane.pid] = participants.count
      participants.append(.object(["pid": .int(Int64(pane.pid)), "name": .string(pane.title)]))
    }
    var steps: [JSONValue] = []
    steps.reserveCapacity(ru.count)
    var stepOfEvent: [Int: Int] = [:]
    for k in 0..<ru.count {
      let a = ru.snapshot(k, paneHeight: 0)
      let b = en.snapshot(k, paneHeight: 0)
      stepOfEvent[a.event] = k
      let queues: [JSONValue] = a.queues.map { q in
        var o: JSONObject = [
          "socket": .int(Int64(clamping: q.socket)), "owner": .string(q.owner),
          "waiting": .int(Int64(clamping: q.waiting)), "stream": .bool(q.isStream),
        ]
        if let path = q.path { o["path"] = .string(path) }
        return .object(o)
      }
      steps.append(
        .object([
          "event": .int(Int64(a.event)), "p": .int(Int64(slot[a.pid] ?? 0)), "call": .string(a.callLine),
          "failed": .bool(a.failed), "t": .double((a.elapsed * 1000).rounded() / 1000),
          "say": .object(["ru": .string(a.sentence), "en": .string(b.sentence)]), "queues": .array(queues),
        ]))
    }
    // Console output shows from the first step after it in the trace's order, as in the terminal
    // player; what was printed after the last call shows at the last step.
    var outputs: [JSONValue] = []
    var pending: [TraceEvent] = []
    func flush(at step: Int) {
      for e in pending {
        let text = String(decoding: e.data?.bytes ?? [], as: UTF8.self).terminalSafeKeepingLines
        outputs.append(
          .object(["pid": .int(Int64(e.pid)), "step": .int(Int64(step)), "text": .string(text)]))
      }
      pending.removeAll()
    }
    for e in trace.events {
      if e.call == .output, e.data != nil { pending.append(e) }
      if let k = stepOfEvent[e.index] { flush(at: k) }
    }
    flush(at: max(ru.count - 1, 0))
    var charts: JSONObject = [:]
    for (key, lang) in [("ru", DiagramLanguage.ru), ("en", DiagramLanguage.en)] {
      let options = DiagramOptions(language: lang)
      if let svg = try? Diagrams.render(trace, view: .sequence, format: .svg, options: options) {
        charts[key] = .string(String(decoding: svg, as: UTF8.self))
      }
    }
    let data: JSONValue = .object([
      "title": .string(title), "lang": .string(language.rawValue), "participants": .array(participants),
      "steps": .array(steps), "outputs": .array(outputs), "svg": .object(charts), "sources": .object([:]),
    ])
    return Array(document(title: title, language: language, data: data).utf8)
  }

  static func document(title: String, language: PlayerLanguage, data: JSONValue) -> String {
    """
    <!DOCTYPE html>
    <html lang="\(language.rawValue)" data-step="1" data-steps="0">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="generator" content="sockscope export html">
    <title>SockScope — \(escapedHTML(title))</title>
    <style>
    \(EmbeddedResources.stepperCSS)
    </style>
    </head>
    <body>
    <header>
      <h1>SockScope — \(escapedHTML(title))</h1>
      <span class="controls"><button id="first" type="button"></button><button id="prev" type="button"></button><button id="play" type="button" aria-pressed="false"></button><button id="next" type="button"></button><button id="last" type="button"></button></span>
      <input id="slider" type="range" min="1" value="1" aria-label="step">
      <span id="position"></span>
      <span class="controls"><button id="lang-ru" type="button">RU</button><button id="lang-en" type="button">EN</button></span>
      <span id="help" class="muted"></span>
    </header>
    <main id="main">
      <section class="code"><h2 id="h-code"></h2><div id="code"></div></section>
      <section><h2 id="h-call"></h2><div id="who"></div><div id="call"></div><p id="say"></p>
        <h2 id="h-kernel"></h2><div id="queues"></div>
        <h2 id="h-consoles"></h2><div id="consoles" class="consoles"></div></section>
      <section class="chart"><h2 id="h-chart"></h2><div id="chart"></div></section>
    </main>
    <ol id="all-steps" class="all-steps"></ol>
    <script type="application/json" id="sockscope-data">\(scriptSafeJSON(data))</script>
    <script>
    \(EmbeddedResources.stepperJS)
    </script>
    </body>
    </html>

    """
  }

  /// Text for HTML element content and attribute values.
  static func escapedHTML(_ s: String) -> String {
    s.escaped(by: ["&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"])
  }

  /// JSON that cannot end the script element it sits in: `<` is written as `\u003c` (valid in
  /// JSON strings, the only place it can appear), so `</script>` or `<!--` in a payload stays text.
  static func scriptSafeJSON(_ value: JSONValue) -> String {
    value.jsonText.replacingOccurrences(of: "<", with: "\\u003c")
  }
}

extension String {
  /// Console text with control characters escaped except the line breaks and tabs a console shows.
  var terminalSafeKeepingLines: String {
    split(separator: "\n", omittingEmptySubsequences: false).map { line in
      line.split(separator: "\t", omittingEmptySubsequences: false).map { String($0).terminalSafe }.joined(
        separator: "\t")
    }.joined(separator: "\n")
  }

  fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
    var out = ""
    out.reserveCapacity(utf8.count)
    for ch in self { if String(ch) == target { out += replacement } else { out.append(ch) } }
    return out
  }
}
