import MeshProtocol

extension AgentRuntime {
    /// Turns what arrives from the sidecar into jobs, so each request runs on its own and none waits for another.
    func meshEventLoop(jobs: AsyncStream<Job>.Continuation) async {
        for await event in mesh.events {
            switch event {
            case .attached: logger.notice("connected to the sidecar")
            case .detached: logger.warning("lost the sidecar connection")
            case .peerConnected(let peer):
                logger.notice("peer connected", metadata: ["peer_id": "\(peer)"])
                jobs.yield(Job { await announce(to: peer) })
            case .peerDisconnected(let peer): logger.notice("peer disconnected", metadata: ["peer_id": "\(peer)"])
            case .message(let peer, let message): jobs.yield(Job { await answer(message, from: peer) })
            }
        }
    }

    /// Tells a newly connected peer who we are (`agent_status`).
    func announce(to peer: String) async {
        let status = MeshMessage(
            type: MeshMessageType.agentStatus, sourceAgent: agentId, targetAgent: "",
            payload: AgentStatusPayload(agentId: agentId, status: "online", skills: skillNames).json)
        do {
            try await mesh.send(status, to: peer)
        } catch {
            logger.debug("could not announce to a peer", metadata: ["peer_id": "\(peer)", "error": "\(error)"])
        }
    }

    /// Answers a message from `peer`, the sidecar's authenticated sender: attribution (logs, and the source a
    /// skill or prompt is told about) is that peer, never the `source_agent` the payload claims.
    func answer(_ message: MeshMessage, from peer: String) async {
        switch message.type {
        case MeshMessageType.taskRequest:
            let request = TaskRequestPayload(message.payload)
            let skill = request.skill, arguments = request.arguments
            let streams = request.stream && !message.requestId.isEmpty
            let chunks = StreamChunks(request: message, agentId: agentId)
            let onDelta: ChatCompletionClient.DeltaHandler? = streams ? { @Sendable delta in await self.send(chunks.next(delta), to: peer) } : nil
            let reply = await outcome(of: { [arguments] in
                try await slots.run(agentId: agentId, mayRefuse: true) {
                    try await perform(skill: skill, payload: arguments, from: peer, requester: Requester(peerId: peer, role: nil), onDelta: onDelta)
                }
            })
            logger.notice("P2P task \(reply.failed ? "failed" : "completed")", metadata: ["from": "\(peer)", "skill": "\(skill)"])
            if !message.requestId.isEmpty { await send(message.reply(type: MeshMessageType.taskResponse, from: agentId, payload: reply.json), to: peer) }
        case MeshMessageType.agentPrompt:
            // Without a request id nobody waits for an answer: it is a message (upstream's mesh_send and broadcast).
            let prompt = PromptPayload(message.payload)
            guard !message.requestId.isEmpty else {
                receive(prompt.message, from: peer, broadcast: prompt.audience == .broadcast)
                return
            }
            let chunks = StreamChunks(request: message, agentId: agentId)
            let reply = await outcome(of: {
                try await slots.run(agentId: agentId, mayRefuse: true) {
                    try await prompts.answer(
                        prompt.message, onDelta: { delta in await send(chunks.next(delta), to: peer) },
                        mayUse: toolFilter(for: Requester(peerId: peer, role: nil)))
                }
            })
            await send(message.reply(type: MeshMessageType.agentResponse, from: agentId, payload: reply.json), to: peer)
        case MeshMessageType.skillQuery:
            let wanted = SkillQueryPayload(message.payload).skill
            let answer = SkillAnswerPayload(agentId: agentId, skills: skillNames, hasSkill: wanted.map { skills.contains($0) })
            await send(message.reply(type: MeshMessageType.skillResponse, from: agentId, payload: answer.json), to: peer)
        case MeshMessageType.agentStatus:
            let status = AgentStatusPayload(message.payload)
            logger.info("peer status", metadata: ["peer_id": "\(peer)", "claims_agent_id": "\(status.agentId.isEmpty ? message.sourceAgent : status.agentId)", "status": "\(status.status)"])
        default:
            logger.debug("ignoring a mesh message", metadata: ["type": "\(message.type)", "peer_id": "\(peer)"])
        }
    }

    /// What `work` came to, as a task_response or agent_response carries it.
    func outcome(of work: () async throws -> String) async -> MeshOutcome {
        do {
            return MeshOutcome(result: try await work())
        } catch {
            return MeshOutcome(error: "\(error)")
        }
    }

    func send(_ message: MeshMessage, to peer: String) async {
        do {
            try await mesh.send(message, to: peer)
        } catch {
            logger.warning("could not answer over the mesh", metadata: ["peer_id": "\(peer)", "type": "\(message.type)", "error": "\(error)"])
        }
    }
}
