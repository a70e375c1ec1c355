import MeshProtocol

/// The agent's commands that need the mesh's view of who exists (its sends and messages run on the data plane).
extension Mesh: MeshCommands {
    func connect(to target: String) async -> MeshCommandError? {
        guard target != selfId else { return .ownPeer }
        guard links[target] == nil else { return nil }  // open or on its way
        guard policy.present.contains(target) else { return .unknownPeer(target) }
        await perform(policy.connect(to: target))
        return nil
    }

    func refusal(sendingTo target: String) -> MeshCommandError {
        policy.present.contains(target) || links[target] != nil ? .notConnected(target) : .unknownPeer(target)
    }
}
