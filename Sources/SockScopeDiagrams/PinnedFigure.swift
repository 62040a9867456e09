import SockScopeGraphviz

extension DOTGraph {
  /// A figure whose nodes are placed by hand and laid out with `neato -n2` (the sequence chart,
  /// the queue chart): straight lines under the nodes, the theme's colours, the layout font.
  /// `node` and `edge` add to the shared defaults.
  static func pinnedFigure(
    name: String, palette: DiagramPalette, node: DOTAttributes = [:], edge: DOTAttributes
  ) -> DOTGraph {
    let font = DOTValue.text(DiagramFonts.layout)
    var nodeDefaults: DOTAttributes = [
      "fontname": font, "fontsize": .plain("10"), "color": .text(palette.text),
      "fontcolor": .text(palette.text),
    ]
    for (key, value) in node.pairs { nodeDefaults[key] = value }
    return DOTGraph(
      name: name,
      attributes: [
        "splines": "line", "outputorder": "edgesfirst", "fontname": font,
        "bgcolor": .text(palette.background),
        "fontcolor": .text(palette.text), "pad": .plain("0.3"),
      ],
      nodeDefaults: nodeDefaults, edgeDefaults: edge)
  }
}
