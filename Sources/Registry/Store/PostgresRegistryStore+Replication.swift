import Foundation
import Logging
import PostgresNIO

/// Replicas on one database tell each other about committed records and relay signaling through
/// PostgreSQL's LISTEN/NOTIFY on one channel. A notification carries at most 8,000 bytes: record keys go in
/// several notifications when they must, and a signaling frame that does not fit waits in `signal_frames`
/// for the replica that relays it.
extension PostgresRegistryStore: ReplicaLink {
    struct Message: Codable {
        var replica: String
        var records: [[String]]?
        var signal: ReplicaSignal?
        /// Several signals in one notification, in the order they were sent.
        var signals: [ReplicaSignal]?
        /// A `signal_frames` row holding the signal, when it was too large to send inline.
        var stored: Int64?
    }

    static let maxPayload = 7_900
    /// With the schema's key, names the leader lock (two-key advisory locks: this class, that object).
    static let leaderLockClass: Int32 = 0x6368_6174

    public var isLeader: Bool { leadership.withLock { $0 } }

    public func run(deliver: @escaping @Sendable (ReplicaEvent) async -> Void) async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.listen(deliver: deliver) }
            group.addTask { await self.competeForLeadership() }
            group.addTask { await self.sendOutbox() }
        }
    }

    /// Queues the signal; the other replicas get the signals of this replica in the order they were sent
    /// (a candidate never overtakes the offer before it).
    public func send(_ signal: ReplicaSignal) {
        outbox.withLock { $0.append(signal) }
        outboxWakeup.continuation.yield()
    }

    /// Sends what `send` queued, one notification at a time so they commit (and arrive) in order, as many
    /// signals in each as fit: under load the queue fills while a notification is out, and the next one
    /// carries the lot.
    private func sendOutbox() async {
        for await _ in outboxWakeup.stream {
            while true {
                let signals = outbox.withLock { queued in
                    defer { queued.removeAll(keepingCapacity: true) }
                    return queued
                }
                if signals.isEmpty { break }
                for payload in signalNotifications(for: signals) { await notify(payload) }
            }
        }
    }

    /// The notifications carrying these signals in order, each within the size limit; a signal too large for
    /// one goes alone, to be stored.
    func signalNotifications(for signals: [ReplicaSignal]) -> [String] {
        var payloads: [String] = []
        var batch: [ReplicaSignal] = []
        var size = 0
        func flush() {
            guard !batch.isEmpty else { return }
            payloads.append(Self.encode(batch.count == 1 ? Message(replica: replicaId, signal: batch[0]) : Message(replica: replicaId, signals: batch)))
            batch.removeAll()
            size = 0
        }
        for signal in signals {
            let encoded = Self.encode(signal).utf8.count + 1
            if size + encoded > Self.maxPayload - 64 { flush() }
            batch.append(signal)
            size += encoded
        }
        flush()
        return payloads
    }

    private func notify(_ inline: String) async {
        let (client, logger, replicaId, channel) = (self.client, self.logger, self.replicaId, self.channel)
        do {
            try await Self.bounded {
                var payload = inline
                if payload.utf8.count > Self.maxPayload {
                    // Frames are read within moments; older ones are dropped as the next one is stored.
                    try await client.query("DELETE FROM signal_frames WHERE created_at < now() - interval '1 minute'", logger: logger)
                    let rows = try await client.query("INSERT INTO signal_frames (body) VALUES (\(payload)) RETURNING id", logger: logger)
                    var id: Int64 = 0
                    for try await stored in rows.decode(Int64.self) { id = stored }
                    payload = Self.encode(Message(replica: replicaId, stored: id))
                }
                _ = try await client.query("SELECT pg_notify(\(channel), \(payload))", logger: logger)
            }
        } catch {
            logger.warning("could not tell the other replicas", metadata: ["error": "\(error)"])
        }
    }

    /// The notifications announcing these committed records, each within the size limit.
    func changeNotifications(for keys: [RecordKey]) -> [String] {
        var payloads: [String] = []
        var chunk: [[String]] = []
        var size = 0
        for key in keys {
            let entry = [key.kind.rawValue, key.id]
            let entrySize = key.kind.rawValue.utf8.count + key.id.utf8.count * 2 + 8
            if size + entrySize > Self.maxPayload - 64, !chunk.isEmpty {
                payloads.append(Self.encode(Message(replica: replicaId, records: chunk)))
                chunk.removeAll()
                size = 0
            }
            chunk.append(entry)
            size += entrySize
        }
        if !chunk.isEmpty { payloads.append(Self.encode(Message(replica: replicaId, records: chunk))) }
        return payloads
    }

    /// Listens until cancelled; each time listening (re)starts, first reports what changed unheard.
    private func listen(deliver: @escaping @Sendable (ReplicaEvent) async -> Void) async {
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    let notifications = try await connection.listen(self.channel)
                    // Whatever changed while nobody listened (or before the first listen).
                    await deliver(.resync)
                    for try await notification in notifications {
                        for event in try await self.events(from: notification.payload, on: connection) { await deliver(event) }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("lost the other replicas' notifications; reconnecting", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    private func events(from payload: String, on connection: PostgresConnection) async throws -> [ReplicaEvent] {
        guard let message = try? JSONDecoder().decode(Message.self, from: Data(payload.utf8)), message.replica != replicaId else { return [] }
        if let records = message.records {
            return [.records(Set(records.compactMap { pair in
                guard pair.count == 2, let kind = RecordKind(rawValue: pair[0]) else { return nil }
                return RecordKey(kind: kind, id: pair[1])
            }))]
        }
        if let signal = message.signal { return [.signal(signal)] }
        if let signals = message.signals { return signals.map(ReplicaEvent.signal) }
        if let id = message.stored {
            // Only the target's replica needs a stored frame; every replica reads it (a rare, large frame).
            for try await body in try await connection.query("SELECT body FROM signal_frames WHERE id = \(id)", logger: logger).decode(String.self) {
                return (try? JSONDecoder().decode(Message.self, from: Data(body.utf8)).signal.map { [ReplicaEvent.signal($0)] }) ?? []
            }
        }
        return []
    }

    /// Holds a session advisory lock while it can: the holder is the leader. A replica that dies loses the
    /// lock with its connection, and another takes it within about a second.
    private func competeForLeadership() async {
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    defer { leadership.withLock { $0 = false } }
                    do {
                        while !Task.isCancelled {
                            if !isLeader {
                                for try await won in try await connection.query("SELECT pg_try_advisory_lock(\(Self.leaderLockClass), \(self.leaderLockKey))", logger: logger)
                                    .decode(Bool.self) where won
                                {
                                    leadership.withLock { $0 = true }
                                    logger.info("this replica now runs the mesh-wide sweeps", metadata: ["replica": "\(replicaId)"])
                                }
                            } else {
                                try await connection.query("SELECT 1", logger: logger)
                            }
                            try await Task.sleep(for: .seconds(1))
                        }
                    } catch {
                        // The connection may go back to the pool: it must not keep the lock.
                        _ = try? await connection.query("SELECT pg_advisory_unlock_all()", logger: logger)
                        throw error
                    }
                    _ = try? await connection.query("SELECT pg_advisory_unlock_all()", logger: logger)
                }
            } catch {
                if Task.isCancelled { return }
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    static func encode(_ value: some Encodable) -> String {
        String(decoding: (try? JSONEncoder().encode(value)) ?? Data(), as: UTF8.self)
    }
}
