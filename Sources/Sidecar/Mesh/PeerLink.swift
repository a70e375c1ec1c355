import RTCTransport
import PeerConnection

/// One connection (an attempt or an open DataChannel) to a remote sidecar. Owned by the `Mesh` actor
/// and never shared outside it; events from an older link to the same peer are told apart by `generation`.
final class PeerLink {
    let remote: String
    let generation: UInt64
    let role: MeshPolicy.Role
    let driver: PeerConnectionDriver
    /// The `mesh` DataChannel's stream once it is open.
    var stream: UInt16?
    /// We offered (first, or to restart ICE) and the peer's answer has not come yet.
    var awaitingAnswer: Bool
    /// The `o=` session id of the peer's offer, when it offered: a later offer in the same session restarts ICE.
    var remoteSessionID: UInt64?
    /// Our candidates wait until our description has gone out, so the peer never gets them first.
    var descriptionSent = false
    var heldCandidates: [ICECandidate] = []
    var eventTask: Task<Void, Never>?

    var isOpen: Bool { stream != nil }

    init(remote: String, generation: UInt64, role: MeshPolicy.Role, driver: PeerConnectionDriver) {
        self.remote = remote
        self.generation = generation
        self.role = role
        self.driver = driver
        awaitingAnswer = role == .offerer
    }
}
