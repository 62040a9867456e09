import Glibc

extension TraceHeader {
  /// `/proc/sys/net/unix/max_dgram_qlen` now, or nil when it cannot be read.
  public static func maxDatagramQueueLengthOfThisMachine() -> Int? {
    guard let file = fopen("/proc/sys/net/unix/max_dgram_qlen", "r") else { return nil }
    defer { fclose(file) }
    var buffer = [CChar](repeating: 0, count: 32)
    guard fgets(&buffer, 32, file) != nil else { return nil }
    let digits = buffer.prefix { $0 >= 0x30 && $0 <= 0x39 }.map { UInt8(bitPattern: $0) }
    return Int(String(decoding: digits, as: UTF8.self))
  }
}
