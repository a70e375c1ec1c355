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

    /// `GET /api/hub/events?token=<jwt>`: a snapshot, then every change as it happens.
    func addHubEventsRoute(to router: Router<RegistryContext>) {
        router.ws("api/hub/events") { request, _ in
            _ = try await webSocketIdentity(request)
            return .upgrade([:])
        } onUpgrade: { inbound, outbound, context in
            let identity = try await webSocketIdentity(context.request)
            let queue = OutboundQueue()
            // Subscribe before the snapshot so no change falls between the two.
            let subscription = events.subscribe(isAdmin: identity.isAdmin, queue: queue)
            let snapshot = Snapshot(
                agents: await state.listAgents(), tasks: await state.listTasks(), topology: await state.topology(),
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
