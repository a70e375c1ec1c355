import Foundation
import Logging
import NIOSSL
import PostgresNIO
import Synchronization

/// The store for a registry that must outlive one machine: PostgreSQL, the same one table of JSON
/// documents as the SQLite store, created and migrated by the registry itself; several registries
/// (replicas) may share one database.
///
/// Every record has a version. A replica writes a record only from the version its change was computed
/// from (`StoreWrite.expectedVersion`, stamped by the `Journal`), so when two replicas race to change one
/// record (say, to assign the same task), exactly one commit wins and the other fails with
/// `StoreConflict` for that record alone. Each commit notifies the
/// other replicas of the records it changed (`PostgresRegistryStore+Replication.swift`).
///
/// Every call is bounded by `operationTimeout`: while the database is unreachable, writes fail fast (the
/// caller answers 503 and nothing is acknowledged) instead of hanging, and the client's pool reconnects by
/// itself once the server is back.
public final class PostgresRegistryStore: RegistryStore {
    let client: PostgresClient
    private let runner: Task<Void, Never>
    let logger: Logger
    public let replicaId: String
    /// Leadership of the mesh-wide sweeps, held through a session advisory lock.
    let leadership = Mutex(false)
    /// The notification channel and the leader lock's key belong to the schema the records are in, so
    /// meshes in different schemas of one database stay apart.
    let channel: String
    let leaderLockKey: Int32
    /// Signals for the other replicas, sent in order by one sender (`sendOutbox`).
    let outbox = Mutex<[ReplicaSignal]>([])
    let outboxWakeup: (stream: AsyncStream<Void>, continuation: AsyncStream<Void>.Continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    static let operationTimeout: Duration = .seconds(5)

    private init(client: PostgresClient, runner: Task<Void, Never>, schema: String, logger: Logger) {
        self.client = client
        self.runner = runner
        replicaId = String(UUID().uuidString.lowercased().prefix(8))
        self.logger = logger
        channel = schema == "public" ? "chatixia_mesh" : "chatixia_mesh_" + schema.filter { $0.isLetter || $0.isNumber || $0 == "_" }.prefix(40)
        leaderLockKey = Int32(truncatingIfNeeded: schema.utf8.reduce(UInt32(2_166_136_261)) { ($0 ^ UInt32($1)) &* 16_777_619 })
    }

    /// Connects and brings the schema up to date; fails with the server's error when it cannot.
    public static func open(_ settings: PostgresSettings, logger: Logger) async throws -> PostgresRegistryStore {
        // The client's own reconnect attempts are noise at info level; its warnings and errors are kept.
        var clientLogger = logger
        clientLogger.logLevel = max(logger.logLevel, .warning)
        let client = PostgresClient(configuration: try settings.clientConfiguration(), backgroundLogger: clientLogger)
        let runner = Task { await client.run() }
        do {
            // Start-up may wait for other replicas migrating the same schema: a longer bound.
            let schema = try await Self.bounded(within: .seconds(30)) {
                try await PostgresMigrations.run(on: client, logger: logger)
                var schema = "public"
                for try await name in try await client.query("SELECT current_schema()", logger: logger).decode(String.self) { schema = name }
                return schema
            }
            return PostgresRegistryStore(client: client, runner: runner, schema: schema, logger: logger)
        } catch {
            runner.cancel()
            await runner.value
            throw error
        }
    }

    public var replication: (any ReplicaLink)? { self }

    public func loadAll() async throws -> [StoredRecord] {
        let (client, logger) = (self.client, self.logger)
        return try await Self.bounded {
            try await Self.records(client.query("SELECT kind, id, body, version FROM records", logger: logger))
        }
    }

    public func load(_ keys: [RecordKey]) async throws -> [StoredRecord] {
        guard !keys.isEmpty else { return [] }
        let kinds = keys.map(\.kind.rawValue)
        let ids = keys.map(\.id)
        let (client, logger) = (self.client, self.logger)
        return try await Self.bounded {
            try await Self.records(client.query(
                "SELECT kind, id, body, version FROM records WHERE (kind, id) IN (SELECT * FROM unnest(\(kinds)::text[], \(ids)::text[]))",
                logger: logger))
        }
    }

    /// One transaction of at most two statements, whatever the batch's size: every put in one conditional
    /// upsert over arrays, every delete in one conditional delete; then the notifications of the change.
    /// Throws `StoreConflict` (and changes nothing) when another replica changed one of the records first.
    public func apply(_ batch: [StoreWrite]) async throws {
        // One write per record: an upsert may not touch a row twice.
        let writes = Journal.coalesced(batch)
        guard !writes.isEmpty else { return }
        var puts: (kinds: [String], ids: [String], bodies: [String], expected: [Int64], next: [Int64]) = ([], [], [], [], [])
        var deletes: (kinds: [String], ids: [String], expected: [Int64]) = ([], [], [])
        for write in writes {
            switch write.mutation {
            case .put(let kind, let id, let body):
                puts.kinds.append(kind.rawValue)
                puts.ids.append(id)
                puts.bodies.append(body)
                puts.expected.append(write.expectedVersion)
                puts.next.append(write.newVersion)
            case .delete(let kind, let id):
                deletes.kinds.append(kind.rawValue)
                deletes.ids.append(id)
                deletes.expected.append(write.expectedVersion)
            }
        }
        let (client, logger, channel) = (self.client, self.logger, self.channel)
        let notifications = changeNotifications(for: writes.map(\.key))
        let (putKinds, putIds, putBodies, putExpected, putNext) = puts
        let (deleteKinds, deleteIds, deleteExpected) = deletes
        let keys = Set(writes.map(\.key))
        try await Self.bounded {
            try await Self.unwrapped { try await client.withTransaction(logger: logger) { connection in
                var written: Set<RecordKey> = []
                if !putIds.isEmpty {
                    let rows = try await connection.query("""
                        WITH input AS (
                            SELECT * FROM unnest(\(putKinds)::text[], \(putIds)::text[], \(putBodies)::text[], \(putExpected)::bigint[], \(putNext)::bigint[])
                                AS i (kind, id, body, expected, next)),
                        updated AS (
                            UPDATE records r SET body = i.body, version = i.next FROM input i
                            WHERE r.kind = i.kind AND r.id = i.id AND r.version = i.expected RETURNING r.kind, r.id),
                        inserted AS (
                            INSERT INTO records (kind, id, body, version) SELECT kind, id, body, next FROM input WHERE expected = 0
                            ON CONFLICT (kind, id) DO NOTHING RETURNING kind, id)
                        SELECT kind, id FROM updated UNION ALL SELECT kind, id FROM inserted
                        """, logger: logger)
                    for try await (kind, id) in rows.decode((String, String).self) {
                        if let kind = RecordKind(rawValue: kind) { written.insert(RecordKey(kind: kind, id: id)) }
                    }
                }
                if !deleteIds.isEmpty {
                    // A record already gone is fine; one changed by another replica since is a conflict.
                    let rows = try await connection.query("""
                        WITH input AS (
                            SELECT * FROM unnest(\(deleteKinds)::text[], \(deleteIds)::text[], \(deleteExpected)::bigint[]) AS i (kind, id, expected)),
                        deleted AS (
                            DELETE FROM records r USING input i WHERE r.kind = i.kind AND r.id = i.id AND r.version = i.expected RETURNING r.kind, r.id)
                        SELECT i.kind, i.id FROM input i
                        WHERE NOT EXISTS (SELECT 1 FROM deleted d WHERE d.kind = i.kind AND d.id = i.id)
                          AND EXISTS (SELECT 1 FROM records r WHERE r.kind = i.kind AND r.id = i.id AND r.version <> i.expected)
                        """, logger: logger)
                    var changed: Set<String> = []
                    for try await (kind, id) in rows.decode((String, String).self) { changed.insert(kind + "\u{0}" + id) }
                    for index in deleteIds.indices where !changed.contains(deleteKinds[index] + "\u{0}" + deleteIds[index]) {
                        written.insert(RecordKey(kind: RecordKind(rawValue: deleteKinds[index])!, id: deleteIds[index]))
                    }
                }
                let conflicts = keys.subtracting(written)
                if !conflicts.isEmpty { throw StoreConflict(keys: conflicts) }
                for payload in notifications {
                    try await connection.query("SELECT pg_notify(\(channel), \(payload))", logger: logger)
                }
            } }
        }
    }

    /// postgres-nio wraps what a transaction's closure throws; a conflict is told as itself (the
    /// transaction was rolled back).
    static func unwrapped<Result>(_ transaction: () async throws -> Result) async throws -> Result {
        do {
            return try await transaction()
        } catch let error as PostgresTransactionError {
            if let conflict = error.closureError as? StoreConflict, error.rollbackError == nil { throw conflict }
            throw error
        }
    }

    public func ping() async throws {
        let (client, logger) = (self.client, self.logger)
        try await Self.bounded { _ = try await client.query("SELECT 1", logger: logger) }
    }

    /// Stops the client; gives up waiting after two seconds (a connection stuck in a lost server's backoff
    /// must not hold up the process's exit).
    public func close() async throws {
        runner.cancel()
        await runner.finish(waitingAtMost: .seconds(2))
    }

    private static func records(_ rows: PostgresRowSequence) async throws -> [StoredRecord] {
        var records: [StoredRecord] = []
        for try await (kindName, id, body, version) in rows.decode((String, String, String, Int64).self) {
            guard let kind = RecordKind(rawValue: kindName) else { continue }
            records.append(StoredRecord(kind: kind, id: id, body: body, version: version))
        }
        return records
    }

    /// Runs `operation`, giving up after `operationTimeout` with `StoreUnavailable`.
    static func bounded<Result: Sendable>(
        within limit: Duration = operationTimeout, _ operation: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let result = first else {
                throw StoreUnavailable(description: "the database did not answer within \(limit)")
            }
            return result
        }
    }
}

/// Another replica changed these records since this one last saw them; nothing of the batch was applied.
public struct StoreConflict: Error, CustomStringConvertible {
    public let keys: Set<RecordKey>
    public var description: String { "\(keys.count) record(s) changed by another replica meanwhile" }
}

/// The store could not be reached in time.
struct StoreUnavailable: Error, CustomStringConvertible {
    let description: String
}

extension PostgresSettings {
    /// The client configuration: TLS as `sslmode` asks (libpq's meanings; `allow` is treated as `prefer`),
    /// a short connect timeout so an outage is noticed quickly.
    func clientConfiguration() throws -> PostgresClient.Configuration {
        var tlsConfiguration = TLSConfiguration.makeClientConfiguration()
        if let file = sslRootCertificate { tlsConfiguration.trustRoots = .file(file) }
        let tls: PostgresClient.Configuration.TLS
        switch sslMode {
        case .disable: tls = .disable
        case .allow, .prefer:
            tlsConfiguration.certificateVerification = .none
            tls = .prefer(tlsConfiguration)
        case .require:
            // libpq: require encrypts without checking the certificate (unless a root certificate is given).
            tlsConfiguration.certificateVerification = sslRootCertificate == nil ? .none : .noHostnameVerification
            tls = .require(tlsConfiguration)
        case .verifyCA:
            tlsConfiguration.certificateVerification = .noHostnameVerification
            tls = .require(tlsConfiguration)
        case .verifyFull:
            tlsConfiguration.certificateVerification = .fullVerification
            tls = .require(tlsConfiguration)
        }
        var configuration: PostgresClient.Configuration
        if let directory = socketDirectory {
            configuration = .init(unixSocketPath: "\(directory)/.s.PGSQL.\(port)", username: user, password: password, database: database)
        } else {
            configuration = .init(host: host, port: port, username: user, password: password, database: database, tls: tls)
            if case .verifyFull = sslMode { configuration.options.tlsServerName = host }
        }
        configuration.options.connectTimeout = .seconds(3)
        configuration.options.maximumConnections = 6
        var startup = [("application_name", applicationName)]
        if let options { startup.append(("options", options)) }
        configuration.options.additionalStartupParameters = startup
        return configuration
    }
}
