import PeerConnection
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MeshProtocol

extension Mesh: IPCCommandHandler {
    func attach(_ session: IPCSession) {
        self.session = session
        for peer in openPeers { session.deliver(.peerConnected(peer)) }
        for event in heldForAgent { session.deliver(event) }
        heldForAgent.removeAll()
        heldBytes = 0
        caughtUpTask = Task { [weak self] in
            for await _ in session.caughtUp { await self?.agentCaughtUp(session) }
        }
        if !session.isBacklogged { setPeersPaused(false) }
    }

    func detach(_ session: IPCSession) {
        guard self.session === session else { return }
        self.session = nil
        caughtUpTask?.cancel()
        caughtUpTask = nil
        // Its sends waiting for a stalled peer's buffer to drain return now (what they queued stays queued).
        for link in links.values { link.releaseSenders() }
        // What arrives now is held (and paused for) on its own terms.
        setPeersPaused(false)
    }

    private func agentCaughtUp(_ session: IPCSession) {
        guard self.session === session else { return }
        setPeersPaused(false)
    }

    /// Delivers a peer's message to the agent, or holds it until an agent attaches. Either way, once
    /// too much waits, peers are no longer read until the agent catches up (backpressure).
    private func deliverToAgent(_ event: IPCEvent, bytes: Int) {
        if let session {
            if session.deliver(event) { setPeersPaused(true) }
        } else if heldBytes + bytes <= Self.maxHeldBytes {
            heldForAgent.append(event)
            heldBytes += bytes
            if heldBytes > IPCSession.highWater { setPeersPaused(true) }
        } else {
            logger.warning("no agent attached and the held messages are at their limit: dropping one", metadata: ["bytes": "\(bytes)"])
        }
    }

    /// Stops or resumes reading from every open peer; links that open later follow `peersPaused`.
    func setPeersPaused(_ paused: Bool) {
        guard paused != peersPaused else { return }
        peersPaused = paused
        logger.debug(paused ? "agent backlogged: pausing peers" : "agent caught up: resuming peers")
        for link in links.values where link.isOpen { link.driver.setReceivePaused(paused) }
    }

    func handle(_ command: IPCCommand.Kind, from agent: IPCSession) async throws(MeshCommandError) -> IPCEvent? {
        guard session === agent else { throw .agentDetached }
        switch command {
        case .send(let target, let message):
            guard let link = links[target], link.isOpen else {
                throw policy.present.contains(target) || links[target] != nil ? .notConnected(target) : .unknownPeer(target)
            }
            try await transmit(message, on: link, waitingAs: agent)
        case .broadcast(let message):
            for link in links.values where link.isOpen {
                do {
                    try await transmit(message, on: link, waitingAs: agent)
                } catch {
                    logger.warning("broadcast to one peer failed", metadata: ["remote": "\(link.remote)", "error": "\(error)"])
                }
            }
        case .listPeers:
            return .peerList(openPeers)
        case .connect(let target):
            guard target != selfId else { throw .ownPeer }
            guard links[target] == nil else { return nil }  // open or on its way
            guard policy.present.contains(target) else { throw .unknownPeer(target) }
            await perform(policy.connect(to: target))
        case .hello:
            break
        }
        return nil
    }

    /// Hands `text` to the link without waiting for its event loop; while more than `highWater` bytes
    /// wait to be sent, the caller (`agent`'s IPC command) waits for low water, as long as that agent is
    /// attached: backpressure, not memory.
    func transmit(_ text: String, on link: PeerLink, waitingAs agent: IPCSession? = nil) async throws(MeshCommandError) {
        guard let stream = link.stream else { throw .notConnected(link.remote) }
        let seen = link.lowWaterEvents
        link.driver.enqueue(.text(text), on: stream)
        guard link.driver.bufferedAmount > Self.highWater, agent == nil || session === agent else { return }
        if link.lowWaterEvents == seen { await withCheckedContinuation { link.addLowWaterWaiter($0) } }
        guard links[link.remote] === link else { throw .sendFailed(link.remote, "the connection closed") }
    }

    static let highWater = 8 << 20

    /// A message off a DataChannel: answered here if it is a mesh-level `ping`, else passed to the agent.
    func received(_ message: DataChannelMessage, from link: PeerLink) async {
        let text: String
        switch message {
        case .text(let value): text = value
        case .binary(let bytes): text = String(decoding: bytes, as: UTF8.self)
        }
        let utf8 = Array(text.utf8)
        guard let type = MeshMessage.peekType(utf8) else {
            logger.warning("dropping a DataChannel message that is not a JSON object", metadata: ["remote": "\(link.remote)", "bytes": "\(utf8.count)"])
            return
        }
        if type == .ping, let ping = try? JSONDecoder().decode(MeshMessage.self, from: Data(utf8)) {
            if let reply = IPCCommand.compactJSON(ping.pong) { try? await transmit(reply, on: link) }
            return
        }
        // The IPC line must stay one line. The scanner accepted the message, and JSON strings cannot hold raw
        // line breaks, so any there are whitespace between tokens and can go.
        var line = text
        if utf8.contains(where: { $0 == 0x0A || $0 == 0x0D }) {
            line = String(decoding: utf8.filter { $0 != 0x0A && $0 != 0x0D }, as: UTF8.self)
        }
        deliverToAgent(.message(fromPeer: link.remote, message: line), bytes: line.utf8.count)
    }
}
