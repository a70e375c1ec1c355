import Logging
import PostgresNIO

/// The PostgreSQL schema as numbered steps. A registry applies the steps its database lacks at start-up,
/// inside one transaction that holds an advisory lock, so replicas starting together apply each step once
/// and a failed step leaves the schema as it was. Steps are only ever appended.
enum PostgresMigrations {
    static let steps: [PostgresQuery] = [
        // 1: the records, one JSON document per (kind, id), as in the SQLite store.
        "CREATE TABLE records (kind TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (kind, id))",
        // 2: a version per record, so replicas change a record only from the version they last saw.
        "ALTER TABLE records ADD COLUMN version BIGINT NOT NULL DEFAULT 1",
        // 3: signaling frames too large for a notification (over 7,900 bytes), read once by the target's replica.
        "CREATE TABLE signal_frames (id BIGSERIAL PRIMARY KEY, body TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    ]

    /// With the schema's name, names the lock (two-key advisory locks: this class, that object), so only
    /// registries migrating the same schema wait for each other.
    static let lockClass: Int32 = 0x6368_6175

    static func run(on client: PostgresClient, logger: Logger) async throws {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(lockClass), hashtext(current_schema()))", logger: logger)
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                logger: logger)
            var applied = 0
            for try await version in try await connection.query("SELECT coalesce(max(version), 0) FROM schema_migrations", logger: logger)
                .decode(Int.self)
            {
                applied = version
            }
            guard applied <= steps.count else {
                throw ConfigurationError("the database's schema (version \(applied)) is newer than this registry knows (\(steps.count)); upgrade the registry")
            }
            for (index, step) in steps.enumerated() where index + 1 > applied {
                try await connection.query(step, logger: logger)
                try await connection.query("INSERT INTO schema_migrations (version) VALUES (\(index + 1))", logger: logger)
                logger.info("database schema migrated", metadata: ["version": "\(index + 1)"])
            }
        }
    }
}
