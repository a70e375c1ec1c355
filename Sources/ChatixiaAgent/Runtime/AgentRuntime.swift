import Foundation
import Logging
import MeshProtocol

/// `chatixia run`: registers the agent, supervises its sidecar, takes tasks from the queue and the mesh,
/// and on shutdown deregisters and stops the sidecar.
public struct AgentRuntime: Sendable {
    public struct Options: Sendable {
        public var heartbeatInterval = Duration.seconds(15)
        /// Long-poll length for `POST /api/hub/tasks/claim` (the registry allows up to 30 s).
        public var claimWaitMs = 25_000
        /// How long startup waits for the sidecar's IPC socket.
        public var sidecarStartTimeout = Duration.seconds(30)
        public var delegationTimeout = Duration.seconds(120)
        /// How long a task result keeps being retried while the registry is unreachable (e.g. restarting).
        public var reportRetryWindow = Duration.seconds(120)

        public init() {}
    }

    public let manifest: Manifest
    public let agentId: String
    let environment: [String: String]
    let credential: RegistryCredential
    let registry: RegistryClient
    let mesh: MeshClient
    /// Built-in and folder skills; MCP tools join them once their servers run.
    let baseTools: SkillSet
    private(set) var skills: SkillSet
    private(set) var prompts: PromptService
    let sidecarBinary: URL
    let socketPath: String
    let ipcToken: String
    let options: Options
    let logger: Logger
    let inFlight = InFlightTasks()
    let slots: WorkSlots

    /// Prepares everything that can be checked before touching the network: credential, skills, LLM, sidecar binary.
    public init(manifest: Manifest, environment: [String: String], options: Options = Options(), logger: Logger) throws {
        self.manifest = manifest
        self.agentId = manifest.name
        self.options = options
        self.logger = logger
        slots = WorkSlots(capacity: manifest.maxConcurrentTasks, maxWaiting: manifest.maxConcurrentTasks * 4)
        credential = try CredentialResolution.resolve(manifest: manifest, environment: environment)
        registry = RegistryClient(baseURL: manifest.registry, credential: credential, caFile: environment["CA_FILE"])
        sidecarBinary = try SidecarBinary.locate(manifest: manifest, environment: environment)
        socketPath = try manifest.sidecar.socket ?? Self.defaultSocketPath(agentName: manifest.name, environment: environment)
        ipcToken = Self.randomHex(bytes: 24)
        mesh = MeshClient(socketPath: socketPath, ipcToken: ipcToken, logger: logger)

        var skillEnvironment = environment
        skillEnvironment["CHATIXIA_AGENT_ID"] = manifest.name
        // Skills get one URL, the first replica's, as upstream's skills expect.
        skillEnvironment["CHATIXIA_REGISTRY_URL"] = registry.baseURLs[0]
        skillEnvironment["REGISTRY_URL"] = registry.baseURLs[0]
        self.environment = skillEnvironment

        let (folderSkills, problems) = SkillSet.loadFolders(manifest.skillDirectories, environment: skillEnvironment)
        if let problem = problems.first { throw problem }
        let context = MeshContext(agentId: manifest.name, registry: registry, mesh: mesh, delegationTimeout: options.delegationTimeout, logger: logger)
        var tools = SkillSet(context.builtinSkills(manifest.enabledBuiltins))
        for skill in folderSkills where !manifest.skills.disabled.contains(skill.definition.name) { tools.add(skill) }
        baseTools = tools
        (skills, prompts) = Self.skills(tools: tools, manifest: manifest, environment: environment, logger: logger)
    }

    /// What the agent tells every skill handler about itself.
    static let skillVariables = ["CHATIXIA_AGENT_ID", "CHATIXIA_REGISTRY_URL", "REGISTRY_URL"]

    /// The LLM's tools are every skill but user_intervention, which is itself a prompt; the agent offers them all.
    /// An agent with an LLM answers prompts (`user_intervention`: the hub's chat, A2A messages without a skill)
    /// whether or not its manifest lists that builtin, as upstream's runner does.
    static func skills(tools: SkillSet, manifest: Manifest, environment: [String: String], logger: Logger) -> (SkillSet, PromptService) {
        let prompts = PromptService(manifest: manifest, environment: environment, tools: tools, logger: logger)
        var skills = tools
        if manifest.enabledBuiltins.contains("user_intervention") || prompts.hasLLM {
            skills.add(UserInterventionSkill(prompt: prompts.answer))
        }
        return (skills, prompts)
    }

    /// This runtime with `extra` skills (MCP tools) added to the LLM's tools and the agent's skills.
    func adding(_ extra: [any Skill]) -> AgentRuntime {
        guard !extra.isEmpty else { return self }
        var tools = baseTools
        for skill in extra { tools.add(skill) }
        var runtime = self
        (runtime.skills, runtime.prompts) = Self.skills(tools: tools, manifest: manifest, environment: environment, logger: logger)
        return runtime
    }

    /// `$XDG_RUNTIME_DIR/chatixia/<name>.sock`, else `/tmp/chatixia-<uid>/<name>.sock`, in a 0700 directory
    /// that must be ours (a symlink or another user's directory is refused).
    static func defaultSocketPath(agentName: String, environment: [String: String]) throws -> String {
        let safeName = String(agentName.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" }.prefix(40))
        let directory = IPCSocketPath.privateDirectory(environment: environment)
        try IPCSocketPath.preparePrivate(directory)
        return "\(directory)/\(safeName).sock"
    }

    static func randomHex(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// The sidecar's environment: ours, plus where the registry is, our credential and the IPC socket.
    func sidecarEnvironment() -> [String: String] {
        var env = environment
        // Every replica, in the same order: the sidecar moves along them as the agent does.
        let urls = Manifest.registryURLs(manifest.registry)
        let signaling = urls.map { url in
            let components = URLComponents(string: url)
            let hostPort = (components?.host ?? "localhost") + (components?.port.map { ":\($0)" } ?? "")
            return "\(components?.scheme == "https" ? "wss" : "ws")://\(hostPort)/ws"
        }
        if (env["SIGNALING_URL"] ?? "").isEmpty { env["SIGNALING_URL"] = signaling.joined(separator: ",") }
        if (env["TOKEN_URL"] ?? "").isEmpty { env["TOKEN_URL"] = urls.map { "\($0)/api/token" }.joined(separator: ",") }
        env["API_KEY"] = nil
        env["DEVICE_TOKEN"] = nil
        switch credential {
        case .apiKey(let key): env["API_KEY"] = key
        case .deviceToken(let token): env["DEVICE_TOKEN"] = token
        }
        env["IPC_SOCKET"] = socketPath
        env["CHATIXIA_IPC_TOKEN"] = ipcToken
        return env
    }

    var skillNames: [String] { skills.names }

    /// Each skill's access rules: the manifest's `access` entry, else its definition's; only skills that have any.
    var skillAccess: [String: [String]] {
        var rules: [String: [String]] = [:]
        for definition in skills.definitions {
            let access = manifest.access[definition.name] ?? definition.access
            if !access.isEmpty { rules[definition.name] = access }
        }
        return rules
    }

    /// Runs until `shutdown` returns (a signal), then deregisters and stops the sidecar and the MCP servers.
    /// Throws when the agent cannot start (registry refused, sidecar never came up) or its sidecar keeps dying.
    public func run(until shutdown: @escaping @Sendable () async -> Void) async throws {
        try FileManager.default.createDirectory(at: manifest.dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // MCP tools are skills like the others, so their servers run before the agent registers its skill list.
        let mcp = await MCPServers.start(
            manifest.mcpServers, reserved: Set(skills.names), environment: environment, directory: manifest.directory,
            logDirectory: manifest.dataDirectory, logger: logger)
        let remote = await A2AAgents.connect(
            manifest.a2aAgents, reserved: Set(skills.names).union(mcp.skills.map(\.definition.name)), environment: environment, logger: logger)
        do {
            try await adding(mcp.skills + remote).serve(until: shutdown, mcpServers: mcp.names)
        } catch {
            await mcp.stop()
            throw error
        }
        await mcp.stop()
    }

    func serve(until shutdown: @escaping @Sendable () async -> Void, mcpServers: [String]) async throws {
        let grant = try await registry.token()
        let registration = AgentRegistration(
            agentId: agentId, hostname: ProcessInfo.processInfo.hostName, sidecarPeerId: grant.peerId,
            capabilities: AgentCapabilities(
                skills: skillNames, mcpServers: mcpServers, mode: "interactive", skillAccess: skillAccess,
                skillDescriptions: Dictionary(skills.definitions.map { ($0.name, $0.description) }, uniquingKeysWith: { first, _ in first }),
                skillCards: Dictionary(skills.definitions.filter { !$0.card.isEmpty }.map { ($0.name, $0.card) }, uniquingKeysWith: { first, _ in first })),
            status: "ready", mode: "interactive", maxConcurrentTasks: manifest.maxConcurrentTasks)
        try await registry.register(registration)
        logger.notice("registered with the registry", metadata: ["agent_id": "\(agentId)", "peer_id": "\(grant.peerId)", "registry": "\(manifest.registry)"])
        if case .failure(let reason) = prompts.runner { logger.notice("no LLM: prompts will be refused", metadata: ["reason": "\(reason)"]) }

        let supervisor = SidecarSupervisor(
            binary: sidecarBinary, environment: sidecarEnvironment(), logFile: manifest.dataDirectory.appendingPathComponent("sidecar.log"), logger: logger)
        let (jobs, jobSink) = AsyncStream.makeStream(of: Job.self)
        do {
            try await withThrowingDiscardingTaskGroup { group in
                // Any of these ending ends the run: the job stream closes and everything is cancelled.
                group.addTask {
                    defer { jobSink.finish() }
                    try await supervisor.run()
                }
                group.addTask { await mesh.run() }
                group.addTask {
                    defer { jobSink.finish() }
                    try await mesh.waitUntilAttached(timeout: options.sidecarStartTimeout)
                    logger.notice("ready", metadata: ["skills": "\(skillNames.joined(separator: ","))", "llm": "\(prompts.summary)", "socket": "\(socketPath)"])
                    await shutdown()
                    logger.notice("shutting down")
                    await farewell()
                }
                group.addTask { await heartbeatLoop(jobs: jobSink) }
                group.addTask { await claimLoop(jobs: jobSink) }
                group.addTask { await meshEventLoop(jobs: jobSink) }
                for await job in jobs {
                    group.addTask { await job.work() }
                }
                group.cancelAll()
            }
        } catch {
            await deregister()
            throw error
        }
        await deregister()
        logger.notice("stopped")
    }

    /// Last words before the sidecar goes: peers hear we are offline, unfinished queue tasks are failed.
    func farewell() async {
        let status = MeshMessage(type: MeshMessageType.agentStatus, sourceAgent: agentId, targetAgent: "*", payload: .object(["agent_id": .string(agentId), "status": .string("offline")]))
        try? await mesh.broadcast(status)
        for id in await inFlight.takeAll() {
            try? await registry.report(taskId: id, TaskUpdate(state: .failed, error: "agent \(agentId) stopped before finishing"))
        }
    }

    func deregister() async {
        do {
            try await registry.deregister(agentId: agentId)
            logger.notice("deregistered", metadata: ["agent_id": "\(agentId)"])
        } catch {
            logger.warning("could not deregister", metadata: ["error": "\(error)"])
        }
    }
}

/// A unit of work started by a loop and run concurrently by the runtime's task group.
struct Job: Sendable {
    let work: @Sendable () async -> Void
}
