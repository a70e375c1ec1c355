import PeerConnection

/// The sidecar's decisions about its mesh, sans-IO (CONTRACT.md §3): whoever receives `peer_list` offers to
/// each listed peer it has no connection to; of two simultaneous offers the smaller peer_id's wins; a
/// connection that fails, or has not opened its DataChannel `attemptTimeout` after our description went out,
/// is tried again after a jittered, growing wait while the peer is on signaling; signaling gaps never close
/// open connections. An open connection whose path is lost (consent checks unanswered) or whose local addresses
/// changed is restarted (ICE restart over the same DTLS and SCTP) by the side that offered it; one not back
/// `restartTimeout` after the restart is dropped and tried again from scratch.
///
/// Fed what signaling and the links report and the time, it answers with actions; `Mesh` carries them out
/// (drivers, signaling frames, the agent) and calls `handleTimeout` at `deadline`.
struct MeshPolicy {
    enum Role: String, Sendable {
        case offerer, answerer
    }

    enum Action: Sendable, Equatable {
        /// Connect to the peer as the offerer, on a new link numbered `generation`.
        case offer(to: String, generation: UInt64)
        /// Answer the peer's offer on a new link numbered `generation`.
        case answer(from: String, generation: UInt64)
        /// Close link `generation` to the peer; `wasOpen` says whether its DataChannel had opened.
        case drop(String, generation: UInt64, wasOpen: Bool, reason: String)
        /// The set of open connections changed: tell the registry (`mesh_status`).
        case reportStatus
        /// Restart ICE on open link `generation` (we offered it): a restart offer goes to the peer.
        case restartICE(String, generation: UInt64)
        /// Apply the peer's restart offer to open link `generation` and answer it.
        case answerRestart(from: String, generation: UInt64)
    }

    struct Link: Sendable, Equatable {
        let generation: UInt64
        let role: Role
        var isOpen = false
        /// When an attempt that has not opened by then is abandoned.
        var attemptDeadline: Duration?
        /// When an ICE restart that has not reconnected by then is given up (the link is dropped).
        var restartDeadline: Duration?
        /// A restart waits for signaling to come back.
        var restartPending = false
    }

    static let attemptTimeout: Duration = .seconds(15)
    /// The reason of a drop for `attemptTimeout` (a warning in the sidecar's log; other attempts end quietly).
    static let attemptTimedOut = "attempt timed out"
    static let retryBackoff = (initial: Duration.seconds(1), maximum: Duration.seconds(30))
    /// How long an ICE restart may take. Consent is lost 6 s into an outage; with this a dead peer is still reported
    /// within CONTRACT.md's 10 s, while a restart on a live network takes milliseconds.
    static let restartTimeout: Duration = .seconds(3)
    /// The reason of a drop for `restartTimeout`.
    static let restartFailed = "the ICE restart did not reconnect"


    let selfId: String
    /// Peers the registry says are on signaling now (from `peer_list`, `peer_joined`, `peer_left`).
    private(set) var present: Set<String> = []
    private(set) var signalingUp = false
    private(set) var links: [String: Link] = [:]
    private var backoff: [String: Backoff] = [:]
    private var retryAt: [String: Duration] = [:]
    private var nextGeneration: UInt64 = 0
    private var random: RandomSource

    init(selfId: String, random: RandomSource = .system()) {
        self.selfId = selfId
        self.random = random
    }

    /// When `handleTimeout` should next run.
    var deadline: Duration? {
        (links.values.compactMap(\.attemptDeadline) + links.values.compactMap(\.restartDeadline) + retryAt.values).min()
    }

    // MARK: Signaling

    /// Restarts that waited for signaling go out now.
    mutating func signalingConnected(now: Duration) -> [Action] {
        signalingUp = true
        return links.filter(\.value.restartPending).keys.sorted().flatMap { restart($0, now: now) }
    }

    /// Open connections stay; who is on signaling is unknown until the next `peer_list`, and no retry runs meanwhile.
    mutating func signalingDisconnected() {
        signalingUp = false
        present.removeAll()
        retryAt.removeAll()
    }

    mutating func peerList(_ listed: [String]) -> [Action] {
        let peers = listed.filter { $0 != selfId }
        present = Set(peers)
        var actions: [Action] = [.reportStatus]
        for peer in peers.sorted() where links[peer] == nil { actions.append(newLink(to: peer, role: .offerer)) }
        return actions
    }

    /// The newcomer offers to us (it got a `peer_list` naming us).
    mutating func peerJoined(_ peer: String) {
        if peer != selfId { present.insert(peer) }
    }

    /// An open connection outlives its peer's signaling (consent checks tell whether it is dead); an attempt
    /// does not, nor does a waiting retry.
    mutating func peerLeft(_ peer: String) -> [Action] {
        present.remove(peer)
        cancelRetry(peer)
        guard let link = links[peer], !link.isOpen else { return [] }
        return end(peer, reason: "the peer left signaling", retry: false, now: nil)
    }

    /// An offer arrived. Against our own unanswered offer the smaller peer_id wins: ours is kept and theirs
    /// ignored (no actions), or ours is dropped and theirs answered. An open connection the peer replaces is dropped.
    mutating func offerReceived(from remote: String) -> [Action] {
        var actions: [Action] = []
        if let existing = links[remote] {
            if existing.role == .offerer, !existing.isOpen, selfId < remote { return [] }
            actions += end(remote, reason: existing.isOpen ? "the peer started a new connection" : "simultaneous offers: theirs wins", retry: false, now: nil)
        }
        cancelRetry(remote)
        actions.append(newLink(to: remote, role: .answerer))
        return actions
    }

    /// The peer restarts ICE on the link it offered us (the same SDP session): we answer on that link. A restart of
    /// a link we do not have, or have not opened, is ignored; the peer then gives up on it and connects anew.
    mutating func restartOfferReceived(from remote: String, now: Duration) -> [Action] {
        guard var link = links[remote], link.isOpen, link.role == .answerer else { return [] }
        link.restartDeadline = now + Self.restartTimeout
        links[remote] = link
        return [.answerRestart(from: remote, generation: link.generation)]
    }

    /// The agent asks for a connection: an offer unless one is open or on its way.
    mutating func connect(to remote: String) -> [Action] {
        links[remote] == nil ? [newLink(to: remote, role: .offerer)] : []
    }

    // MARK: Links

    /// Our description for link `generation` went out: the attempt now has `attemptTimeout` to open.
    mutating func descriptionSent(to remote: String, generation: UInt64, now: Duration) {
        guard links[remote]?.generation == generation, links[remote]?.isOpen == false else { return }
        links[remote]?.attemptDeadline = now + Self.attemptTimeout
    }

    mutating func linkOpened(_ remote: String, generation: UInt64) -> [Action] {
        guard var link = links[remote], link.generation == generation, !link.isOpen else { return [] }
        link.isOpen = true
        link.attemptDeadline = nil
        links[remote] = link
        backoff[remote] = nil
        return [.reportStatus]
    }

    /// Open link `generation` stopped answering consent checks: its offerer restarts ICE; its answerer waits for that.
    mutating func linkDisconnected(_ remote: String, generation: UInt64, now: Duration) -> [Action] {
        guard let link = links[remote], link.generation == generation, link.isOpen, link.role == .offerer,
            link.restartDeadline == nil
        else { return [] }
        return restart(remote, now: now)
    }

    /// Link `generation` answers consent checks again (a restart, or the old path, came back). Returns whether
    /// a restart was under way.
    mutating func linkReconnected(_ remote: String, generation: UInt64) -> Bool {
        guard var link = links[remote], link.generation == generation else { return false }
        defer {
            link.restartDeadline = nil
            link.restartPending = false
            links[remote] = link
        }
        return link.restartDeadline != nil
    }

    /// Our local addresses changed: every open link we offered restarts ICE at once (the peers of the others
    /// restart theirs when their consent checks go unanswered).
    mutating func addressesChanged(now: Duration) -> [Action] {
        links.filter { $0.value.isOpen && $0.value.role == .offerer }.keys.sorted().flatMap { restart($0, now: now) }
    }

    /// Link `generation` ended (failed, closed, or could not be set up); with `retry` the peer is tried again
    /// after a backoff while it is on signaling.
    mutating func linkEnded(_ remote: String, generation: UInt64, reason: String, retry: Bool, now: Duration) -> [Action] {
        guard links[remote]?.generation == generation else { return [] }
        return end(remote, reason: reason, retry: retry, now: now)
    }

    // MARK: Time

    mutating func handleTimeout(now: Duration) -> [Action] {
        var actions: [Action] = []
        for (remote, link) in links.sorted(by: { $0.key < $1.key }) {
            if (link.attemptDeadline ?? now + .seconds(1)) <= now {
                actions += end(remote, reason: Self.attemptTimedOut, retry: true, now: now)
            } else if (link.restartDeadline ?? now + .seconds(1)) <= now {
                actions += end(remote, reason: Self.restartFailed, retry: true, now: now)
            }
        }
        for (remote, due) in retryAt.sorted(by: { $0.key < $1.key }) where due <= now {
            retryAt[remote] = nil
            if signalingUp, present.contains(remote), links[remote] == nil { actions.append(newLink(to: remote, role: .offerer)) }
        }
        return actions
    }

    // MARK: Internals

    private mutating func newLink(to remote: String, role: Role) -> Action {
        nextGeneration += 1
        links[remote] = Link(generation: nextGeneration, role: role)
        return role == .offerer ? .offer(to: remote, generation: nextGeneration) : .answer(from: remote, generation: nextGeneration)
    }

    /// Restarts ICE on open link `remote`, or holds the restart until signaling is back; either way the link has
    /// `restartTimeout` from now (a restart held that long is given up).
    private mutating func restart(_ remote: String, now: Duration) -> [Action] {
        guard var link = links[remote] else { return [] }
        link.restartDeadline = now + Self.restartTimeout
        link.restartPending = !signalingUp
        links[remote] = link
        return signalingUp ? [.restartICE(remote, generation: link.generation)] : []
    }

    private mutating func end(_ remote: String, reason: String, retry: Bool, now: Duration?) -> [Action] {
        guard let link = links.removeValue(forKey: remote) else { return [] }
        var actions: [Action] = [.drop(remote, generation: link.generation, wasOpen: link.isOpen, reason: reason)]
        if link.isOpen { actions.append(.reportStatus) }
        if retry, let now { scheduleRetry(remote, now: now) }
        return actions
    }

    private mutating func scheduleRetry(_ remote: String, now: Duration) {
        guard signalingUp, present.contains(remote), retryAt[remote] == nil else { return }
        var peerBackoff = backoff[remote] ?? Backoff(initial: Self.retryBackoff.initial, maximum: Self.retryBackoff.maximum)
        retryAt[remote] = now + peerBackoff.next(using: &random)
        backoff[remote] = peerBackoff
    }

    private mutating func cancelRetry(_ remote: String) {
        retryAt[remote] = nil
        backoff[remote] = nil
    }
}
