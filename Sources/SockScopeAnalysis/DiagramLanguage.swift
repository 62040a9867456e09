/// The language of a figure's words (call names stay as in C), and of the reports that go with
/// it. Defined with the analysis, below the views and the comparison, so that a comparison's
/// report and a figure share one type without the comparison depending on a view.
public enum DiagramLanguage: String, Sendable, CaseIterable {
  case ru, en
}
