/// How a figure is coloured: for a screen or a page, a printer, or a slide.
public enum DiagramTheme: String, Sendable, CaseIterable {
  /// Dark text on white, colours that carry meaning (failures red, messages blue).
  case light
  /// Greys only, for a black-and-white printer: every mark that colour carries elsewhere is also
  /// said by text (`= -1 ERRNO`, `✗`, `cut:`), line style or line width.
  case print
  /// Light text and lines on a dark background, for slides.
  case dark

  /// The colours of this theme: the one place figures take their colours from.
  public var palette: DiagramPalette {
    switch self {
    case .light: .light
    case .print: .print
    case .dark: .dark
    }
  }
}

/// The colours of a figure, by what they mean. Each view takes every colour from here.
public struct DiagramPalette: Sendable, Equatable {
  /// The page behind the figure.
  public var background: String
  /// Ordinary text and outlines.
  public var text: String
  /// Ordinary arrows.
  public var line: String
  /// Secondary text: data previews, notes on the kernel's files.
  public var secondaryText: String
  /// Calls not in the schematic, marks of a process that ended.
  public var muted: String
  /// Lifelines, folded or left-out parts.
  public var faint: String
  /// The data a step sent or received, under its call.
  public var dataText: String
  /// The topology's edges: descriptors, bind and connect.
  public var connection: String
  /// A neutral box (a schematic step, a socket file).
  public var boxFill: String
  public var boxBorder: String
  /// A process box.
  public var processFill: String
  /// The kernel's lane.
  public var kernelFill: String
  /// A socket.
  public var socketFill: String
  /// A kernel receive queue.
  public var queueFill: String
  /// A step's title and the loop around the repeated steps (red on the page's figure).
  public var accent: String
  /// A failed call, a killed process, a step missing from a run.
  public var failure: String
  public var failureFill: String
  /// A datagram cut by a short receive buffer.
  public var cut: String
  /// A step made as documented.
  public var conforming: String
  /// Data between sockets: messages and their counts.
  public var message: String
  /// The schematic's send→recv arrow.
  public var sendArrow: String
  /// Time-axis bars of blocking calls, and the dot of a call.
  public var barFill: String
  public var barBorder: String
  public var callPoint: String
  /// How thick a failed step's outline is: thicker than a conforming one's where colour alone
  /// cannot tell them apart.
  public var failurePenWidth: String
  /// The legend's mark for a failed step.
  public var failedGlyph: String

  /// The colours the figures have always had.
  public static let light = DiagramPalette(
    background: "white", text: "black", line: "#222222", secondaryText: "#555555", muted: "#777777",
    faint: "#999999", dataText: "#333333", connection: "#444444",
    boxFill: "#eeeeee", boxBorder: "#555555", processFill: "#dde8f6", kernelFill: "#f4f4f4",
    socketFill: "#fff2cc", queueFill: "#e2f0d9", accent: "#dd0000", failure: "#cc0000",
    failureFill: "#fdecea", cut: "#cc6600", conforming: "#2e7d32", message: "#2f6fbf", sendArrow: "#6aa84f",
    barFill: "#c9d7ea", barBorder: "#7a93b8", callPoint: "#1f3a5f", failurePenWidth: "2.5", failedGlyph: "■")

  /// Greys only. Failures are black and thick with their text marks; what is secondary is lighter.
  public static let print = DiagramPalette(
    background: "white", text: "#000000", line: "#000000", secondaryText: "#444444", muted: "#888888",
    faint: "#999999", dataText: "#222222", connection: "#333333",
    boxFill: "#f2f2f2", boxBorder: "#444444", processFill: "#e0e0e0", kernelFill: "#f7f7f7",
    socketFill: "#ffffff", queueFill: "#d0d0d0", accent: "#000000", failure: "#000000",
    failureFill: "#d9d9d9", cut: "#000000", conforming: "#666666", message: "#333333", sendArrow: "#999999",
    barFill: "#d9d9d9", barBorder: "#666666", callPoint: "#000000", failurePenWidth: "5", failedGlyph: "✗")

  /// Light on dark, for a projector.
  public static let dark = DiagramPalette(
    background: "#1e1e1e", text: "#e8e8e8", line: "#d0d0d0", secondaryText: "#bbbbbb", muted: "#8a8a8a",
    faint: "#777777", dataText: "#cccccc", connection: "#bbbbbb",
    boxFill: "#2d2d2d", boxBorder: "#aaaaaa", processFill: "#23395b", kernelFill: "#2a2a2a",
    socketFill: "#4a3f1a", queueFill: "#26401f", accent: "#ff6b6b", failure: "#ff5252",
    failureFill: "#4a1f1f", cut: "#ffab40", conforming: "#69c36d", message: "#6fa8ff", sendArrow: "#8bc34a",
    barFill: "#3a4f6e", barBorder: "#7a93b8", callPoint: "#9fc4ff", failurePenWidth: "2.5", failedGlyph: "■")

  /// Every colour of the palette, for checking a theme.
  public var colors: [String] {
    [
      background, text, line, secondaryText, muted, faint, dataText, connection, boxFill, boxBorder,
      processFill, kernelFill, socketFill,
      queueFill, accent, failure, failureFill, cut, conforming, message, sendArrow, barFill, barBorder,
      callPoint,
    ]
  }
}

/// Font families a figure's SVG asks for, first found wins: the layout uses the first, a machine
/// without it (a slide shown elsewhere) falls back to a similar sans-serif.
public enum DiagramFonts {
  public static let layout = "DejaVu Sans"
  public static let svgFamilies = "DejaVu Sans, Noto Sans, Verdana, Arial, Helvetica, sans-serif"
}
