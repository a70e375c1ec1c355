import MeshProtocol
import NIOCore

/// The lines to the agent: gathered per loop turn, counted until they are on its socket, held while no agent is
/// attached, and backpressure on the peers when it reads too slowly.
extension DataPlane {
    /// Takes the one agent slot for `handler`; false while another agent holds it. The new agent hears `ack` for its
    /// hello (`helloID`), `peer_connected` for every open channel, then the messages held for it.
    func attach(_ handler: IPCConnectionHandler, helloID: String?) -> Bool {
        loop.preconditionInEventLoop()
        guard agent == nil else { return false }
        agent = handler
        inFlightBytes = 0
        droppedLines = 0
        var greeting = ByteBuffer()
        if let helloID { greeting.writeString(IPCEvent.ack(id: helloID).line) }
        for peer in openPeers { greeting.writeString(IPCEvent.peerConnected(peer).line) }
        if greeting.readableBytes > 0 {
            pending.insert(greeting, at: 0)
            pendingBytes += greeting.readableBytes
        }
        scheduleFlush()
        return true
    }

    /// The agent is gone: what was on its way to it is lost with its socket, and what arrives now is held for the next.
    func detach(_ handler: IPCConnectionHandler) {
        loop.preconditionInEventLoop()
        guard agent === handler else { return }
        agent = nil
        pending.removeAll()
        pendingBytes = 0
        inFlightBytes = 0
        setPeersPaused(false)
    }

    /// An event for the attached agent (with none attached it is not kept: the next agent learns the open peers
    /// when it attaches).
    func deliver(_ event: IPCEvent) {
        loop.preconditionInEventLoop()
        guard agent != nil else { return }
        let line = event.line
        guard admit(line.utf8.count) else { return }
        queue(ByteBuffer(string: line))
    }

    /// A reply to `handler`'s command, if it is still the attached agent.
    func reply(_ event: IPCEvent, to handler: IPCConnectionHandler) {
        if agent === handler { deliver(event) }
    }

    /// A peer's MeshMessage for the agent, held if none is attached.
    func deliverMessage(_ message: UnsafeBufferPointer<UInt8>, quotedPeer: String) {
        let size = message.count + quotedPeer.utf8.count + 48
        guard admit(size) else { return }
        var line = ByteBuffer()
        line.reserveCapacity(size)
        IPCEvent.writeMessageLine(quotedPeer: quotedPeer, message: message, into: &line)
        queue(line)
    }

    /// Whether `bytes` more may wait for the agent; counts or reports what may not.
    private func admit(_ bytes: Int) -> Bool {
        if agent == nil {
            guard pendingBytes + bytes <= Self.maxHeldBytes else {
                logger.warning("no agent attached and the held messages are at their limit: dropping one", metadata: ["bytes": "\(bytes)"])
                return false
            }
        } else {
            guard inFlightBytes + pendingBytes + bytes <= Self.maxQueuedBytes else {
                droppedLines += 1
                logger.warning("agent reads too slowly: dropping an IPC event", metadata: ["queued_bytes": "\(Self.maxQueuedBytes)"])
                return false
            }
        }
        return true
    }

    /// Lines stay separate buffers until the socket takes them all in one gathering write: no copies to join them.
    private func queue(_ line: ByteBuffer) {
        pending.append(line)
        pendingBytes += line.readableBytes
        if inFlightBytes + pendingBytes > Self.highWater { setPeersPaused(true) }
        scheduleFlush()
    }

    /// Hands this turn's lines to the agent's channel once the loop has run what is ready now (one write for all).
    private func scheduleFlush() {
        guard agent != nil, !flushScheduled else { return }
        flushScheduled = true
        loop.assumeIsolated().execute { self.flush() }
    }

    func flush() {
        flushScheduled = false
        guard let agent, !pending.isEmpty else { return }
        let bytes = pendingBytes
        inFlightBytes += bytes
        let lines = pending
        pending.removeAll(keepingCapacity: true)
        pendingBytes = 0
        agent.write(lines).assumeIsolated().whenComplete { _ in self.written(bytes, to: agent) }
    }

    /// `bytes` reached `handler`'s socket (or failed to with it).
    private func written(_ bytes: Int, to handler: IPCConnectionHandler) {
        guard agent === handler else { return }
        inFlightBytes -= bytes
        let backlog = inFlightBytes + pendingBytes
        if backlog <= Self.lowWater { setPeersPaused(false) }
        if backlog == 0, droppedLines > 0 {
            let dropped = droppedLines
            droppedLines = 0
            deliver(.error(id: nil, "dropped \(dropped) events because the agent read too slowly"))
        }
    }

    /// Stops or resumes reading from every open peer; channels that open later follow `peersPaused`.
    func setPeersPaused(_ paused: Bool) {
        guard paused != peersPaused else { return }
        peersPaused = paused
        logger.debug(paused ? "agent backlogged: pausing peers" : "agent caught up: resuming peers")
        for route in routes.values where route.stream != nil { route.driver.setReceivePaused(paused) }
    }
}
