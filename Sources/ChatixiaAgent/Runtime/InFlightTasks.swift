/// Queue tasks this agent is working on, each with a way to stop it: a shutdown fails them instead of leaving
/// them assigned, and a task its submitter canceled is stopped (its handler process killed, its LLM call ended).
actor InFlightTasks {
    private var running: [String: @Sendable () -> Void] = [:]
    /// Finished, their results not yet taken by the registry.
    private var reporting: Set<String> = []

    func start(_ id: String, stop: @escaping @Sendable () -> Void) { running[id] = stop }

    /// Whether `id` was still ours to report (false once a shutdown or a cancellation took it over); if so it
    /// is held until `reported`.
    func finish(_ id: String) -> Bool {
        guard running.removeValue(forKey: id) != nil else { return false }
        reporting.insert(id)
        return true
    }

    func reported(_ id: String) { reporting.remove(id) }

    /// The tasks this agent holds, running or being reported, for its heartbeats (`held_tasks`).
    var held: [String] { (Set(running.keys).union(reporting)).sorted() }

    /// Stops `id` if it is running here; whether it was.
    func cancel(_ id: String) -> Bool {
        guard let stop = running.removeValue(forKey: id) else { return false }
        stop()
        return true
    }

    func takeAll() -> Set<String> {
        defer { running.removeAll() }
        return Set(running.keys)
    }
}
