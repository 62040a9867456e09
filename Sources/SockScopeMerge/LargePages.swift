import Glibc

/// Asks the kernel to back a merge's large arrays with 2 MiB pages (transparent huge pages,
/// `MADV_HUGEPAGE`).
///
/// Filling a million-event timeline otherwise takes a page fault for every 4 KiB: 45,000 faults
/// for its 184 MB, and as many again for the scratch space it is decoded into (`perf`: a third of
/// decoding's time was page faults). With large pages it is one fault per 2 MiB; the kernel still
/// zeroes every page. Only the 2 MiB-aligned part of a range is advised, so no neighbouring
/// allocation changes how it is backed.
enum LargePages {
  /// The size of a large page on x86-64 and of the usual arm64 configuration.
  static let size = 2 << 20

  /// At most this many runs of scratch space use large pages (see `TimelineDecoder.Run.pageSize`).
  static let fewRuns = 16

  /// Whether the kernel gives large pages to memory advised to use them: `[always]` or
  /// `[madvise]` in sysfs; not `[never]`, and not a kernel without transparent huge pages.
  static let available: Bool = {
    guard let file = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r") else { return false }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 128)
    guard fgets(&line, Int32(line.count), file) != nil else { return false }
    let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return text.contains("[always]") || text.contains("[madvise]")
  }()

  /// Advises the whole large pages inside `count` elements at `start`, which must not have been
  /// touched yet (memory already faulted in stays in small pages). Returns the large page size,
  /// or nil when nothing was advised (too small, or no large pages on this machine).
  @discardableResult
  static func advise<T>(_ start: UnsafeMutablePointer<T>, count: Int) -> Int? {
    let bytes = count * MemoryLayout<T>.stride
    guard available, bytes >= 2 * size else { return nil }
    let from = (UInt(bitPattern: start) + UInt(size) - 1) / UInt(size) * UInt(size)
    let to = (UInt(bitPattern: start) + UInt(bytes)) / UInt(size) * UInt(size)
    guard to > from, let base = UnsafeMutableRawPointer(bitPattern: from),
      madvise(base, Int(to - from), MADV_HUGEPAGE) == 0
    else { return nil }
    return size
  }
}
