import Foundation

/// A PostgreSQL connection as a libpq-style URL names it:
/// `postgres://user:password@host:port/database?sslmode=verify-full&sslrootcert=ca.pem`.
///
/// Query parameters understood: `sslmode` (disable, allow, prefer, require, verify-ca, verify-full; libpq's
/// default is prefer), `sslrootcert` (the CA file for the verify modes), `host` (a socket directory, as
/// libpq allows), `options` (server options such as `-c search_path=…`) and `application_name`. Any other
/// parameter is refused, so a typo cannot silently weaken the connection.
public struct PostgresSettings: Sendable, Equatable, CustomStringConvertible {
    public enum SSLMode: String, Sendable, CaseIterable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    /// A directory holding the server's socket (`.s.PGSQL.<port>`), used instead of TCP.
    public var socketDirectory: String?
    public var user: String
    public var password: String?
    public var database: String
    public var sslMode: SSLMode
    public var sslRootCertificate: String?
    public var options: String?
    public var applicationName: String

    public init(url text: String) throws(ConfigurationError) {
        guard let components = URLComponents(string: text), ["postgres", "postgresql"].contains(components.scheme ?? "") else {
            throw ConfigurationError("the database URL is not a valid postgres:// URL")
        }
        host = components.host.flatMap { $0.isEmpty ? nil : $0.removingPercentEncoding } ?? "127.0.0.1"
        port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw ConfigurationError("the database URL's port \(port) is out of range 1-65535") }
        user = components.percentEncodedUser.flatMap { $0.isEmpty ? nil : $0.removingPercentEncoding } ?? Self.systemUser
        password = components.percentEncodedPassword?.removingPercentEncoding
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = path.isEmpty ? user : path
        sslMode = .prefer
        applicationName = "chatixia-registry"
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "sslmode":
                guard let mode = SSLMode(rawValue: value) else {
                    throw ConfigurationError("sslmode '\(value)' is not one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                sslMode = mode
            case "sslrootcert": sslRootCertificate = value
            case "host": socketDirectory = value
            case "options": options = value
            case "application_name": applicationName = value
            default:
                throw ConfigurationError("the database URL's parameter '\(item.name)' is not supported (use sslmode, sslrootcert, host, options, application_name)")
            }
        }
        if let directory = socketDirectory, !directory.hasPrefix("/") {
            throw ConfigurationError("the database URL's host parameter must be a socket directory (an absolute path), got '\(directory)'")
        }
        if let file = sslRootCertificate, !FileManager.default.isReadableFile(atPath: file) {
            throw ConfigurationError("cannot read sslrootcert '\(file)'")
        }
    }

    /// The URL without its password, for logs.
    public var description: String {
        let credentials = password == nil ? user : "\(user):***"
        let place = socketDirectory.map { "[\($0)]" } ?? "\(host):\(port)"
        return "postgres://\(credentials)@\(place)/\(database) (sslmode \(sslMode.rawValue))"
    }

    private static var systemUser: String {
        guard let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name else { return "postgres" }
        return String(cString: name)
    }
}
