import SockScopeTrace

extension CallSite {
  /// The call site as the trace records it (`{"file": "client.py", "line": 14, "function": "main"}`),
  /// for formats that carry structured arguments (Perfetto's `args`, the web page's data).
  var jsonValue: JSONValue {
    var o: JSONObject = [:]
    if let file { o["file"] = .string(file) }
    if let line { o["line"] = .int(Int64(line)) }
    if let function { o["function"] = .string(function) }
    if let module { o["module"] = .string(module) }
    if let offset { o["offset"] = .int(Int64(clamping: offset)) }
    return .object(o)
  }

  /// `client.py:14 in main`: the label with the function when known, for notes and comments.
  var shown: String {
    let place = label
    guard let function, !function.isEmpty else { return place }
    return place.isEmpty ? function : "\(place) in \(function)"
  }
}

extension TraceEvent {
  /// Where the call was made, when the trace recorded it and it names something.
  var recordedSource: CallSite? {
    guard let source, !source.isEmpty, !source.shown.isEmpty else { return nil }
    return source
  }
}
