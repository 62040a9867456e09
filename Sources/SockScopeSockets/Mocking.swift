// The syscall seam's test driver, compiled into debug builds only (ENABLE_MOCKING, Package.swift),
// after swift-system's Internals/Mocking.swift. Within `MockingDriver.withMocking`, every system call
// of this module is logged by name and arguments, and chosen calls can be made to fail with a chosen
// errno, always or a number of times, before (or instead of) reaching the kernel.
#if ENABLE_MOCKING
  import Glibc
  import Synchronization

  /// Records the socket layer's system calls and injects failures, for tests.
  public final class MockingDriver: Sendable {
    /// One system call as the seam saw it.
    public struct Entry: Sendable, Equatable, CustomStringConvertible {
      /// The C function, such as `recv`.
      public var name: String
      /// Its integer arguments, as the seam logs them.
      public var arguments: [Int]
      /// `recv(3, 1024, 0)`.
      public var description: String { "\(name)(\(arguments.map(String.init).joined(separator: ", ")))" }
    }

    /// A failure to inject.
    public enum ForcedErrno: Sendable, Equatable {
      /// Every matching call fails.
      case always(Errno)
      /// The next `count` matching calls fail; later ones reach the kernel.
      case counted(Errno, count: Int)
    }

    private struct State {
      var entries: [Entry] = []
      var forced: [String: ForcedErrno] = [:]
    }

    private let state = Mutex(State())

    @TaskLocal static var current: MockingDriver?

    /// A driver that logs every call and forces nothing yet.
    public init() {}

    /// The calls seen so far.
    public var entries: [Entry] { state.withLock { $0.entries } }

    /// Makes calls named `call` (such as "connect"), or every call when nil, fail as `forced`.
    public func force(_ forced: ForcedErrno, on call: String? = nil) {
      state.withLock { $0.forced[call ?? "*"] = forced }
    }

    /// Runs `body` with this driver intercepting the calls made by its task.
    public func withMocking<R>(_ body: () throws -> R) rethrows -> R {
      try MockingDriver.$current.withValue(self) { try body() }
    }

    /// Logs the call; returns the errno to fail with, or nil to let the call through.
    func intercept(_ name: String, _ arguments: [Int]) -> Errno? {
      state.withLock { s in
        s.entries.append(Entry(name: name, arguments: arguments))
        let key = s.forced[name] != nil ? name : "*"
        switch s.forced[key] {
        case .always(let e): return e
        case .counted(let e, let n) where n > 0:
          s.forced[key] = n > 1 ? .counted(e, count: n - 1) : nil
          return e
        default: return nil
        }
      }
    }
  }

  /// Returns -1 with errno set when the driver forces a failure.
  @inline(never)
  func mockedFailure(_ name: String, _ arguments: [Int]) -> Bool {
    guard let driver = MockingDriver.current, let e = driver.intercept(name, arguments) else { return false }
    errno = e.rawValue
    return true
  }
#endif
