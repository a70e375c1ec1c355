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

    /// Offers from a peer on `sender`'s replica to one on `receiver`'s (the same replica, or another).
    static func measure(between sender: ClusterBench.Replica, and receiver: ClusterBench.Replica, keys: BenchKeys, messages: Int) async throws -> Double {
        let tokenA = try await sender.api.json(.POST, "/api/token", key: keys.relayA)["token"] as! String
        let tokenB = try await receiver.api.json(.POST, "/api/token", key: keys.relayB)["token"] as! String
        return try await measure(
            senderURL: "ws://127.0.0.1:\(sender.port)/ws?token=\(tokenA)", receiverURL: "ws://127.0.0.1:\(receiver.port)/ws?token=\(tokenB)",
            senderHello: #"{"type":"register","peer_id":"bench-a"}"#, receiverHello: #"{"type":"register","peer_id":"bench-b"}"#,
            frame: offer, isRelayed: { $0.contains("\"offer\"") }, messages: messages, settle: .seconds(3))
    }

    static let offer = #"{"type":"offer","peer_id":"bench-a","target_id":"bench-b","payload":{"sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n"}}"#
    static let answer = #"{"type":"answer","peer_id":"bench-b","target_id":"bench-a","payload":{"sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n"}}"#

    /// One offer at a time from a peer on `first`'s replica, answered by a peer on `second`'s as soon as it
    /// arrives: the time from sending the offer to receiving the answer.
    static func roundTrips(between first: ClusterBench.Replica, and second: ClusterBench.Replica, keys: BenchKeys, samples: Int) async throws -> Percentiles {
        let tokenA = try await first.api.json(.POST, "/api/token", key: keys.relayA)["token"] as! String
        let tokenB = try await second.api.json(.POST, "/api/token", key: keys.relayB)["token"] as! String
        let logger = Logger(label: "bench-round-trip")
        let (firstPort, secondPort) = (first.port, second.port)
        let ready = ReadyFlag()
        return try await withThrowingTaskGroup(of: Percentiles?.self) { group in
            group.addTask {
                try await WebSocketClient.connect(url: "ws://127.0.0.1:\(secondPort)/ws?token=\(tokenB)", logger: logger) { inbound, outbound, _ in
                    try await outbound.write(.text(#"{"type":"register","peer_id":"bench-b"}"#))
                    ready.value.store(true, ordering: .releasing)
                    for try await message in inbound.messages(maxSize: 1 << 16) {
                        guard case .text(let text) = message, text.contains("\"offer\"") else { continue }
                        try await outbound.write(.text(answer))
                    }
                }
                return nil
            }
            group.addTask {
                let durations = Mutex<[Duration]>([])
                try await WebSocketClient.connect(url: "ws://127.0.0.1:\(firstPort)/ws?token=\(tokenA)", logger: logger) { inbound, outbound, _ in
                    try await outbound.write(.text(#"{"type":"register","peer_id":"bench-a"}"#))
                    while !ready.value.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(5)) }
                    // Long enough for the replicas to tell each other about both peers.
                    try await Task.sleep(for: .seconds(3))
                    var messages = inbound.messages(maxSize: 1 << 16).makeAsyncIterator()
                    for _ in 0..<samples {
                        let start = ContinuousClock.now
                        try await outbound.write(.text(offer))
                        while let message = try await messages.next() {
                            if case .text(let text) = message, text.contains("\"answer\"") { break }
                        }
                        durations.withLock { $0.append(ContinuousClock.now - start) }
                    }
                    try await outbound.close(.normalClosure, reason: nil)
                }
                return Percentiles(durations.withLock { $0 })
            }
            for try await result in group {
                if let result {
                    group.cancelAll()
                    return result
                }
            }
            throw BenchError("no round trips measured")
        }
    }

    static func measureBare(port: Int, messages: Int) async throws -> Double {
        try await measure(
            senderURL: "ws://127.0.0.1:\(port)/relay?name=a", receiverURL: "ws://127.0.0.1:\(port)/relay?name=b",
            senderHello: nil, receiverHello: nil,
            frame: #"{"type":"offer","peer_id":"bench-a","target_id":"bench-b","payload":{"sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n"}}"#,
            isRelayed: { _ in true }, messages: messages)
    }

    final class ReadyFlag: Sendable {
        let value = Atomic<Bool>(false)
    }

    final class Counter: Sendable {
        let received = Atomic<Int>(0)
        let receiverReady = Atomic<Bool>(false)
    }

    static func measure(
        senderURL: String, receiverURL: String, senderHello: String?, receiverHello: String?, frame: String,
        isRelayed: @escaping @Sendable (String) -> Bool, messages: Int, settle: Duration = .milliseconds(200)
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
                    try await Task.sleep(for: settle)
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
