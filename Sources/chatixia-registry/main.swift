import ArgumentParser
import Foundation
import Logging
import Registry

struct RegistryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chatixia-registry",
        abstract: "The chatixia-mesh control plane: signaling, agent registry, task queue, pairing, hub API and dashboard.",
        discussion: """
            Environment (a flag wins): HOST, PORT, CHATIXIA_DB, TLS_CERT_FILE, TLS_KEY_FILE, SIGNALING_SECRET_FILE, API_KEYS_FILE, SIGNALING_SECRET (>= 32 bytes, required
            unless --dev), STUN_URLS, TURN_URL, TURN_SECRET, TURN_TTL, CHATIXIA_HUB_DIR, LOG_LEVEL, TRUSTED_PROXIES;
            limits: TASK_LEASE_SECONDS (60), TASK_MAX_ATTEMPTS (3), RETENTION_SECONDS (604800), MAX_FINISHED_TASKS (10000),
            MAX_OPEN_TASKS_PER_CREDENTIAL (1000), SUBMISSIONS_PER_MINUTE (6000), WEBSOCKETS_PER_CREDENTIAL (32),
            WAITING_CLAIMS_PER_CREDENTIAL (64), FAILED_AUTH_PER_MINUTE (30),
            AGENT_IDS_PER_CREDENTIAL (1000).
            """,
        version: chatixiaVersion)

    @Option(help: "Listen address (env HOST, default 0.0.0.0).") var host: String?
    @Option(help: "Listen port (env PORT, default 8080).") var port: Int?
    @Option(help: "SQLite database file, :memory:, or postgres://user:pass@host:port/db?sslmode=... (env CHATIXIA_DB or CHATIXIA_DB_FILE, default ./chatixia-registry.db).")
    var db: String?
    @Option(name: .customLong("api-keys"), help: "API keys file (env API_KEYS_FILE, default api_keys.json).") var apiKeys: String?
    @Flag(help: "Local trial mode: random secret, dev keys when no keys file exists, no STUN. Never for production.") var dev = false
    @Flag(name: .customLong("allow-anonymous"), help: "Treat requests without credentials as an agent without identity (for the original Python client).")
    var allowAnonymous = false
    @Option(name: .customLong("hub-dir"), help: "Serve the dashboard from this folder instead of the bundled copy (env CHATIXIA_HUB_DIR).")
    var hubDir: String?
    @Option(
        name: .customLong("trusted-proxy"),
        help: "A proxy (address or CIDR) whose X-Forwarded-For names the client; repeatable (env TRUSTED_PROXIES, comma list).")
    var trustedProxies: [String] = []
    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain: serve HTTPS and WSS (env TLS_CERT_FILE; needs --tls-key).")
    var tlsCert: String?
    @Option(name: .customLong("tls-key"), help: "PEM private key for --tls-cert (env TLS_KEY_FILE).") var tlsKey: String?
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error (env LOG_LEVEL, default info).") var logLevel: String?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let levelName = logLevel ?? environment["LOG_LEVEL"] ?? "info"
        guard let level = Logger.Level(rawValue: levelName.lowercased()) else {
            throw ConfigurationError("unknown log level '\(levelName)'; use trace, debug, info, notice, warning or error")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "chatixia-registry")
        let flags = RegistryConfiguration.Flags(host: host, port: port, db: db, apiKeys: apiKeys, dev: dev, allowAnonymous: allowAnonymous, hubDirectory: hubDir, trustedProxies: trustedProxies,
            tlsCertificate: tlsCert, tlsKey: tlsKey)
        let (config, warnings) = try RegistryConfiguration.resolve(flags: flags, environment: environment)
        if config.dev {
            FileHandle.standardError.write(Data("""
                ************************************************************
                *  chatixia-registry is running in --dev mode.             *
                *  Random signing secret, dev API keys, no STUN.           *
                *  Do not expose this instance to a network you do not own. *
                ************************************************************

                """.utf8))
        }
        for warning in warnings { logger.warning("\(warning)") }
        let server = try await RegistryServer.make(config: config, logger: logger)
        logger.info("registry listening", metadata: [
            "host": "\(config.host)", "port": "\(config.port)", "db": "\(config.database)", "tls": "\(config.tls != nil)",
        ])
        try await server.application.runService()
    }
}

let chatixiaVersion = "0.1.0"

/// Runs a command; configuration problems (bad flags, env or files) print one line and exit 2.
func runMain() async {
    do {
        var command = try RegistryCommand.parseAsRoot()
        if var asyncCommand = command as? any AsyncParsableCommand {
            try await asyncCommand.run()
        } else {
            try command.run()
        }
    } catch let error as ConfigurationError {
        FileHandle.standardError.write(Data("chatixia-registry: configuration error: \(error.description)\n".utf8))
        exit(2)
    } catch {
        if RegistryCommand.exitCode(for: error) == .validationFailure {
            FileHandle.standardError.write(Data("chatixia-registry: \(RegistryCommand.message(for: error))\n".utf8))
            exit(2)
        }
        RegistryCommand.exit(withError: error)
    }
}

await runMain()
