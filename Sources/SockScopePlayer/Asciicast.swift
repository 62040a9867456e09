import SockScopeTrace

/// asciicast v2 recordings of a playback, for asciinema's player on a course page.
public enum Asciicast {
  /// The recording: a header line, then `[time, "o", text]` events with one `[time, "m", label]`
  /// marker per step, so the web player (with pauseOnMarkers) stops at each step as the terminal
  /// player does. Datagrams move in a few frames within their step.
  public static func recording(
    _ playback: Playback, renderer: FrameRenderer, stepSeconds: Double = 1.5, timestamp: Int? = nil
  ) -> String {
    var header = JSONObject()
    header["version"] = .int(2)
    header["width"] = .int(Int64(renderer.width))
    header["height"] = .int(Int64(renderer.height))
    if let timestamp { header["timestamp"] = .int(Int64(timestamp)) }
    header["title"] = .string("SockScope · \(renderer.title.terminalSafe)")
    header["env"] = .object(["TERM": .string("xterm-256color")])
    var out = JSONValue.object(header).jsonText + "\n"
    var time = 0.0
    func event(_ kind: String, _ text: String) {
      let t = (time * 1000).rounded() / 1000
      out += JSONValue.array([.double(t), .string(kind), .string(text)]).jsonText + "\n"
    }
    func screen(_ lines: [String]) -> String { "\u{1B}[H" + lines.joined(separator: "\r\n") }
    event("o", "\u{1B}[2J")
    for k in 0..<playback.count {
      let snapshot = playback.snapshot(k, paneHeight: renderer.paneHeight)
      // Role and call are escaped already (Snapshot); the web player shows markers as text.
      event("m", "\(snapshot.step)/\(snapshot.total) \(snapshot.role): \(snapshot.callLine)".terminalSafe)
      if let travel = snapshot.travel {
        for i in 0..<4 {
          let p = travel.startPosition + (travel.position - travel.startPosition) * Double(i) / 4
          event("o", screen(renderer.render(snapshot, position: p)))
          time += 0.1
        }
      }
      event("o", screen(renderer.render(snapshot)))
      time += stepSeconds
    }
    return out
  }
}
