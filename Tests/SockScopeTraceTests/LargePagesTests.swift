import Foundation
import Testing

@testable import SockScopeMerge
@testable import SockScopeTrace

@Suite("Large pages for a merge's scratch space and timeline")
struct LargePagesTests {
  /// The large page size here, or 2 MiB where there are none (a run takes any page size).
  private let large = LargePages.size ?? (2 << 20)

  /// An anonymous mapping of `bytes` plus a large page, and its first large-page boundary.
  private func mapping(_ bytes: Int) throws -> (raw: UnsafeMutableRawPointer, size: Int, aligned: UInt) {
    let size = bytes + large
    let raw: UnsafeMutableRawPointer = mmap(
      nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
    try #require(raw != MAP_FAILED)
    let page = UInt(large)
    return (raw, size, (UInt(bitPattern: raw) + page - 1) / page * page)
  }

  /// The line of /proc/self/smaps that starts the mapping holding `address`, and its fields.
  private func smapsEntry(holding address: UInt) throws -> (start: UInt, end: UInt, fields: [String: String])?
  {
    // Read to the end: a /proc file's size is 0, and it is made as it is read.
    let fd = open("/proc/self/smaps", O_RDONLY | O_CLOEXEC)
    try #require(fd >= 0)
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = read(fd, &chunk, chunk.count)
      if n < 0 && errno == EINTR { continue }
      try #require(n >= 0)
      if n == 0 { break }
      bytes += chunk[..<n]
    }
    let text = String(decoding: bytes, as: UTF8.self)
    var current: (start: UInt, end: UInt, fields: [String: String])?
    var found: (start: UInt, end: UInt, fields: [String: String])?
    for line in text.split(separator: "\n") {
      let words = line.split(separator: " ", omittingEmptySubsequences: true)
      if let range = words.first, range.contains("-"), !range.hasSuffix(":") {
        if let c = current, c.start <= address && address < c.end { found = c }
        let bounds = range.split(separator: "-").compactMap { UInt($0, radix: 16) }
        current = bounds.count == 2 ? (bounds[0], bounds[1], [:]) : nil
      } else if words.count >= 2, let key = words.first, key.hasSuffix(":") {
        current?.fields[String(key.dropLast())] = words.dropFirst().joined(separator: " ")
      }
    }
    if let c = current, c.start <= address && address < c.end { found = c }
    return found
  }

  @Test("only the whole large pages inside a range are advised, and a small range not at all")
  func advisesTheAlignedInside() throws {
    let (raw, size, aligned) = try mapping(LargePages.smallest + 4 * large)
    defer { munmap(raw, size) }
    // Starting off a boundary, as an allocation does: the advice must not reach outside the range.
    let start = (try #require(UnsafeMutableRawPointer(bitPattern: aligned)) + 4096 + 40).bindMemory(
      to: UInt8.self, capacity: 1)
    #expect(LargePages.advise(start, count: LargePages.smallest - 1) == nil)
    let count = LargePages.smallest + large + 1000
    let advised = LargePages.advise(start, count: count)
    guard let pageSize = LargePages.size else {
      #expect(advised == nil)
      return
    }
    #expect(advised == pageSize)
    let first = aligned + UInt(pageSize)
    let last = (UInt(bitPattern: start) + UInt(count)) / UInt(pageSize) * UInt(pageSize)
    let entry = try #require(try smapsEntry(holding: first))
    #expect(entry.start == first && entry.end == last, "advised \(entry.start)..<\(entry.end)")
    // `hg`: the mapping carries the advice (whether the kernel then finds large pages or not).
    #expect(entry.fields["VmFlags"]?.split(separator: " ").contains("hg") == true, "\(entry.fields)")
    // The part before the first boundary inside the range is not advised.
    let before = try #require(try smapsEntry(holding: aligned))
    #expect(before.end == first)
    #expect(before.fields["VmFlags"]?.split(separator: " ").contains("hg") == false)
  }

  @Test("a run in large pages hands back only whole large pages, never part of one")
  func releasesWholeLargePages() throws {
    let page = sysconf(Int32(_SC_PAGESIZE))
    let bytes = 4 * large
    let (raw, size, aligned) = try mapping(bytes)
    defer { munmap(raw, size) }
    let base = try #require(UnsafeMutableRawPointer(bitPattern: aligned))
    let stride = MemoryLayout<TraceEvent>.stride
    let count = (bytes - 40) / stride
    let start = (base + 40).bindMemory(to: TraceEvent.self, capacity: count)
    for n in 0..<count {
      (start + n).initialize(to: TraceEvent(time: UInt64(n), pid: 1, seq: UInt64(n), role: "r", call: .close))
    }
    var run = TimelineDecoder.Run(start, count: count, pageSize: large)
    let out = UnsafeMutablePointer<TraceEvent>.allocate(capacity: count)
    defer { out.deallocate() }
    // Moved out to halfway through the third large page.
    let moved = (2 * large + large / 2 - 40) / stride
    for n in 0..<moved { run.moveNext(to: out + n) }
    run.releaseConsumedPages(atLeast: 0)
    var resident = [UInt8](repeating: 0, count: bytes / page)
    #expect(mincore(base, bytes, &resident) == 0)
    let perLarge = large / page
    // The first large page also holds what came before the run; the second is wholly moved out
    // and goes back; the third holds events still there and stays whole, moved half included.
    #expect(resident[0..<perLarge].allSatisfy { $0 & 1 == 1 })
    #expect(resident[perLarge..<2 * perLarge].allSatisfy { $0 & 1 == 0 })
    #expect(resident[2 * perLarge..<3 * perLarge].allSatisfy { $0 & 1 == 1 })
    let drained = run.drain(into: out + moved)
    #expect(drained == count - moved)
    #expect((0..<count).allSatisfy { out[$0].seq == UInt64($0) })
    out.deinitialize(count: count)
  }
}
