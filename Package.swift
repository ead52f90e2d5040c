// swift-tools-version:6.0
// Vireo: an embedded vector database. Modules depend one way: Net → Query → Index → Storage.
import PackageDescription

/// SwiftPM refuses a package that depends on Vireo by version when Vireo's targets carry
/// unsafe flags, so they apply only where Vireo is built for itself: its own checkout
/// (or a path dependency), not a copy SwiftPM fetched into `checkouts/` or a registry's
/// downloads for another package.
let isFetchedDependency = ["/checkouts/", "/registry/downloads/"].contains { Context.packageDirectory.contains($0) }
func onlyWhenDeveloping<Setting>(_ settings: [Setting]) -> [Setting] { isFetchedDependency ? [] : settings }

/// Release builds skip Swift's run-time exclusivity checks in the engine's hot loops
/// (12% of insert time in the storage benchmark) and in the server's per-message code;
/// debug builds and tests keep them.
let engineSwiftSettings: [SwiftSetting] = onlyWhenDeveloping([
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
])
/// The C kernels are optimised in debug builds too: tests embed with MiniLM, whose
/// activations live there.
let supportCSettings: [CSetting] = onlyWhenDeveloping([.unsafeFlags(["-O2"])])

let package = Package(
    name: "Vireo",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Vireo", targets: ["VireoQuery"]),
        .executable(name: "vireo", targets: ["vireo"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.7.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.27.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.20.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
    ],
    targets: [
        // System-library shims.
        .systemLibrary(
            name: "CURing", path: "Sources/CURing", pkgConfig: "liburing",
            providers: [.apt(["liburing-dev"])]),
        .systemLibrary(
            name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CSQLite", path: "Benchmarks/CSQLite", pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(
            name: "CEditLine", path: "Sources/CEditLine", pkgConfig: "libedit",
            providers: [.apt(["libedit-dev"])]),
        // Small C helpers where Swift cannot reach the hardware: CRC32C (SSE4.2), SIMD kernels.
        .target(name: "CVireoSupport", path: "Sources/CVireoSupport", cSettings: supportCSettings),

        .target(
            name: "VireoStorage",
            dependencies: ["CURing", "CVireoSupport", .product(name: "Logging", package: "swift-log")],
            path: "Sources/Storage", swiftSettings: engineSwiftSettings),
        .target(
            name: "VireoIndex",
            dependencies: ["VireoStorage", "COpenBLAS", "CVireoSupport"],
            path: "Sources/Index", swiftSettings: engineSwiftSettings),
        .target(
            name: "VireoQuery",
            dependencies: ["VireoIndex", "COpenBLAS", "CVireoSupport", .product(name: "Crypto", package: "swift-crypto")],
            path: "Sources/Query", swiftSettings: engineSwiftSettings),
        .target(
            name: "VireoNet",
            dependencies: [
                "VireoQuery",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                "CSQLite",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Net", swiftSettings: engineSwiftSettings),
        // `vireo bench ann`, also built alone as vireo-bench-ann: a release build of the
        // index benchmark then skips the server's dependencies.
        .target(
            name: "VireoBenchANN",
            dependencies: ["VireoIndex", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/BenchANN", swiftSettings: engineSwiftSettings),
        .executableTarget(
            name: "vireo-bench-ann",
            dependencies: ["VireoBenchANN"],
            path: "Benchmarks/ANNBench"),
        .executableTarget(
            name: "vireo",
            dependencies: [
                "VireoNet", "CEditLine", "VireoBenchANN",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/vireo"),
        .target(name: "BenchSQLite", dependencies: ["CSQLite"], path: "Benchmarks/BenchSQLite"),
        .executableTarget(
            name: "vireo-bench-storage",
            dependencies: ["VireoStorage", "BenchSQLite"],
            path: "Benchmarks/StorageBench"),
        // The same SQL text on Vireo's embedded API and on SQLite's C API (docs/benchmarks-sql.md).
        .executableTarget(
            name: "vireo-bench-sqlite",
            dependencies: ["VireoQuery", "BenchSQLite"],
            path: "Benchmarks/SQLPathBench", swiftSettings: engineSwiftSettings),
        .executableTarget(
            name: "vireo-bench-embed",
            dependencies: ["VireoQuery"],
            path: "Benchmarks/EmbedBench"),

        .testTarget(name: "VireoStorageTests", dependencies: ["VireoStorage"], path: "Tests/VireoStorageTests"),
        .testTarget(name: "VireoIndexTests", dependencies: ["VireoIndex"], path: "Tests/VireoIndexTests"),
        .testTarget(
            name: "VireoNetTests",
            dependencies: [
                "VireoNet",
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            path: "Tests/VireoNetTests"),
        .testTarget(name: "VireoQueryTests", dependencies: ["VireoQuery", "CSQLite"], path: "Tests/VireoQueryTests", exclude: ["Differential", "Fixtures"]),
    ]
)
