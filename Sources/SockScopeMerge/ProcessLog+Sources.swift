import CSockScopeLog
import Foundation
import SockScopeTrace

/// The names a version 2 log defines in META records (source files, functions, modules), and the
/// `source` of each event made from them.
struct LogNames {
  /// Strings by id.
  var strings: [UInt32: String] = [:]
  /// Modules by id: the path and the load bias (what was added to the module's ELF addresses).
  var modules: [UInt32: (path: String, bias: UInt64)] = [:]
  /// The sites made so far, one box each, shared by every event made there.
  private var sites: [SiteKey: CallSiteBox] = [:]
  private var lastSite: (key: SiteKey, box: CallSiteBox)?

  /// What names a record's call site: its ids, line and return address.
  private struct SiteKey: Hashable {
    var file: UInt32
    var line: UInt32
    var function: UInt32
    var module: UInt32
    var caller: UInt64
  }

  /// Takes a META record's definition; returns false for an event.
  mutating func define(_ r: sockscope_record, name: [UInt8]) -> Bool {
    guard r.call >= UInt16(SOCKSCOPE_META_STRING.rawValue) else { return false }
    let id = UInt32(truncatingIfNeeded: r.a0)
    let text = RecordDecoder.escaped(name)
    if r.call == UInt16(SOCKSCOPE_META_STRING.rawValue) {
      strings[id] = text
    } else if r.call == UInt16(SOCKSCOPE_META_MODULE.rawValue) {
      modules[id] = (text, UInt64(bitPattern: r.a1))
    }
    // Other META kinds, from a newer writer, define nothing this reader uses.
    return true
  }

  /// `source(of:)` boxed, one box per site: consecutive events are mostly made at one site.
  mutating func sharedSource(of r: sockscope_record) -> CallSiteBox? {
    let key = SiteKey(
      file: r.src_file, line: r.src_line, function: r.src_func, module: r.src_module, caller: r.caller)
    if let last = lastSite, last.key == key { return last.box }
    let box: CallSiteBox
    if let known = sites[key] {
      box = known
    } else {
      guard let site = source(of: r) else { return nil }
      box = CallSiteBox(site, encoded: true)
      sites[key] = box
    }
    lastSite = (key, box)
    return box
  }

  /// Where the event was made: a file, line and function (Swift layer, Python), or the module and
  /// the return address's offset in it (native code, resolved to a line at merge), or nil.
  func source(of r: sockscope_record) -> CallSite? {
    var site = CallSite()
    if r.src_file != 0, let file = strings[r.src_file] {
      site.file = file
      if r.src_line != 0 { site.line = Int(r.src_line) }
    }
    if r.src_func != 0, let function = strings[r.src_func] { site.function = function }
    if site.file == nil, r.src_module != 0, let module = modules[r.src_module] {
      site.module = module.path
      site.offset = r.caller &- module.bias
    }
    return site.isEmpty ? nil : site
  }
}

extension ProcessLog {
  /// Turns each native call site (module and offset) into the file, line and function the
  /// module's debug information names, with `addr2line` (binutils), one run per module. A module
  /// without debug information, gone since the run, or with no `addr2line` installed keeps its
  /// module and offset. Run at merge, never while recording.
  mutating func resolveNativeSources() {
    events.withUnsafeMutableBufferPointer { Self.resolveNativeSources(in: $0) }
  }

  /// `resolveNativeSources()` for events stored elsewhere (`TimelineDecoder`).
  static func resolveNativeSources(in events: UnsafeMutableBufferPointer<TraceEvent>) {
    var offsets: [String: Set<UInt64>] = [:]
    var seen = Set<ObjectIdentifier>()
    // Each shared site once, read in place: copying each event would retain and release all it holds.
    for i in events.indices {
      guard let box = events[i].sourceBox, seen.insert(ObjectIdentifier(box)).inserted else { continue }
      guard box.site.file == nil, let module = box.site.module, let offset = box.site.offset else { continue }
      offsets[module, default: []].insert(offset)
    }
    guard !offsets.isEmpty, let tool = NativeSymbolizer.addr2line else { return }
    var resolved: [String: [UInt64: CallSite]] = [:]
    for (module, set) in offsets {
      resolved[module] = NativeSymbolizer.resolve(module: module, offsets: set.sorted(), tool: tool)
    }
    // One box per resolved site, shared by its events as the unresolved one was (the old box is
    // kept alive here, so that its identity names it until the end).
    var boxes: [ObjectIdentifier: (old: CallSiteBox, new: CallSiteBox)] = [:]
    for i in events.indices {
      guard let box = events[i].sourceBox else { continue }
      if let done = boxes[ObjectIdentifier(box)] {
        events[i].sourceBox = done.new
        continue
      }
      let site = box.site
      guard site.file == nil, let module = site.module, let offset = site.offset,
        let found = resolved[module]?[offset]
      else { continue }
      let resolvedBox = CallSiteBox(
        CallSite(
          file: found.file, line: found.line, function: found.function, module: module, offset: offset),
        encoded: true)
      boxes[ObjectIdentifier(box)] = (box, resolvedBox)
      events[i].sourceBox = resolvedBox
    }
  }
}

/// Runs `addr2line` over a module's return addresses.
enum NativeSymbolizer {
  /// The `addr2line` on PATH, if any.
  static let addr2line: String? = {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for dir in path.split(separator: ":") {
      let candidate = "\(dir)/addr2line"
      if access(candidate, X_OK) == 0 { return candidate }
    }
    return nil
  }()

  /// File, line and function per offset; offsets `addr2line` cannot place are left out.
  static func resolve(module: String, offsets: [UInt64], tool: String) -> [UInt64: CallSite] {
    var st = stat()
    guard stat(module, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, !offsets.isEmpty else { return [:] }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    // The call instruction ends at the return address: ask for the byte before it, so a call that
    // is a line's last instruction is not placed on the next line.
    process.arguments = ["-f", "-C", "-e", module] + offsets.map { "0x" + String($0 &- 1, radix: 16) }
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    process.standardInput = FileHandle.nullDevice
    do { try process.run() } catch { return [:] }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { return [:] }
    let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
    var result: [UInt64: CallSite] = [:]
    for (i, offset) in offsets.enumerated() where 2 * i + 1 < lines.count {
      if let site = parse(function: lines[2 * i], location: lines[2 * i + 1]) { result[offset] = site }
    }
    return result
  }

  /// One answer of `addr2line -f`: `main` and `/src/prog.c:12 (discriminator 1)`; `??` and `??:0`
  /// mean unknown.
  static func parse(function: Substring, location: Substring) -> CallSite? {
    var place = location
    if let space = place.range(of: " (") { place = place[..<space.lowerBound] }
    guard let colon = place.lastIndex(of: ":") else { return nil }
    let file = String(place[..<colon])
    let line = Int(place[place.index(after: colon)...]) ?? 0
    guard file != "??", !file.isEmpty else { return nil }
    return CallSite(
      file: file, line: line > 0 ? line : nil, function: function == "??" ? nil : String(function))
  }
}
