// swift-tools-version:6.1
import PackageDescription

// libFuzzer harnesses for the RTC parsers and the IPC lines. A package of their own, so that the root package's
// `swift build` and `swift test` never see sanitizer flags; scripts/fuzz.sh builds them with
// `-sanitize=fuzzer,address` in .build-fuzz and runs them.
let package = Package(
    name: "chatixia-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "chatixia-mesh", path: "..")],
    targets: [
        .target(name: "CFuzzDriver"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzDriver"]),
        .executableTarget(
            name: "FuzzSTUN",
            dependencies: ["FuzzSupport", .product(name: "STUN", package: "chatixia-mesh"), .product(name: "TURN", package: "chatixia-mesh")]),
        .executableTarget(name: "FuzzSDP", dependencies: ["FuzzSupport", .product(name: "SDP", package: "chatixia-mesh")]),
        .executableTarget(
            name: "FuzzICECandidate",
            dependencies: ["FuzzSupport", .product(name: "SDP", package: "chatixia-mesh"), .product(name: "STUN", package: "chatixia-mesh")]
        ),
        .executableTarget(name: "FuzzDCEP", dependencies: ["FuzzSupport", .product(name: "DataChannel", package: "chatixia-mesh")]),
        .executableTarget(name: "FuzzSCTP", dependencies: ["FuzzSupport", .product(name: "SCTP", package: "chatixia-mesh")]),
        .executableTarget(name: "FuzzIPC", dependencies: ["FuzzSupport", .product(name: "MeshProtocol", package: "chatixia-mesh")]),
    ]
)
