import Hummingbird
import MeshProtocol
import NIOCore

extension RegistryServices {
    /// `GET /metrics`: Prometheus text format. Counts only, no identifiers, so it needs no credentials.
    func addMetricsRoute(to router: Router<RegistryContext>) {
        router.get("metrics") { _, _ in
            let (agents, tasks, records) = await state.statistics()
            for (kind, count) in records {
                metrics.collector.makeGauge(name: "chatixia_stored_records", labels: [("kind", kind.rawValue)], help: "Records held by the store, by kind")
                    .set(Double(count))
            }
            for health in AgentHealth.allCases {
                metrics.collector.makeGauge(name: "chatixia_agents", labels: [("health", health.rawValue)], help: "Registered agents by health")
                    .set(Double(agents[health] ?? 0))
            }
            for taskState in TaskState.allCases {
                metrics.collector.makeGauge(name: "chatixia_tasks", labels: [("state", taskState.rawValue)], help: "Tasks by state")
                    .set(Double(tasks[taskState] ?? 0))
            }
            metrics.hubSubscribers.set(Double(events.subscriberCount))
            var bytes: [UInt8] = []
            metrics.collector.emit(into: &bytes)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }
}
