import Foundation
import Hummingbird
import MeshProtocol

extension RegistryServices {
    /// A2A: the mesh's agent card at `/.well-known/agent-card.json` and one per agent at
    /// `/a2a/agents/{agent_id}/.well-known/agent-card.json` (public, as A2A discovery is; rate-limited per
    /// address), and the JSON-RPC endpoints they name, `/a2a` and `/a2a/agents/{agent_id}` (any credential).
    func addA2ARoutes(to router: Router<RegistryContext>) {
        router.get(".well-known/agent-card.json") { request, context in
            try cardLimiter.hit(context.clientIP)
            return try jsonResponse(await agentCard(for: request, agentId: nil))
        }
        router.get("a2a/agents/:agent_id/.well-known/agent-card.json") { request, context in
            try cardLimiter.hit(context.clientIP)
            return try jsonResponse(await agentCard(for: request, agentId: try context.pathParameter("agent_id")))
        }
        let gateway = A2AGateway(services: self)
        let auth = AuthMiddleware(authenticator: authenticator, requests: requestLimiter)
        router.post("a2a") { request, context in
            let identity = try await auth.identity(of: request, clientIP: context.clientIP)
            return try await gateway.respond(to: request, context: context, identity: identity, agentId: nil)
        }
        router.post("a2a/agents/:agent_id") { request, context in
            let identity = try await auth.identity(of: request, clientIP: context.clientIP)
            let agentId = try context.pathParameter("agent_id")
            guard await state.agent(agentId) != nil else {
                throw APIError.notFound("agent '\(agentId)' not found")
            }
            return try await gateway.respond(to: request, context: context, identity: identity, agentId: agentId)
        }
    }

    /// The card of the whole mesh (its skills: those of the active agents), or of one agent.
    func agentCard(for request: Request, agentId: String?) async throws -> A2AAgentCard {
        let agents: [AgentRecord]
        let name: String
        let description: String
        let path: String
        if let agentId {
            guard let agent = await state.agent(agentId) else {
                throw APIError.notFound("agent '\(agentId)' not found")
            }
            agents = agent.health == .active ? [agent] : []
            name = agentId
            description = "The chatixia agent '\(agentId)' of \(config.a2aName)."
            path = "/a2a/agents/" + (agentId.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? agentId)
        } else {
            agents = await state.listAgents().filter { $0.health == .active }
            name = config.a2aName
            description = config.a2aDescription
            path = "/a2a"
        }
        var offeredBy: [String: [String]] = [:]
        var descriptions: [String: String] = [:]
        var details: [String: SkillCardDetails] = [:]
        for agent in agents {
            for skill in agent.capabilities.skills {
                offeredBy[skill, default: []].append(agent.agentId)
                if let description = agent.capabilities.skillDescriptions[skill], !description.isEmpty { descriptions[skill] = description }
                if let card = agent.capabilities.skillCards[skill], !card.isEmpty { details[skill] = card }
            }
        }
        let skills = offeredBy.keys.sorted().map { skill in
            let owners = offeredBy[skill]!.sorted()
            let card = details[skill] ?? SkillCardDetails()
            var tags = ["chatixia"] + owners
            for tag in card.tags where !tags.contains(tag) { tags.append(tag) }
            return A2AAgentCard.Skill(
                id: skill, name: skill, description: descriptions[skill] ?? "Skill '\(skill)' of \(owners.joined(separator: ", ")).",
                tags: tags, examples: card.examples.isEmpty ? nil : card.examples,
                inputModes: card.inputModes.isEmpty ? ["application/json", "text/plain"] : card.inputModes,
                outputModes: card.outputModes.isEmpty ? ["text/plain"] : card.outputModes)
        }
        return A2AAgentCard(
            name: name, description: description, version: "1.0.0",
            supportedInterfaces: [A2AAgentCard.Interface(url: publicBaseURL(for: request) + path)],
            capabilities: A2AAgentCard.Capabilities(streaming: true, pushNotifications: false, extendedAgentCard: false),
            securitySchemes: .object([
                "apiKey": .object(["apiKeySecurityScheme": .object(["location": .string("header"), "name": .string("x-api-key")])]),
                "deviceToken": .object(["apiKeySecurityScheme": .object(["location": .string("header"), "name": .string("x-device-token")])]),
                "bearer": .object(["httpAuthSecurityScheme": .object(["scheme": .string("Bearer"), "bearerFormat": .string("JWT")])]),
            ]),
            securityRequirements: .array(["apiKey", "deviceToken", "bearer"].map { JSONValue.object(["schemes": .object([$0: .object(["list": .array([])])])]) }),
            defaultInputModes: ["application/json", "text/plain"], defaultOutputModes: ["text/plain"], skills: skills)
    }

    /// `PUBLIC_URL`, else the scheme this registry serves and the request's `Host`.
    func publicBaseURL(for request: Request) -> String {
        if let url = config.publicURL { return url }
        let host = request.head.authority ?? "\(config.host):\(config.port)"
        return (config.tls == nil ? "http://" : "https://") + host
    }
}
