public import SockScopeLanguage
import SockScopeTrace

/// One student's run as graded: its comparison and score, or why it could not be read.
public struct GradedRun: Sendable {
  /// The run as the user named it (a path).
  public var run: String
  public var comparison: Comparison?
  public var score: Int?
  /// Points lost per kind of finding.
  public var deductions: [Finding.Kind: Int]
  /// Why the run could not be graded (unreadable, not a trace, an invalid trace...).
  public var error: String?
  /// The run's marked figure, as the report links it (relative to the report), when drawn.
  public var figure: String?

  public init(run: String, comparison: Comparison, rubric: Rubric) {
    self.run = run
    self.comparison = comparison
    (score, deductions) = rubric.score(comparison.findings)
  }

  public init(run: String, error: String) {
    self.run = run
    self.error = error
    deductions = [:]
  }

  public var conforms: Bool { comparison?.conforms ?? false }
}

/// How a class's grades are written.
public enum GradeFormat: String, Sendable, CaseIterable {
  case markdown, csv, json, html
}

/// The grades of a class: one row per run, against one schematic and rubric.
public struct ClassReport: Sendable {
  public var runs: [GradedRun]
  /// The schematic's title.
  public var schematic: String
  public var rubric: Rubric
  public var language: Language
  public var hints: Bool
  /// Files found in a directory that are not runs (a README, a picture), left out and listed.
  public var skipped: [String]

  public init(
    runs: [GradedRun], schematic: String, rubric: Rubric, language: Language, hints: Bool = false,
    skipped: [String] = []
  ) {
    self.runs = runs
    self.schematic = schematic
    self.rubric = rubric
    self.language = language
    self.hints = hints
    self.skipped = skipped
  }

  /// 0 every run conforms, 1 some do not, 2 some could not be read (or there were none).
  public var exitStatus: Int32 {
    if runs.isEmpty || runs.contains(where: { $0.error != nil }) { return 2 }
    return runs.allSatisfy(\.conforms) ? 0 : 1
  }

  var words: FindingWords { FindingWords(language: language) }

  /// "3 runs: 1 conforms, 1 does not, 1 unreadable".
  public var summary: String {
    let conforming = runs.count(where: \.conforms)
    let unreadable = runs.count { $0.error != nil }
    let failing = runs.count - conforming - unreadable
    return words.say(
      "прогонов: \(runs.count); соответствуют: \(conforming), не соответствуют: \(failing), не прочитаны: \(unreadable)",
      "\(runs.count) run\(runs.count == 1 ? "" : "s"): \(conforming) conform, \(failing) do not, "
        + "\(unreadable) could not be read")
  }

  public func render(_ format: GradeFormat) -> String {
    switch format {
    case .markdown: markdown()
    case .csv: csv()
    case .json: JSONValue.object(json()).jsonText + "\n"
    case .html: html()
    }
  }

  /// A finding as a line of a cell: `wrong argument: recv was called with 16…`.
  func line(_ f: Finding, _ language: Language) -> String {
    let label = f.severity == .note ? words.note + ": " + f.kind.label(language) : f.kind.label(language)
    var text = "\(label) (\(f.role)): \(f.message)"
    if let source = f.source { text += " (\(source))" }
    if hints, !f.hint.isEmpty { text += " — \(words.hint): \(f.hint)" }
    return text
  }

  func verdict(_ run: GradedRun) -> String {
    if run.error != nil { return words.say("не прочитан", "unreadable") }
    return run.conforms ? words.say("да", "yes") : words.say("нет", "no")
  }

  // MARK: Markdown

  func markdown() -> String {
    func cell(_ s: String) -> String { s.terminalSafe.markdownCell }
    let w = words
    var out = "# " + w.say("Оценки: ", "Grades: ") + cell(schematic) + "\n\n" + cell(summary) + ". "
    out += w.say("Баллы из \(rubric.points).", "Points out of \(rubric.points).") + "\n\n"
    out +=
      w.say("| прогон | соответствует | баллы | находки |", "| run | conforms | score | findings |")
      + "\n| --- | --- | ---: | --- |\n"
    for run in runs {
      let findings: String
      if let error = run.error {
        findings = "**" + w.say("ошибка", "error") + "**: " + cell(error)
      } else {
        findings = (run.comparison?.findings ?? []).map { cell(line($0, language)) }.joined(separator: "<br>")
      }
      out += "| \(cell(run.run)) | \(verdict(run)) | \(run.score.map(String.init) ?? "—") | \(findings) |\n"
    }
    if !skipped.isEmpty {
      out +=
        "\n" + w.say("Не прогоны (пропущены): ", "Not runs (left out): ")
        + skipped.map { "`\(cell($0))`" }.joined(separator: ", ") + "\n"
    }
    return out
  }

  // MARK: CSV

  /// One row per run: `run`, `conforms`, `score`, `error`, `findings`, then the points lost per kind.
  func csv() -> String {
    let kinds = Finding.Kind.allCases
    var rows = [
      ["run", "conforms", "score", "points", "differences", "notes", "error", "findings"]
        + kinds.map { "lost_\($0.id)" }
    ]
    for run in runs {
      let findings = run.comparison?.findings ?? []
      let differences = findings.count { $0.severity == .difference }
      rows.append(
        [
          run.run, String(run.conforms), run.score.map(String.init) ?? "",
          String(rubric.points), run.error == nil ? String(differences) : "",
          run.error == nil ? String(findings.count - differences) : "", run.error ?? "",
          findings.map { line($0, language) }.joined(separator: "\n"),
        ] + kinds.map { run.deductions[$0].map(String.init) ?? (run.error == nil ? "0" : "") })
    }
    return rows.map { $0.map(Self.csvField).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
  }

  /// A CSV field (RFC 4180): quoted when it holds a comma, quote or line end. A field starting with
  /// `=`, `+`, `-` or `@` gets a leading `'`, so that a spreadsheet shows text from a trace as text
  /// and never runs it as a formula.
  static func csvField(_ value: String) -> String {
    var v = value
    if let first = v.first, "=+-@".contains(first), Int(v) == nil { v = "'" + v }
    guard v.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return v }
    return "\"" + v.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
  }

  // MARK: JSON

  func json() -> JSONObject {
    var o = JSONObject()
    o["schematic"] = .string(schematic)
    o["language"] = .string(language.rawValue)
    o["points"] = .int(Int64(rubric.points))
    o["summary"] = .string(summary)
    o["runs"] = .array(
      runs.map { run in
        var r: JSONObject = ["run": .string(run.run)]
        if let error = run.error {
          r["error"] = .string(error)
        } else {
          r["conforms"] = .bool(run.conforms)
          r["score"] = run.score.map { .int(Int64($0)) } ?? .null
          var lost = JSONObject()
          for kind in Finding.Kind.allCases {
            if let n = run.deductions[kind] { lost[kind.id] = .int(Int64(n)) }
          }
          r["lost"] = .object(lost)
          r["findings"] = .array(
            (run.comparison?.findings ?? []).map { .object(Comparison.json($0, language: language)) })
        }
        if let figure = run.figure { r["figure"] = .string(figure) }
        return .object(r)
      })
    o["skipped"] = .array(skipped.map { .string($0) })
    return o
  }

  // MARK: HTML

  func html() -> String {
    let w = words
    let title = w.say("Оценки: ", "Grades: ") + schematic
    var out = """
      <!DOCTYPE html>
      <html lang="\(language.rawValue)"><head><meta charset="utf-8">
      <meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src 'self'; style-src 'unsafe-inline'">
      <title>\(Self.escaped(title))</title>
      <style>
      body{font:15px/1.4 system-ui,sans-serif;margin:2em;color:#222}
      table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;vertical-align:top;text-align:left}
      .yes{color:#2e7d32;font-weight:bold}.no{color:#c62828;font-weight:bold}.error{color:#8e24aa}
      td.score{text-align:right}ul{margin:0;padding-left:1.2em}
      </style></head><body>
      <h1>\(Self.escaped(title))</h1>
      <p>\(Self.escaped(summary)). \(Self.escaped(w.say("Баллы из \(rubric.points).", "Points out of \(rubric.points).")))</p>
      <table><thead><tr><th>\(w.say("прогон", "run"))</th><th>\(w.say("соответствует", "conforms"))</th>\
      <th>\(w.say("баллы", "score"))</th><th>\(w.say("находки", "findings"))</th><th>\(w.say("рисунок", "figure"))</th></tr></thead><tbody>

      """
    for run in runs {
      let css = run.error != nil ? "error" : run.conforms ? "yes" : "no"
      var findings = ""
      if let error = run.error {
        findings = "<span class=\"error\">\(Self.escaped(error))</span>"
      } else if let list = run.comparison?.findings, !list.isEmpty {
        findings = "<ul>" + list.map { "<li>\(Self.escaped(line($0, language)))</li>" }.joined() + "</ul>"
      }
      let figure = run.figure.map {
        "<a href=\"\(Self.escaped(Self.percentEncoded($0)))\">\(w.say("схема", "schematic"))</a>"
      }
      out +=
        "<tr><td>\(Self.escaped(run.run))</td><td class=\"\(css)\">\(Self.escaped(verdict(run)))</td>"
        + "<td class=\"score\">\(run.score.map(String.init) ?? "—")</td><td>\(findings)</td><td>\(figure ?? "")</td></tr>\n"
    }
    out += "</tbody></table>\n"
    if !skipped.isEmpty {
      out +=
        "<p>\(Self.escaped(w.say("Не прогоны (пропущены): ", "Not runs (left out): ")))"
        + skipped.map { "<code>\(Self.escaped($0))</code>" }.joined(separator: ", ") + "</p>\n"
    }
    return out + "</body></html>\n"
  }

  /// Text as HTML shows it: markup characters escaped, control characters as `\u{…}` escapes.
  static func escaped(_ s: String) -> String {
    var out = ""
    for c in s.terminalSafe {
      switch c {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      default: out.append(c)
      }
    }
    return out
  }

  /// A relative path as a link's address: each byte outside the unreserved set and `/` percent-encoded.
  static func percentEncoded(_ path: String) -> String {
    var out = ""
    for byte in path.utf8 {
      let c = Character(Unicode.Scalar(byte))
      if c.isASCII && (c.isLetter || c.isNumber || "-._~/".contains(c)) {
        out.append(c)
      } else {
        out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(2)
      }
    }
    return out
  }
}

extension String {
  fileprivate func leftPadded(_ width: Int) -> String {
    count >= width ? self : String(repeating: "0", count: width - count) + self
  }
}
