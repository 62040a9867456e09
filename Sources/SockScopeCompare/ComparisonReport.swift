import SockScopeLanguage
import SockScopeTrace

/// How a comparison is reported.
public enum ReportFormat: String, Sendable, CaseIterable {
  case text, json, markdown
}

extension Comparison {
  /// The report on `trace` (as the user named it) in `format`, in the comparison's language;
  /// `hints` adds to each finding what a student should understand and change.
  public func report(_ format: ReportFormat, trace: String, hints: Bool = false) -> String {
    switch format {
    case .text: textReport(trace: trace, hints: hints)
    case .json: JSONValue.object(json(trace: trace)).jsonText + "\n"
    case .markdown: markdownReport(trace: trace, hints: hints)
    }
  }

  var words: FindingWords { FindingWords(language: language) }

  /// The reference as a sentence names it after "against"/"по": the schematic «…», the reference run "a".
  var referencePhrase: String {
    referenceIsRun
      ? words.say("эталонному прогону \(reference)", "the reference run \(reference)")
      : words.say("схеме \(reference)", "the schematic \(reference)")
  }

  /// The report's first line.
  func heading(_ trace: String) -> String {
    referenceIsRun
      ? words.say(
        "Сравнение \(trace) с эталонным прогоном \(reference)",
        "Comparing \(trace) with the reference run \(reference)")
      : words.say(
        "Проверка \(trace) по схеме \(reference)", "Checking \(trace) against the schematic \(reference)")
  }

  /// How many differences and notes, and whether the run conforms, in a sentence.
  public var verdict: String {
    let differences = findings.count { $0.severity == .difference }
    let notes = findings.count - differences
    let w = words
    let noteText = w.say("замечаний: \(notes)", "\(notes) note\(notes == 1 ? "" : "s")")
    if differences == 0 {
      let base =
        referenceIsRun
        ? w.say(
          "Прогон совпадает с эталонным прогоном \(reference)",
          "The run matches the reference run \(reference)")
        : w.say("Прогон соответствует схеме \(reference)", "The run conforms to the schematic \(reference)")
      return base + (notes == 0 ? "." : " (\(noteText)).")
    }
    let base =
      referenceIsRun
      ? w.say(
        "Прогон отличается от эталонного прогона \(reference)",
        "The run differs from the reference run \(reference)")
      : w.say(
        "Прогон не соответствует схеме \(reference)", "The run does not conform to the schematic \(reference)"
      )
    let differenceText = w.say(
      "расхождений: \(differences)", "\(differences) difference\(differences == 1 ? "" : "s")")
    return base + ": " + differenceText + (notes == 0 ? "." : ", \(noteText).")
  }

  static func place(_ f: Finding) -> String {
    f.time.map { "+" + String(format3($0)) + " s" } ?? ""
  }

  static func format3(_ v: Double) -> String {
    let ms = Int((v * 1000).rounded())
    let frac = String(ms % 1000)
    return "\(ms / 1000)." + String(repeating: "0", count: 3 - frac.count) + frac
  }

  /// `note` or the kind, as the report labels a finding.
  func label(_ f: Finding) -> String { f.severity == .note ? words.note : f.kind.label(language) }

  /// "expected: 1024; actual: 16", or nothing.
  func values(_ f: Finding) -> String? {
    guard f.expected != nil || f.actual != nil else { return nil }
    return [f.expected.map { "\(words.expected): \($0)" }, f.actual.map { "\(words.actual): \($0)" }]
      .compactMap { $0 }.joined(separator: "; ")
  }

  func textReport(trace: String, hints: Bool) -> String {
    // Roles, steps and messages hold text from the trace: escaped, so that a crafted trace cannot
    // act on the terminal of whoever reads the report.
    var out = heading(trace).terminalSafe + "\n\n"
    let width = (summaries.map { "\($0.role.terminalSafe) (pid \($0.pid))".count }.max() ?? 0) + 2
    for s in summaries {
      let name = "\(s.role.terminalSafe) (pid \(s.pid))"
      out += "  " + name + String(repeating: " ", count: width - name.count) + s.steps.terminalSafe + "\n"
    }
    if !findings.isEmpty { out += "\n" }
    let at = words.say("в", "at")
    for f in findings {
      out +=
        "\(label(f)): \(f.role.terminalSafe)" + (f.time == nil ? "" : " \(at) \(Self.place(f))")
        + (f.source.map { " (\($0.terminalSafe))" } ?? "") + " — \(f.message.terminalSafe)\n"
      if let values = values(f) { out += "    " + values.terminalSafe + "\n" }
      if hints, !f.hint.isEmpty { out += "    \(words.hint): \(f.hint.terminalSafe)\n" }
    }
    return out + "\n" + verdict.terminalSafe + "\n"
  }

  func json(trace: String) -> JSONObject {
    var o = JSONObject()
    o["trace"] = .string(trace)
    o["reference"] = .string(reference)
    o["reference_kind"] = .string(referenceIsRun ? "run" : "schematic")
    o["language"] = .string(language.rawValue)
    o["conforms"] = .bool(conforms)
    o["verdict"] = .string(verdict)
    o["roles"] = .array(
      summaries.map {
        .object(["role": .string($0.role), "pid": .int(Int64($0.pid)), "steps": .string($0.steps)])
      })
    o["findings"] = .array(findings.map { .object(Self.json($0, language: language)) })
    return o
  }

  /// One finding as JSON: its kind both as an id and as the report labels it.
  static func json(_ f: Finding, language: Language) -> JSONObject {
    var fo: JSONObject = [
      "kind": .string(f.kind.rawValue), "id": .string(f.kind.id), "label": .string(f.kind.label(language)),
      "severity": .string(f.severity.rawValue), "role": .string(f.role), "step": .string(f.step),
      "message": .string(f.message), "hint": .string(f.hint),
    ]
    if let e = f.event { fo["event"] = .int(Int64(e)) }
    if let t = f.time { fo["time_s"] = .double((t * 1e6).rounded() / 1e6) }
    if let v = f.expected { fo["expected"] = .string(v) }
    if let v = f.actual { fo["actual"] = .string(v) }
    if let v = f.source { fo["source"] = .string(v) }
    return fo
  }

  func markdownReport(trace: String, hints: Bool) -> String {
    func cell(_ s: String) -> String { s.terminalSafe.markdownCell }
    let w = words
    let conformsText =
      conforms
      ? w.say(referenceIsRun ? "Совпадает" : "Соответствует", referenceIsRun ? "Matches" : "Conforms")
      : w.say(
        referenceIsRun ? "Отличается" : "Не соответствует", referenceIsRun ? "Differs" : "Does not conform")
    var out = "## \(cell(heading("`\(trace)`")))\n\n**\(conformsText)**. \(cell(verdict))\n\n"
    out += w.say("| роль | pid | шаги |", "| role | pid | steps |") + "\n| --- | ---: | --- |\n"
    for s in summaries { out += "| \(cell(s.role)) | \(s.pid) | \(cell(s.steps)) |\n" }
    if !findings.isEmpty {
      out +=
        "\n"
        + w.say(
          "| находка | роль | когда | что | ожидалось | в прогоне |",
          "| finding | role | when | what | expected | actual |")
        + (hints ? w.say(" совет |", " hint |") : "") + "\n| --- | --- | ---: | --- | --- | --- |"
        + (hints ? " --- |" : "") + "\n"
      for f in findings {
        let shown =
          f.severity == .note ? "\(w.note): \(f.kind.label(language))" : "**\(f.kind.label(language))**"
        let what = f.message + (f.source.map { " (\($0))" } ?? "")
        out +=
          "| \(shown) | \(cell(f.role)) | \(Self.place(f)) | \(cell(what)) | \(cell(f.expected ?? "")) | "
          + "\(cell(f.actual ?? "")) |" + (hints ? " \(cell(f.hint)) |" : "") + "\n"
      }
    }
    return out
  }
}

extension String {
  /// The text inside a Markdown table cell: pipes escaped, line ends as spaces.
  var markdownCell: String {
    split(separator: "|", omittingEmptySubsequences: false).joined(separator: "\\|")
      .split(whereSeparator: \.isNewline).joined(separator: " ")
  }
}
