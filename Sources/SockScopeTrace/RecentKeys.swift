/// Numbers keys (a pid, a thread) in the order they first appear, remembering the last two seen.
///
/// A trace's events alternate between few processes and threads (a client and a server take
/// turns), so most lookups are answered without hashing: hashing every event's pid or thread was
/// most of naming's time, and much of the causal order's, in a million-event merge (`perf`).
struct RecentKeys<Key: Hashable> {
  /// Each key seen, and its number.
  private(set) var slots: [Key: Int] = [:]
  private var last: (key: Key, slot: Int)?
  private var before: (key: Key, slot: Int)?

  /// The number of `key`, and whether it is seen for the first time (its number is then the count
  /// of keys seen before it).
  mutating func slot(of key: Key) -> (slot: Int, isNew: Bool) {
    if let last, last.key == key { return (last.slot, false) }
    if let before, before.key == key {
      swap(&self.last, &self.before)
      return (before.slot, false)
    }
    let known = slots[key]
    let slot = known ?? slots.count
    if known == nil { slots[key] = slot }
    before = last
    last = (key, slot)
    return (slot, known == nil)
  }
}
