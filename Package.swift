// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "chatixia-mesh",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "chatixia-registry", targets: ["chatixia-registry"]),
        .executable(name: "chatixia-sidecar", targets: ["chatixia-sidecar"]),
        .executable(name: "chatixia", targets: ["chatixia"]),
        .library(name: "MeshProtocol", targets: ["MeshProtocol"]),
        .library(name: "Registry", targets: ["Registry"]),
        .library(name: "ChatixiaAgent", targets: ["ChatixiaAgent"]),
        // The parsers, for the libFuzzer harnesses in Fuzz/, and the RTC stack, for rtc-bench in bench/ (packages of
        // their own).
        .library(name: "STUN", targets: ["STUN"]),
        .library(name: "TURN", targets: ["TURN"]),
        .library(name: "SDP", targets: ["SDP"]),
        .library(name: "DataChannel", targets: ["DataChannel"]),
        .library(name: "SCTP", targets: ["SCTP", "SansIO"]),
        .library(name: "RTCTransport", targets: ["RTCTransport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/jpsim/Yams.git", "5.0.1"..<"7.0.0"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk.git", from: "0.12.1"),
    ],
    targets: [
        .target(
            name: "MeshProtocol",
            dependencies: ["ICE", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl")],
            swiftSettings: strict),
        // RTC stack under Sources/RTC, one module per layer, each knowing only the layer below; PeerConnection
        // re-exports what its API needs, so its users import PeerConnection (and RTCTransport for the I/O).
        // What every sans-IO core shares: its output queue and its random source.
        .target(name: "SansIO", path: "Sources/RTC/SansIO", swiftSettings: strict),
        .target(name: "CDTLS", path: "Sources/RTC/CDTLS", linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]),
        .target(name: "DTLS", dependencies: ["SansIO", "CDTLS"], path: "Sources/RTC/DTLS", swiftSettings: strict),
        .target(name: "CSCTP", path: "Sources/RTC/CSCTP"),
        .target(name: "SCTP", dependencies: ["SansIO", "CSCTP"], path: "Sources/RTC/SCTP", swiftSettings: strict),
        .target(name: "DataChannel", dependencies: ["SCTP"], path: "Sources/RTC/DataChannel", swiftSettings: strict),
        .target(name: "STUN", dependencies: [.product(name: "Crypto", package: "swift-crypto")], path: "Sources/RTC/STUN", swiftSettings: strict),
        .target(name: "SDP", dependencies: [.product(name: "Crypto", package: "swift-crypto")], path: "Sources/RTC/SDP", swiftSettings: strict),
        .target(name: "TURN", dependencies: ["SansIO", "STUN"], path: "Sources/RTC/TURN", swiftSettings: strict),
        .target(name: "ICE", dependencies: ["SansIO", "STUN", "TURN"], path: "Sources/RTC/ICE", swiftSettings: strict),
        .target(
            name: "PeerConnection", dependencies: ["SansIO", "ICE", "DTLS", "SCTP", "DataChannel", "SDP", "STUN"], path: "Sources/RTC/PeerConnection",
            swiftSettings: strict),
        .target(
            name: "RTCTransport",
            dependencies: [
                "PeerConnection",
                "SansIO",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Sources/RTC/RTCTransport",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "rtc-interop-peer", dependencies: ["RTCTransport", "MeshProtocol"],
            path: "Tests/interop/Peer", swiftSettings: strict),
        .target(
            name: "Registry",
            dependencies: [
                "MeshProtocol",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Resources/hub")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "chatixia-registry",
            dependencies: [
                "Registry",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Sidecar",
            dependencies: [
                "MeshProtocol",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                "RTCTransport",
                "PeerConnection",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "chatixia-sidecar",
            dependencies: ["Sidecar", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .target(name: "CSpawn"),
        .target(
            name: "ChatixiaAgent",
            dependencies: [
                "MeshProtocol",
                "CSpawn",
                .product(name: "Yams", package: "Yams"),
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "chatixia",
            dependencies: [
                "ChatixiaAgent",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "MeshProtocolTests",
            dependencies: ["MeshProtocol", "RTCTestSupport", .product(name: "NIOEmbedded", package: "swift-nio")],
            swiftSettings: strict),
        .target(name: "RTCTestSupport", dependencies: ["SCTP", "SansIO"], path: "Tests/RTCTestSupport", swiftSettings: strict),
        .testTarget(name: "STUNTests", dependencies: ["STUN", "RTCTestSupport"], swiftSettings: strict),
        .testTarget(name: "SDPTests", dependencies: ["SDP", "RTCTestSupport"], swiftSettings: strict),
        .testTarget(name: "DTLSTests", dependencies: ["DTLS", "RTCTestSupport"], swiftSettings: strict),
        .testTarget(name: "SCTPTests", dependencies: ["SCTP", "DTLS", "RTCTestSupport"], swiftSettings: strict),
        .testTarget(name: "DataChannelTests", dependencies: ["DataChannel", "RTCTestSupport"], swiftSettings: strict),
        .testTarget(name: "TURNTests", dependencies: ["TURN", "STUN", "RTCTestSupport"], swiftSettings: strict),
        .testTarget(name: "ICETests", dependencies: ["ICE", "TURN", "STUN"], swiftSettings: strict),
        .testTarget(name: "PeerConnectionTests", dependencies: ["PeerConnection", "RTCTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "RTCTransportTests",
            dependencies: [
                "RTCTransport", "PeerConnection", "RTCTestSupport", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "SidecarTests",
            dependencies: ["Sidecar", "ICE", "RTCTestSupport", .product(name: "NIOEmbedded", package: "swift-nio"), .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ChatixiaAgentTests",
            dependencies: [
                "ChatixiaAgent",
                "Registry",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RegistryTests",
            dependencies: [
                "Registry",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSTesting", package: "hummingbird-websocket"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: strict
        ),
    ]
)
