import Foundation
import ICE

/// Everything the registry needs to start, resolved from flags and environment (a flag wins).
public struct RegistryConfiguration: Sendable {
    public var host = "0.0.0.0"
    public var port = 8080
    public var database = DatabaseLocation.sqlite(path: "./chatixia-registry.db")
    public var apiKeys: [String: APIKeyEntry] = [:]
    public var signingSecret: String
    public var dev = false
    public var allowAnonymous = false
    public var stunURLs: [String] = []
    public var turn: TURNSettings?
    /// Serve the dashboard from this folder instead of the copy bundled with the binary (for hub development).
    public var hubDirectory: String?
    public var limits = RegistryLimits()
    /// PEM certificate chain and private key: with both, the registry serves HTTPS and WSS itself.
    public var tls: TLSFiles?

    public struct TLSFiles: Sendable, Equatable {
        public var certificateChain: String
        public var privateKey: String
    }
    /// Proxies whose `X-Forwarded-For` names the client (for rate limits and logs).
    public var trustedProxies: [AddressRange] = []
    /// The URL clients reach the registry at (`PUBLIC_URL`), for the absolute URLs of A2A agent cards; without
    /// it they are built from the request's `Host`.
    public var publicURL: String?
    /// The mesh as one A2A agent: its card's name and description (`A2A_NAME`, `A2A_DESCRIPTION`).
    public var a2aName = "chatixia-mesh"
    public var a2aDescription = "The agents of a chatixia mesh: their skills, and answers to prompts from those with an LLM."

    public struct TURNSettings: Sendable, Equatable {
        /// One server's URLs, one entry of `iceServers`: typically UDP, then TCP and TLS for networks that block UDP.
        public var urls: [String]
        public var secret: String
        public var ttl: Int
    }

    public static let devAgentKey = "ak_dev_001"
    public static let devAdminKey = "ak_admin_dev"
    public static let defaultSTUN = "stun:stun.l.google.com:19302"

    /// A configuration for tests and embedding: in-memory database, the given keys and secret.
    public init(signingSecret: String, apiKeys: [String: APIKeyEntry], database: DatabaseLocation = .sqlite(path: ":memory:")) {
        self.signingSecret = signingSecret
        self.apiKeys = apiKeys
        self.database = database
    }

    /// Command-line flags; nil means "not given".
    public struct Flags: Sendable {
        public var host: String?
        public var port: Int?
        public var db: String?
        public var apiKeys: String?
        public var dev = false
        public var allowAnonymous = false
        public var hubDirectory: String?
        public var trustedProxies: [String] = []
        public var tlsCertificate: String?
        public var tlsKey: String?

        public init(
            host: String? = nil, port: Int? = nil, db: String? = nil, apiKeys: String? = nil, dev: Bool = false, allowAnonymous: Bool = false,
            hubDirectory: String? = nil, trustedProxies: [String] = [], tlsCertificate: String? = nil, tlsKey: String? = nil
        ) {
            self.host = host
            self.port = port
            self.db = db
            self.apiKeys = apiKeys
            self.dev = dev
            self.allowAnonymous = allowAnonymous
            self.hubDirectory = hubDirectory
            self.trustedProxies = trustedProxies
            self.tlsCertificate = tlsCertificate
            self.tlsKey = tlsKey
        }
    }

    /// Resolves flags over environment over defaults. Never invents a secret or keys outside `--dev`.
    public static func resolve(flags: Flags, environment env: [String: String]) throws(ConfigurationError) -> (RegistryConfiguration, warnings: [String]) {
        var warnings: [String] = []
        let secret: String
        if let given = try secretValue("SIGNALING_SECRET", credential: "signaling_secret", environment: env) {
            guard given.utf8.count >= 32 else {
                throw ConfigurationError("SIGNALING_SECRET must be at least 32 bytes (got \(given.utf8.count)); generate one with: openssl rand -hex 32")
            }
            secret = given
        } else if flags.dev {
            secret = randomHex(bytes: 32)
            warnings.append("--dev: using a random SIGNALING_SECRET for this run")
        } else {
            throw ConfigurationError("SIGNALING_SECRET is not set; set it to at least 32 random bytes (openssl rand -hex 32), or pass --dev for a local trial")
        }

        let credentialKeys = env["CREDENTIALS_DIRECTORY"].flatMap { $0.isEmpty ? nil : $0 + "/api_keys.json" }
        let keysPath = flags.apiKeys ?? env["API_KEYS_FILE"]
            ?? credentialKeys.flatMap { FileManager.default.fileExists(atPath: $0) ? $0 : nil } ?? "api_keys.json"
        let keys: [String: APIKeyEntry]
        if flags.dev && flags.apiKeys == nil && env["API_KEYS_FILE"] == nil && !FileManager.default.fileExists(atPath: keysPath) {
            keys = [
                devAgentKey: APIKeyEntry(peerId: "agent-001", role: .agent),
                devAdminKey: APIKeyEntry(peerId: "admin", role: .admin),
            ]
            warnings.append("--dev: no \(keysPath); using dev keys \(devAgentKey) (agent-001, agent) and \(devAdminKey) (admin)")
        } else {
            keys = try APIKeyFile.load(path: keysPath)
        }

        var config = RegistryConfiguration(signingSecret: secret, apiKeys: keys)
        config.dev = flags.dev
        config.allowAnonymous = flags.allowAnonymous
        config.host = flags.host ?? env["HOST"].flatMap { $0.isEmpty ? nil : $0 } ?? "0.0.0.0"
        if let port = flags.port {
            config.port = port
        } else if let text = env["PORT"], !text.isEmpty {
            guard let port = Int(text) else { throw ConfigurationError("PORT must be a number, got '\(text)'") }
            config.port = port
        }
        guard (0...65535).contains(config.port) else { throw ConfigurationError("port \(config.port) is out of range 0-65535") }
        config.hubDirectory = flags.hubDirectory ?? env["CHATIXIA_HUB_DIR"].flatMap { $0.isEmpty ? nil : $0 }
        if let hub = config.hubDirectory, !FileManager.default.fileExists(atPath: hub + "/index.html") {
            throw ConfigurationError("hub directory '\(hub)' has no index.html")
        }
        // The database URL may hold a password, so it may come from a file or a systemd credential too.
        var database = flags.db
        if database == nil { database = try secretValue("CHATIXIA_DB", credential: "chatixia_db", environment: env) }
        config.database = try DatabaseLocation(parsing: database ?? "./chatixia-registry.db")

        if let url = env["PUBLIC_URL"], !url.isEmpty {
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
                throw ConfigurationError("PUBLIC_URL must be an http:// or https:// URL, got '\(url)'")
            }
            config.publicURL = url.hasSuffix("/") ? String(url.dropLast()) : url
        }
        if let name = env["A2A_NAME"], !name.isEmpty { config.a2aName = name }
        if let description = env["A2A_DESCRIPTION"], !description.isEmpty { config.a2aDescription = description }

        if let stun = env["STUN_URLS"] {
            config.stunURLs = stun.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        } else {
            config.stunURLs = flags.dev ? [] : [defaultSTUN]
        }

        let turnURL = env["TURN_URL"] ?? ""
        let turnSecret = try secretValue("TURN_SECRET", credential: "turn_secret", environment: env) ?? ""
        if !turnURL.isEmpty && !turnSecret.isEmpty {
            var ttl = 86400
            if let text = env["TURN_TTL"], !text.isEmpty {
                guard let value = Int(text), value > 0 else { throw ConfigurationError("TURN_TTL must be a positive number of seconds, got '\(text)'") }
                ttl = value
            }
            let urls = turnURL.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            for url in urls {
                guard let parsed = try? ICEServerURL(parsing: url), parsed.scheme != .stun else {
                    throw ConfigurationError("TURN_URL holds '\(url)', not a turn: or turns: URL (turn:203.0.113.10:3478?transport=udp, …?transport=tcp, turns:203.0.113.10:5349)")
                }
            }
            config.turn = TURNSettings(urls: urls, secret: turnSecret, ttl: ttl)
        } else if !turnURL.isEmpty || !turnSecret.isEmpty {
            warnings.append("TURN disabled: TURN_URL and TURN_SECRET must both be set")
        }
        let proxies = flags.trustedProxies.isEmpty
            ? (env["TRUSTED_PROXIES"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            : flags.trustedProxies
        config.trustedProxies = try proxies.map { text throws(ConfigurationError) in
            guard let range = AddressRange(text) else { throw ConfigurationError("--trusted-proxy '\(text)' is not an address or CIDR range") }
            return range
        }
        config.limits = try RegistryLimits.resolve(environment: env)
        let certificate = flags.tlsCertificate ?? env["TLS_CERT_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        let key = flags.tlsKey ?? env["TLS_KEY_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        switch (certificate, key) {
        case (let certificate?, let key?):
            for path in [certificate, key] where !FileManager.default.isReadableFile(atPath: path) {
                throw ConfigurationError("cannot read TLS file '\(path)'")
            }
            config.tls = TLSFiles(certificateChain: certificate, privateKey: key)
        case (nil, nil): break
        default: throw ConfigurationError("--tls-cert and --tls-key (TLS_CERT_FILE, TLS_KEY_FILE) go together")
        }
        return (config, warnings)
    }
}

/// A secret from `NAME`, else the file named by `NAME_FILE`, else systemd's `$CREDENTIALS_DIRECTORY/<credential>`
/// (so secrets need not sit in the environment); a named file that cannot be read is an error. Trailing
/// line breaks of a file are dropped.
func secretValue(_ name: String, credential: String, environment env: [String: String]) throws(ConfigurationError) -> String? {
    if let value = env[name], !value.isEmpty { return value }
    var path: String?
    if let file = env[name + "_FILE"], !file.isEmpty {
        path = file
    } else if let directory = env["CREDENTIALS_DIRECTORY"], !directory.isEmpty, FileManager.default.fileExists(atPath: directory + "/" + credential) {
        path = directory + "/" + credential
    }
    guard let path else { return nil }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw ConfigurationError("cannot read \(name) from '\(path)'")
    }
    var text = String(decoding: data, as: UTF8.self)
    while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
    guard !text.isEmpty else { throw ConfigurationError("\(name) file '\(path)' is empty") }
    return text
}

/// Lowercase hex of `bytes` random bytes from the system's secure generator.
func randomHex(bytes: Int) -> String {
    var generator = SystemRandomNumberGenerator()
    return (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
}
