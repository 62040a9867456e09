import Glibc

/// An AF_UNIX socket address: a filesystem path, an abstract name, or none.
///
/// A path is checked against `sun_path`'s size before the kernel sees it, so a too-long path is a
/// clear error instead of a silently cut name.
public struct UnixAddress: Sendable, Hashable, CustomStringConvertible {
  /// What the address names.
  public enum Name: Sendable, Hashable {
    /// A socket file in the filesystem.
    case path(String)
    /// A name in Linux's abstract namespace (no file; shown with a leading `@`).
    case abstract([UInt8])
    /// No name (an unbound socket's address).
    case unnamed
  }

  /// What the address names.
  public let name: Name

  /// The longest path or abstract name this layer passes (107): `sun_path` less the NUL at a path's
  /// end or an abstract name's start.
  ///
  /// Linux also binds a 108-byte path passed without its NUL (measured), but `getsockname` then
  /// reports more bytes than a `sockaddr_un` holds and Python refuses such a path, so this layer
  /// does not make one.
  public static let maximumPathLength = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1

  /// The address of the socket file at `path`.
  public init(path: String) throws(AddressError) {
    let bytes = Array(path.utf8)
    guard !bytes.isEmpty else { throw .emptyPath }
    guard !bytes.contains(0) else { throw .containsNUL(path: path) }
    guard bytes.count <= Self.maximumPathLength else {
      throw .pathTooLong(path: path, length: bytes.count, limit: Self.maximumPathLength)
    }
    name = .path(path)
  }

  /// An address in the abstract namespace.
  public init(abstract: String) throws(AddressError) {
    let bytes = Array(abstract.utf8)
    guard bytes.count <= Self.maximumPathLength else {
      throw .pathTooLong(path: "@" + abstract, length: bytes.count, limit: Self.maximumPathLength)
    }
    name = .abstract(bytes)
  }

  init(name: Name) { self.name = name }

  /// The path, for a filesystem address.
  public var path: String? {
    if case .path(let p) = name { return p }
    return nil
  }

  /// The path, `@name` for an abstract name, or `(unnamed)`.
  public var description: String {
    switch name {
    case .path(let p): p
    case .abstract(let bytes): "@" + String(decoding: bytes, as: UTF8.self)
    case .unnamed: "(unnamed)"
    }
  }

  /// The bytes of `sun_path` that name this address, as the trace records them (abstract names
  /// begin with a NUL).
  var sunPathBytes: [UInt8] {
    switch name {
    case .path(let p): Array(p.utf8)
    case .abstract(let bytes): [0] + bytes
    case .unnamed: []
    }
  }

  /// Calls `body` with this address as a `sockaddr` and its length.
  func withSockaddr<R, E: Error>(
    _ body: (UnsafePointer<sockaddr>, socklen_t) throws(E) -> R
  ) throws(E) -> R {
    var storage = sockaddr_un()
    storage.sun_family = sa_family_t(AF_UNIX)
    let bytes = sunPathBytes
    withUnsafeMutableBytes(of: &storage.sun_path) { raw in
      for (i, b) in bytes.enumerated() { raw[i] = b }
    }
    let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path) ?? 2
    // A path is passed with its NUL; an abstract name's length is exact (a NUL would be part of it).
    let terminator = if case .path = name { 1 } else { 0 }
    let length = socklen_t(pathOffset + bytes.count + terminator)
    var result: Result<R, E>
    result = withUnsafePointer(to: &storage) { p in
      p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
        do throws(E) { return .success(try body(sa, length)) } catch { return .failure(error) }
      }
    }
    return try result.get()
  }

  /// The address the kernel filled into `storage`, `length` bytes of it.
  init(storage: sockaddr_un, length: socklen_t) {
    let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path) ?? 2
    let count = min(max(Int(length) - pathOffset, 0), Self.maximumPathLength + 1)
    let bytes = withUnsafeBytes(of: storage.sun_path) { Array($0.prefix(count)) }
    if bytes.isEmpty {
      name = .unnamed
    } else if bytes[0] == 0 {
      name = .abstract(Array(bytes.dropFirst()))
    } else {
      name = .path(String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self))
    }
  }
}
