/// Draws snapshots as text frames of exactly `width` × `height` terminal cells.
public struct FrameRenderer: Sendable {
  /// The smallest terminal the layout fits.
  public static let minimumWidth = 80
  public static let minimumHeight = 24

  public var width: Int
  public var height: Int
  /// ANSI colours (off for NO_COLOR, dumb terminals, files).
  public var color: Bool
  public var language: PlayerLanguage
  /// Shown in the title line (the trace's name).
  public var title: String

  public init(width: Int, height: Int, color: Bool, language: PlayerLanguage, title: String) {
    self.width = width
    self.height = height
    self.color = color
    self.language = language
    self.title = title
  }

  /// Lines of console each pane shows.
  public var paneHeight: Int { max(1, height - 8) }

  /// The frame for `s`, with the datagram at `position` (default: where the step leaves it).
  public func render(_ s: Snapshot, position: Double? = nil) -> [String] {
    let words = PlayerText(language: language)
    var lines: [String] = []
    let status = "step \(s.step)/\(s.total)  +\(Self.seconds(s.elapsed)) s "
    let head = DisplayWidth.fit(" SockScope · \(title)", width - DisplayWidth.of(status)) + status
    lines.append(paint(head, "1"))

    let leftWidth = width / 2
    let rightWidth = width - leftWidth
    lines.append(
      border(s.leftTitle, width: leftWidth, acting: s.actsLeft)
        + border(s.rightTitle, width: rightWidth, acting: !s.actsLeft))
    for row in 0..<paneHeight {
      lines.append(paneRow(s.left, row, width: leftWidth) + paneRow(s.right, row, width: rightWidth))
    }
    lines.append(bottom(leftWidth) + bottom(rightWidth))

    let call = DisplayWidth.fit(" ▶ \(s.role)  \(s.callLine)", width)
    lines.append(paint(call, s.failed ? "1;31" : "1;33"))
    var sentence = DisplayWidth.wrap(s.sentence, width - 3)
    if sentence.count > 2 {
      sentence = [sentence[0], DisplayWidth.fit(sentence[1], width - 4).trimmingTrailingSpaces + "…"]
    }
    for i in 0..<2 { lines.append(DisplayWidth.fit("   " + (i < sentence.count ? sentence[i] : ""), width)) }
    lines.append(paint(travelLine(s, position: position), "32"))
    lines.append(paint(DisplayWidth.fit(" " + words.keys, width), "2"))
    return lines
  }

  /// A message filling the frame (too small a terminal, the key help).
  public func message(_ text: [String]) -> [String] {
    var lines = [String](repeating: DisplayWidth.fit("", width), count: height)
    let top = max(0, (height - text.count) / 2)
    for (i, t) in text.enumerated() where top + i < height {
      let pad = max(0, (width - DisplayWidth.of(t)) / 2)
      lines[top + i] = DisplayWidth.fit(String(repeating: " ", count: pad) + t, width)
    }
    return lines
  }

  static func seconds(_ s: Double) -> String {
    let ms = Int((s * 1000).rounded())
    let frac = String(ms % 1000)
    return "\(ms / 1000)." + String(repeating: "0", count: 3 - frac.count) + frac
  }

  func paint(_ text: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }

  func border(_ title: String, width: Int, acting: Bool) -> String {
    let label = (acting ? "▶ " : "") + title
    let inner = DisplayWidth.fit("─ " + label + " ", width - 2).replacingTrailingSpaces(with: "─")
    let line = "┌" + inner + "┐"
    return acting ? paint(line, "1;36") : line
  }

  func paneRow(_ lines: [String], _ row: Int, width: Int) -> String {
    // The console's last lines, aligned to the bottom as a terminal scrolls.
    let offset = paneHeight - lines.count
    let text = row >= offset ? lines[row - offset] : ""
    return "│" + DisplayWidth.fit(text, width - 2) + "│"
  }

  func bottom(_ width: Int) -> String { "└" + String(repeating: "─", count: width - 2) + "┘" }

  /// `server ◀────[«Лев» 6 B]──── client#1`: the datagram between its sender and receiver.
  func travelLine(_ s: Snapshot, position: Double?) -> String {
    guard let t = s.travel else { return DisplayWidth.fit("", width) }
    let p = min(1, max(0, position ?? t.position))
    // Each side is drawn under its pane, as on the screen above.
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

extension String {
  func replacingTrailingSpaces(with c: Character) -> String {
    let trimmed = trimmingTrailingSpaces
    return trimmed + String(repeating: c, count: count - trimmed.count)
  }
}
