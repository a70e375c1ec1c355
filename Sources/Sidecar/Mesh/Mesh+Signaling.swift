import MeshProtocol
import PeerConnection
import SDP

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
        switch message.type {
        case SignalingType.peerList:
            let peers = (message.payload["peers"]?.arrayValue ?? []).compactMap(\.stringValue).filter { $0 != selfId }
            present = Set(peers)
            reportMeshStatus()
            for peer in peers.sorted() where links[peer] == nil {
                await offer(to: peer)
            }
        case SignalingType.peerJoined:
            // The newcomer offers to us (it got a `peer_list` naming us).
            if let peer = message.payload["peer_id"]?.stringValue, peer != selfId { present.insert(peer) }
        case SignalingType.peerLeft:
            guard let peer = message.payload["peer_id"]?.stringValue else { return }
            present.remove(peer)
            cancelRetry(peer)
            earlyCandidates[peer] = nil
            // An open DataChannel outlives its peer's signaling; consent checks tell whether it is dead.
            if let link = links[peer], !link.isOpen { drop(link, reason: "the peer left signaling") }
        case SignalingType.offer:
            guard let sdp = message.payload["sdp"]?.stringValue else { return }
            await answer(offer: sdp, from: from)
        case SignalingType.answer:
            guard let sdp = message.payload["sdp"]?.stringValue else { return }
            await apply(answer: sdp, from: from)
        case SignalingType.iceCandidate:
            await addRemoteCandidate(message.payload["candidate"]?.stringValue ?? "", from: from)
        case SignalingType.error:
            logger.warning("the registry refused a signaling frame", metadata: ["error": "\(message.payload["error"]?.stringValue ?? "?")"])
        default:
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
            send(SignalingType.offer, to: remote, payload: ["sdp": .string(sdp)])
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
            send(SignalingType.answer, to: remote, payload: ["sdp": .string(answer)])
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
        send(SignalingType.iceCandidate, to: remote, payload: [
            "candidate": .string(candidate.candidateAttribute), "sdpMid": .string("0"), "sdpMLineIndex": .number(0),
        ])
    }

    private func send(_ type: String, to remote: String, payload: [String: JSONValue]) {
        signaling.send(SignalingMessage(type: type, peerId: selfId, targetId: remote, payload: .object(payload)))
    }
}
