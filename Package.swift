// swift-tools-version: 6.0
import PackageDescription

// Every Swift target builds in Swift 6 language mode with these upcoming features on.
let swiftSettings: [SwiftSetting] = [
  .enableUpcomingFeature("ExistentialAny"),
  .enableUpcomingFeature("InternalImportsByDefault"),
]

// ENABLE_MOCKING compiles the syscall seam of the socket layer (Syscalls.swift) into debug builds
// only, so tests can force errno values while release builds pay nothing for it.
let mocking: [SwiftSetting] = [.define("ENABLE_MOCKING", .when(configuration: .debug))]

let package = Package(
  name: "SockScope",
  products: [
    .executable(name: "sockscope", targets: ["sockscope"]),
    .library(name: "SockScopeSockets", targets: ["SockScopeSockets"]),
    .library(name: "SockScopeTrace", targets: ["SockScopeTrace"]),
    .library(name: "SockScopeMerge", targets: ["SockScopeMerge"]),
    .library(name: "SockScopeStrace", targets: ["SockScopeStrace"]),
    .library(name: "SockScopeOutput", targets: ["SockScopeOutput"]),
    // The LD_PRELOAD interposer `sockscope record` loads into other programs.
    .library(name: "SockScopePreload", type: .dynamic, targets: ["CSockScopePreload"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
  ],
  targets: [
    // The per-process binary log (layout and writer) and socket identity helpers, in C so that the
    // Swift socket layer and an LD_PRELOAD interposer write the same bytes with the same code.
    .target(name: "CSockScopeLog"),
    // The interposer: C, so that it runs inside any dynamically linked program. Linked without the
    // Swift runtime: SwiftPM links a dynamic library through swiftc, which adds Swift's startup
    // object and libswiftCore, and loading those into a recorded program ran the Swift runtime's
    // initialisers before its main (they left errno at ENOTTY). With no startup object nothing
    // refers to the runtime, and linking it statically then takes none of it.
    .target(
      name: "CSockScopePreload", dependencies: ["CSockScopeLog"],
      linkerSettings: [.linkedLibrary("dl"), .unsafeFlags(["-nostartfiles", "-static-stdlib"])]),
    // libgraphviz (cgraph + gvc), linked in process.
    .systemLibrary(
      name: "CGraphviz", pkgConfig: "libgvc",
      providers: [.apt(["libgraphviz-dev"])]),
    // Files the binary carries inside itself (the trace JSON Schema, the page's schematic), so it
    // needs no bundle.
    .target(
      name: "SockScopeResources", path: "Resources",
      exclude: ["README.md"],
      resources: [
        .embedInCode("trace.schema.json"), .embedInCode("schematics/datagram-echo.schematic"),
        .embedInCode("web/stepper.css"), .embedInCode("web/stepper.js"),
        .embedInCode("schematics/datagram-echo.rubric"),
      ],
      swiftSettings: swiftSettings),
    // Writing output files (whole or not at all, never through a link, never over an input) and
    // standard output and error; its own error type, and the fix for each errno.
    .target(name: "SockScopeOutput", swiftSettings: swiftSettings),
    // The trace model: events, typed call arguments, the JSON Lines format, reading and
    // validation, causal order.
    .target(
      name: "SockScopeTrace", dependencies: ["CSockScopeLog", "SockScopeResources", "SockScopeOutput"],
      swiftSettings: swiftSettings),
    // Making a trace from per-process binary logs: reading them, merging events into one
    // timeline, linking receives to sends; a trace directory's layout.
    .target(
      name: "SockScopeMerge", dependencies: ["CSockScopeLog", "SockScopeTrace", "SockScopeOutput"],
      swiftSettings: swiftSettings),
    // Making a trace from strace's output.
    .target(
      name: "SockScopeStrace", dependencies: ["SockScopeTrace", "SockScopeMerge"],
      swiftSettings: swiftSettings),
    // The instrumented socket layer: typed wrappers over Glibc that record every call.
    .target(
      name: "SockScopeSockets", dependencies: ["CSockScopeLog", "SockScopeOutput"],
      swiftSettings: swiftSettings + mocking),
    // The lecture page's datagram echo server and client, written on the socket layer.
    // A DOT graph model, and libgraphviz in process behind one lock.
    // The one language type (ru, en) of everything SockScope says.
    .target(name: "SockScopeLanguage", swiftSettings: swiftSettings),
    .target(name: "SockScopeGraphviz", dependencies: ["CGraphviz"], swiftSettings: swiftSettings),
    // What the views, compare and the exports read of a trace: runs of calls folded into steps
    // and loops, the loop's decisions, step marks, a call as text, documented schematics, and the
    // kernel's objects step by step (Kernel/).
    .target(
      name: "SockScopeAnalysis", dependencies: ["SockScopeTrace", "SockScopeResources"],
      swiftSettings: swiftSettings),
    // The views of a trace: schematic, sequence chart, topology.
    .target(
      name: "SockScopeDiagrams",
      dependencies: ["SockScopeTrace", "SockScopeAnalysis", "SockScopeGraphviz", "SockScopeLanguage"],
      swiftSettings: swiftSettings),
    // Stepping through a trace: snapshots, text frames, the terminal player, asciicast recordings.
    .target(
      name: "SockScopePlayer",
      dependencies: ["SockScopeTrace", "SockScopeAnalysis", "SockScopeLanguage", "CTerminal"],
      swiftSettings: swiftSettings),
    // The terminal's window size (ioctl is variadic, so Swift cannot call it).
    .target(name: "CTerminal"),
    // Checking a run against a documented schematic, or against another run.
    .target(
      name: "SockScopeCompare",
      dependencies: ["SockScopeTrace", "SockScopeAnalysis", "SockScopeLanguage", "SockScopeResources"],
      swiftSettings: swiftSettings),
    // Formats other tools read: Mermaid, PlantUML, Chrome trace JSON (Perfetto), pcapng.
    .target(
      name: "SockScopeExport",
      dependencies: [
        "SockScopeTrace", "SockScopeAnalysis", "SockScopePlayer", "SockScopeDiagrams", "SockScopeLanguage",
        "SockScopeResources",
      ],
      swiftSettings: swiftSettings),
    .target(
      name: "EchoPair", dependencies: ["SockScopeSockets", "SockScopeLanguage"],
      swiftSettings: swiftSettings),
    // The command-line tool.
    .executableTarget(
      name: "sockscope",
      dependencies: [
        "EchoPair", "SockScopeSockets", "SockScopeTrace", "SockScopeAnalysis", "SockScopeDiagrams",
        "SockScopeLanguage", "SockScopeOutput", "SockScopeMerge", "SockScopeStrace",
        "SockScopeGraphviz",
        "SockScopeCompare",
        "SockScopePlayer", "SockScopeExport",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      swiftSettings: swiftSettings),
    // examples/: small programs on the socket layer (examples/README.md).
    .executableTarget(
      name: "stream-echo", dependencies: ["SockScopeSockets"], path: "examples/stream-echo",
      swiftSettings: swiftSettings),
    // Benchmarks/: what `make bench` measures (scripts/bench). Not run by the tests.
    .executableTarget(
      name: "echo-throughput", dependencies: ["SockScopeSockets"], path: "Benchmarks/EchoThroughput",
      swiftSettings: swiftSettings),
    .executableTarget(name: "c-echo-throughput", path: "Benchmarks/CEchoThroughput"),
    .executableTarget(
      name: "trace-load", dependencies: ["SockScopeTrace", "SockScopeMerge"], path: "Benchmarks/TraceLoad",
      swiftSettings: swiftSettings),
    // Fuzz/: the libFuzzer targets of `make fuzz` (scripts/fuzz); built normally, a replayer.
    .executableTarget(
      name: "sockscope-fuzz",
      dependencies: [
        "SockScopeTrace", "SockScopeMerge", "SockScopeStrace", "SockScopeCompare", "CLibFuzzer",
      ],
      path: "Fuzz/SockScopeFuzz",
      swiftSettings: swiftSettings),
    .target(name: "CLibFuzzer", path: "Fuzz/CLibFuzzer"),
    .testTarget(
      name: "SockScopeTraceTests",
      dependencies: [
        "SockScopeTrace", "SockScopeMerge", "SockScopeStrace", "SockScopeOutput", "CSockScopeLog",
      ],
      resources: [.copy("Fixtures")],
      swiftSettings: swiftSettings),
    .testTarget(
      name: "SockScopeAnalysisTests",
      dependencies: ["SockScopeAnalysis", "SockScopeTrace", "SockScopeMerge"],
      exclude: ["Fixtures"], swiftSettings: swiftSettings),
    .testTarget(
      name: "SockScopeDiagramsTests",
      dependencies: [
        "SockScopeDiagrams", "SockScopeAnalysis", "SockScopeGraphviz", "SockScopeTrace", "SockScopeMerge",
        "SockScopeLanguage",
      ],
      exclude: ["Fixtures"], swiftSettings: swiftSettings),
    .testTarget(
      name: "SockScopeCompareTests",
      dependencies: [
        "SockScopeCompare", "SockScopeAnalysis", "SockScopeDiagrams", "SockScopeTrace", "SockScopeMerge",
      ],
      swiftSettings: swiftSettings),
    .testTarget(
      name: "SockScopePlayerTests",
      dependencies: [
        "SockScopePlayer", "SockScopeTrace", "SockScopeAnalysis", "SockScopeMerge", "SockScopeLanguage",
      ],
      exclude: ["Fixtures"],
      swiftSettings: swiftSettings),
    .testTarget(
      name: "SockScopeSocketsTests",
      dependencies: ["SockScopeSockets", "SockScopeTrace", "SockScopeMerge", "CSockScopeLog"],
      swiftSettings: swiftSettings + mocking),
    .testTarget(
      name: "SockScopeExportTests",
      dependencies: ["SockScopeExport", "SockScopeTrace", "SockScopeMerge", "SockScopeLanguage"],
      swiftSettings: swiftSettings),
    .testTarget(
      name: "IntegrationTests",
      dependencies: [
        "SockScopeTrace", "SockScopeMerge", "SockScopeStrace", "SockScopeSockets", "SockScopePlayer",
        "SockScopeAnalysis", "SockScopeLanguage", "SockScopeDiagrams", "SockScopeGraphviz", "sockscope",
      ],
      // Driven by the browser tests with Debian's python3 and selenium.
      exclude: ["browser_check.py"],
      swiftSettings: swiftSettings),
  ]
)
