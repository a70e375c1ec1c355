// swift-tools-version:6.1
import PackageDescription

// The benchmark programs. A package of their own (as Fuzz/ is), so the root package's `swift build` and
// `swift test` never build them nor the clients they load the registry with; bench/*/run.sh builds them in
// release, in bench/.build. The programs they measure (chatixia-registry, the RTC stack) come from the root.
let package = Package(
    name: "chatixia-bench",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "chatixia-mesh", path: ".."),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        .executableTarget(
            name: "registry-bench",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            ],
            path: "registry/Sources",
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        ),
        .executableTarget(
            name: "rtc-bench", dependencies: [.product(name: "RTCTransport", package: "chatixia-mesh")], path: "rtc/Sources",
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]),
    ]
)
