import STUN

/// A local and a remote candidate being checked (RFC 8445 §6.1.2).
struct ICECandidatePair: Sendable, Hashable {
    enum State: Sendable, Hashable {
        case waiting, inProgress, succeeded, failed
    }

    let local: ICELocalCandidate
    let remote: ICECandidateAddress
    var state = State.waiting
    var nominated = false
    /// The peer sent an authenticated check on this pair (it knows our password at that address).
    var checkedByPeer = false

    /// Whether application data (DTLS) may flow on this pair: our check succeeded, or the peer's did.
    var isValidated: Bool { state == .succeeded || checkedByPeer }

    /// RFC 8445 §6.1.2.3: 2^32·min(G,D) + 2·max(G,D) + (G > D ? 1 : 0), G the controlling side's priority.
    func priority(controlling: Bool) -> UInt64 {
        let g = UInt64(controlling ? local.candidate.priority : remote.priority)
        let d = UInt64(controlling ? remote.priority : local.candidate.priority)
        return (1 << 32) * min(g, d) + 2 * max(g, d) + (g > d ? 1 : 0)
    }

    var key: Key { Key(local: local.candidate.address, remote: remote.address) }

    /// A host candidate's address names its socket, a relay candidate's its allocation.
    struct Key: Hashable, Sendable {
        let local: TransportAddress
        let remote: TransportAddress
    }
}
