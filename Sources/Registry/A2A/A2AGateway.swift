import Foundation
import HTTPTypes
import Hummingbird
import MeshProtocol
import NIOCore

/// The mesh as one A2A 1.0 agent (JSON-RPC binding): a message becomes a registry task routed to the agent
/// whose skill it names, or a prompt (`user_intervention`) for an agent with an LLM; the A2A task id is the
/// registry's task id, so the hub shows A2A work like any other. Errors are JSON-RPC errors in HTTP 200
/// answers, as A2A clients expect; only failed authentication and rate limits stay HTTP statuses.
struct A2AGateway: Sendable {
    let services: RegistryServices
    let openCalls: OpenCalls

    init(services: RegistryServices) {
        self.services = services
        openCalls = OpenCalls(limit: services.config.limits.a2aOpenCallsPerCredential)
    }

    static let methods = [
        "SendMessage", "SendStreamingMessage", "GetTask", "ListTasks", "CancelTask", "SubscribeToTask", "GetExtendedAgentCard",
        "CreateTaskPushNotificationConfig", "GetTaskPushNotificationConfig", "ListTaskPushNotificationConfigs",
        "DeleteTaskPushNotificationConfig",
    ]

    /// Answers one JSON-RPC request from `identity`; `agentId` is set on an agent's own endpoint.
    func respond(to request: Request, context: RegistryContext, identity: Identity, agentId: String?) async throws -> Response {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        guard let rpc = try? JSONDecoder().decode(JSONRPCRequest.self, from: Data(buffer: body)) else {
            let isJSON = (try? JSONDecoder().decode(JSONValue.self, from: Data(buffer: body))) != nil
            return try Self.answer(id: nil, isJSON ? .invalidRequest("expected a JSON-RPC 2.0 request object") : .parse("invalid JSON payload"))
        }
        guard rpc.jsonrpc == "2.0" else { return try Self.answer(id: rpc.id, .invalidRequest("jsonrpc must be \"2.0\"")) }
        let version = request.headers[HTTPField.Name(A2AVersion.header)!] ?? request.uri.queryParameters.get(A2AVersion.header)
        guard A2AVersion.isSupported(version) else { return try Self.answer(id: rpc.id, .versionNotSupported(version)) }
        do {
            return try await dispatch(rpc, identity: identity, agentId: agentId)
        } catch let error as JSONRPCError {
            return try Self.answer(id: rpc.id, error)
        } catch let error as APIError {
            switch error.status {
            case .badRequest: return try Self.answer(id: rpc.id, .invalidParams(error.message))
            case .forbidden: return try Self.answer(id: rpc.id, .invalidRequest(error.message))
            case .notFound: return try Self.answer(id: rpc.id, .invalidParams(error.message))
            // Rate limits and an unavailable store stay HTTP statuses (429, 503 with Retry-After).
            default: throw error
            }
        }
    }

    private func dispatch(_ rpc: JSONRPCRequest, identity: Identity, agentId: String?) async throws -> Response {
        switch rpc.method {
        case "SendMessage":
            let params = try Self.params(A2ASendMessageParams.self, rpc)
            let blocking = params.configuration?.returnImmediately != true
            if blocking { try enter(identity) }
            defer { if blocking { leave(identity) } }
            let task = try await start(params.message, identity: identity, agentId: agentId)
            let updates = services.events.watch(task: task.id)
            var current = await services.state.task(task.id) ?? task
            if blocking, !current.a2aState.endsTheCall {
                // Ends at the latest when the sweep fails the task at its TTL.
                for await change in updates {
                    guard case .task(let task) = change else { continue }
                    current = task
                    if current.a2aState.endsTheCall { break }
                }
            }
            return try Self.answer(id: rpc.id, result: A2AStreamResponse.task(current.a2a(historyLength: params.configuration?.historyLength)))
        case "SendStreamingMessage":
            let params = try Self.params(A2ASendMessageParams.self, rpc)
            try enter(identity)
            let task: MeshTask
            do {
                task = try await start(params.message, identity: identity, agentId: agentId)
            } catch {
                leave(identity)
                throw error
            }
            return stream(task.id, id: rpc.id, for: identity)
        case "SubscribeToTask":
            let params = try Self.params(A2ATaskIdParams.self, rpc)
            let task = try await visibleTask(params.id, to: identity)
            guard !task.a2aState.isTerminal else {
                throw JSONRPCError.unsupportedOperation("task '\(task.id)' is \(task.a2aState.rawValue); there is nothing to subscribe to")
            }
            try enter(identity)
            return stream(task.id, id: rpc.id, for: identity)
        case "GetTask":
            let params = try Self.params(A2ATaskIdParams.self, rpc)
            return try Self.answer(id: rpc.id, result: try await visibleTask(params.id, to: identity).a2a(historyLength: params.historyLength))
        case "ListTasks":
            return try Self.answer(id: rpc.id, result: try await list(try Self.params(A2AListTasksParams.self, rpc), identity: identity))
        case "CancelTask":
            let params = try Self.params(A2ATaskIdParams.self, rpc)
            let task = try await visibleTask(params.id, to: identity)
            do {
                return try Self.answer(id: rpc.id, result: try await services.state.cancelTask(task.id, by: identity).a2a())
            } catch let error as APIError where error.status == .conflict {
                throw JSONRPCError.taskNotCancelable(task.id, state: task.a2aState.rawValue)
            }
        case "GetExtendedAgentCard":
            throw JSONRPCError.unsupportedOperation("this agent declares no extended agent card")
        case let method where method.hasSuffix("PushNotificationConfig") || method.hasSuffix("PushNotificationConfigs"):
            throw JSONRPCError.pushNotificationNotSupported
        default:
            throw JSONRPCError.methodNotFound(rpc.method)
        }
    }

    /// Queues the task a user message asks for, or, for a message naming a task that asked for input, its
    /// next turn.
    private func start(_ message: A2AMessage, identity: Identity, agentId: String?) async throws -> MeshTask {
        if !identity.isAdmin { try services.submissionLimiter.hit(identity.peerId) }
        if let taskId = message.taskId, !taskId.isEmpty {
            let task = try await visibleTask(taskId, to: identity)
            guard task.state == .inputRequired else {
                throw JSONRPCError.unsupportedOperation("task '\(task.id)' is \(task.a2aState.rawValue) and takes no further messages")
            }
            if let contextId = message.contextId, !contextId.isEmpty, contextId != task.a2aContextId {
                throw JSONRPCError.invalidParams("task '\(task.id)' belongs to context '\(task.a2aContextId)', not '\(contextId)'")
            }
            return try await services.state.continueTask(task.id, payload: try Self.submission(from: message, agentId: agentId).payload, by: identity)
        }
        let submission = try Self.submission(from: message, agentId: agentId)
        let agents = await services.state.listAgents().filter { $0.health != .offline }
        if submission.targetAgentId.isEmpty {
            guard agents.contains(where: { $0.capabilities.skills.contains(submission.skill) }) else {
                throw JSONRPCError.invalidParams("no agent in the mesh offers skill '\(submission.skill)'")
            }
        } else {
            guard agents.contains(where: { $0.agentId == submission.targetAgentId }) else {
                throw JSONRPCError.invalidParams("agent '\(submission.targetAgentId)' is not in the mesh")
            }
        }
        let contextId = message.contextId.flatMap { $0.isEmpty ? nil : $0 } ?? UUID().uuidString.lowercased()
        let id = try await services.state.submit(submission, by: identity, contextId: contextId)
        guard let task = await services.state.task(id) else { throw JSONRPCError.internalError("task '\(id)' vanished") }
        return task
    }

    /// The submission a user message stands for. The skill comes from `metadata.skill` or a data part's
    /// `skill`; the payload is the first data part (with the text as `message` if it has none), else
    /// `{"message": <text>}`. Without a skill the message is a prompt (`user_intervention`).
    static func submission(from message: A2AMessage, agentId: String?) throws(JSONRPCError) -> TaskSubmission {
        guard message.role == .user else { throw .invalidParams("message.role must be ROLE_USER") }
        if let file = message.parts.first(where: { $0.raw != nil || $0.url != nil }) {
            throw .contentTypeNotSupported("file parts (\(file.effectiveMediaType)) are not supported; send text or data parts")
        }
        let text = message.text
        let data = message.parts.lazy.compactMap(\.data).first
        guard data != nil || !text.isEmpty else { throw .invalidParams("message has neither a text nor a data part") }
        let skill = message.metadata?["skill"]?.stringValue ?? data?["skill"]?.stringValue ?? ""
        let target = agentId ?? message.metadata?["target_agent_id"]?.stringValue ?? ""
        var payload: JSONValue
        if let data {
            payload = data
            if case .object(var fields) = data, !text.isEmpty, fields["message"] == nil {
                fields["message"] = .string(text)
                payload = .object(fields)
            }
        } else {
            payload = .object(["message": .string(text)])
        }
        return TaskSubmission(skill: skill.isEmpty ? "user_intervention" : skill, targetAgentId: target, payload: payload)
    }

    /// Counts an open call against the caller's limit (admins exempt).
    private func enter(_ identity: Identity) throws(APIError) {
        if !identity.isAdmin { try openCalls.enter(identity.peerId) }
    }

    private func leave(_ identity: Identity) {
        if !identity.isAdmin { openCalls.leave(identity.peerId) }
    }

    /// A task the caller may see: one it submitted, or any for an admin. Others are "not found", so ids of
    /// other credentials' tasks reveal nothing.
    private func visibleTask(_ id: String, to identity: Identity) async throws(JSONRPCError) -> MeshTask {
        guard let task = await services.state.task(id), identity.submittedOrAdmin(task) else {
            throw .taskNotFound(id)
        }
        return task
    }

    private func list(_ params: A2AListTasksParams, identity: Identity) async throws(JSONRPCError) -> A2AListTasksResult {
        let pageSize = params.pageSize ?? 50
        guard (1...100).contains(pageSize) else { throw .invalidParams("pageSize must be between 1 and 100") }
        let offset: Int
        if let token = params.pageToken, !token.isEmpty {
            guard let value = Int(token), value >= 0 else { throw .invalidParams("pageToken '\(token)' is not one this server gave out") }
            offset = value
        } else {
            offset = 0
        }
        let matching = await services.state.tasks(visibleTo: identity)
            .filter { task in (params.contextId.map { task.a2aContextId == $0 } ?? true) && (params.status.map { task.a2aState == $0 } ?? true) }
            .sorted { ($0.updatedAt, $0.id) > ($1.updatedAt, $1.id) }
        let page = matching.dropFirst(offset).prefix(pageSize)
        let next = offset + page.count < matching.count ? String(offset + page.count) : ""
        return A2AListTasksResult(
            tasks: page.map { $0.a2a(historyLength: params.historyLength, includeArtifacts: params.includeArtifacts ?? false) },
            nextPageToken: next, pageSize: pageSize, totalSize: matching.count)
    }

    /// Server-sent events for a task: its current state, then each change (the result as an artifact before
    /// the completed status), closing once the task is finished or needs input.
    private func stream(_ taskId: String, id: JSONValue?, for identity: Identity) -> Response {
        let updates = services.events.watch(task: taskId)
        let state = services.state
        let gateway = self
        let body = ResponseBody { writer in
            defer { gateway.leave(identity) }
            guard var current = await state.task(taskId) else { return try await writer.finish(nil) }
            try await writer.write(Self.event(id: id, .task(current.a2a())))
            if !current.a2aState.endsTheCall {
                for await change in updates {
                    let task: MeshTask
                    switch change {
                    case .progress(let text):
                        // The answer so far, replacing what came before, until the finished artifact.
                        let artifact = A2AArtifact(artifactId: "\(taskId)-result", name: "result", parts: [A2APart(text: text)])
                        try await writer.write(Self.event(id: id, .artifactUpdate(
                            A2AArtifactUpdate(taskId: taskId, contextId: current.a2aContextId, artifact: artifact, lastChunk: false))))
                        continue
                    case .task(let changed):
                        task = changed
                    }
                    guard task.state != current.state else { continue }
                    current = task
                    for artifact in current.a2aArtifacts {
                        try await writer.write(Self.event(id: id, .artifactUpdate(
                            A2AArtifactUpdate(taskId: taskId, contextId: current.a2aContextId, artifact: artifact, lastChunk: true))))
                    }
                    try await writer.write(Self.event(id: id, .statusUpdate(
                        A2AStatusUpdate(taskId: taskId, contextId: current.a2aContextId, status: current.a2aStatus))))
                    if current.a2aState.endsTheCall { break }
                }
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"], body: body)
    }

    private static func event(id: JSONValue?, _ response: A2AStreamResponse) -> ByteBuffer {
        let json = (try? JSONEncoder().encode(JSONRPCResponse(id: id, result: response))) ?? Data()
        var buffer = ByteBuffer(string: "data: ")
        buffer.writeBytes(json)
        buffer.writeString("\n\n")
        return buffer
    }

    private static func params<Params: Decodable>(_ type: Params.Type, _ rpc: JSONRPCRequest) throws(JSONRPCError) -> Params {
        do {
            return try JSONDecoder().decode(Params.self, from: try JSONEncoder().encode(rpc.params ?? .object([:])))
        } catch let error as DecodingError {
            throw .invalidParams("invalid params for \(rpc.method): \(Self.describe(error))")
        } catch {
            throw .invalidParams("invalid params for \(rpc.method)")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String { codingPath.map(\.stringValue).joined(separator: ".") }
        switch error {
        case .keyNotFound(let key, let context): return "missing '\(path(context.codingPath + [key]))'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "'\(path(context.codingPath))' is invalid"
        @unknown default: return "invalid"
        }
    }

    static func answer(id: JSONValue?, result: some Sendable & Codable) throws -> Response {
        try jsonResponse(JSONRPCResponse(id: id, result: result))
    }

    static func answer(id: JSONValue?, _ error: JSONRPCError) throws -> Response {
        try jsonResponse(JSONRPCResponse<JSONValue>(id: id, error: error))
    }
}
