import PeerConnection
import RTCTestSupport
import Testing

@testable import Sidecar

/// The mesh's decisions on a virtual clock: who offers, glare, retries and their backoff, attempt timeouts, ICE restarts.
@Suite struct MeshPolicyTests {
    func policy(_ selfId: String = "b", seed: UInt64 = 1) -> MeshPolicy {
        var policy = MeshPolicy(selfId: selfId, random: RandomSource(SplitMix64(seed: seed)))
        _ = policy.signalingConnected(now: .zero)
        return policy
    }

    /// The generation of the `.offer` or `.answer` among `actions` to `remote`.
    func generation(_ actions: [MeshPolicy.Action], _ remote: String) -> UInt64? {
        for action in actions {
            switch action {
            case .offer(remote, let generation), .answer(remote, let generation): return generation
            default: continue
            }
        }
        return nil
    }

    func offers(_ actions: [MeshPolicy.Action]) -> [String] {
        actions.compactMap { if case .offer(let remote, _) = $0 { remote } else { nil } }
    }

    @Test func aPeerListIsOfferedToInOrderExceptOurselvesAndPeersWeHaveALinkTo() {
        var mesh = policy("b")
        let first = mesh.peerList(["d", "b", "a"])
        #expect(first.first == .reportStatus)
        #expect(offers(first) == ["a", "d"])
        #expect(mesh.present == ["a", "d"])
        // A later list (signaling reconnected) offers only to the newcomer.
        #expect(offers(mesh.peerList(["a", "c", "d"])) == ["c"])
        // Joining peers offer to us: we wait.
        mesh.peerJoined("e")
        #expect(mesh.links["e"] == nil)
        #expect(mesh.present.contains("e"))
    }

    @Test func simultaneousOffersLeaveTheSmallerPeerIdsOffer() throws {
        // "a" < "b": a keeps its own offer and ignores b's; b drops its offer and answers a's.
        var a = policy("a")
        let aOffer = try #require(generation(a.peerList(["a", "b"]), "b"))
        #expect(a.offerReceived(from: "b").isEmpty)
        #expect(a.links["b"]?.generation == aOffer)

        var b = policy("b")
        let bOffer = try #require(generation(b.peerList(["a", "b"]), "a"))
        let actions = b.offerReceived(from: "a")
        #expect(actions.first == .drop("a", generation: bOffer, wasOpen: false, reason: "simultaneous offers: theirs wins"))
        let answer = try #require(generation(actions, "a"))
        #expect(actions.last == .answer(from: "a", generation: answer))
        #expect(b.links["a"]?.role == .answerer)
    }

    @Test func anOpenConnectionThePeerReplacesIsDroppedAndReported() throws {
        var mesh = policy("a")
        let link = try #require(generation(mesh.peerList(["b"]), "b"))
        #expect(mesh.linkOpened("b", generation: link) == [.reportStatus])
        let actions = mesh.offerReceived(from: "b")
        #expect(actions.prefix(2) == [.drop("b", generation: link, wasOpen: true, reason: "the peer started a new connection"), .reportStatus])
        #expect(generation(actions, "b") != nil)
    }

    @Test func aFailedLinkIsRetriedAfterAGrowingJitteredWaitUntilItOpens() throws {
        var mesh = policy("a", seed: 7)
        var link = try #require(generation(mesh.peerList(["b"]), "b"))
        var now = Duration.zero
        var ceiling = MeshPolicy.retryBackoff.initial
        for _ in 0..<7 {
            let ended = mesh.linkEnded("b", generation: link, reason: "connection failed", retry: true, now: now)
            #expect(ended == [.drop("b", generation: link, wasOpen: false, reason: "connection failed")])
            let due = try #require(mesh.deadline)
            #expect(due - now >= ceiling / 2 && due - now <= ceiling, "wait \(due - now) for ceiling \(ceiling)")
            // Nothing happens before the wait is over.
            #expect(mesh.handleTimeout(now: due - .milliseconds(1)).isEmpty)
            now = due
            let retried = mesh.handleTimeout(now: now)
            #expect(offers(retried) == ["b"])
            link = try #require(generation(retried, "b"))
            ceiling = min(ceiling * 2, MeshPolicy.retryBackoff.maximum)
        }
        #expect(ceiling == MeshPolicy.retryBackoff.maximum)
        // Once a channel opens the backoff starts over.
        _ = mesh.linkOpened("b", generation: link)
        _ = mesh.linkEnded("b", generation: link, reason: "connection closed", retry: true, now: now)
        #expect(try #require(mesh.deadline) - now <= MeshPolicy.retryBackoff.initial)
    }

    @Test func anAttemptThatDoesNotOpenInTimeIsDroppedAndRetried() throws {
        var mesh = policy("a")
        let link = try #require(generation(mesh.peerList(["b"]), "b"))
        // The attempt's clock starts when our description goes out.
        #expect(mesh.deadline == nil)
        mesh.descriptionSent(to: "b", generation: link, now: .seconds(2))
        #expect(mesh.deadline == .seconds(2) + MeshPolicy.attemptTimeout)
        #expect(mesh.handleTimeout(now: .seconds(16)).isEmpty)
        #expect(mesh.handleTimeout(now: .seconds(17)) == [.drop("b", generation: link, wasOpen: false, reason: "attempt timed out")])
        let retryAt = try #require(mesh.deadline)
        #expect(offers(mesh.handleTimeout(now: retryAt)) == ["b"])
    }

    @Test func anOpenLinkHasNoAttemptTimeout() throws {
        var mesh = policy("a")
        let link = try #require(generation(mesh.peerList(["b"]), "b"))
        mesh.descriptionSent(to: "b", generation: link, now: .zero)
        _ = mesh.linkOpened("b", generation: link)
        #expect(mesh.deadline == nil)
        #expect(mesh.handleTimeout(now: .seconds(60)).isEmpty)
    }

    @Test func aPeerLeavingSignalingEndsItsAttemptAndRetryButNotItsOpenConnection() throws {
        var mesh = policy("a")
        let actions = mesh.peerList(["b", "c"])
        let toB = try #require(generation(actions, "b"))
        let toC = try #require(generation(actions, "c"))
        _ = mesh.linkOpened("c", generation: toC)
        #expect(mesh.peerLeft("b") == [.drop("b", generation: toB, wasOpen: false, reason: "the peer left signaling")])
        #expect(mesh.peerLeft("c").isEmpty)
        #expect(mesh.links["c"]?.isOpen == true)
        // A retry waiting for a peer that then leaves never runs.
        mesh.peerJoined("b")
        let again = try #require(generation(mesh.connect(to: "b"), "b"))
        _ = mesh.linkEnded("b", generation: again, reason: "connection failed", retry: true, now: .zero)
        #expect(mesh.deadline != nil)
        _ = mesh.peerLeft("b")
        #expect(mesh.deadline == nil)
    }

    @Test func noRetriesWhileSignalingIsDownAndOpenConnectionsStay() throws {
        var mesh = policy("a")
        let actions = mesh.peerList(["b", "c"])
        let toB = try #require(generation(actions, "b"))
        let toC = try #require(generation(actions, "c"))
        _ = mesh.linkOpened("c", generation: toC)
        _ = mesh.linkEnded("b", generation: toB, reason: "connection failed", retry: true, now: .zero)
        mesh.signalingDisconnected()
        #expect(mesh.deadline == nil)
        #expect(mesh.present.isEmpty)
        #expect(mesh.links["c"]?.isOpen == true)
        // A link failing meanwhile is not retried: nobody is known to be there.
        _ = mesh.linkEnded("c", generation: toC, reason: "connection failed", retry: true, now: .seconds(1))
        #expect(mesh.deadline == nil)
        // Back on signaling, its peer_list offers again.
        #expect(mesh.signalingConnected(now: .seconds(2)).isEmpty)
        #expect(offers(mesh.peerList(["b", "c"])) == ["b", "c"])
    }

    @Test func newsOfAnOlderLinkChangesNothing() throws {
        var mesh = policy("b")
        let old = try #require(generation(mesh.peerList(["a"]), "a"))
        let new = try #require(generation(mesh.offerReceived(from: "a"), "a"))
        #expect(new != old)
        #expect(mesh.linkOpened("a", generation: old).isEmpty)
        #expect(mesh.linkEnded("a", generation: old, reason: "connection failed", retry: true, now: .zero).isEmpty)
        #expect(mesh.links["a"]?.generation == new)
        #expect(mesh.links["a"]?.isOpen == false)
        // The agent's connect does nothing while a link is on its way.
        #expect(mesh.connect(to: "a").isEmpty)
    }

    /// An open link "b" offered to "a" (or answered, for `role: .answerer`), at time zero.
    func openLink(_ mesh: inout MeshPolicy, to remote: String, role: MeshPolicy.Role) throws -> UInt64 {
        let actions = role == .offerer ? mesh.peerList([remote]) : mesh.offerReceived(from: remote)
        let opened = try #require(generation(actions, remote))
        _ = mesh.linkOpened(remote, generation: opened)
        return opened
    }

    @Test func aLostPathIsRestartedByItsOffererAndGivenUpAfterTheRestartTimeout() throws {
        var mesh = policy("b")
        let link = try openLink(&mesh, to: "a", role: .offerer)
        let lostAt = Duration.seconds(6)
        #expect(mesh.linkDisconnected("a", generation: link, now: lostAt) == [.restartICE("a", generation: link)])
        // A second report of the same loss does not restart again.
        #expect(mesh.linkDisconnected("a", generation: link, now: lostAt + .milliseconds(10)).isEmpty)
        #expect(mesh.deadline == lostAt + MeshPolicy.restartTimeout)
        #expect(mesh.handleTimeout(now: lostAt + .seconds(1)).isEmpty)
        // Not back in time: dropped (the agent hears of it) and tried again from scratch.
        let actions = mesh.handleTimeout(now: lostAt + MeshPolicy.restartTimeout)
        #expect(actions.first == .drop("a", generation: link, wasOpen: true, reason: MeshPolicy.restartFailed))
        #expect(actions.contains(.reportStatus))
        #expect(mesh.links["a"] == nil)
        #expect(offers(mesh.handleTimeout(now: try #require(mesh.deadline))) == ["a"])
    }

    @Test func aRestartThatReconnectsKeepsTheLinkAndItsGeneration() throws {
        var mesh = policy("b")
        let link = try openLink(&mesh, to: "a", role: .offerer)
        _ = mesh.linkDisconnected("a", generation: link, now: .seconds(6))
        let restarted = mesh.linkReconnected("a", generation: link)
        #expect(restarted)
        #expect(mesh.deadline == nil)
        #expect(mesh.handleTimeout(now: .seconds(60)).isEmpty)
        #expect(mesh.links["a"]?.generation == link && mesh.links["a"]?.isOpen == true)
        // Consent coming back on the old path is no restart.
        let restartedAgain = mesh.linkReconnected("a", generation: link)
        #expect(!restartedAgain)
    }

    @Test func theAnswererWaitsForTheOfferersRestartAndAnswersItOnTheSameLink() throws {
        var mesh = policy("b")
        let link = try openLink(&mesh, to: "a", role: .answerer)
        #expect(mesh.linkDisconnected("a", generation: link, now: .seconds(6)).isEmpty)
        #expect(mesh.deadline == nil)
        #expect(mesh.restartOfferReceived(from: "a", now: .seconds(6)) == [.answerRestart(from: "a", generation: link)])
        #expect(mesh.deadline == .seconds(6) + MeshPolicy.restartTimeout)
        // A restart for a link we do not have (or have not opened) is ignored: its offerer gives up and connects anew.
        #expect(mesh.restartOfferReceived(from: "c", now: .seconds(6)).isEmpty)
        var offerer = policy("b")
        _ = try openLink(&offerer, to: "a", role: .offerer)
        #expect(offerer.restartOfferReceived(from: "a", now: .seconds(6)).isEmpty)
    }

    @Test func changedAddressesRestartTheLinksWeOfferedOnceSignalingIsUp() throws {
        var mesh = policy("b")
        let offered = try openLink(&mesh, to: "a", role: .offerer)
        _ = try openLink(&mesh, to: "c", role: .answerer)
        let attempt = try #require(generation(mesh.peerList(["a", "d"]), "d"))  // not open: nothing to restart
        mesh.signalingDisconnected()
        #expect(mesh.addressesChanged(now: .seconds(1)).isEmpty)
        #expect(mesh.links["a"]?.restartPending == true)
        #expect(mesh.links["d"]?.generation == attempt)
        // Signaling back: the restart goes out, with its full time from then.
        #expect(mesh.signalingConnected(now: .seconds(2)) == [.restartICE("a", generation: offered)])
        #expect(mesh.links["a"]?.restartDeadline == .seconds(2) + MeshPolicy.restartTimeout)
        #expect(mesh.signalingConnected(now: .seconds(3)).isEmpty)
    }
}
