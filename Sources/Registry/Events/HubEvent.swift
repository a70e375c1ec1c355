import Foundation
import MeshProtocol

/// A change pushed to dashboards over `/api/hub/events`: `{"type", "data"}`.
public struct HubEvent: Sendable {
    public enum Audience: Sendable { case everyone, adminsOnly }

    public let type: String
    /// The whole frame, encoded once for every subscriber.
    public let frame: String
    public let audience: Audience
    /// What a `task` or `task_progress` event tells those watching that one task.
    let change: (taskId: String, TaskChange)?

    init(type: String, data: some Encodable, audience: Audience = .everyone, change: (taskId: String, TaskChange)? = nil) {
        self.type = type
        self.audience = audience
        self.change = change
        let encoded = (try? JSONEncoder().encode(EventFrame(type: type, data: data))) ?? Data()
        self.frame = String(decoding: encoded, as: UTF8.self)
    }

    static func agent(_ record: AgentRecord) -> HubEvent { HubEvent(type: "agent", data: record) }
    static func agentRemoved(_ agentId: String) -> HubEvent { HubEvent(type: "agent_removed", data: ["agent_id": agentId]) }
    static func task(_ task: MeshTask) -> HubEvent { HubEvent(type: "task", data: task, change: (task.id, .task(task))) }
    /// The answer so far of a task being worked on; not stored.
    static func taskProgress(_ taskId: String, text: String) -> HubEvent {
        HubEvent(type: "task_progress", data: ["task_id": taskId, "text": text], change: (taskId, .progress(text)))
    }
    static func pairing(_ entry: PairingEntry) -> HubEvent { HubEvent(type: "pairing", data: entry, audience: .adminsOnly) }
    static func topology(_ topology: Topology) -> HubEvent { HubEvent(type: "topology", data: topology) }
}

private struct EventFrame<Payload: Encodable>: Encodable {
    let type: String
    let data: Payload
}

/// A change of one task, for those watching it: its new state, or the text of its answer so far.
enum TaskChange: Sendable {
    case task(MeshTask)
    case progress(String)
}
