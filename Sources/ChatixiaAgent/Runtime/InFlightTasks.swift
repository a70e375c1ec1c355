/// Queue tasks this agent is working on, so a shutdown can fail them instead of leaving them assigned.
actor InFlightTasks {
    private var ids: Set<String> = []

    func start(_ id: String) { ids.insert(id) }

    /// Whether `id` was still ours to report (false once a shutdown took it over).
    func finish(_ id: String) -> Bool { ids.remove(id) != nil }

    func takeAll() -> Set<String> {
        defer { ids.removeAll() }
        return ids
    }
}
