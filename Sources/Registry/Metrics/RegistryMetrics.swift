import Prometheus

/// The registry's Prometheus metrics, in a registry of its own (not the process-global one), so
/// several registries in one test process never share counters.
public final class RegistryMetrics: Sendable {
    let collector = PrometheusCollectorRegistry()
    let signalingConnections: Gauge
    let relayedMessages: Counter
    let hubSubscribers: Gauge
    // Signs of abuse (docs/alerts.yml has example alert rules on them).
    let authFailures: Counter
    let rateLimited: Counter
    let signalingRefused: Counter
    let revokedCredentialUses: Counter
    let leaseExpiries: Counter
    let storeFailures: Counter
    let storeConflicts: Counter
    let shortAPIKeys: Gauge

    init() {
        signalingConnections = collector.makeGauge(name: "chatixia_signaling_connections", help: "Open signaling WebSocket connections")
        relayedMessages = collector.makeCounter(name: "chatixia_signaling_relayed_total", help: "Signaling messages relayed between peers")
        hubSubscribers = collector.makeGauge(name: "chatixia_hub_event_subscribers", help: "Open hub event WebSockets")
        authFailures = collector.makeCounter(name: "chatixia_auth_failures_total", help: "Requests refused for missing, invalid or revoked credentials")
        rateLimited = collector.makeCounter(name: "chatixia_rate_limited_total", help: "Requests answered 429")
        signalingRefused = collector.makeCounter(name: "chatixia_signaling_refused_total", help: "Signaling frames refused (malformed, spoofed, unknown target)")
        revokedCredentialUses = collector.makeCounter(
            name: "chatixia_revoked_credential_uses_total", help: "Attempts with a revoked API key or device token, or a JWT minted from one")
        leaseExpiries = collector.makeCounter(name: "chatixia_task_lease_expiries_total", help: "Assigned tasks taken back from an agent that stopped heartbeating")
        shortAPIKeys = collector.makeGauge(name: "chatixia_short_api_keys", help: "Keys-file API keys shorter than 32 characters")
        storeFailures = collector.makeCounter(name: "chatixia_store_failures_total", help: "Changes whose commit failed (answered 503 and undone)")
        storeConflicts = collector.makeCounter(
            name: "chatixia_store_conflicts_total", help: "Changes that lost a race with another replica for the same record (answered 503 and undone)")
    }
}
