import MeshProtocol
import PeerConnection

extension Mesh {
    func handle(_ event: SignalingEvent) async {
        switch event {
        case .connected:
            // Restarts waiting for signaling go out first; the ICE servers are fetched meanwhile, for new links only
            // (`makeLink` waits for them), so a slow registry API holds up no answer or candidate.
            await perform(policy.signalingConnected(now: now))
            iceRefresh = Task { await self.refreshICEServers() }
        case .disconnected:
            policy.signalingDisconnected()
            armTimer()
        case .message(let message):
            await handle(message)
        }
    }

    private func handle(_ message: SignalingMessage) async {
        let from = message.peerId
        switch message.body {
        case .peerList(let listed):
            await perform(policy.peerList(listed))
        case .peerJoined(let peer):
            policy.peerJoined(peer)
        case .peerLeft(let peer):
            earlyCandidates[peer] = nil
            await perform(policy.peerLeft(peer))
        case .offer(let sdp):
            await received(offer: sdp, from: from)
        case .answer(let sdp):
            await apply(answer: sdp, from: from)
        case .iceCandidate(let candidate, _, _):
            await addRemoteCandidate(candidate, from: from)
        case .error(let reason):
            logger.warning("the registry refused a signaling frame", metadata: ["error": "\(reason)"])
        case .register, .heartbeat, .meshStatus, .unknown:
            break
        }
    }

    /// Starts link `generation` to `remote`, as the offerer or answering `offer`, and sends our description.
    func startLink(to remote: String, generation: UInt64, answering offer: SessionDescription?) async {
        do {
            let link = try await makeLink(to: remote, generation: generation, role: offer == nil ? .offerer : .answerer)
            let early = offer == nil ? [] : earlyCandidates.removeValue(forKey: remote) ?? []
            let sdp = try await link.driver.withConnection { connection, now in
                guard let offer else {
                    connection.createDataChannel(label: "mesh")
                    return connection.createOffer(now: now).serialized()
                }
                try connection.setRemoteDescription(offer, now: now)
                for candidate in early { connection.addRemoteCandidate(candidate, now: now) }
                return try connection.createAnswer().serialized()
            }
            guard links[remote] === link else { return }
            link.remoteSessionID = offer?.origin.sessionID
            send(offer == nil ? .offer(sdp: sdp) : .answer(sdp: sdp), to: remote)
            descriptionSent(for: link)
        } catch {
            logger.warning(offer == nil ? "cannot start a connection" : "cannot answer an offer", metadata: ["remote": "\(remote)", "error": "\(error)"])
            // Our own attempt is tried again later; a failed answer waits for the peer's next offer.
            await perform(policy.linkEnded(
                remote, generation: generation, reason: offer == nil ? "setup failed" : "answer failed", retry: offer == nil, now: now))
        }
    }

    private func received(offer sdp: String, from remote: String) async {
        let description: SessionDescription
        do {
            description = try SessionDescription(parsing: sdp)
        } catch {
            logger.warning("unusable offer", metadata: ["remote": "\(remote)", "error": "\(error)"])
            return
        }
        if let link = links[remote], link.role == .answerer, link.remoteSessionID == description.origin.sessionID {
            // The same session: the peer restarts ICE on this link rather than starting a new one.
            await perform(policy.restartOfferReceived(from: remote, now: now), answering: description)
            return
        }
        let actions = policy.offerReceived(from: remote)
        if actions.isEmpty { logger.debug("simultaneous offers: ours wins", metadata: ["remote": "\(remote)"]) }
        await perform(actions, answering: description)
    }

    private func apply(answer sdp: String, from remote: String) async {
        guard let link = links[remote], link.role == .offerer, link.awaitingAnswer else { return }
        do {
            let description = try SessionDescription(parsing: sdp)
            try await link.driver.withConnection { connection, now in try connection.setRemoteDescription(description, now: now) }
            link.awaitingAnswer = false
        } catch {
            logger.warning("unusable answer", metadata: ["remote": "\(remote)", "error": "\(error)"])
            await linkEnded(link, reason: "bad answer", retry: true)
        }
    }

    /// Restarts ICE on open link `generation`, its DTLS and SCTP carrying on: as the link's offerer (`offer` nil) a
    /// restart offer goes to the peer; as its answerer, the peer's restart `offer` is answered. Either way the sockets
    /// follow the machine's addresses first, and our new candidates follow our description.
    func restartLink(_ remote: String, generation: UInt64, answering offer: SessionDescription?) async {
        guard let link = links[remote], link.generation == generation else { return }
        logger.info(offer == nil ? "restarting ICE" : "the peer restarts ICE", metadata: ["remote": "\(remote)"])
        link.descriptionSent = false
        do {
            try await link.driver.rebind(hosts: knownHosts)
            let sdp = try await link.driver.withConnection { connection, now in
                guard let offer else { return try connection.restartICE(now: now).serialized() }
                try connection.setRemoteDescription(offer, now: now)
                return try connection.createAnswer().serialized()
            }
            guard links[remote] === link else { return }
            link.awaitingAnswer = offer == nil
            send(offer == nil ? .offer(sdp: sdp) : .answer(sdp: sdp), to: remote)
            descriptionSent(for: link)
        } catch {
            logger.warning(offer == nil ? "cannot restart ICE" : "cannot answer an ICE restart", metadata: ["remote": "\(remote)", "error": "\(error)"])
            await linkEnded(link, reason: "ICE restart failed", retry: true)
        }
    }

    /// A trickled candidate; one for a peer we have no connection with yet is kept for its offer.
    private func addRemoteCandidate(_ text: String, from remote: String) async {
        guard !text.isEmpty, let candidate = try? ICECandidate(parsing: text) else { return }  // "" ends the candidates
        guard let link = links[remote] else {
            if policy.present.contains(remote) || policy.signalingUp {
                earlyCandidates[remote, default: []].append(candidate)
                if earlyCandidates[remote]!.count > 32 { earlyCandidates[remote]!.removeFirst() }
            }
            return
        }
        _ = try? await link.driver.withConnection { connection, now in connection.addRemoteCandidate(candidate, now: now) }
    }

    func sendCandidate(_ candidate: ICECandidate, to remote: String) {
        send(.iceCandidate(candidate: candidate.candidateAttribute, sdpMid: "0", sdpMLineIndex: 0), to: remote)
    }

    private func send(_ body: SignalingBody, to remote: String) {
        signaling.send(SignalingMessage(peerId: selfId, targetId: remote, body))
    }
}
