import Foundation
import Logging
import MCP

/// The manifest's enabled MCP servers, running, with their tools as skills.
public struct MCPServers: Sendable {
    let connections: [MCPServerConnection]
    public let skills: [any Skill]

    /// The servers that started (registered as the agent's `capabilities.mcp_servers`).
    public var names: [String] { connections.map(\.name) }

    /// Starts the enabled servers side by side, each logging its stderr to `<logDirectory>/mcp-<name>.log`.
    /// A server that fails to start is logged and left out: the agent still runs without its tools.
    /// A tool is a skill under its own name, or `<server>_<tool>` when that name is taken (`reserved` holds
    /// the agent's other skills); names are made to fit the LLM's tool-name rules.
    public static func start(
        _ servers: [Manifest.MCPServer], reserved: Set<String>, environment: [String: String], directory: URL, logDirectory: URL,
        logger: Logger
    ) async -> MCPServers {
        let enabled = servers.filter(\.enabled)
        let started = await withTaskGroup(of: (Int, MCPServerConnection, [Tool])?.self) { group in
            for (index, server) in enabled.enumerated() {
                group.addTask {
                    let safeName = String(server.name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
                    let connection = MCPServerConnection(server, logFile: logDirectory.appendingPathComponent("mcp-\(safeName).log"), logger: logger)
                    do {
                        return (index, connection, try await connection.start(environment: environment, directory: directory))
                    } catch {
                        logger.error("MCP server not available", metadata: ["server": "\(server.name)", "error": "\(error)"])
                        return nil
                    }
                }
            }
            var started: [(Int, MCPServerConnection, [Tool])] = []
            for await result in group { if let result { started.append(result) } }
            return started.sorted { $0.0 < $1.0 }
        }

        var taken = reserved
        var skills: [any Skill] = []
        for (_, connection, tools) in started {
            for tool in tools {
                let candidates = [skillName(tool.name), skillName("\(connection.name)_\(tool.name)")]
                guard let name = candidates.first(where: { !taken.contains($0) }) else {
                    logger.warning("MCP tool left out: its name is taken", metadata: ["server": "\(connection.name)", "tool": "\(tool.name)"])
                    continue
                }
                taken.insert(name)
                skills.append(MCPToolSkill(definition: MCPToolMapping.definition(for: tool, name: name), tool: tool.name, server: connection))
            }
            logger.notice("MCP tools available", metadata: ["server": "\(connection.name)", "tools": "\(tools.map(\.name).joined(separator: ","))"])
        }
        return MCPServers(connections: started.map(\.1), skills: skills)
    }

    /// A tool name as an LLM tool name: letters, digits, `_` and `-`, at most 64 characters.
    static func skillName(_ name: String) -> String {
        String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") ? $0 : "_" }.prefix(64))
    }

    /// Stops every server (they get their stdin closed, then SIGTERM, then SIGKILL).
    public func stop() async {
        await withDiscardingTaskGroup { group in
            for connection in connections { group.addTask { await connection.stop() } }
        }
    }
}
