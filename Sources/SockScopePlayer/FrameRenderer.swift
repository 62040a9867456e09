public import SockScopeLanguage

/// The interactive player's state, shown in its frames (frames printed or cast have none).
public struct PlayState: Sendable, Equatable {
  public var playing: Bool
  public var speed: Double

  public init(playing: Bool, speed: Double) {
    self.playing = playing
    self.speed = speed
  }
}

/// Draws snapshots as text frames of exactly `width` × `height` terminal cells: the title line,
/// one pane per process (side by side, in rows when they do not fit), the call, what the kernel
/// did, the datagram on its way, the receive queues, and (interactive only) the keys.
public struct FrameRenderer: Sendable {
  /// The smallest terminal the layout fits.
  public static let minimumWidth = 80
  public static let minimumHeight = 24
  /// The largest frame drawn: a bound on memory and time, far beyond any terminal.
  public static let maximumWidth = 1000
  public static let maximumHeight = 1000
  /// The narrowest pane: a process's name and pid, and some console, fit in it.
  static let minimumPaneWidth = 24

  public var width: Int
  public var height: Int
  /// ANSI colours (off for NO_COLOR, dumb terminals, files).
  public var color: Bool
  public var language: Language
  /// Shown in the title line (the trace's name).
  public var title: String

  public init(width: Int, height: Int, color: Bool, language: Language, title: String) {
    self.width = min(max(width, 1), Self.maximumWidth)
    self.height = min(max(height, 1), Self.maximumHeight)
    self.color = color
    self.language = language
    self.title = title
  }

  /// Rows that are not panes: title, call, three of explanation, travel, queues, kernel.
  static let fixedRows = 8

  /// The most console lines a pane can show (ask a snapshot for this many).
  public var paneHeight: Int { max(1, height - Self.fixedRows - 3) }

  /// The frame for `s`, with the datagram at `position` (default: where the step leaves it), and
  /// the play state and key line when `state` is given (the interactive player).
  public func render(_ s: Snapshot, position: Double? = nil, state: PlayState? = nil) -> [String] {
    let words = PlayerText(language: language)
    var lines: [String] = []
    var status = "step \(s.step)/\(s.total)  +\(Self.seconds(s.elapsed)) s "
    if let state { status = words.playState(playing: state.playing, speed: state.speed) + "  " + status }
    var sentence = DisplayWidth.wrap(s.sentence, width - 3)
    // A failed call's explanation ends with the fix: it may borrow up to three rows from the
    // panes (leaving them at least nine) rather than lose its end.
    let borrowed =
      s.failed
      ? min(3, max(0, sentence.count - 3), max(0, height - Self.fixedRows - (state == nil ? 0 : 1) - 9)) : 0
    let sentenceRows = 3 + borrowed
    let paneRows = height - Self.fixedRows - (state == nil ? 0 : 1) - borrowed
    let (grid, hidden) = layout(s, paneRows: paneRows)
    let hiddenNote =
      hidden > 0 ? (language == .ru ? "  (+\(hidden) не видно)" : "  (+\(hidden) not shown)") : ""
    let head =
      DisplayWidth.fit(
        DisplayWidth.cut(
          " SockScope · \(title)", max(0, width - DisplayWidth.of(status) - DisplayWidth.of(hiddenNote)))
          + hiddenNote, width - DisplayWidth.of(status)) + status
    lines.append(paint(DisplayWidth.fit(head, width), "1"))

    let rowHeights = Self.split(paneRows, into: grid.count)
    for (row, panes) in grid.enumerated() {
      let widths = Self.split(width, into: panes.count)
      let inner = rowHeights[row] - 2
      let contents = zip(panes, widths).map { pane, w in paneLines(pane, width: w - 2, rows: inner) }
      lines.append(zip(panes, widths).map { border($0.title, width: $1, acting: $0.acting) }.joined())
      for r in 0..<max(0, inner) {
        lines.append(zip(contents, widths).map { "│" + DisplayWidth.fit($0[r], $1 - 2) + "│" }.joined())
      }
      lines.append(widths.map(bottom).joined())
    }

    lines.append(paint(callLine(s), s.failed ? "1;31" : "1;33"))
    if sentence.count > sentenceRows {
      let last = sentenceRows - 1
      sentence =
        Array(sentence.prefix(last)) + [
          DisplayWidth.cut(sentence[last] + " " + sentence[last + 1], width - 3)
        ]
    }
    for i in 0..<sentenceRows {
      lines.append(DisplayWidth.fit("   " + (i < sentence.count ? sentence[i] : ""), width))
    }
    lines.append(paint(travelLine(s, position: position), "32"))
    lines.append(
      paint(DisplayWidth.fit(" " + DisplayWidth.cut(words.queues(s.queues), width - 1), width), "36"))
    lines.append(
      paint(DisplayWidth.fit(" " + DisplayWidth.cut(words.kernel(s.sockets), width - 1), width), "2"))
    if state != nil { lines.append(paint(DisplayWidth.fit(" " + words.keys, width), "2")) }
    return lines
  }

  /// The frame as plain text, trailing spaces trimmed (`play --frames`).
  public func plainText(_ s: Snapshot) -> String {
    render(s).map { $0.trimmingTrailingSpaces }.joined(separator: "\n")
  }

  /// A message filling the frame (too small a terminal, the key help): the lines as one block,
  /// left-aligned with each other, centred on the screen.
  public func message(_ text: [String]) -> [String] {
    var lines = [String](repeating: DisplayWidth.fit("", width), count: height)
    let top = max(0, (height - text.count) / 2)
    let pad = max(0, (width - (text.map { DisplayWidth.of($0) }.max() ?? 0)) / 2)
    for (i, t) in text.enumerated() where top + i < height {
      lines[top + i] = DisplayWidth.fit(String(repeating: " ", count: pad) + t, width)
    }
    return lines
  }

  /// The panes in rows, and how many processes had no room. Every pane is at least
  /// `minimumPaneWidth` wide and shows at least one line; when not all fit, the acting process
  /// and its peer in this step are kept first, then the others in order.
  func layout(_ s: Snapshot, paneRows: Int) -> (rows: [[PaneView]], hidden: Int) {
    let n = s.panes.count
    guard n > 0 else { return ([], 0) }
    let columns = max(1, min(n, width / Self.minimumPaneWidth))
    let maxRows = max(1, paneRows / 3)
    var shown = s.panes
    if n > columns * maxRows {
      let keep = columns * maxRows
      let peers = [s.pid] + [s.travel?.fromPID, s.travel?.toPID].compactMap { $0 }
      var chosen = Set<Int32>()
      for pid in peers where chosen.count < keep { chosen.insert(pid) }
      for pane in s.panes where chosen.count < keep { chosen.insert(pane.pid) }
      shown = s.panes.filter { chosen.contains($0.pid) }
    }
    var rows: [[PaneView]] = []
    var i = 0
    while i < shown.count {
      rows.append(Array(shown[i..<min(i + columns, shown.count)]))
      i += columns
    }
    return (rows, n - shown.count)
  }

  /// `total` split into `parts` as even as can be (the first ones one larger).
  static func split(_ total: Int, into parts: Int) -> [Int] {
    guard parts > 0 else { return [] }
    return (0..<parts).map { total / parts + ($0 < total % parts ? 1 : 0) }
  }

  /// A pane's console: from the top, long lines wrapped as a terminal wraps them, and when there
  /// is more than fits, the last lines (as a terminal scrolls).
  func paneLines(_ pane: PaneView, width: Int, rows: Int) -> [String] {
    guard width > 0, rows > 0 else { return [String](repeating: "", count: max(0, rows)) }
    var wrapped: [String] = []
    for line in pane.lines.suffix(rows) {
      var rest = Substring(line)
      repeat {
        let head = Self.prefix(rest, columns: width)
        wrapped.append(String(head))
        rest = rest[head.endIndex...]
      } while !rest.isEmpty
    }
    let visible = Array(wrapped.suffix(rows))
    return visible + [String](repeating: "", count: rows - visible.count)
  }

  /// The longest prefix of `text` that takes at most `columns` columns (at least one character).
  static func prefix(_ text: Substring, columns: Int) -> Substring {
    var used = 0
    var end = text.startIndex
    for scalarIndex in text.unicodeScalars.indices {
      let w = DisplayWidth.of(text.unicodeScalars[scalarIndex])
      if used + w > columns, end > text.startIndex { break }
      used += w
      end = text.unicodeScalars.index(after: scalarIndex)
    }
    return text[..<end]
  }

  static func seconds(_ s: Double) -> String {
    let ms = Int((s * 1000).rounded())
    let frac = String(ms % 1000)
    return "\(ms / 1000)." + String(repeating: "0", count: 3 - frac.count) + frac
  }

  func paint(_ text: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }

  func border(_ title: String, width: Int, acting: Bool) -> String {
    let label = DisplayWidth.cut((acting ? "▶ " : "") + title, max(0, width - 5))
    let text = "─ " + label + " "
    let used = DisplayWidth.of(text)
    let inner =
      used >= width - 2
      ? DisplayWidth.fit(text, width - 2) : text + String(repeating: "─", count: width - 2 - used)
    let line = "┌" + inner + "┐"
    return acting ? paint(line, "1;36") : line
  }

  func bottom(_ width: Int) -> String { "└" + String(repeating: "─", count: max(0, width - 2)) + "┘" }

  /// ` ▶ client#1  send(3, «Лев Николаевич Толстой», 41, 0) = 41`: the payload is what gets cut
  /// (with `…`) when the line is too long, so the call and its result stay readable.
  func callLine(_ s: Snapshot) -> String {
    let lead = " ▶ \(s.role)  "
    let place = s.call.source.map { "   \($0)" } ?? ""  // The call's source line, after its result.
    let fixed = DisplayWidth.of(lead + s.call.head + s.call.tail + place)
    guard let payload = s.call.payload else {
      return DisplayWidth.fit(DisplayWidth.cut(lead + s.call.plain + place, width), width)
    }
    let room = max(1, width - fixed - 2)
    return DisplayWidth.fit(
      DisplayWidth.cut(
        lead + s.call.head + "«" + DisplayWidth.cut(payload, room) + "»" + s.call.tail + place, width),
      width)
  }

  /// `server ◀────[«Лев» 6 B]──── client#1`: the datagram between its sender and receiver.
  func travelLine(_ s: Snapshot, position: Double?) -> String {
    guard let t = s.travel else { return DisplayWidth.fit("", width) }
    let p = min(1, max(0, position ?? t.position))
    // The sender is drawn on the side its pane is on.
    let senderOnLeft = t.senderOnLeft
    let leftName = senderOnLeft ? t.from : t.to
    let rightName = senderOnLeft ? t.to : t.from
    let box = "[" + t.label + "]"
    let track = max(
      DisplayWidth.of(box) + 4, width - DisplayWidth.of(leftName) - DisplayWidth.of(rightName) - 8)
    let free = track - DisplayWidth.of(box)
    let fromLeft = senderOnLeft ? p : 1 - p
    let at = Int((Double(free) * fromLeft).rounded())
    var line = String(repeating: "─", count: at) + box + String(repeating: "─", count: free - at)
    line = senderOnLeft ? line + "▶" : "◀" + line
    return DisplayWidth.fit("   " + leftName + " " + line + " " + rightName, width)
  }
}
