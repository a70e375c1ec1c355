import Prometheus

/// The registry's Prometheus metrics, in a registry of its own (not the process-global one), so
/// several registries in one test process never share counters.
final class RegistryMetrics: Sendable {
    let collector = PrometheusCollectorRegistry()
    let signalingConnections: Gauge
    let relayedMessages: Counter
    let hubSubscribers: Gauge

    init() {
        signalingConnections = collector.makeGauge(name: "chatixia_signaling_connections", help: "Open signaling WebSocket connections")
        relayedMessages = collector.makeCounter(name: "chatixia_signaling_relayed_total", help: "Signaling messages relayed between peers")
        hubSubscribers = collector.makeGauge(name: "chatixia_hub_event_subscribers", help: "Open hub event WebSockets")
    }
}
