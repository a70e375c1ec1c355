import Foundation
import HummingbirdWSClient
import Logging
import Synchronization

/// Messages per second relayed from one WebSocket client to another through a server.
enum RelayThroughput {
    /// At most this many frames in flight, below the registry's per-connection queue bound.
    static let window = 512

    static func measureRegistry(api: BenchAPI, port: Int, keys: BenchKeys, messages: Int) async throws -> Double {
        let tokenA = try await api.json(.POST, "/api/token", key: keys.relayA)["token"] as! String
        let tokenB = try await api.json(.POST, "/api/token", key: keys.relayB)["token"] as! String
        let frame = #"{"type":"offer","peer_id":"bench-a","target_id":"bench-b","payload":{"sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n"}}"#
        return try await measure(
            senderURL: "ws://127.0.0.1:\(port)/ws?token=\(tokenA)", receiverURL: "ws://127.0.0.1:\(port)/ws?token=\(tokenB)",
            senderHello: #"{"type":"register","peer_id":"bench-a"}"#, receiverHello: #"{"type":"register","peer_id":"bench-b"}"#,
            frame: frame, isRelayed: { $0.contains("\"offer\"") }, messages: messages)
    }

    static func measureBare(port: Int, messages: Int) async throws -> Double {
        try await measure(
            senderURL: "ws://127.0.0.1:\(port)/relay?name=a", receiverURL: "ws://127.0.0.1:\(port)/relay?name=b",
            senderHello: nil, receiverHello: nil,
            frame: #"{"type":"offer","peer_id":"bench-a","target_id":"bench-b","payload":{"sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n"}}"#,
            isRelayed: { _ in true }, messages: messages)
    }

    final class Counter: Sendable {
        let received = Atomic<Int>(0)
        let receiverReady = Atomic<Bool>(false)
    }

    static func measure(
        senderURL: String, receiverURL: String, senderHello: String?, receiverHello: String?, frame: String,
        isRelayed: @escaping @Sendable (String) -> Bool, messages: Int
    ) async throws -> Double {
        let counter = Counter()
        let logger = Logger(label: "bench-relay")
        return try await withThrowingTaskGroup(of: Double.self) { group in
            group.addTask {
                try await WebSocketClient.connect(url: receiverURL, logger: logger) { inbound, outbound, _ in
                    if let receiverHello { try await outbound.write(.text(receiverHello)) }
                    counter.receiverReady.store(true, ordering: .releasing)
                    for try await message in inbound.messages(maxSize: 1 << 16) {
                        guard case .text(let text) = message, isRelayed(text) else { continue }
                        if counter.received.add(1, ordering: .relaxed).newValue >= messages { break }
                    }
                }
                return 0
            }
            group.addTask {
                let elapsed = Mutex<Duration>(.zero)
                try await WebSocketClient.connect(url: senderURL, logger: logger) { _, outbound, _ in
                    if let senderHello { try await outbound.write(.text(senderHello)) }
                    while !counter.receiverReady.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(5)) }
                    try await Task.sleep(for: .milliseconds(200))
                    let start = ContinuousClock.now
                    for sent in 0..<messages {
                        while sent - counter.received.load(ordering: .relaxed) >= window { try await Task.sleep(for: .microseconds(100)) }
                        try await outbound.write(.text(frame))
                    }
                    while counter.received.load(ordering: .relaxed) < messages { try await Task.sleep(for: .microseconds(100)) }
                    elapsed.withLock { $0 = ContinuousClock.now - start }
                    try await outbound.close(.normalClosure, reason: nil)
                }
                return Double(messages) / elapsed.withLock { $0 }.milliseconds * 1000
            }
            var rate = 0.0
            for try await value in group where value > 0 { rate = value }
            return rate
        }
    }
}
