// A comparison speaks of documented schematics and step marks, which the analysis module
// defines: a program that imports SockScopeCompare gets them too.
@_exported public import SockScopeAnalysis
