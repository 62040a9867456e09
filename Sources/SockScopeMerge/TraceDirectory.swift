import Foundation
import SockScopeTrace

/// The layout of a trace directory, the same whichever command recorded it (`demo --out`,
/// `record --out`, `server`/`client --trace`):
///
///     DIR/trace.jsonl       the merged timeline
///     DIR/logs/*.sslog      one log per recorded process
///
/// Directories written by older versions hold their logs directly in `DIR`; they are still read.
public enum TraceDirectory {
  /// The name of the folder of per-process logs inside a trace directory.
  public static let logsFolder = "logs"

  /// Where recorders write their logs in the trace directory `directory`.
  public static func logsPath(in directory: String) -> String {
    (directory as NSString).appendingPathComponent(logsFolder)
  }

  /// The folder holding `directory`'s per-process logs: `directory/logs` when it holds logs, else
  /// `directory` itself when it does (the old layout), else whichever exists (for the error that
  /// says no logs were found). So `merge`, `validate`, `render` and `play` read any layout.
  public static func logsFolder(of directory: String) -> String {
    let logs = logsPath(in: directory)
    if holdsLogs(logs) { return logs }
    if holdsLogs(directory) { return directory }
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: logs, isDirectory: &isDirectory) && isDirectory.boolValue
      ? logs : directory
  }

  /// How many logs sit directly in `directory` next to a `logs/` folder that is used instead:
  /// logs an older version wrote there, which a merge leaves out (and should say so).
  public static func strayLogs(in directory: String) -> Int {
    guard logsFolder(of: directory) != directory else { return 0 }
    return logNames(in: directory).count
  }

  static func holdsLogs(_ folder: String) -> Bool { !logNames(in: folder).isEmpty }

  static func logNames(in folder: String) -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    return names.filter { $0.hasSuffix("." + ProcessLog.fileExtension) }
  }
}
