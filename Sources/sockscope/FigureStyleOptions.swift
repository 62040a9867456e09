import ArgumentParser
import SockScopeDiagrams

/// The look of a figure another command draws on the side (`compare --render`): the colours and,
/// for PNG, the resolution — the same options, ranges and defaults as `render`.
struct FigureStyleOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "With --render: colours, light (screens, pages), print (greys only) or dark (slides).",
      valueName: "light|print|dark"))
  var theme: DiagramTheme = .light

  @Option(
    help: ArgumentHelp(
      "With --render to a PNG: pixels per inch, \(RenderCommand.dpiRange.lowerBound)–"
        + "\(RenderCommand.dpiRange.upperBound) (default 96).", valueName: "n"))
  var dpi: Int?

  @Option(
    help: ArgumentHelp(
      "With --render to a PNG: size relative to 96 dpi (--scale 2 is --dpi 192).", valueName: "factor"))
  var scale: Double?

  func validate() throws { try Self.check(dpi: dpi, scale: scale) }

  /// The one check of `--dpi` and `--scale`, for `render` and for figures drawn on the side.
  static func check(dpi: Int?, scale: Double?) throws {
    if dpi != nil && scale != nil {
      throw ValidationError("give --dpi or --scale, not both (--scale 2 is --dpi 192)")
    }
    if let dpi, !RenderCommand.dpiRange.contains(dpi) {
      throw ValidationError(
        "--dpi must be from \(RenderCommand.dpiRange.lowerBound) to \(RenderCommand.dpiRange.upperBound) "
          + "(96 is the default; 300 for print), not \(dpi)")
    }
    if let scale, !(scale.isFinite && RenderCommand.scaleRange.contains(scale)) {
      throw ValidationError(
        "--scale must be from \(RenderCommand.scaleRange.lowerBound) to \(RenderCommand.scaleRange.upperBound) "
          + "(1 is 96 dpi), not \(scale)")
    }
  }

  /// Pixels per inch for `--dpi` or `--scale`, if either was given.
  static func resolvedDPI(dpi: Int?, scale: Double?) -> Double? {
    dpi.map(Double.init) ?? scale.map { $0 * 96 }
  }

  /// Pixels per inch asked for, if any.
  var resolvedDPI: Double? { Self.resolvedDPI(dpi: dpi, scale: scale) }
}
