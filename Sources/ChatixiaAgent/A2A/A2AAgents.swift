import AsyncHTTPClient
import Logging
import MeshProtocol

/// The outside A2A agents of `a2a_agents:`: each card is read at start, and each of its skills becomes a skill
/// of ours named `<agent>_<skill>`. An agent that cannot be reached is left out, with an error in the log.
enum A2AAgents {
    static func connect(
        _ agents: [Manifest.A2AAgent], reserved: Set<String>, environment: [String: String], logger: Logger, http: HTTPClient = A2AClient.sharedHTTP
    ) async -> [any Skill] {
        let found = await withTaskGroup(of: (Int, A2AClient, A2AAgentCard, String)?.self) { group in
            for (index, agent) in agents.enumerated() where agent.enabled {
                group.addTask {
                    let client = A2AClient(name: agent.name, url: agent.url, headers: ChildEnvironment.resolve(agent.headers, from: environment), http: http)
                    do {
                        let card = try await client.card()
                        return (index, client, card, try client.endpoint(of: card))
                    } catch {
                        logger.error("A2A agent not available", metadata: ["a2a_agent": "\(agent.name)", "url": "\(client.cardURL)", "error": "\(error)"])
                        return nil
                    }
                }
            }
            var found: [(Int, A2AClient, A2AAgentCard, String)] = []
            for await result in group { if let result { found.append(result) } }
            return found.sorted { $0.0 < $1.0 }
        }
        var taken = reserved
        var skills: [any Skill] = []
        for (_, client, card, endpoint) in found {
            for skill in card.skills {
                let name = toolName("\(client.name)_\(skill.id)")
                guard taken.insert(name).inserted else {
                    logger.warning("A2A skill left out: its name is taken", metadata: ["a2a_agent": "\(client.name)", "skill": "\(skill.id)"])
                    continue
                }
                skills.append(A2ARemoteSkill(client: client, endpoint: endpoint, skill: skill, name: name, streams: card.capabilities.streaming))
            }
            logger.info("A2A agent connected", metadata: ["a2a_agent": "\(client.name)", "skills": "\(card.skills.count)", "endpoint": "\(endpoint)"])
        }
        return skills
    }

    /// Letters, digits, `_` and `-` only, as LLM tool names must be.
    static func toolName(_ text: String) -> String {
        String(text.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") ? $0 : "_" }.prefix(64))
    }
}
