extension Array {
  /// Reorders the elements so that the one at `positions[i]` comes to `i`, in place: each cycle of
  /// the permutation is rotated, so the elements are never held twice.
  package mutating func permute<Position: BinaryInteger>(to positions: [Position]) {
    precondition(positions.count == count, "a permutation of every element")
    var placed = [Bool](repeating: false, count: count)
    // Moved through the buffer, each element once (its cycle's first twice): Array's own swapAt
    // copies, retaining and releasing every reference an event holds, and a swap moves two
    // elements through a third place.
    withUnsafeMutableBufferPointer { elements in
      guard let base = elements.baseAddress else { return }
      for start in elements.indices where !placed[start] {
        placed[start] = true
        var k = Int(positions[start])
        if k == start || placed[k] { continue }
        let first = (base + start).move()
        var j = start
        repeat {
          precondition(!placed[k] || k == start, "a permutation of every element")
          (base + j).moveInitialize(from: base + k, count: 1)
          placed[k] = true
          j = k
          k = Int(positions[j])
        } while k != start
        (base + j).initialize(to: first)
      }
    }
  }
}
