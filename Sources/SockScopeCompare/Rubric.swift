import SockScopeResources
import SockScopeTrace

/// Points for grading a run: what a run starts with and what each kind of finding costs. Read
/// from a `.rubric` file beside its schematic (format: docs/grading.md).
public struct Rubric: Sendable, Equatable {
  /// What one kind of finding costs: `points` each, at most `maximum` for all of that kind.
  public struct Cost: Sendable, Equatable {
    public var points: Int
    public var maximum: Int?

    public init(points: Int, maximum: Int? = nil) {
      self.points = points
      self.maximum = maximum
    }
  }

  /// What a run without differences scores.
  public var points: Int
  /// What a difference of a kind the rubric does not list costs.
  public var defaultCost: Int
  public var costs: [Finding.Kind: Cost]

  public init(points: Int = 100, defaultCost: Int = 0, costs: [Finding.Kind: Cost] = [:]) {
    self.points = points
    self.defaultCost = defaultCost
    self.costs = costs
  }

  /// The rubric shipped beside the page's schematic (`Resources/schematics/datagram-echo.rubric`).
  public static var datagramEcho: Rubric {
    get throws(RubricError) {
      try parse(EmbeddedResources.datagramEchoRubric, file: "datagram-echo.rubric (built in)")
    }
  }

  /// The score of a run with `findings`, and what each kind cost. Only differences cost points;
  /// the score is never below 0.
  public func score(_ findings: [Finding]) -> (score: Int, deductions: [Finding.Kind: Int]) {
    var counts: [Finding.Kind: Int] = [:]
    for f in findings where f.severity == .difference { counts[f.kind, default: 0] += 1 }
    var deductions: [Finding.Kind: Int] = [:]
    for (kind, n) in counts {
      let cost = costs[kind] ?? Cost(points: defaultCost)
      let total = cost.maximum.map { min($0, n * cost.points) } ?? n * cost.points
      if total > 0 { deductions[kind] = total }
    }
    return (max(0, points - deductions.values.reduce(0, +)), deductions)
  }

  /// Reads a rubric; `file` names it in errors, which give line and column.
  public static func parse(_ text: String, file: String) throws(RubricError) -> Rubric {
    var rubric = Rubric()
    var seen: Set<String> = []
    let body =
      text.unicodeScalars.first == "\u{FEFF}" ? Substring(text.unicodeScalars.dropFirst()) : Substring(text)
    for (n, raw) in body.splittingLines().enumerated() {
      let line = n + 1
      let words = Self.words(String(raw))
      guard let (keyword, keywordColumn) = words.first else { continue }
      func fail(_ column: Int, _ message: String) -> RubricError {
        RubricError(file: file, line: line, column: column, message: message)
      }
      func number(_ i: Int, what: String) throws(RubricError) -> Int {
        guard i < words.count else {
          throw fail(
            words.last.map { $0.column + $0.word.count } ?? 1, "\(what) is missing: write a whole number")
        }
        guard let value = Int(words[i].word), value >= 0, value <= 1_000_000 else {
          throw fail(
            words[i].column, "\"\(words[i].word)\" is not a whole number of points from 0 to 1000000")
        }
        return value
      }
      guard !seen.contains(keyword) else { throw fail(keywordColumn, "\"\(keyword)\" is given twice") }
      seen.insert(keyword)
      switch keyword {
      case "points":
        rubric.points = try number(1, what: "the points a run starts with")
        guard words.count == 2 else { throw fail(words[2].column, "write: points 100") }
      case "default":
        rubric.defaultCost = try number(1, what: "the cost of a difference not listed")
        guard words.count == 2 else { throw fail(words[2].column, "write: default 5") }
      default:
        guard let kind = Finding.Kind(id: keyword) else {
          let kinds = Finding.Kind.allCases.map(\.id).joined(separator: ", ")
          throw fail(
            keywordColumn,
            "unknown keyword \"\(keyword)\"; a line is points N, default N, or a finding kind and its points "
              + "(KIND N, or KIND N max M); the kinds: \(kinds)")
        }
        var cost = Cost(points: try number(1, what: "the points of \(keyword)"))
        if words.count > 2 {
          guard words[2].word == "max", words.count == 4 else {
            throw fail(words[2].column, "write: \(keyword) \(cost.points) max 30")
          }
          cost.maximum = try number(3, what: "the most \(keyword) may cost")
        }
        rubric.costs[kind] = cost
      }
    }
    return rubric
  }

  /// Words of a line with their 1-based columns; `#` starts a comment.
  private static func words(_ line: String) -> [(word: String, column: Int)] {
    var words: [(String, Int)] = []
    var current = ""
    var start = 0
    for (i, c) in line.enumerated() {
      if c == "#" { break }
      if c == " " || c == "\t" || c == "\r" {
        if !current.isEmpty { words.append((current, start)) }
        current = ""
      } else {
        if current.isEmpty { start = i + 1 }
        current.append(c)
      }
    }
    if !current.isEmpty { words.append((current, start)) }
    return words
  }
}

/// A rubric file that cannot be used: where, and what to write instead.
public struct RubricError: Error, Sendable, Equatable, CustomStringConvertible {
  public var file: String
  public var line: Int
  public var column: Int
  public var message: String

  public var description: String { "\(file):\(line):\(column): \(message)" }
}
