/// A set of flow ids: a bit per id while they are small and dense, as sockscope numbers them
/// (hashing each of a million ids into a `Set` was a tenth of reading a trace); a `Set` beyond.
struct IDSet {
  private var bits: [UInt64] = []
  private var others = Set<Int>()
  private static let bitLimit = 1 << 26

  /// Adds `id`; whether it was new.
  mutating func insert(_ id: Int) -> Bool {
    guard id >= 0, id < IDSet.bitLimit else { return others.insert(id).inserted }
    let word = id >> 6
    if word >= bits.count {
      bits.append(contentsOf: repeatElement(0, count: max(word + 1 - bits.count, bits.count)))
    }
    let mask: UInt64 = 1 << UInt64(id & 63)
    defer { bits[word] |= mask }
    return bits[word] & mask == 0
  }

  func contains(_ id: Int) -> Bool {
    guard id >= 0, id < IDSet.bitLimit else { return others.contains(id) }
    let word = id >> 6
    return word < bits.count && bits[word] & (1 << UInt64(id & 63)) != 0
  }
}
