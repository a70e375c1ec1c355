import MeshProtocol
import PeerConnection

extension Mesh {
    func handle(_ event: SignalingEvent) async {
        switch event {
        case .connected:
            signalingUp = true
            await refreshICEServers()
        case .disconnected:
            // Open channels stay; who is on signaling is unknown until the next `peer_list`.
            signalingUp = false
            present.removeAll()
        case .message(let message):
            await handle(message)
        }
    }

    private func handle(_ message: SignalingMessage) async {
        let from = message.peerId
        switch message.body {
        case .peerList(let listed):
            let peers = listed.filter { $0 != selfId }
            present = Set(peers)
            reportMeshStatus()
            for peer in peers.sorted() where links[peer] == nil {
                await offer(to: peer)
            }
        case .peerJoined(let peer):
            // The newcomer offers to us (it got a `peer_list` naming us).
            if peer != selfId { present.insert(peer) }
        case .peerLeft(let peer):
            present.remove(peer)
            cancelRetry(peer)
            earlyCandidates[peer] = nil
            // An open DataChannel outlives its peer's signaling; consent checks tell whether it is dead.
            if let link = links[peer], !link.isOpen { drop(link, reason: "the peer left signaling") }
        case .offer(let sdp):
            await answer(offer: sdp, from: from)
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

    /// Starts a connection to `remote` as the offerer.
    func offer(to remote: String) async {
        do {
            let link = try await makeLink(to: remote, role: .offerer)
            let sdp = try await link.driver.withConnection { connection, now in
                connection.createDataChannel(label: "mesh")
                return connection.createOffer(now: now).serialized()
            }
            guard links[remote] === link else { return }
            send(.offer(sdp: sdp), to: remote)
            descriptionSent(for: link)
        } catch {
            logger.error("cannot start a connection", metadata: ["remote": "\(remote)", "error": "\(error)"])
            if let link = links[remote] { drop(link, reason: "setup failed") }
            scheduleRetry(remote)
        }
    }

    private func answer(offer sdp: String, from remote: String) async {
        if let existing = links[remote] {
            if existing.role == .offerer, !existing.isOpen, selfId < remote {
                logger.debug("simultaneous offers: ours wins", metadata: ["remote": "\(remote)"])
                return
            }
            drop(existing, reason: existing.isOpen ? "the peer started a new connection" : "simultaneous offers: theirs wins")
        }
        let description: SessionDescription
        do {
            description = try SessionDescription(parsing: sdp)
        } catch {
            logger.warning("unusable offer", metadata: ["remote": "\(remote)", "error": "\(error)"])
            return
        }
        cancelRetry(remote)
        do {
            let link = try await makeLink(to: remote, role: .answerer)
            let early = earlyCandidates.removeValue(forKey: remote) ?? []
            let answer = try await link.driver.withConnection { connection, now in
                try connection.setRemoteDescription(description, now: now)
                for candidate in early { connection.addRemoteCandidate(candidate, now: now) }
                return try connection.createAnswer().serialized()
            }
            guard links[remote] === link else { return }
            send(.answer(sdp: answer), to: remote)
            descriptionSent(for: link)
        } catch {
            logger.warning("cannot answer an offer", metadata: ["remote": "\(remote)", "error": "\(error)"])
            if let link = links[remote] { drop(link, reason: "answer failed") }
        }
    }

    private func apply(answer sdp: String, from remote: String) async {
        guard let link = links[remote], link.role == .offerer, !link.remoteDescriptionApplied else { return }
        do {
            let description = try SessionDescription(parsing: sdp)
            try await link.driver.withConnection { connection, now in try connection.setRemoteDescription(description, now: now) }
            link.remoteDescriptionApplied = true
        } catch {
            logger.warning("unusable answer", metadata: ["remote": "\(remote)", "error": "\(error)"])
            drop(link, reason: "bad answer")
            scheduleRetry(remote)
        }
    }

    /// A trickled candidate; one for a peer we have no connection with yet is kept for its offer.
    private func addRemoteCandidate(_ text: String, from remote: String) async {
        guard !text.isEmpty, let candidate = try? ICECandidate(parsing: text) else { return }  // "" ends the candidates
        guard let link = links[remote] else {
            if present.contains(remote) || signalingUp {
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
