/// Where in a program a call was made: a source file and line, or, for native code without
/// debug information, the module and the offset of the return address in it.
///
/// Each part is optional because each recorder knows different things: the Swift socket layer
/// knows `#fileID` and `#line`, a Python program its file, line and function, a C program only
/// a return address until the merge resolves it from the program's debug information.
public struct CallSite: Sendable, Equatable, Hashable {
  /// The source file as the program named it (`client.py`, `EchoPair/EchoServer.swift`).
  public var file: String?
  /// The 1-based line in `file`.
  public var line: Int?
  /// The enclosing function, when known.
  public var function: String?
  /// The executable or shared object the call was made from, when no file is known.
  public var module: String?
  /// The return address's offset in `module`.
  public var offset: UInt64?

  public init(
    file: String? = nil, line: Int? = nil, function: String? = nil, module: String? = nil,
    offset: UInt64? = nil
  ) {
    self.file = file
    self.line = line
    self.function = function
    self.module = module
    self.offset = offset
  }

  /// Whether nothing is known.
  public var isEmpty: Bool { file == nil && line == nil && function == nil && module == nil && offset == nil }

  /// `client.py:14`, `client.py`, or `socat+0x1234`: what a view shows next to a call.
  public var label: String {
    if let file {
      let name = file.split(separator: "/").last.map(String.init) ?? file
      return line.map { "\(name):\($0)" } ?? name
    }
    if let module {
      let name = module.split(separator: "/").last.map(String.init) ?? module
      return offset.map { name + "+0x" + String($0, radix: 16) } ?? name
    }
    return ""
  }
}
