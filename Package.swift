// swift-tools-version:6.0
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "anchorage",
    products: [
        .executable(name: "anchorage", targets: ["AnchorageMain"]),
        .executable(name: "anchorage-helper", targets: ["AnchorageHelperMain"]),
    ],
    targets: [
        // OpenSSL 3's crypto and TLS, and the few wrappers of its macros Swift cannot call. Debian's libssl-dev is in the
        // compiler's and linker's default paths; no pkg-config, whose -L would come before the helper's (see below).
        .systemLibrary(name: "COpenSSL"),
        // Linux calls Swift's Glibc module lacks: epoll, eventfd, prctl.
        .target(name: "CSystemShims"),
        // Certificate parsing without OpenSSL 3.0's per-certificate key-decoder setup (X509Decoder's fast path).
        .target(name: "CX509Keyless", dependencies: ["COpenSSL"]),
        // The TLS client's trust store: CA files indexed by subject, each certificate parsed only when a chain needs it.
        .target(name: "CTrustIndex", dependencies: ["COpenSSL"]),
        // `Locked<Value>`: the one lock type, visible to ThreadSanitizer.
        .target(name: "AnchorageLocking", swiftSettings: strict),
        // The byte-level text rules (ASCII case folding, SP/HTAB trimming) and the monotonic clock that
        // Core, HTTP and the targets above share. No dependencies.
        .target(name: "AnchorageBasics", swiftSettings: strict),
        // The one command-line parser: the `anchorage` subcommands and `anchorage-helper`'s cobra-style flags.
        .target(name: "AnchorageCommandLine", swiftSettings: strict),
        // OpenSSL wrappers: certificates, keys, signatures, digests, AEAD. No I/O.
        .target(
            name: "AnchorageCrypto", dependencies: ["COpenSSL", "CX509Keyless", "AnchorageLocking"],
            swiftSettings: strict),
        // Pure logic: SigV4-X509, policy, identity, credentials, the CreateSession pipeline.
        .target(
            name: "AnchorageCore", dependencies: ["AnchorageBasics", "AnchorageCrypto", "AnchorageLocking"],
            swiftSettings: strict),
        // Loads PKI/ and Profiles/ from disk into a Core `Configuration`, and is their one writer.
        .target(name: "AnchorageConfig", dependencies: ["AnchorageCore", "AnchorageCrypto"], swiftSettings: strict),
        // Sockets, epoll event loops, TLS and the HTTP/1.1 codec. Only moves bytes.
        .target(
            name: "AnchorageHTTP",
            dependencies: ["COpenSSL", "CSystemShims", "CTrustIndex", "AnchorageBasics", "AnchorageLocking"],
            swiftSettings: strict),
        // A RESP2 Redis client: the pure reply reader and command writer, and a pipelined connection on a thread of
        // its own (deadlines, reconnection, a bounded queue, TLS). Shared state for replicas (`--shared-state`).
        .target(
            name: "AnchorageRedis", dependencies: ["COpenSSL", "AnchorageBasics", "AnchorageLocking", "CSystemShims"],
            swiftSettings: strict),
        // Routes, handlers, audit log, the `serve` orchestration.
        .target(
            name: "AnchorageServer",
            dependencies: [
                "AnchorageBasics", "AnchorageCore", "AnchorageConfig", "AnchorageHTTP", "AnchorageCrypto",
                "AnchorageLocking", "AnchorageCommandLine", "AnchorageControlPlane", "AnchorageRedis",
            ],
            exclude: ["Deployment"],
            swiftSettings: strict
        ),
        // The control plane: the Roles Anywhere REST-JSON API and the IAM role operations, authorized by the
        // caller role's identity policies. Writes through AnchorageConfig, so the files stay the source of truth.
        .target(
            name: "AnchorageControlPlane",
            dependencies: [
                "AnchorageBasics", "AnchorageCore", "AnchorageConfig", "AnchorageCrypto", "AnchorageLocking",
            ],
            swiftSettings: strict),
        // Workload side: SigV4-X509 request signing, key and certificate loading, the CreateSession client.
        .target(
            name: "AnchorageClient",
            dependencies: [
                "AnchorageBasics", "AnchorageCommandLine", "AnchorageCore", "AnchorageCrypto", "AnchorageHTTP",
                "AnchorageLocking",
            ],
            swiftSettings: strict
        ),
        // Administration: the resource commands, explain, revoke (writes the contract's files).
        .target(
            name: "AnchorageAdmin",
            dependencies: [
                "AnchorageCore", "AnchorageConfig", "AnchorageCrypto", "AnchorageCommandLine", "AnchorageRedis",
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "AnchorageMain",
            dependencies: ["AnchorageServer", "AnchorageAdmin", "AnchorageConfig", "AnchorageCore", "AnchorageCrypto"],
            swiftSettings: strict
        ),
        // The helper links OpenSSL's static archives (the linker scripts in StaticLinking/ are found first on its link
        // path), their symbols kept out of its dynamic table so that a PKCS#11 module or the tpm2 provider uses its own
        // libcrypto; `swift build -c release` also builds the Swift runtime in (`-static-stdlib`) and, by the same
        // scripts, libstdc++: nothing to load and bind at every start (see Helper.md). Debug builds, and so the tests,
        // link OpenSSL the same way and the Swift runtime as usual.
        .executableTarget(
            name: "AnchorageHelperMain", dependencies: ["AnchorageClient", "AnchorageCrypto"],
            exclude: ["StaticLinking"], swiftSettings: strict,
            linkerSettings: [
                .unsafeFlags([
                    "-LSources/AnchorageHelperMain/StaticLinking", "-Xlinker", "--exclude-libs=libssl.a:libcrypto.a",
                ]),
                .unsafeFlags(["-static-stdlib"], .when(configuration: .release)),
            ]),
        // The benchmark: measures only (its correctness checks are AnchorageBenchmarkTests). Not a product:
        // `swift build -c release --target AnchorageBenchmark`, `swift run -c release AnchorageBenchmark`.
        .executableTarget(
            name: "AnchorageBenchmark",
            dependencies: [
                "AnchorageBasics", "AnchorageClient", "AnchorageConfig", "AnchorageCore", "AnchorageCrypto",
                "AnchorageHTTP", "AnchorageRedis", "AnchorageServer", "COpenSSL",
            ],
            swiftSettings: strict
        ),
        // Test support with no product dependency, so the end-to-end tests stay black-box: temporary folders, the
        // test failure, child processes and the `anchorage` binary, and the fixture PKI of `Tests/Fixtures/make-pki.sh`.
        .target(name: "AnchorageTestSupport", path: "Tests/TestSupport", swiftSettings: strict),
        // In-process fixtures for the unit suites: a PKI builder (AnchorageCrypto), hand-built CRLs, and a
        // configuration tree written with `ConfigurationWriter`.
        .target(
            name: "AnchorageConfigFixtures",
            dependencies: ["AnchorageTestSupport", "AnchorageConfig", "AnchorageCore", "AnchorageCrypto"],
            path: "Tests/ConfigFixtures", swiftSettings: strict),
        .testTarget(name: "AnchorageLockingTests", dependencies: ["AnchorageLocking"]),
        .testTarget(name: "AnchorageBasicsTests", dependencies: ["AnchorageBasics"]),
        .testTarget(name: "AnchorageCommandLineTests", dependencies: ["AnchorageCommandLine"]),
        .testTarget(name: "AnchorageCryptoTests", dependencies: ["AnchorageCrypto"]),
        .testTarget(name: "AnchorageCoreTests", dependencies: ["AnchorageBasics", "AnchorageCore", "AnchorageCrypto"]),
        .testTarget(
            name: "AnchorageRedisTests",
            dependencies: ["AnchorageRedis", "AnchorageCore", "AnchorageLocking", "AnchorageTestSupport"]),
        .testTarget(
            name: "AnchorageHTTPTests", dependencies: ["AnchorageHTTP", "AnchorageLocking", "COpenSSL", "CTrustIndex"]),
        .testTarget(
            name: "AnchorageServerTests",
            dependencies: [
                "AnchorageServer", "AnchorageConfig", "AnchorageControlPlane", "AnchorageCore", "AnchorageCrypto",
                "AnchorageHTTP", "AnchorageLocking", "AnchorageConfigFixtures", "AnchorageTestSupport",
                "AnchorageRedis",
            ]
        ),
        .testTarget(
            name: "AnchorageClientTests",
            dependencies: ["AnchorageClient", "AnchorageCore", "AnchorageCrypto", "AnchorageLocking"]),
        .testTarget(
            name: "AnchorageAdminTests",
            dependencies: [
                "AnchorageAdmin", "AnchorageConfig", "AnchorageCore", "AnchorageCommandLine", "AnchorageCrypto",
                "AnchorageLocking", "AnchorageTestSupport",
            ]),
        .testTarget(
            name: "AnchorageConfigTests",
            dependencies: [
                "AnchorageConfig", "AnchorageCore", "AnchorageCrypto", "AnchorageConfigFixtures",
                "AnchorageTestSupport",
            ]),
        // The control plane's operations called as handlers (no sockets), with a test authorizer.
        .testTarget(
            name: "AnchorageControlPlaneTests",
            dependencies: [
                "AnchorageControlPlane", "AnchorageAdmin", "AnchorageConfig", "AnchorageCore", "AnchorageCrypto",
                "AnchorageConfigFixtures", "AnchorageLocking", "AnchorageTestSupport",
            ]),
        // The benchmark's scenarios with their answers asserted, and its TLS handshake measurement.
        .testTarget(
            name: "AnchorageBenchmarkTests",
            dependencies: [
                "AnchorageBasics", "AnchorageBenchmark", "AnchorageConfig", "AnchorageCrypto", "AnchorageHTTP",
                "AnchorageTestSupport",
            ]),
        // Drives the binaries only: no product module.
        .testTarget(name: "EndToEndTests", dependencies: ["AnchorageTestSupport"]),
    ]
)
