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
  /// The source files a trace names, numbered in order of first use; each step points at one.
  struct SourceTable {
    var names: [String] = []
    var number: [String: Int] = [:]

    /// A step's `src`: `{"f": file number, "l": line, "fn": function}`, or `{"at": "socat+0x1234"}`
    /// for a module without a file.
    mutating func entry(_ site: CallSite) -> JSONValue {
      var o: JSONObject = [:]
      if let file = site.file {
        let n = number[file] ?? names.count
        if n == names.count {
          names.append(file)
          number[file] = n
        }
        o["f"] = .int(Int64(n))
        if let line = site.line { o["l"] = .int(Int64(line)) }
      } else {
        o["at"] = .string(site.label.terminalSafe)
      }
      if let function = site.function { o["fn"] = .string(function.terminalSafe) }
      return .object(o)
    }

    /// Each file's name and its text, or why it is not on the page.
    func embedded(_ sources: SourceEmbedding) -> [JSONValue] {
      names.map { name in
        var o: JSONObject = ["name": .string(name.terminalSafe)]
        switch sources {
        case .leaveOut: o["missing"] = .string(SourceFiles.Missing.leftOut.rawValue)
        case .lookIn(let directories):
          switch SourceFiles.contents(of: name, in: directories) {
          case .success(let text): o["text"] = .string(text)
          case .failure(let why): o["missing"] = .string(why.reason.rawValue)
          }
        }
        return .object(o)
      }
    }
  }

  /// The sequence chart is Graphviz's up to this many calls; a longer run's chart is drawn by the
  /// page itself, a page of steps at a time, so every step of it can be clicked.
  static let graphvizChartLimit = 400

  /// The page for `trace`; `title` names it (the run's directory, usually); `sources` says where
  /// the programs' source files are read from, if at all.
  static func page(
    _ trace: Trace, title: String, language: Language, sources: SourceEmbedding = .leaveOut
  ) throws(Export.Failure) -> [UInt8] {
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
    let extra = SnapshotJSON(first)
    let paged = ru.count > graphvizChartLimit
    let flows = trace.flowIndex
    var files = SourceTable()
    // Steps are written as they are made, not kept as a tree: a 100 000-step page's tree of
    // values took most of the export's memory.
    var steps = JSONWriter(capacity: ru.count * 400)
    steps.bytes.append(UInt8(ascii: "["))
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
      var step: JSONObject = [
        "event": .int(Int64(a.event)), "p": .int(Int64(slot[a.pid] ?? 0)), "call": .string(a.callLine),
        "failed": .bool(a.failed), "t": .double((a.elapsed * 1000).rounded() / 1000),
        "say": .object(["ru": .string(a.sentence), "en": .string(b.sentence)]), "queues": .array(queues),
      ]
      guard trace.events.indices.contains(a.event) else { continue }
      let e = trace.events[a.event]
      if let site = e.recordedSource { step["src"] = files.entry(site) }
      if let kernel = extra.object(a) {
        step["kernel"] = kernel
        if let other = extra.object(b), other != kernel { step["kernel_en"] = other }
      }
      if paged {
        step["n"] = .string(e.call.rawValue)
        let senders = e.flows.compactMap { flows.send[$0]?.index }.compactMap { stepOfEvent[$0] }
        if !senders.isEmpty {
          step["from"] = .array(senders.map { .int(Int64($0)) })
          if let data = e.data {
            step["m"] = .string(data.preview(limit: 24))
            step["mb"] = .int(Int64(clamping: data.length))
          }
        }
      }
      if k > 0 { steps.bytes.append(UInt8(ascii: ",")) }
      steps.object(step)
    }
    steps.bytes.append(UInt8(ascii: "]"))
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
    if !paged {
      for (key, lang) in [("ru", Language.ru), ("en", Language.en)] {
        let options = DiagramOptions(language: lang)
        if let svg = try? Diagrams.render(trace, view: .sequence, format: .svg, options: options) {
          charts[key] = .string(String(decoding: svg, as: UTF8.self))
        }
      }
    }
    let rest: JSONValue = .object([
      "title": .string(title), "lang": .string(language.rawValue), "participants": .array(participants),
      "outputs": .array(outputs), "svg": .object(charts), "files": .array(files.embedded(sources)),
      "kernelLabels": SnapshotJSON.labelsJSON,
    ])
    // {"steps":[…], and the rest's members}.
    var data = JSONWriter()
    data.value(rest)
    var joined: [UInt8] = Array(#"{"steps":"#.utf8)
    joined.reserveCapacity(steps.bytes.count + data.bytes.count + 16)
    joined.append(contentsOf: steps.bytes)
    steps = JSONWriter()
    joined.append(UInt8(ascii: ","))
    joined.append(contentsOf: data.bytes.dropFirst())
    return document(title: title, language: language, json: joined)
  }

  /// The page's bytes: written directly rather than as one interpolated string, so a 100 000-step
  /// page (tens of megabytes of data) is not copied character by character.
  static func document(title: String, language: Language, json: [UInt8]) -> [UInt8] {
    let marker = "\u{0}SOCKSCOPE-DATA\u{0}"
    let text = template(title: title, language: language, data: marker)
    guard let cut = text.range(of: marker) else { return Array(text.utf8) }
    var out: [UInt8] = []
    out.reserveCapacity(text.utf8.count + 1 << 20)
    out.append(contentsOf: text[..<cut.lowerBound].utf8)
    out.append(contentsOf: scriptSafe(json))
    out.append(contentsOf: text[cut.upperBound...].utf8)
    return out
  }

  static func template(title: String, language: Language, data: String) -> String {
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
    <script type="application/json" id="sockscope-data">\(data)</script>
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
  static func scriptSafe(_ json: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(json.count + json.count / 64)
    for byte in json {
      if byte == UInt8(ascii: "<") { out.append(contentsOf: Array("\\u003c".utf8)) } else { out.append(byte) }
    }
    return out
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
}
