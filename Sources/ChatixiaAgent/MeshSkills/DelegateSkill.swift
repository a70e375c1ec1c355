import MeshProtocol

/// `delegate`: hands a task to another agent, over the DataChannel when its sidecar is connected, else through
/// the registry's task queue, and (by default) waits for the result.
struct DelegateSkill: Skill {
    let context: MeshContext
    let definition = SkillDefinition(
        name: "delegate",
        description: "Delegate a task to another agent in the mesh, by target agent ID or by skill. Returns the other agent's result.",
        parameters: [
            SkillParameter(name: "message", kind: .string, description: "The task description or prompt to send to the target agent", required: true),
            SkillParameter(name: "target_agent_id", kind: .string, description: "The ID of the target agent. If omitted, routes by skill.", defaultValue: .string("")),
            SkillParameter(name: "skill", kind: .string, description: "The skill to invoke on the target agent. Used for routing if no target specified.", defaultValue: .string("")),
            SkillParameter(name: "wait", kind: .boolean, description: "Whether to wait for the result or return immediately.", defaultValue: .bool(true)),
        ])

    func run(_ arguments: [String: JSONValue]) async throws -> String {
        try await run(arguments, onDelta: nil)
    }

    /// Over the DataChannel, with `onDelta`, the other agent is asked for its answer in pieces as it writes it
    /// (`task_stream_chunk`s), which go to `onDelta`.
    func run(_ arguments: [String: JSONValue], onDelta: ChatCompletionClient.DeltaHandler?) async throws -> String {
        let message = arguments["message"]?.stringValue ?? ""
        let skill = arguments["skill"]?.stringValue ?? ""
        let wait = arguments["wait"] != .bool(false)
        var target = arguments["target_agent_id"]?.stringValue ?? ""
        if target.isEmpty {
            guard !skill.isEmpty else { throw SkillError.failed(skill: "delegate", reason: "give target_agent_id or a skill to route by") }
            guard let routed = try await context.registry.route(skill: skill) else {
                throw SkillError.failed(skill: "delegate", reason: "no active agent offers the skill '\(skill)'")
            }
            target = routed.agentId
        }

        if let peer = try await context.connectedPeer(of: target) {
            let payload = TaskRequestPayload(skill: skill, stream: onDelta != nil && wait, arguments: .object(["message": .string(message)]))
            let request = MeshMessage(
                type: MeshMessageType.taskRequest, requestId: MeshMessage.newRequestId(), sourceAgent: context.agentId, targetAgent: target,
                payload: payload.json)
            do {
                if !wait {
                    try await context.mesh.send(request, to: peer)
                    return "Task delegated to \(target) via P2P (fire-and-forget)"
                }
                let response = try await context.mesh.request(request, to: peer, timeout: context.delegationTimeout, onChunk: onDelta)
                context.logger.info("delegated over the DataChannel", metadata: ["target": "\(target)", "peer": "\(peer)", "skill": "\(skill)"])
                return try Self.outcome(of: response, target: target)
            } catch MeshClientError.refused(let reason) {
                // The channel closed between the check and the send: the queue still reaches the agent.
                context.logger.warning("P2P delegation refused; using the registry queue", metadata: ["target": "\(target)", "reason": "\(reason)"])
            }
        }

        let taskId = try await context.registry.submit(TaskSubmission(
            skill: skill, targetAgentId: target, sourceAgentId: context.agentId, payload: .object(["message": .string(message)]), ttl: 300))
        context.logger.info("delegated through the registry queue", metadata: ["target": "\(target)", "task_id": "\(taskId)", "skill": "\(skill)"])
        if !wait { return "Task submitted via registry: task_id=\(taskId)" }
        let task = try await context.registry.waitForOutcome(of: taskId, timeout: context.delegationTimeout)
        switch task.state {
        case .completed: return task.result
        case .failed: throw SkillError.failed(skill: "delegate", reason: "\(target) failed the task: \(task.error)")
        case .canceled: throw SkillError.failed(skill: "delegate", reason: "task \(taskId) for \(target) was \(task.error)")
        case .rejected: throw SkillError.failed(skill: "delegate", reason: "\(target) rejected the task: \(task.error)")
        case .inputRequired:
            let question = A2AResult(task.result, taskId: taskId)?.text ?? task.result
            throw SkillError.failed(skill: "delegate", reason: "\(target) needs more input (task \(taskId)): \(question)")
        case .pending, .assigned:
            throw SkillError.failed(skill: "delegate", reason: "task \(taskId) for \(target) is still \(task.state.rawValue) after \(context.delegationTimeout)")
        }
    }

    /// A `task_response`'s result, or its error thrown.
    static func outcome(of response: MeshMessage, target: String) throws -> String {
        let outcome = MeshOutcome(response.payload)
        if outcome.failed { throw SkillError.failed(skill: "delegate", reason: "\(target) failed the task: \(outcome.error)") }
        return outcome.result
    }
}
