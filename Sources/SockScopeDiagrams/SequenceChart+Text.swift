import SockScopeAnalysis
import SockScopeGraphviz
import SockScopeLanguage
import SockScopeTrace

// The sequence chart's text and measures: labels of calls, notes on socket files, sizes of labels,
// numbers as DOT writes them. Moved unchanged from SequenceChart.swift.
extension SequenceChart {
  /// Depth below the top for time `t`, interpolated between the marks of the calls.
  static func depth(at t: UInt64, marks: [(time: UInt64, depth: Double)], scale: Double) -> Double {
    guard let first = marks.first else { return 0 }
    if t <= first.time { return first.depth - Double(first.time &- t) * scale }
    // The last mark at or before t (marks are in time order).
    var low = 0
    var high = marks.count - 1
    while low < high {
      let mid = (low + high + 1) / 2
      if marks[mid].time <= t { low = mid } else { high = mid - 1 }
    }
    let a = marks[low]
    guard low + 1 < marks.count else { return a.depth }
    let b = marks[low + 1]
    let span = Double(b.time &- a.time)
    return span > 0 ? a.depth + (b.depth - a.depth) * Double(t &- a.time) / span : a.depth
  }

  static func laneID(_ lane: String) -> String {
    "lane_"
      + lane.unicodeScalars.map { $0.properties.isAlphabetic || ("0"..."9").contains($0) ? String($0) : "_" }
      .joined()
  }

  static func label(_ e: TraceEvent, text: DiagramText, t0: UInt64, timestamps: Bool) -> String {
    var s = e.stepText.replacingMessage(with: text.preview(e.data))
    // close names its descriptor, as the player's call line does (`close(4)`): which end a process
    // closed is what a figure of fork, exec or a passed descriptor is about.
    if e.call == .close, let fd = e.fd, s == "close()" { s = "close(\(fd))" }
    // What a student asks of these: which option, which descriptors (the player says so too).
    if e.call == .getsockopt, s == "getsockopt()", let option = e.arguments.option?.option {
      s = "getsockopt(\(option.description))"
    }
    if e.call == .poll || e.call == .select, s == "\(e.call.rawValue)()" {
      let fds =
        e.arguments.poll?.descriptors?.map(\.fd)
        ?? e.arguments.select.map { ($0.read ?? []) + ($0.write ?? []) }
      if let fds, !fds.isEmpty {
        s = "\(e.call.rawValue)(" + fds.map { "fd \($0)" }.joined(separator: ", ") + ")"
      }
    }
    // Autobind: the program passed no name (the family alone); the name is the kernel's choice,
    // which the note beside the kernel's lane shows.
    if isAutobind(e) { s = "bind(\"\")" }
    if e.call == .programStart {
      // Not a call the program made: nothing returned. What it began with is the fact.
      let program = e.arguments.program?.path?.split(separator: "/").last.map(String.init) ?? "?"
      s = text.programStart(program, fds: (e.arguments.program?.sockets ?? []).map(\.fd))
    } else {
      s += e.failure.map { " = -1 \($0.name)" } ?? " = \(e.ret)"
    }
    if let d = e.data, d.datagramWasCut, let full = d.datagramLength {
      s += "  (" + text.cut(full: full, kept: d.length) + ")"
    }
    if timestamps {
      func ms(_ t: UInt64) -> String { "+" + Self.number((Double(t &- t0) / 1e6).rounded(toPlaces: 3)) }
      // A call that waited shows when it started and when it returned (it is drawn where it returned).
      let when = e.duration >= 1_000_000 ? "\(ms(e.time)) → \(ms(e.endTime))" : ms(e.time)
      s = when + " ms  " + s
    }
    return s
  }

  /// The kernel lane's title: socket files, or names when the run used abstract names (which are
  /// no files), or both.
  static func kernelTitle(of calls: [TraceEvent], language: Language) -> String {
    var files = false
    var abstract = false
    for e in calls where e.succeeded && [.bind, .connect, .unlink].contains(e.call) {
      switch e.address?.name {
      case .abstract?: abstract = true
      case .path?: files = true
      default: if e.call == .unlink { files = true }
      }
    }
    switch (files || !abstract, abstract, language) {
    case (true, true, .ru): return "ядро: файлы и имена сокетов"
    case (true, true, .en): return "kernel: socket files and names"
    case (false, _, .ru): return "ядро: имена сокетов"
    case (false, _, .en): return "kernel: socket names"
    case (true, false, .ru): return "ядро: файлы сокетов"
    case (true, false, .en): return "kernel: socket files"
    }
  }

  /// A bind with the family alone (addrlen 2): the kernel chose an abstract name (the recorders
  /// record the name it chose).
  static func isAutobind(_ e: TraceEvent) -> Bool {
    guard e.call == .bind, e.arguments.addressLength == 2, case .abstract? = e.address?.name else {
      return false
    }
    return true
  }

  static func fileNote(
    _ call: SocketCall, path: String, abstract: Bool = false, autobind: Bool = false, language: Language
  ) -> String {
    if autobind {
      return language == .ru
        ? "\(path): имя выбрало ядро (автопривязка), файла нет"
        : "\(path): named by the kernel (autobind), no file"
    }
    // An abstract name is no file: bind gives the socket the name, nothing is created on disk.
    if abstract, call == .bind {
      return language == .ru ? "\(path): абстрактное имя, файла нет" : "\(path): abstract name, no file"
    }
    return switch (call, language) {
    case (.bind, .ru): "\(path) создан"
    case (.bind, .en): "\(path) created"
    case (.connect, .ru): "\(path) → сокет сервера"
    case (.connect, .en): "\(path) → the server's socket"
    case (.unlink, .ru): "\(path) удалён"
    default: "\(path) removed"
    }
  }

  /// An estimate of a label's width in points at font size 10, so it can start right of its lane
  /// (a label of several lines: its longest line's).
  static func width(of label: String) -> Double {
    Double(label.split(separator: "\n").map(\.count).max() ?? 0) * 5.9 + 6
  }

  /// An estimate of a label's height in points at font size 10.
  static func height(of label: String) -> Double { Double(label.split(separator: "\n").count) * 12 + 2 }

  static func number(_ v: Double) -> String {
    v == v.rounded() ? String(Int64(v)) : String(v.rounded(toPlaces: 2))
  }
}

extension Double {
  fileprivate func rounded(toPlaces places: Int) -> Double {
    var factor = 1.0
    for _ in 0..<places { factor *= 10 }
    return (self * factor).rounded() / factor
  }
}

extension String {
  /// `send(message)` with the message shown: `send(«Лев»)`.
  fileprivate func replacingMessage(with preview: String) -> String {
    guard !preview.isEmpty, let range = range(of: "(message") else { return self }
    return replacingCharacters(in: range, with: "(" + preview)
  }
}
