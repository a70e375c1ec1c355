/// Queue tasks this agent is working on, each with a way to stop it: a shutdown fails them instead of leaving
/// them assigned, and a task its submitter canceled is stopped (its handler process killed, its LLM call ended).
actor InFlightTasks {
    private var running: [String: @Sendable () -> Void] = [:]

    func start(_ id: String, stop: @escaping @Sendable () -> Void) { running[id] = stop }

    /// Whether `id` was still ours to report (false once a shutdown or a cancellation took it over).
    func finish(_ id: String) -> Bool { running.removeValue(forKey: id) != nil }

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
