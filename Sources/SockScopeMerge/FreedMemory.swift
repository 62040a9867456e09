import Glibc

/// Hands the pages of freed memory back to the kernel between a merge's phases.
///
/// glibc keeps the pages of freed blocks below its (self-raising) mmap threshold; a phase's tables,
/// freed, then still counted in the next phase's peak: 30 MB of a million-event merge. The call is
/// glibc's `malloc_trim`, which Swift's Glibc module does not import; looked up once, and skipped
/// where it does not exist.
enum FreedMemory {
  /// `malloc_trim`'s address, as a number (a function pointer is not Sendable).
  private static let trim: UInt? = {
    guard let symbol = dlsym(nil, "malloc_trim") else { return nil }
    return UInt(bitPattern: symbol)
  }()

  /// Returns the whole free pages the allocator holds to the kernel.
  static func release() {
    guard let trim, let pointer = UnsafeRawPointer(bitPattern: trim) else { return }
    let malloc_trim = unsafeBitCast(pointer, to: (@convention(c) (Int) -> Int32).self)
    _ = malloc_trim(0)
  }
}
