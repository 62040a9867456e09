// The files in this folder are compiled into the binary (`.embedInCode` in Package.swift), so an
// installed `sockscope` needs no resource bundle beside it.

/// Data files that SockScope carries inside its binary.
public enum EmbeddedResources {
  /// The JSON Schema of one line of a trace (`Resources/trace.schema.json`), as UTF-8 text.
  public static var traceSchema: String {
    String(decoding: PackageResources.trace_schema_json, as: UTF8.self)
  }

  /// The lecture page's schematic as data (`Resources/schematics/datagram-echo.schematic`).
  public static var datagramEchoSchematic: String {
    String(decoding: PackageResources.datagram_echo_schematic, as: UTF8.self)
  }

  /// Points for grading runs of the page's pair (`Resources/schematics/datagram-echo.rubric`).
  public static var datagramEchoRubric: String {
    String(decoding: PackageResources.datagram_echo_rubric, as: UTF8.self)
  }

  /// The web step-through's style sheet (`Resources/web/stepper.css`), inlined by `export html`.
  public static var stepperCSS: String { String(decoding: PackageResources.stepper_css, as: UTF8.self) }

  /// The web step-through's script (`Resources/web/stepper.js`), inlined by `export html`.
  public static var stepperJS: String { String(decoding: PackageResources.stepper_js, as: UTF8.self) }
}
