import MeshProtocol

/// Passes a queue task's answer to the registry while the LLM writes it (`TaskProgress`, the whole text so
/// far), at most one report in flight and one every `interval`, so a fast stream costs a few requests.
actor ProgressReports {
    let taskId: String
    let registry: RegistryClient
    let interval: Duration
    private var text = ""
    private var sent = ""
    private var sending = false
    private var finished = false
    private var lastSent = ContinuousClock.now - .seconds(60)

    init(taskId: String, registry: RegistryClient, interval: Duration = .milliseconds(200)) {
        self.taskId = taskId
        self.registry = registry
        self.interval = interval
    }

    func add(_ delta: String) {
        text += delta
        guard !sending, !finished else { return }
        sending = true
        Task { await sendLoop() }
    }

    /// No reports after the result.
    func finish() {
        finished = true
    }

    private func sendLoop() async {
        while !finished, text != sent {
            let wait = lastSent + interval - ContinuousClock.now
            if wait > .zero { try? await Task.sleep(for: wait) }
            guard !finished else { break }
            let snapshot = text
            lastSent = .now
            // A lost report costs nothing: the next holds the whole text, and the result ends it all.
            try? await registry.progress(taskId: taskId, TaskProgress(text: snapshot))
            sent = snapshot
        }
        sending = false
    }
}
