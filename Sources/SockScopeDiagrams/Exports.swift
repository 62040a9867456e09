// A figure is drawn from the analysis's results (RunSchematic, DocumentedSchematic, StepMark)
// (a program that imports SockScopeDiagrams gets them too).
@_exported public import SockScopeAnalysis
