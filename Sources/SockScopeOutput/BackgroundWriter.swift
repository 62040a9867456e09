import Dispatch
import Glibc
import Synchronization

/// Writes buffers to a descriptor on a serial queue, at most two behind the producer.
final class BackgroundWriter: Sendable {
  let fd: Int32
  let queue = DispatchQueue(label: "sockscope.trace-writer")
  let slots = DispatchSemaphore(value: 2)
  let firstError = Mutex<Int32>(0)

  init(fd: Int32) { self.fd = fd }

  /// Queues `bytes` for writing; returns the errno of an earlier failed write, if any.
  func submit(_ bytes: [UInt8]) -> Int32? {
    if let code = error { return code }
    slots.wait()
    queue.async { [self] in
      defer { slots.signal() }
      guard error == nil else { return }
      let code = writeAll(bytes)
      if code != 0 { firstError.withLock { $0 = code } }
    }
    return nil
  }

  /// Waits for every queued write; returns 0 or the errno of the first that failed.
  func finish() -> Int32 {
    queue.sync {}
    return error ?? 0
  }

  private var error: Int32? {
    let code = firstError.withLock { $0 }
    return code == 0 ? nil : code
  }

  private func writeAll(_ bytes: [UInt8]) -> Int32 {
    bytes.withUnsafeBytes { raw in
      var written = 0
      while written < raw.count {
        guard let base = raw.baseAddress else { return 0 }
        let n = Glibc.write(fd, base + written, raw.count - written)
        if n < 0 {
          if errno == EINTR { continue }
          return errno
        }
        written += n
      }
      return 0
    }
  }
}
