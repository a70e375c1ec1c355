import Foundation
import MeshProtocol

/// A change pushed to dashboards over `/api/hub/events`: `{"type", "data"}`.
public struct HubEvent: Sendable {
    public enum Audience: Sendable { case everyone, adminsOnly }

    public let type: String
    /// The whole frame, encoded once for every subscriber.
    public let frame: String
    public let audience: Audience
    /// The task a `task` event carries, for those watching that one task.
    let task: MeshTask?

    init(type: String, data: some Encodable, audience: Audience = .everyone, task: MeshTask? = nil) {
        self.type = type
        self.audience = audience
        self.task = task
        let encoded = (try? JSONEncoder().encode(EventFrame(type: type, data: data))) ?? Data()
        self.frame = String(decoding: encoded, as: UTF8.self)
    }

    static func agent(_ record: AgentRecord) -> HubEvent { HubEvent(type: "agent", data: record) }
    static func agentRemoved(_ agentId: String) -> HubEvent { HubEvent(type: "agent_removed", data: ["agent_id": agentId]) }
    static func task(_ task: MeshTask) -> HubEvent { HubEvent(type: "task", data: task, task: task) }
    static func pairing(_ entry: PairingEntry) -> HubEvent { HubEvent(type: "pairing", data: entry, audience: .adminsOnly) }
    static func topology(_ topology: Topology) -> HubEvent { HubEvent(type: "topology", data: topology) }
}

private struct EventFrame<Payload: Encodable>: Encodable {
    let type: String
    let data: Payload
}
