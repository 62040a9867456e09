import SockScopeAnalysis
import SockScopeGraphviz
import SockScopeTrace

/// How full each receive queue was over the run: one panel per socket that ever held data, depth
/// (datagrams or records; bytes on a stream) against time, with the net.unix.max_dgram_qlen limit
/// drawn where it applies. From the kernel model; laid out by `nop2` at fixed positions.
struct QueueChart {
  var graph: DOTGraph

  static let plotWidth = 560.0
  static let plotHeight = 110.0
  static let panelGap = 80.0
  static let left = 70.0

  init(trace: Trace, options: DiagramOptions, datagramQueueLimit: QueueLimit?) {
    let ru = options.language == .ru
    let palette = options.theme.palette
    var g = DOTGraph.pinnedFigure(
      name: "queues", palette: palette, node: ["shape": "plaintext"],
      edge: ["dir": "none", "color": .text(palette.line)])
    func pos(_ x: Double, _ y: Double) -> DOTValue { .text("\(Self.number(x)),\(Self.number(y))!") }
    var pointCount = 0
    func point(_ x: Double, _ y: Double) -> String {
      pointCount += 1
      let id = "pt\(pointCount)"
      g.node(id, ["shape": "point", "width": .plain("0.01"), "label": "", "pos": pos(x, y)])
      return id
    }
    func label(_ text: String, _ x: Double, _ y: Double, size: Int = 10, color: String? = nil) {
      pointCount += 1
      var a: DOTAttributes = ["label": .text(text), "pos": pos(x, y), "fontsize": .plain(String(size))]
      if let color { a["fontcolor"] = .text(color) }
      g.node("lb\(pointCount)", a)
    }

    let model = KernelModel(trace: trace, datagramQueueLimit: datagramQueueLimit)
    let series = model.queueTimeline(start: trace.header.t0)
    let end = max(1, trace.events.map { $0.endTime &- trace.header.t0 }.max() ?? 1)
    if series.isEmpty {
      label(
        ru
          ? "Ни в одной очереди приёма трасса не показывает данных."
          : "No receive queue held data the trace shows.", 300, 0, size: 12)
    }
    let seconds = Double(end) / 1e9
    let from = Self.windowStart(series, end: end)
    for (n, s) in series.enumerated() {
      let base = -Double(n) * (Self.plotHeight + Self.panelGap)
      let limit = s.limit.map { UInt64($0.value) }
      let top = max(s.maximum, limit.map { $0 + 1 } ?? 0, 1)
      func x(_ t: UInt64) -> Double {
        Self.left + Self.plotWidth * Double(max(t, from) - from) / Double(max(end - from, 1))
      }
      func y(_ d: UInt64) -> Double { base + Self.plotHeight * Double(d) / Double(top) }
      // Title: which socket, what is counted.
      let name = s.name?.shown.map { ", \($0)" } ?? ""
      let kind = s.kind.map { ", \($0.constant)" } ?? ""
      let unit =
        s.countsBytes
        ? (ru ? "байт" : "bytes")
        : s.kind == .seqpacket ? (ru ? "записей" : "records") : (ru ? "датаграмм" : "datagrams")
      let title =
        ru
        ? "Очередь приёма сокета \(s.socket)\(name)\(kind): \(unit) в очереди"
        : "Receive queue of socket \(s.socket)\(name)\(kind): \(unit) waiting"
      label(title, Self.left + Self.plotWidth / 2, base + Self.plotHeight + 22, size: 12)
      // Axes.
      let origin = point(Self.left, base)
      g.edge(origin, point(Self.left + Self.plotWidth, base), [:])
      g.edge(origin, point(Self.left, base + Self.plotHeight), [:])
      label("0", Self.left - 12, base)
      label(String(top), Self.left - 14, base + Self.plotHeight)
      let start = Self.seconds(from)
      label(ru ? "\(start) с" : "\(start) s", Self.left, base - 14)
      label(
        (ru ? "\(Self.decimal(seconds)) с" : "\(Self.decimal(seconds)) s"), Self.left + Self.plotWidth,
        base - 14)
      label(
        ru ? "время от начала записи" : "time since the recording started", Self.left + Self.plotWidth / 2,
        base - 14, color: palette.secondaryText)
      // The limit: the kernel makes a sender wait when more than this many are queued.
      if let limit, let l = s.limit {
        let ly = y(limit)
        g.edge(
          point(Self.left, ly), point(Self.left + Self.plotWidth, ly),
          ["style": "dashed", "color": .text(palette.failure)])
        let source = l.source == .recorded ? "" : (ru ? " (на этой машине)" : " (on this machine)")
        label(
          "net.unix.max_dgram_qlen = \(l.value)\(source)", Self.left + 150, ly - 10,
          color: palette.failure)
      }
      // The depth as a step line; where several changes fall on one horizontal point, a spike to
      // the deepest of them, then the depth after the last.
      var buckets: [(x: Double, deepest: UInt64, last: UInt64)] = []
      for p in s.points {
        let px = x(p.time).rounded()
        if let b = buckets.last, b.x == px {
          buckets[buckets.count - 1] = (px, max(b.deepest, p.depth), p.depth)
        } else {
          buckets.append((px, p.depth, p.depth))
        }
      }
      let line: DOTAttributes = ["color": .text(palette.message), "penwidth": "2"]
      var previous = point(x(0), y(0))
      var previousDepth: UInt64 = 0
      for b in buckets {
        let corner = point(b.x, y(previousDepth))
        g.edge(previous, corner, line)
        let peak = point(b.x, y(b.deepest))
        g.edge(corner, peak, line)
        let after = point(b.x, y(b.last))
        if b.last != b.deepest { g.edge(peak, after, line) }
        previous = after
        previousDepth = b.last
      }
      g.edge(previous, point(Self.left + Self.plotWidth, y(previousDepth)), line)
      label(
        ru ? "наибольшая глубина: \(s.maximum)" : "deepest: \(s.maximum)", Self.left + Self.plotWidth + 80,
        y(s.maximum))
    }
    graph = g
  }

  /// Where the time axis starts: at 0, unless every queue stayed empty for longer than the part of
  /// the run in which any held data (a client started long after its server): then just before
  /// the first change, so that part is not squeezed against the right edge.
  static func windowStart(_ series: [QueueSeries], end: UInt64) -> UInt64 {
    guard let first = series.compactMap({ $0.points.dropFirst().first?.time }).min(), first < end else {
      return 0
    }
    let active = end - first
    guard first > active else { return 0 }
    // A margin of 5 % of the active part before the first change, rounded down to a power of ten
    // (at least a microsecond) so the axis prints a short number.
    let margin = max(active / 20, 1)
    var unit: UInt64 = 1_000
    while unit * 10 <= margin { unit *= 10 }
    return (first - min(margin, first)) / unit * unit
  }

  /// Nanoseconds as seconds with as many decimals as they need (at least the milliseconds):
  /// `0`, `1.999`, `0.757915`.
  static func seconds(_ ns: UInt64) -> String {
    guard ns > 0 else { return "0" }
    var fraction = ns % 1_000_000_000
    var places = 9
    while places > 3, fraction % 10 == 0 {
      fraction /= 10
      places -= 1
    }
    let digits = String(fraction)
    return "\(ns / 1_000_000_000)." + String(repeating: "0", count: places - digits.count) + digits
  }

  static func number(_ v: Double) -> String {
    v == v.rounded() ? String(Int64(v)) : String((v * 100).rounded() / 100)
  }

  static func decimal(_ v: Double) -> String {
    let r = (v * 1000).rounded() / 1000
    return String(r)
  }
}
