/// Where the label of a message arrow goes on a sequence chart: beside the arrow, never across it,
/// between the two lifelines when it fits, and clear of the calls' labels, the labels placed before
/// it, the other arrows and the lifelines wherever such a place exists. (A label centred on a
/// slanted arrow was crossed by it, and a label of several lines, such as one naming passed
/// descriptors, covered the calls' labels of the rows the arrow passed.)
struct MessageLabelPlacer {
  /// A label's rectangle, in the chart's points (y grows upwards).
  struct Box {
    var left, right, bottom, top: Double

    init(centerX x: Double, centerY y: Double, width: Double, height: Double) {
      (left, right, bottom, top) = (x - width / 2, x + width / 2, y - height / 2, y + height / 2)
    }

    func overlaps(_ o: Box) -> Bool { left < o.right && o.left < right && bottom < o.top && o.bottom < top }

    /// Whether the straight line from `a` to `b` passes through the rectangle.
    func crosses(_ a: (x: Double, y: Double), _ b: (x: Double, y: Double)) -> Bool {
      if abs(a.x - b.x) < 0.5 {
        return left < a.x && a.x < right && min(a.y, b.y) < top && bottom < max(a.y, b.y)
      }
      let x0 = max(left, min(a.x, b.x))
      let x1 = min(right, max(a.x, b.x))
      guard x0 < x1 else { return false }
      func y(_ x: Double) -> Double { a.y + (b.y - a.y) * (x - a.x) / (b.x - a.x) }
      let (y0, y1) = (y(x0), y(x1))
      return min(y0, y1) < top && bottom < max(y0, y1)
    }
  }

  /// The space kept between a label and the arrow it names, in points.
  static let clearance = 3.0

  /// The labels already on the chart, and by band of height (`band` points) the ones reaching
  /// into it: a chart of every call of a long run has tens of thousands of labels.
  private var taken: [Box] = []
  private var takenInBand: [Int: [Int]] = [:]
  /// The slanted lines (arrows) on the chart, and by band the ones crossing it.
  private var slanted: [(a: (x: Double, y: Double), b: (x: Double, y: Double))] = []
  private var slantedInBand: [Int: [Int]] = [:]
  /// The vertical lines (lifelines), in order of x: each crosses every band.
  private var vertical: [(x: Double, low: Double, high: Double)] = []
  private static let band = 52.0

  private static func bands(_ low: Double, _ high: Double) -> ClosedRange<Int> {
    Int((low / band).rounded(.down))...Int((high / band).rounded(.down))
  }

  /// Marks a label's rectangle as taken.
  mutating func take(_ box: Box) {
    for k in Self.bands(box.bottom, box.top) { takenInBand[k, default: []].append(taken.count) }
    taken.append(box)
  }

  /// Marks a straight line (an arrow, a lifeline) a label should not cross.
  mutating func line(from a: (x: Double, y: Double), to b: (x: Double, y: Double)) {
    if abs(a.x - b.x) < 0.5 {
      let at = vertical.firstIndex { $0.x > a.x } ?? vertical.endIndex
      vertical.insert((a.x, min(a.y, b.y), max(a.y, b.y)), at: at)
      return
    }
    for k in Self.bands(min(a.y, b.y), max(a.y, b.y)) { slantedInBand[k, default: []].append(slanted.count) }
    slanted.append((a, b))
  }

  /// Whether `box` overlaps a label or crosses a line other than `own`.
  private func isFree(_ box: Box, own: (a: (x: Double, y: Double), b: (x: Double, y: Double))) -> Bool {
    for k in Self.bands(box.bottom, box.top) {
      if (takenInBand[k] ?? []).contains(where: { taken[$0].overlaps(box) }) { return false }
      let crossed = (slantedInBand[k] ?? []).contains { i in
        let l = slanted[i]
        return !(l.a == own.a && l.b == own.b) && box.crosses(l.a, l.b)
      }
      if crossed { return false }
    }
    // The first lifeline right of the box's left edge, and on while they are left of its right one.
    var low = 0
    var high = vertical.count
    while low < high {
      let mid = (low + high) / 2
      if vertical[mid].x <= box.left { low = mid + 1 } else { high = mid }
    }
    for v in vertical[low...] {
      if v.x >= box.right { break }
      if box.crosses((v.x, v.low), (v.x, v.high)) { return false }
    }
    return true
  }

  /// The centre of a label of `width`×`height` for the arrow from `from` to `to`, which it then
  /// takes: above the arrow, from its middle outwards, else below it, the first place that overlaps
  /// no label and crosses no other line; above the middle where every place does.
  mutating func place(
    width: Double, height: Double, from: (x: Double, y: Double), to: (x: Double, y: Double)
  ) -> (x: Double, y: Double) {
    let (low, high) = (min(from.x, to.x), max(from.x, to.x))
    func lineY(_ x: Double) -> Double {
      high - low < 1 ? from.y : from.y + (to.y - from.y) * (x - from.x) / (to.x - from.x)
    }
    // Above the arrow first (where an arrow's label is read), then below it.
    var above: [(x: Double, y: Double)] = []
    var below: [(x: Double, y: Double)] = []
    for t in [0.5, 0.6, 0.4, 0.7, 0.3, 0.8, 0.2, 0.9, 0.1] {
      // Between the lifelines when the label fits there, else centred between them.
      let margin = width / 2 + 6
      let x =
        high - low > 2 * margin
        ? min(max(low + (high - low) * t, low + margin), high - margin) : (low + high) / 2
      let ends = (lineY(x - width / 2), lineY(x + width / 2))
      above.append((x, max(ends.0, ends.1) + Self.clearance + height / 2))
      below.append((x, min(ends.0, ends.1) - Self.clearance - height / 2))
    }
    let own = (a: from, b: to)
    let free = (above + below).first { c in
      isFree(Box(centerX: c.x, centerY: c.y, width: width, height: height), own: own)
    }
    // Where no place is free (a fan of many arrows), above the middle: such labels then stand in
    // one column, in the arrows' order, rather than scattered.
    let chosen = free ?? above[0]
    take(Box(centerX: chosen.x, centerY: chosen.y, width: width, height: height))
    return chosen
  }
}
