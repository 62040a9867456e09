import SockScopeTrace

/// How a comparison is reported.
public enum ReportFormat: String, Sendable, CaseIterable {
  case text, json, markdown
}

extension Comparison {
  /// The report on `trace` (as the user named it) in `format`.
  public func report(_ format: ReportFormat, trace: String) -> String {
    switch format {
    case .text: textReport(trace: trace)
    case .json: JSONValue.object(json(trace: trace)).jsonText + "\n"
    case .markdown: markdownReport(trace: trace)
    }
  }

  var verdict: String {
    let differences = findings.count { $0.severity == .difference }
    let notes = findings.count - differences
    let noteText = notes == 0 ? "" : "\(notes) note\(notes == 1 ? "" : "s")"
    if differences == 0 {
      return "The run conforms to \(reference)" + (notes == 0 ? "." : " (\(noteText)).")
    }
    return "The run does not conform to \(reference): \(differences) difference\(differences == 1 ? "" : "s")"
      + (notes == 0 ? "." : ", \(noteText).")
  }

  static func place(_ f: Finding) -> String {
    f.time.map { "+" + String(format3($0)) + " s" } ?? ""
  }

  static func format3(_ v: Double) -> String {
    let ms = Int((v * 1000).rounded())
    let frac = String(ms % 1000)
    return "\(ms / 1000)." + String(repeating: "0", count: 3 - frac.count) + frac
  }

  func textReport(trace: String) -> String {
    var out = "Checking \(trace) against \(reference)\n\n"
    let width = (summaries.map { "\($0.role) (pid \($0.pid))".count }.max() ?? 0) + 2
    for s in summaries {
      let name = "\(s.role) (pid \(s.pid))"
      out += "  " + name + String(repeating: " ", count: width - name.count) + s.steps + "\n"
    }
    if !findings.isEmpty { out += "\n" }
    for f in findings {
      let label = f.severity == .note ? "note" : f.kind.rawValue
      out += "\(label): \(f.role)" + (f.time == nil ? "" : " at \(Self.place(f))") + " — \(f.message)\n"
    }
    return out + "\n" + verdict + "\n"
  }

  func json(trace: String) -> JSONObject {
    var o = JSONObject()
    o["trace"] = .string(trace)
    o["reference"] = .string(reference)
    o["conforms"] = .bool(conforms)
    o["roles"] = .array(
      summaries.map {
        .object(["role": .string($0.role), "pid": .int(Int64($0.pid)), "steps": .string($0.steps)])
      })
    o["findings"] = .array(
      findings.map { f in
        var fo: JSONObject = [
          "kind": .string(f.kind.rawValue), "severity": .string(f.severity.rawValue), "role": .string(f.role),
          "step": .string(f.step), "message": .string(f.message),
        ]
        if let e = f.event { fo["event"] = .int(Int64(e)) }
        if let t = f.time { fo["time_s"] = .double((t * 1e6).rounded() / 1e6) }
        return .object(fo)
      })
    return o
  }

  func markdownReport(trace: String) -> String {
    func cell(_ s: String) -> String { s.replacingPipes }
    var out =
      "## `\(trace)` against \(cell(reference))\n\n**\(conforms ? "Conforms" : "Does not conform")**. \(verdict)\n\n"
    out += "| role | pid | steps |\n| --- | ---: | --- |\n"
    for s in summaries { out += "| \(cell(s.role)) | \(s.pid) | \(cell(s.steps)) |\n" }
    if !findings.isEmpty {
      out += "\n| finding | role | when | what |\n| --- | --- | ---: | --- |\n"
      for f in findings {
        let label = f.severity == .note ? "note: \(f.kind.rawValue)" : "**\(f.kind.rawValue)**"
        out += "| \(label) | \(cell(f.role)) | \(Self.place(f)) | \(cell(f.message)) |\n"
      }
    }
    return out
  }
}

extension String {
  fileprivate var replacingPipes: String {
    split(separator: "|", omittingEmptySubsequences: false).joined(separator: "\\|")
  }
}
