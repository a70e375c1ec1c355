import Logging
import NIOCore
import NIOPosix
import SQLiteNIO

/// The embedded default store: one SQLite file in WAL mode, one table of JSON documents.
public final class SQLiteRegistryStore: RegistryStore {
    private let connection: SQLiteConnection

    private init(connection: SQLiteConnection) {
        self.connection = connection
    }

    /// Opens (and if needed creates) the database at `path`; `":memory:"` keeps it in memory.
    public static func open(path: String, logger: Logger) async throws -> SQLiteRegistryStore {
        let storage: SQLiteConnection.Storage = path == ":memory:" ? .memory : .file(path: path)
        let connection = try await SQLiteConnection.open(
            storage: storage, threadPool: .singleton, logger: logger, on: MultiThreadedEventLoopGroup.singleton.any())
        let store = SQLiteRegistryStore(connection: connection)
        // WAL with synchronous=NORMAL: a commit is in the WAL file (the kernel's page cache) before the
        // request that caused it is acknowledged, so killing the process, even with SIGKILL, loses nothing
        // acknowledged; only a power cut or kernel crash could lose the last moments of writes.
        for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA busy_timeout=5000"] {
            try await store.execute(pragma)
        }
        try await store.execute("""
            CREATE TABLE IF NOT EXISTS records (
                kind TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (kind, id))
            """)
        return store
    }

    public func loadAll() async throws -> [StoredRecord] {
        Self.records(try await connection.query("SELECT kind, id, body FROM records", []))
    }

    public func load(_ keys: [RecordKey]) async throws -> [StoredRecord] {
        var found: [StoredRecord] = []
        for key in Set(keys) {
            found += Self.records(try await connection.query(
                "SELECT kind, id, body FROM records WHERE kind = ? AND id = ?", [.text(key.kind.rawValue), .text(key.id)]))
        }
        return found
    }

    private static func records(_ rows: [SQLiteRow]) -> [StoredRecord] {
        rows.compactMap { row in
            guard let kindName = row.column("kind")?.string, let kind = RecordKind(rawValue: kindName),
                let id = row.column("id")?.string, let body = row.column("body")?.string
            else { return nil }
            return StoredRecord(kind: kind, id: id, body: body)
        }
    }

    /// The only writer of its file, so versions are not kept.
    public func apply(_ batch: [StoreWrite]) async throws {
        guard !batch.isEmpty else { return }
        try await execute("BEGIN IMMEDIATE")
        do {
            // Consecutive puts become one multi-row statement: one trip to SQLite's thread instead of one per row.
            var puts: [SQLiteData] = []
            for mutation in batch.map(\.mutation) {
                switch mutation {
                case .put(let kind, let id, let body):
                    puts += [.text(kind.rawValue), .text(id), .text(body)]
                    if puts.count >= Self.rowsPerStatement * 3 { try await upsert(&puts) }
                case .delete(let kind, let id):
                    try await upsert(&puts)
                    _ = try await connection.query(
                        "DELETE FROM records WHERE kind = ? AND id = ?", [.text(kind.rawValue), .text(id)])
                }
            }
            try await upsert(&puts)
            try await execute("COMMIT")
        } catch {
            try? await execute("ROLLBACK")
            throw error
        }
    }

    /// SQLite allows 32,766 bound values per statement; 3 per row.
    static let rowsPerStatement = 500

    private func upsert(_ values: inout [SQLiteData]) async throws {
        guard !values.isEmpty else { return }
        let rows = Array(repeating: "(?, ?, ?)", count: values.count / 3).joined(separator: ", ")
        _ = try await connection.query(
            "INSERT INTO records (kind, id, body) VALUES \(rows) ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body", values)
        values.removeAll(keepingCapacity: true)
    }

    public func ping() async throws {
        try await execute("SELECT 1")
    }

    public func close() async throws {
        try await connection.close()
    }

    private func execute(_ sql: String) async throws {
        _ = try await connection.query(sql, [])
    }
}
