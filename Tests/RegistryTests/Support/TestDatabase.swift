import Foundation
import Logging
import PostgresNIO
import Registry

/// The database the registry suite runs against. By default SQLite; with `CHATIXIA_TEST_POSTGRES` set to a
/// server's URL (scripts/test.sh starts a throwaway server and runs this suite a second time so), every
/// registry gets a fresh schema on that PostgreSQL server: the same tests, against either store.
enum TestDatabase {
    static let postgresURL = ProcessInfo.processInfo.environment["CHATIXIA_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }

    static var isPostgres: Bool { postgresURL != nil }

    /// An empty database of its own, which a second registry can open again (for restart tests).
    static func fresh() async throws -> DatabaseLocation {
        try DatabaseLocation(parsing: try await freshArgument())
    }

    /// The same as the registry's `--db` argument: a new SQLite file's path, or a URL whose `options` puts a
    /// new schema first on the search path.
    static func freshArgument() async throws -> String {
        guard let postgresURL else {
            return FileManager.default.temporaryDirectory.appendingPathComponent("registry-\(UUID().uuidString).db").path
        }
        let schema = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await execute("CREATE SCHEMA \(schema)", on: try PostgresSettings(url: postgresURL))
        return postgresURL + (postgresURL.contains("?") ? "&" : "?") + "options=-c%20search_path%3D\(schema)"
    }

    /// Every record the database holds, read through a store of its own.
    static func records(in database: DatabaseLocation) async throws -> [StoredRecord] {
        let store = try await database.openStore(logger: Logger(label: "test-db"))
        let records = try await store.loadAll()
        try await store.close()
        return records
    }

    /// Deletes a SQLite file made by `fresh()` (a PostgreSQL schema goes with the throwaway server).
    static func remove(_ database: DatabaseLocation) {
        guard case .sqlite(let path) = database, path != ":memory:" else { return }
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    /// What a test registry uses unless told otherwise: in-memory SQLite, or a fresh PostgreSQL schema.
    static func ephemeral() async throws -> DatabaseLocation {
        isPostgres ? try await fresh() : .sqlite(path: ":memory:")
    }

    /// Runs one statement on its own connection.
    static func execute(_ sql: String, on settings: PostgresSettings) async throws {
        let configuration = PostgresConnection.Configuration(
            host: settings.host, port: settings.port, username: settings.user, password: settings.password, database: settings.database, tls: .disable)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: Logger(label: "test-db"))
        defer { Task { try? await connection.close() } }
        try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Logger(label: "test-db"))
    }
}
