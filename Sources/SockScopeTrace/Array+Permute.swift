extension Array {
  /// Reorders the elements so that the one at `positions[i]` comes to `i`, in place: each cycle of
  /// the permutation is followed with swaps, so the elements are never held twice.
  package mutating func permute(to positions: [Int]) {
    precondition(positions.count == count, "a permutation of every element")
    var placed = [Bool](repeating: false, count: count)
    // Swapped through the buffer: Array's own swapAt copies, retaining and releasing every
    // reference an event holds.
    withUnsafeMutableBufferPointer { elements in
      for start in elements.indices where !placed[start] {
        var j = start
        while true {
          placed[j] = true
          let k = positions[j]
          if k == start || placed[k] { break }
          elements.swapAt(j, k)
          j = k
        }
      }
    }
  }
}
