import Crypto
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import PeerConnection
import RTCTransport
import MeshProtocol

/// Everything the sidecar reads from its environment (UPSTREAM.md §3 names plus CONTRACT.md §3 additions).
public struct SidecarConfiguration: Sendable, Equatable {
    public enum Credential: Sendable, Equatable {
        case apiKey(String)
        case deviceToken(String)
    }

    /// A TURN server from the environment (`TURN_URL` with `TURN_USERNAME`/`TURN_PASSWORD`, or with
    /// `TURN_SECRET` for coturn's `use-auth-secret`), used beside the registry's `/api/config` servers.
    public enum TURNCredentials: Sendable, Equatable {
        case fixed(username: String, password: String)
        case sharedSecret(String)
    }

    /// The registry replicas' signaling URLs (`SIGNALING_URL`, comma-separated), in order of preference:
    /// signaling moves to the next one when a replica goes away.
    public var signalingURLs: [String]
    /// Their token endpoints (`TOKEN_URL`, one for all or one per signaling URL; else beside each).
    public var tokenURLs: [String]
    public var credential: Credential
    public var ipcSocket: String
    public var ipcToken: String?
    /// Local addresses for host candidates; empty means every non-loopback IPv4 interface.
    public var hostAddresses: [String]
    public var transportPolicy: ICETransportPolicy
    public var turnURL: String?
    public var turnCredentials: TURNCredentials?
    /// Extra trusted CA certificates (PEM) for a `wss://` signaling URL and an `https://` token URL.
    public var caFile: String?
    /// How long the data plane's loop may stay awake after a message, waiting for the next (`BUSY_POLL_US`; 0: never).
    public var busyPollLimit: TimeAmount
    public static let maxBusyPollMicroseconds: Int64 = 10_000

    public init(
        signalingURLs: [String], tokenURLs: [String], credential: Credential, ipcSocket: String,
        ipcToken: String? = nil, hostAddresses: [String] = [], transportPolicy: ICETransportPolicy = .all,
        turnURL: String? = nil, turnCredentials: TURNCredentials? = nil, caFile: String? = nil,
        busyPollLimit: TimeAmount = PeerConnectionDriver.defaultBusyPollLimit
    ) {
        self.caFile = caFile
        self.busyPollLimit = busyPollLimit
        self.signalingURLs = signalingURLs
        self.tokenURLs = tokenURLs
        self.credential = credential
        self.ipcSocket = ipcSocket
        self.ipcToken = ipcToken
        self.hostAddresses = hostAddresses
        self.transportPolicy = transportPolicy
        self.turnURL = turnURL
        self.turnCredentials = turnCredentials
    }

    /// Reads the environment. Missing credentials or malformed values are errors, never silent defaults.
    public static func resolve(environment: [String: String], userID: UInt32 = getuid()) throws(SidecarConfigurationError) -> SidecarConfiguration {
        func value(_ name: String) -> String? {
            guard let raw = environment[name].map(trimmed), !raw.isEmpty else { return nil }
            return raw
        }
        let signalingURLs = Self.list(value("SIGNALING_URL") ?? "ws://localhost:8080/ws")
        guard !signalingURLs.isEmpty else { throw .invalid("SIGNALING_URL", value("SIGNALING_URL") ?? "", "a ws:// or wss:// URL such as ws://localhost:8080/ws") }
        var derivedTokenURLs: [String] = []
        for signalingURL in signalingURLs {
            guard let signaling = URLComponents(string: signalingURL), ["ws", "wss"].contains(signaling.scheme ?? ""), signaling.host != nil else {
                throw .invalid("SIGNALING_URL", signalingURL, "a ws:// or wss:// URL such as ws://localhost:8080/ws")
            }
            // The WebSocket client sends the host as the TLS server name, which an IP address cannot be.
            if signaling.scheme == "wss", let host = signaling.host, Self.isIPAddress(String(host.filter { $0 != "[" && $0 != "]" })) {
                throw .invalid("SIGNALING_URL", signalingURL, "a wss:// URL with a host name, not an IP address (TLS server name indication)")
            }
            derivedTokenURLs.append("\(signaling.scheme == "wss" ? "https" : "http")://\(signaling.host!)\(signaling.port.map { ":\($0)" } ?? "")/api/token")
        }
        let tokenURLs = value("TOKEN_URL").map(Self.list) ?? derivedTokenURLs
        for tokenURL in tokenURLs {
            guard let token = URLComponents(string: tokenURL), ["http", "https"].contains(token.scheme ?? ""), token.host != nil else {
                throw .invalid("TOKEN_URL", tokenURL, "an http:// or https:// URL such as http://localhost:8080/api/token")
            }
        }

        let credential: Credential
        if let deviceToken = value("DEVICE_TOKEN") {
            credential = .deviceToken(deviceToken)
        } else if let apiKey = value("API_KEY") {
            credential = .apiKey(apiKey)
        } else {
            throw .missingCredential
        }

        let policyText = value("ICE_TRANSPORT_POLICY") ?? "all"
        guard let policy = ICETransportPolicy(rawValue: policyText.lowercased()) else {
            throw .invalid("ICE_TRANSPORT_POLICY", policyText, "all or relay")
        }

        let turnURL = value("TURN_URL")
        var turnCredentials: TURNCredentials?
        if let turnURL {
            guard let parsed = try? ICEServerURL(parsing: turnURL), parsed.scheme != .stun else {
                throw .invalid("TURN_URL", turnURL, "a turn: or turns: URL such as turn:192.0.2.10:3478?transport=udp")
            }
            if let secret = value("TURN_SECRET") {
                turnCredentials = .sharedSecret(secret)
            } else if let username = value("TURN_USERNAME"), let password = value("TURN_PASSWORD") {
                turnCredentials = .fixed(username: username, password: password)
            } else {
                throw .invalid("TURN_URL", turnURL, "TURN_SECRET, or TURN_USERNAME and TURN_PASSWORD, beside it")
            }
        }

        let caFile = value("CA_FILE")
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw .invalid("CA_FILE", caFile, "a readable file of PEM CA certificates")
        }

        let hosts = (value("ICE_HOST_ADDRESSES") ?? "").split(separator: ",").map(trimmed).filter { !$0.isEmpty }
        for host in hosts where !Self.isIPAddress(host) {
            throw .invalid("ICE_HOST_ADDRESSES", host, "a comma-separated list of IP addresses")
        }

        let busyPollText = value("BUSY_POLL_US")
        let busyPoll = busyPollText.map { Int64($0) } ?? PeerConnectionDriver.defaultBusyPollLimit.nanoseconds / 1000
        guard let busyPoll, (0...Self.maxBusyPollMicroseconds).contains(busyPoll) else {
            throw .invalid("BUSY_POLL_US", busyPollText ?? "", "microseconds from 0 (never) to \(Self.maxBusyPollMicroseconds)")
        }

        return SidecarConfiguration(
            signalingURLs: signalingURLs, tokenURLs: tokenURLs, credential: credential,
            ipcSocket: value("IPC_SOCKET") ?? defaultSocketPath(environment: environment, userID: userID),
            ipcToken: value("CHATIXIA_IPC_TOKEN"), hostAddresses: hosts, transportPolicy: policy,
            turnURL: turnURL, turnCredentials: turnCredentials, caFile: caFile, busyPollLimit: .microseconds(busyPoll))
    }

    /// The environment's TURN server for `peerId`; shared-secret credentials are minted as coturn expects:
    /// username `"<expiry>:<peer_id>"`, password base64(HMAC-SHA1(secret, username)).
    public func environmentTURNServer(peerId: String, now: Date = Date()) -> ICEServer? {
        guard let turnURL, let turnCredentials else { return nil }
        switch turnCredentials {
        case .fixed(let username, let password):
            return ICEServer(urls: [turnURL], username: username, credential: password)
        case .sharedSecret(let secret):
            let username = "\(Int(now.timeIntervalSince1970) + 86400):\(peerId)"
            let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Data(username.utf8), using: SymmetricKey(data: Data(secret.utf8)))
            return ICEServer(urls: [turnURL], username: username, credential: Data(mac).base64EncodedString())
        }
    }

    /// `$XDG_RUNTIME_DIR/chatixia/sidecar.sock`, else `/tmp/chatixia-<uid>/sidecar.sock` (CONTRACT.md §3).
    static func defaultSocketPath(environment: [String: String], userID: UInt32) -> String {
        IPCSocketPath.privateDirectory(environment: environment, userID: userID) + "/sidecar.sock"
    }

    /// The entries of a comma-separated list.
    static func list(_ text: String) -> [String] {
        text.split(separator: ",").map(trimmed).filter { !$0.isEmpty }
    }

    static func isIPAddress(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }
}

public enum SidecarConfigurationError: Error, Equatable, CustomStringConvertible {
    case missingCredential
    case invalid(String, String, String)

    public var description: String {
        switch self {
        case .missingCredential: "no credential: set API_KEY or DEVICE_TOKEN (from `chatixia pair`)"
        case .invalid(let name, let value, let expected): "\(name)=\(value) is invalid: expected \(expected)"
        }
    }
}

/// `text` without leading and trailing spaces and tabs.
private func trimmed(_ text: some StringProtocol) -> String {
    String(text.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
}
