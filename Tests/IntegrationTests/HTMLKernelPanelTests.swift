import Foundation
import Testing

extension HTMLExportTests {
  @Test("the kernel panel names every socket part and field in Russian and English, never by a property name")
  func kernelPanelLabels() throws {
    #expect(
      browserAvailable, "chromium, chromium-driver and python3-selenium are missing; make test installs them")
    try withTemporaryDirectory { dir throws in
      // A stream server with two clients: listening sockets with connections waiting, descriptors
      // in three processes, addresses and kinds.
      try FileManager.default.createDirectory(atPath: dir + "/run", withIntermediateDirectories: true)
      try FileManager.default.copyItem(
        atPath: repositoryRoot + "/Tests/SockScopeAnalysisTests/Fixtures/stream-server-trace.jsonl",
        toPath: dir + "/run/trace.jsonl")
      let export = try sockscope(["export", "html", "run", "-o", "page.html", "--no-sources"], in: dir)
      #expect(export.status == 0, "\(export.stderr)")
      // Step 6: the first client has connected, the server has not accepted yet.
      let saw = try browse(
        dir + "/page.html", screenshot: dir + "/kernel.png", scenario: "kernel", arguments: ["6"])
      #expect(saw["ready"] as? Bool == true)
      let raw = try #require(saw["raw_names"] as? [String])
      #expect(Set(raw).isSuperset(of: ["sockets", "socket", "type", "name", "holders", "pending"]), "\(raw)")
      let expected: [String: Set<String>] = [
        "ru": [
          "Сокеты в ядре", "сокет (inode)", "тип сокета", "адрес", "дескрипторы (процесс и fd)",
          "соединений ждут accept",
        ],
        "en": [
          "Sockets in the kernel", "socket (inode)", "socket type", "address", "descriptors (process and fd)",
          "connections waiting for accept",
        ],
      ]
      for language in ["ru", "en"] {
        // No heading of the panel (beyond the receive queues' own table) is a property name.
        let headings = Set(try #require(saw["headings_" + language] as? [String]))
        #expect(
          headings.isDisjoint(with: raw), "\(language): a property name shows: \(headings.intersection(raw))")
        let labels = Set(try #require(saw["labels_" + language] as? [String]))
        #expect(labels == expected[language], "\(language): \(labels)")
        // Values that are objects are written "label: value": no property name there either.
        let cells = try #require(saw["cells_" + language] as? [String])
        #expect(!cells.isEmpty)
        for cell in cells {
          #expect(!raw.contains { cell.hasPrefix($0 + ":") || cell.contains("; " + $0 + ":") }, "\(cell)")
        }
      }
      let panel = try #require(saw["panel_text"] as? String)
      #expect(panel.contains("соединений ждут accept"), "\(panel)")
      #expect((saw["console_errors"] as? [String])?.isEmpty == true, "\(saw["console_errors"] ?? "")")
    }
  }
}
