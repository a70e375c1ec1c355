#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A2A 1.0 `AgentCard`, served at `/.well-known/agent-card.json`: who the agent is, where and how to call it,
/// and its skills. The security fields are open-ended in the spec (API key, HTTP auth, OAuth2, OIDC, mTLS),
/// so they stay JSON.
public struct A2AAgentCard: Sendable, Hashable, Codable {
    public var name: String
    public var description: String
    public var version: String
    public var supportedInterfaces: [Interface]
    public var capabilities: Capabilities
    public var securitySchemes: JSONValue?
    public var securityRequirements: JSONValue?
    public var defaultInputModes: [String]
    public var defaultOutputModes: [String]
    public var skills: [Skill]

    public init(
        name: String, description: String, version: String, supportedInterfaces: [Interface], capabilities: Capabilities,
        securitySchemes: JSONValue?, securityRequirements: JSONValue?, defaultInputModes: [String], defaultOutputModes: [String],
        skills: [Skill]
    ) {
        self.name = name
        self.description = description
        self.version = version
        self.supportedInterfaces = supportedInterfaces
        self.capabilities = capabilities
        self.securitySchemes = securitySchemes
        self.securityRequirements = securityRequirements
        self.defaultInputModes = defaultInputModes
        self.defaultOutputModes = defaultOutputModes
        self.skills = skills
    }

    enum CodingKeys: String, CodingKey {
        case name, description, version, supportedInterfaces, capabilities, securitySchemes, securityRequirements
        case defaultInputModes, defaultOutputModes, skills
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.protoJSON(.name, or: "")
        description = try container.protoJSON(.description, or: "")
        version = try container.protoJSON(.version, or: "")
        supportedInterfaces = try container.protoJSON(.supportedInterfaces, or: [])
        capabilities = try container.protoJSON(.capabilities, or: Capabilities(streaming: false, pushNotifications: false, extendedAgentCard: false))
        securitySchemes = try container.decodeIfPresent(JSONValue.self, forKey: .securitySchemes)
        securityRequirements = try container.decodeIfPresent(JSONValue.self, forKey: .securityRequirements)
        defaultInputModes = try container.protoJSON(.defaultInputModes, or: [])
        defaultOutputModes = try container.protoJSON(.defaultOutputModes, or: [])
        skills = try container.protoJSON(.skills, or: [])
    }

    /// Where a binding of the protocol is served: `{url, protocolBinding: "JSONRPC", protocolVersion: "1.0"}`.
    public struct Interface: Sendable, Hashable, Codable {
        public var url: String
        public var protocolBinding: String
        public var protocolVersion: String

        public init(url: String, protocolBinding: String = "JSONRPC", protocolVersion: String = A2AVersion.supported) {
            self.url = url
            self.protocolBinding = protocolBinding
            self.protocolVersion = protocolVersion
        }

        enum CodingKeys: String, CodingKey { case url, protocolBinding, protocolVersion }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            url = try container.protoJSON(.url, or: "")
            protocolBinding = try container.protoJSON(.protocolBinding, or: "")
            protocolVersion = try container.protoJSON(.protocolVersion, or: "")
        }
    }

    public struct Capabilities: Sendable, Hashable, Codable {
        public var streaming: Bool
        public var pushNotifications: Bool
        public var extendedAgentCard: Bool

        public init(streaming: Bool, pushNotifications: Bool, extendedAgentCard: Bool) {
            self.streaming = streaming
            self.pushNotifications = pushNotifications
            self.extendedAgentCard = extendedAgentCard
        }

        enum CodingKeys: String, CodingKey { case streaming, pushNotifications, extendedAgentCard }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            streaming = try container.protoJSON(.streaming, or: false)
            pushNotifications = try container.protoJSON(.pushNotifications, or: false)
            extendedAgentCard = try container.protoJSON(.extendedAgentCard, or: false)
        }
    }

    public struct Skill: Sendable, Hashable, Codable {
        public var id: String
        public var name: String
        public var description: String
        public var tags: [String]
        public var examples: [String]?
        public var inputModes: [String]?
        public var outputModes: [String]?

        public init(id: String, name: String, description: String, tags: [String], examples: [String]? = nil, inputModes: [String]? = nil, outputModes: [String]? = nil) {
            self.id = id
            self.name = name
            self.description = description
            self.tags = tags
            self.examples = examples
            self.inputModes = inputModes
            self.outputModes = outputModes
        }

        enum CodingKeys: String, CodingKey { case id, name, description, tags, examples, inputModes, outputModes }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.protoJSON(.id, or: "")
            name = try container.protoJSON(.name, or: "")
            description = try container.protoJSON(.description, or: "")
            tags = try container.protoJSON(.tags, or: [])
            examples = try container.decodeIfPresent([String].self, forKey: .examples)
            inputModes = try container.decodeIfPresent([String].self, forKey: .inputModes)
            outputModes = try container.decodeIfPresent([String].self, forKey: .outputModes)
        }
    }
}

/// The `A2A-Version` rule (spec §3.6): `Major.Minor`, patch ignored; a request without one means 0.3.
public enum A2AVersion {
    public static let supported = "1.0"
    public static let header = "A2A-Version"

    /// Whether a request's `A2A-Version` (nil when absent) names the version we speak.
    public static func isSupported(_ requested: String?) -> Bool {
        // Optional whitespace around a header value is spaces and tabs (RFC 9110 §5.6.3).
        var value = Substring(requested ?? "")
        while value.first == " " || value.first == "\t" { value.removeFirst() }
        while value.last == " " || value.last == "\t" { value.removeLast() }
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 2 else { return false }
        return "\(parts[0]).\(parts[1])" == supported
    }
}
