import CSockScopeLog

/// Where in the program a socket call was made, as the compiler gives it at the call site
/// (`#fileID`, `#line`, `#function`): recorded as the event's `source`.
///
/// The public socket methods take these as default arguments, so capturing them costs the caller
/// three constants; they are read only when a record is written.
struct SourceSite {
  var file: StaticString
  var line: UInt
  var function: StaticString

  init(_ file: StaticString, _ line: UInt, _ function: StaticString) {
    self.file = file
    self.line = line
    self.function = function
  }

  /// Calls `body` with the C description of `site` (nil when there is none). The names are the
  /// literals' own bytes: nothing is copied here; the log copies each name once per log.
  static func withSource<R>(_ site: SourceSite?, _ body: (UnsafePointer<sockscope_source>?) -> R) -> R {
    guard let site, site.file.hasPointerRepresentation, site.function.hasPointerRepresentation else {
      return body(nil)
    }
    var source = sockscope_source()
    source.file = UnsafeRawPointer(site.file.utf8Start).assumingMemoryBound(to: CChar.self)
    source.file_len = UInt32(truncatingIfNeeded: site.file.utf8CodeUnitCount)
    source.line = UInt32(truncatingIfNeeded: site.line)
    source.function = UnsafeRawPointer(site.function.utf8Start).assumingMemoryBound(to: CChar.self)
    source.function_len = UInt32(truncatingIfNeeded: site.function.utf8CodeUnitCount)
    return withUnsafePointer(to: &source) { body($0) }
  }
}
