import Logging

/// Where the registry keeps its records: an embedded SQLite file (the default) or a PostgreSQL database
/// that several replicas may share.
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    /// A SQLite file, or `:memory:`.
    case sqlite(path: String)
    case postgres(PostgresSettings)

    /// `postgres://` and `postgresql://` URLs name a PostgreSQL database; anything else is a SQLite path.
    public init(parsing text: String) throws(ConfigurationError) {
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(try PostgresSettings(url: text))
        } else {
            self = .sqlite(path: text)
        }
    }

    /// Opens the store this location names (creating or migrating its schema).
    public func openStore(logger: Logger) async throws -> any RegistryStore {
        switch self {
        case .sqlite(let path): try await SQLiteRegistryStore.open(path: path, logger: logger)
        case .postgres(let settings): try await PostgresRegistryStore.open(settings, logger: logger)
        }
    }

    /// For logs: a PostgreSQL password is never shown.
    public var description: String {
        switch self {
        case .sqlite(let path): path
        case .postgres(let settings): settings.description
        }
    }
}
