import Glibc

/// Asks the kernel to back a merge's large arrays with 2 MiB pages (transparent huge pages,
/// `MADV_HUGEPAGE`).
///
/// Filling a million-event timeline otherwise takes a page fault for every 4 KiB: 45,000 faults
/// for its 184 MB, and as many again for the scratch space it is decoded into (`perf`: a third of
/// decoding's time was page faults). With large pages it is one fault per 2 MiB; the kernel still
/// zeroes every page. Only the part of a range aligned to large pages is advised, so no
/// neighbouring allocation changes how it is backed.
enum LargePages {
  /// The size of a large page (`hpage_pmd_size`: 2 MiB on x86-64 and on arm64 with 4 KiB pages),
  /// or nil where the kernel gives none to memory advised to use them: transparent huge pages
  /// `[never]`, or a kernel without them.
  static let size: Int? = {
    guard let mode = firstLine(of: "/sys/kernel/mm/transparent_hugepage/enabled"),
      mode.contains("[always]") || mode.contains("[madvise]"),
      let text = firstLine(of: "/sys/kernel/mm/transparent_hugepage/hpage_pmd_size"),
      let bytes = Int(text.filter { !$0.isWhitespace }), bytes > 0, bytes & (bytes - 1) == 0
    else { return nil }
    return bytes
  }()

  /// Ranges smaller than this are not advised. glibc serves a block this large from a mapping of
  /// its own (its mmap threshold rises to at most 32 MiB), freshly made and unmapped when freed;
  /// a smaller one may be recycled heap memory, touched already, whose advice would outlive it.
  static let smallest = 64 << 20

  /// At most this many runs of scratch space use large pages (see `TimelineDecoder.Run.pageSize`).
  static let fewRuns = 16

  /// Advises the whole large pages inside `count` elements at `start`, which must not have been
  /// touched yet (memory already faulted in stays in small pages). Returns the large page size,
  /// or nil when nothing was advised (too small, or no large pages on this machine).
  @discardableResult
  static func advise<T>(_ start: UnsafeMutablePointer<T>, count: Int) -> Int? {
    let bytes = count * MemoryLayout<T>.stride
    guard let size, bytes >= smallest else { return nil }
    let from = (UInt(bitPattern: start) + UInt(size) - 1) / UInt(size) * UInt(size)
    let to = (UInt(bitPattern: start) + UInt(bytes)) / UInt(size) * UInt(size)
    guard to > from, let base = UnsafeMutableRawPointer(bitPattern: from),
      madvise(base, Int(to - from), MADV_HUGEPAGE) == 0
    else { return nil }
    return size
  }

  /// The first line of a small text file, or nil.
  private static func firstLine(of path: String) -> String? {
    guard let file = fopen(path, "r") else { return nil }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 128)
    guard fgets(&line, Int32(line.count), file) != nil else { return nil }
    return String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}
