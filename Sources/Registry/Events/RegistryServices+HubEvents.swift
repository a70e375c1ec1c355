import Foundation
import Hummingbird
import HummingbirdWebSocket
import MeshProtocol

extension RegistryServices {
    struct Snapshot: Encodable {
        let agents: [AgentRecord]
        let tasks: [MeshTask]
        let topology: Topology
        let pairing: [PairingEntry]?
    }

    var tooManyStreams: APIError {
        APIError(.tooManyRequests, "too many hub event connections for this credential", retryAfterSeconds: 5)
    }

    /// `GET /api/hub/events?token=<jwt>`: a snapshot, then every change as it happens.
    func addHubEventsRoute(to router: Router<RegistryContext>) {
        router.ws("api/hub/events") { request, context in
            try await context.refusingUpgrade {
                let identity = try await webSocketIdentity(request, clientIP: context.clientIP)
                guard events.streams(of: identity.peerId) < config.limits.webSocketsPerCredential else { throw tooManyStreams }
                return .upgrade([:])
            }
        } onUpgrade: { inbound, outbound, context in
            let identity = try await webSocketIdentity(context.request, clientIP: context.requestContext.clientIP)
            let queue = OutboundQueue()
            // Subscribe before the snapshot so no change falls between the two. Past the limit the upgrade was
            // refused already, unless two upgrades raced for the last stream.
            guard let subscription = events.subscribe(identity, queue: queue, limit: config.limits.webSocketsPerCredential)
            else {
                metrics.rateLimited.increment()
                try await outbound.close(.policyViolation, reason: tooManyStreams.message)
                return
            }
            let snapshot = Snapshot(
                agents: await state.listAgents(), tasks: await state.recentTasks(config.limits.snapshotTasks), topology: await state.topology(),
                pairing: identity.isAdmin ? await state.pairingEntries() : nil)
            try await outbound.write(.text(HubEvent(type: "snapshot", data: snapshot).frame))
            do {
                try await runWebSocketSession(inbound: inbound, outbound: outbound, queue: queue, maxMessageBytes: 1 << 16) { _ in }
            } catch {
                context.logger.debug("hub events connection ended", metadata: ["error": "\(error)"])
            }
            events.unsubscribe(subscription)
        }
    }
}
