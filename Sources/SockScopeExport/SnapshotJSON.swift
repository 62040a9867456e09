import SockScopePlayer
import SockScopeTrace

/// The parts of a player's `Snapshot` the page has no panel of its own for, as JSON: every stored
/// property but the ones `shown` names, read by reflection, so kernel state that the player learns
/// to model (descriptors, files, …) reaches the page's kernel panel without a change here.
struct SnapshotJSON {
  /// What the page shows in its own panels.
  static let shown: Set<String> = [
    "step", "total", "elapsed", "role", "pid", "call", "failed", "sentence", "travel", "panes", "queues",
    "event",
  ]
  /// What the page calls each extra part and each of its fields, in Russian and English: a raw
  /// property name is never shown (a test checks that every name a snapshot yields is here).
  static let labels: [String: (ru: String, en: String)] = [
    "sockets": ("Сокеты в ядре", "Sockets in the kernel"),
    "socket": ("сокет (inode)", "socket (inode)"),
    "type": ("тип сокета", "socket type"),
    "name": ("адрес", "address"),
    "holders": ("дескрипторы (процесс и fd)", "descriptors (process and fd)"),
    "pending": ("соединений ждут accept", "connections waiting for accept"),
  ]

  /// The labels as the page reads them: `{"ru": {name: label}, "en": {…}}`.
  static var labelsJSON: JSONValue {
    var ru = JSONObject()
    var en = JSONObject()
    // In name order: a dictionary's own order changes from run to run, and so would the page.
    for (name, label) in labels.sorted(by: { $0.key < $1.key }) {
      ru[name] = .string(label.ru)
      en[name] = .string(label.en)
    }
    return .object(["ru": .object(ru), "en": .object(en)])
  }

  /// The other properties' names, in declaration order (empty: nothing more to show).
  let extra: [String]
  /// Each property's last value and its JSON.
  private let memo = Memo()

  init(_ sample: Snapshot) {
    extra = Mirror(reflecting: sample).children.compactMap { $0.label }.filter { !Self.shown.contains($0) }
  }

  /// The extra properties of `s`, nil when there are none or all are empty.
  func object(_ s: Snapshot) -> JSONValue? {
    guard !extra.isEmpty else { return nil }
    let key = Self.key(s)
    if let last = memo.last, last.key == key { return last.json }
    var o: JSONObject = [:]
    for child in Mirror(reflecting: s).children {
      guard let label = child.label, !Self.shown.contains(label) else { continue }
      let value = Self.value(child.value, depth: 0)
      if value != .null { o[label] = value }
    }
    let json: JSONValue? = o.isEmpty ? nil : .object(o)
    memo.last = (key, json)
    return json
  }

  /// The last snapshot's extra part and its JSON. Consecutive steps, and the two languages of
  /// one step, mostly show the same kernel state, and reading it by reflection was most of the
  /// time a 100 000-step page took to write.
  private final class Memo {
    var last: (key: Snapshot, json: JSONValue?)?
  }

  /// `s` with every property the page shows in its own panels set to one fixed value: two
  /// snapshots with equal keys have equal extra parts. A property added to `Snapshot` and not
  /// named here is compared too, which costs a reflection more often, never a wrong part.
  static func key(_ s: Snapshot) -> Snapshot {
    var k = s
    k.step = 0
    k.total = 0
    k.elapsed = 0
    k.role = ""
    k.pid = 0
    k.call.head = ""
    k.call.payload = nil
    k.call.tail = ""
    k.call.source = nil
    k.failed = false
    k.sentence = ""
    k.travel = nil
    k.panes = []
    k.queues = []
    k.event = 0
    return k
  }

  /// Any value as JSON: numbers, text and truth values as themselves, optionals unwrapped,
  /// collections as arrays, structures as objects, enumeration cases by name (with their payload).
  static func value(_ any: Any, depth: Int) -> JSONValue {
    switch any {
    case let v as String: return .string(v.terminalSafe)
    case let v as Bool: return .bool(v)
    case let v as Int: return .int(Int64(v))
    case let v as Int32: return .int(Int64(v))
    case let v as Int64: return .int(v)
    case let v as UInt64: return .int(Int64(clamping: v))
    case let v as UInt32: return .int(Int64(v))
    case let v as Double: return .double(v)
    default: break
    }
    guard depth < 8 else { return .string(String(describing: any).terminalSafe) }
    let mirror = Mirror(reflecting: any)
    switch mirror.displayStyle {
    case .optional:
      return mirror.children.first.map { value($0.value, depth: depth + 1) } ?? .null
    case .collection, .set:
      return .array(mirror.children.map { value($0.value, depth: depth + 1) })
    case .tuple:
      // A case's labelled payload (`socket(inode: 7)`) is a tuple with labels; `.0`, `.1` are none.
      let children = Array(mirror.children)
      if children.allSatisfy({ $0.label.map { !$0.hasPrefix(".") } ?? false }) {
        var o: JSONObject = [:]
        for child in children { o[child.label ?? ""] = value(child.value, depth: depth + 1) }
        return .object(o)
      }
      if children.count == 1 { return value(children[0].value, depth: depth + 1) }
      return .array(children.map { value($0.value, depth: depth + 1) })
    case .dictionary:
      var o: JSONObject = [:]
      for pair in mirror.children {
        let parts = Array(Mirror(reflecting: pair.value).children)
        guard parts.count == 2 else { continue }
        o[String(describing: parts[0].value).terminalSafe] = value(parts[1].value, depth: depth + 1)
      }
      return .object(o)
    case .struct, .class:
      var o: JSONObject = [:]
      for child in mirror.children {
        guard let label = child.label else { continue }
        let v = value(child.value, depth: depth + 1)
        if v != .null { o[label] = v }
      }
      return .object(o)
    case .enum:
      let name = String(describing: any).split(separator: "(").first.map(String.init) ?? ""
      guard let payload = mirror.children.first else { return .string(name.terminalSafe) }
      return .object([name.terminalSafe: value(payload.value, depth: depth + 1)])
    default:
      return .string(String(describing: any).terminalSafe)
    }
  }
}
