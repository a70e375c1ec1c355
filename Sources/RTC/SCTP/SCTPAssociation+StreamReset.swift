/// Stream resets (RFC 6525), which close data channels (RFC 8831 §6.7): ours as "Outgoing SSN Reset Request"
/// once the stream's queued messages have gone, the peer's answered once everything it sent before has arrived.
extension SCTPAssociation {
    func outgoingResetRequest(_ request: UInt32, streams: [UInt16]) -> SCTPChunk.ReconfigParameter {
        .outgoingReset(request: request, response: peerNextResetRequest &- 1, lastTSN: nextTSN &- 1, streams: streams)
    }

    /// One request at a time, for the streams whose messages have all gone into DATA chunks.
    func sendResetRequestIfReady(now: Duration) {
        guard resetInFlight == nil, !streamsToReset.isEmpty, state == .established else { return }
        let queued = Set(outbound[outboundHead...].map(\.stream))
        let ready = streamsToReset.filter { !queued.contains($0) }
        guard !ready.isEmpty else { return }
        streamsToReset.removeAll { ready.contains($0) }
        resetInFlight = (nextResetRequest, ready)
        sendPacket([.reconfig([outgoingResetRequest(nextResetRequest, streams: ready)])])
        resetDeadline = now + rto
    }

    func handleReconfig(_ parameters: [SCTPChunk.ReconfigParameter], now: Duration) {
        guard state == .established else { return }
        for parameter in parameters {
            switch parameter {
            case .outgoingReset(let request, _, let lastTSN, let streams):
                if let answer = lastResetAnswer, answer.request == request {
                    sendPacket([.reconfig([.response(request: request, result: answer.result)])])  // our answer was lost
                } else if request == peerNextResetRequest {
                    deferredPeerReset = (request, lastTSN, streams)
                    if !cumulativeTSN.isBefore(lastTSN) {
                        performPeerReset()
                    } else {
                        sendPacket([.reconfig([.response(request: request, result: SCTPChunk.ReconfigResult.inProgress)])])
                    }
                }
            case .response(let request, let result):
                guard let inFlight = resetInFlight, inFlight.request == request else { continue }
                if result == SCTPChunk.ReconfigResult.inProgress {
                    resetDeadline = now + rto  // asked again when the timer fires
                    continue
                }
                // Performed, or refused (then there is nothing more to do for these streams either).
                for stream in inFlight.streams { nextSSN[stream] = nil }
                resetInFlight = nil
                resetDeadline = nil
                nextResetRequest &+= 1
                // Messages that waited for these streams go now, in order (unless a new reset of theirs is queued).
                var stillWaiting: [OutboundMessage] = []
                for message in waitingForReset {
                    if inFlight.streams.contains(message.stream) && !streamsToReset.contains(message.stream) {
                        outbound.append(message)
                    } else {
                        stillWaiting.append(message)
                    }
                }
                waitingForReset = stillWaiting
            case .unknown:
                break
            }
        }
    }

    /// Resets the peer's outgoing streams on our side, reports it and answers the request.
    func performPeerReset() {
        guard let reset = deferredPeerReset else { return }
        deferredPeerReset = nil
        for stream in reset.streams {
            expectedSSN[stream] = nil
            if let waiting = waitingInOrder.removeValue(forKey: stream) { receiveBuffered -= waiting.values.reduce(0) { $0 + $1.data.count } }
        }
        events.append(.streamsReset(reset.streams))
        lastResetAnswer = (reset.request, SCTPChunk.ReconfigResult.performed)
        peerNextResetRequest = reset.request &+ 1
        sendPacket([.reconfig([.response(request: reset.request, result: SCTPChunk.ReconfigResult.performed)])])
    }
}
