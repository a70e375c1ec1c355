/// Sending: DATA chunks within the congestion and receive windows, acknowledgements, retransmission
/// (RFC 9260 §6.1-6.3, §7).
extension SCTPAssociation {
    /// A message piece smaller than this does not start at the end of a packet; it goes in the next one.
    static let minFragment = 256

    /// Sends what is owed and what the windows allow: a SACK, retransmissions, new DATA, a stream reset
    /// request, SHUTDOWN once everything is acknowledged.
    func transmit(now: Duration) {
        switch state {
        case .established, .shutdownPending, .shutdownReceived:
            break
        case .shutdownSent:
            if ackNow { sendSack() }  // the peer's last data is still acknowledged (RFC 9260 §9.2)
            return
        default:
            return
        }
        var packet: [UInt8]?
        func room(_ bytes: [UInt8]?) -> Int { Self.maxPacketSize - (bytes?.count ?? Self.maxPacketSize) }
        if ackNow { packet = sackPacket() }

        if retransmitsPending > 0 {
            for index in inflightHead..<inflight.count where inflight[index].needsRetransmit {
                // A fast retransmission goes regardless of the window (RFC 9260 §7.2.4); the others wait for it.
                guard inflight[index].fastRetransmitted || flightSize < cwnd else { break }
                let length = SCTPChunk.dataHeaderLength + inflight[index].chunk.payload.count
                if room(packet) < length {
                    if let full = packet { finish(full) }
                    packet = startPacket()
                    appendSackIfOwed(to: &packet!)
                }
                SCTPChunk.data(inflight[index].chunk).write(to: &packet!)
                inflight[index].needsRetransmit = false
                inflight[index].inFlight = true
                inflight[index].retransmitted = true
                inflight[index].sentAt = now
                flightSize += inflight[index].chunk.payload.count
                retransmitsPending -= 1
            }
        }

        while outboundHead < outbound.count, flightSize < cwnd, peerWindow > 0 || flightSize == 0 {
            var message = outbound[outboundHead]
            let remaining = message.data.count - message.offset
            if room(packet) - SCTPChunk.dataHeaderLength < min(remaining, Self.minFragment) {
                if let full = packet { finish(full) }
                packet = startPacket()
                appendSackIfOwed(to: &packet!)
            }
            let size = min(remaining, room(packet) - SCTPChunk.dataHeaderLength)
            if message.offset == 0 && !message.unordered {
                message.ssn = nextSSN[message.stream, default: 0]
                nextSSN[message.stream] = message.ssn &+ 1
            }
            let chunk = SCTPChunk.DataChunk(
                tsn: nextTSN, stream: message.stream, ssn: message.unordered ? 0 : message.ssn, ppid: message.ppid, unordered: message.unordered,
                beginning: message.offset == 0, ending: size == remaining, payload: message.data[message.offset..<(message.offset + size)])
            SCTPChunk.data(chunk).write(to: &packet!)
            nextTSN &+= 1
            inflight.append(Outstanding(chunk: chunk, sentAt: now))
            flightSize += size
            peerWindow = max(0, peerWindow - size)
            bufferedAmount -= size
            message.offset += size
            if message.offset == message.data.count {
                outboundHead += 1
            } else {
                outbound[outboundHead] = message
            }
        }
        if outboundHead == outbound.count, outboundHead > 0 {
            outbound.removeAll(keepingCapacity: outbound.count <= 1024)
            outboundHead = 0
            if sendBlocked {
                sendBlocked = false
                events.append(.bufferedAmountLow)
            }
        } else if outboundHead >= 1024, outboundHead * 2 >= outbound.count {
            outbound.removeFirst(outboundHead)
            outboundHead = 0
        }
        if let packet { finish(packet) }
        if flightSize > 0, retransmissionDeadline == nil { retransmissionDeadline = now + rto }

        sendResetRequestIfReady(now: now)
        let allAcknowledged = outboundHead == outbound.count && inflightHead == inflight.count
        if allAcknowledged, state == .shutdownPending {
            state = .shutdownSent
            sendPacket([.shutdown(cumulativeTSN: cumulativeTSN)])
            handshakeRetransmissions = 0
            handshakeDeadline = now + rto
        } else if allAcknowledged, state == .shutdownReceived {
            state = .shutdownAckSent
            sendPacket([.shutdownAck])
            handshakeRetransmissions = 0
            handshakeDeadline = now + rto
        }
    }

    private func finish(_ packet: [UInt8]) {
        var packet = packet
        seal(&packet)
    }

    private func appendSackIfOwed(to packet: inout [UInt8]) {
        if ackNow || ackDeadline != nil { writeSack(to: &packet) }
    }

    private func sackPacket() -> [UInt8] {
        var packet = startPacket()
        writeSack(to: &packet)
        return packet
    }

    /// Acknowledges now, in a packet of its own.
    func sendSack() {
        finish(sackPacket())
    }

    // MARK: Acknowledgements

    func handleSack(_ sack: SCTPChunk.SelectiveAck, now: Duration) {
        guard state != .cookieWait, state != .cookieEchoed, state != .closed else { return }
        let lowest = inflightHead < inflight.count ? inflight[inflightHead].chunk.tsn : nextTSN
        // Older than what we know (reordered), or acknowledging what we never sent: ignored.
        guard !sack.cumulativeTSN.isBefore(lowest &- 1), sack.cumulativeTSN.isBefore(nextTSN) else { return }
        var newlyAcked = 0
        var cumulativeAdvanced = false
        var measured: Duration?
        while inflightHead < inflight.count, !sack.cumulativeTSN.isBefore(inflight[inflightHead].chunk.tsn) {
            let chunk = inflight[inflightHead]
            if chunk.inFlight { flightSize -= chunk.chunk.payload.count }
            if chunk.needsRetransmit { retransmitsPending -= 1 }
            if !chunk.acked {
                newlyAcked += chunk.chunk.payload.count
                if !chunk.retransmitted { measured = now - chunk.sentAt }
            }
            inflightHead += 1
            cumulativeAdvanced = true
        }
        if inflightHead == inflight.count {
            inflight.removeAll(keepingCapacity: inflight.count <= 4096)
            inflightHead = 0
        } else if inflightHead >= 4096 {
            inflight.removeFirst(inflightHead)
            inflightHead = 0
        }

        var highestNewlyAcked: UInt32?
        if !sack.gaps.isEmpty, inflightHead < inflight.count {
            let first = inflight[inflightHead].chunk.tsn
            for gap in sack.gaps {
                let start = sack.cumulativeTSN &+ UInt32(gap.start)
                let end = sack.cumulativeTSN &+ UInt32(gap.end)
                guard !end.isBefore(start) else { continue }
                var tsn = start
                while true {
                    let index = inflightHead + Int(tsn &- first)
                    if index >= inflightHead, index < inflight.count, !inflight[index].acked {
                        inflight[index].acked = true
                        if inflight[index].inFlight {
                            inflight[index].inFlight = false
                            flightSize -= inflight[index].chunk.payload.count
                        }
                        if inflight[index].needsRetransmit {
                            inflight[index].needsRetransmit = false
                            retransmitsPending -= 1
                        }
                        newlyAcked += inflight[index].chunk.payload.count
                        highestNewlyAcked = tsn
                    }
                    if tsn == end { break }
                    tsn &+= 1
                }
            }
        }
        if let highestNewlyAcked { countMisses(below: highestNewlyAcked) }
        if let exit = fastRecoveryExit, !sack.cumulativeTSN.isBefore(exit) { fastRecoveryExit = nil }

        if let measured { updateRTO(measured) }
        // Any SACK shows the peer is there, even one that acknowledges nothing new (a full receiver answering a
        // zero-window probe): timeouts count towards giving up only while it is silent.
        timeoutsInARow = 0
        if cumulativeAdvanced, fastRecoveryExit == nil { growWindow(by: newlyAcked) }
        peerWindow = max(0, Int(sack.receiverWindow) - flightSize)
        if inflightHead == inflight.count {
            retransmissionDeadline = nil
        } else if cumulativeAdvanced {
            retransmissionDeadline = now + rto
        }
        if let deferred = deferredPeerReset, !cumulativeTSN.isBefore(deferred.lastTSN) { performPeerReset() }
    }

    /// RFC 9260 §7.2.4: a chunk reported missing three times (below a newly acknowledged TSN) is retransmitted at
    /// once, and the window halves, once per round of loss.
    private func countMisses(below highest: UInt32) {
        var index = inflightHead
        while index < inflight.count, inflight[index].chunk.tsn.isBefore(highest) {
            if !inflight[index].acked, !inflight[index].fastRetransmitted {
                inflight[index].missReports += 1
                if inflight[index].missReports >= 3 {
                    inflight[index].fastRetransmitted = true
                    markForRetransmission(index)
                    if fastRecoveryExit == nil {
                        ssthresh = max(cwnd / 2, 4 * Self.mtu)
                        cwnd = ssthresh
                        partialBytesAcked = 0
                        fastRecoveryExit = nextTSN &- 1
                    }
                }
            }
            index += 1
        }
    }

    private func markForRetransmission(_ index: Int) {
        guard !inflight[index].needsRetransmit, !inflight[index].acked else { return }
        if inflight[index].inFlight {
            inflight[index].inFlight = false
            flightSize -= inflight[index].chunk.payload.count
        }
        inflight[index].needsRetransmit = true
        retransmitsPending += 1
    }

    /// RFC 9260 §7.2.1, §7.2.2: slow start below `ssthresh`, one MTU per window's worth acknowledged above it.
    private func growWindow(by acknowledged: Int) {
        if cwnd <= ssthresh {
            cwnd += min(acknowledged, Self.mtu)
        } else {
            partialBytesAcked += acknowledged
            if partialBytesAcked >= cwnd {
                partialBytesAcked -= cwnd
                cwnd += Self.mtu
            }
        }
    }

    /// RFC 9260 §6.3.1.
    /// In integer nanoseconds: it runs for every SACK, and `Duration`'s 128-bit multiply and divide cost more than
    /// the rest of it.
    private func updateRTO(_ measurement: Duration) {
        let measured = measurement.wholeNanoseconds
        let smoothed: Int64
        if let previous = smoothedRTT {
            rttVariation = rttVariation * 3 / 4 + abs(previous - measured) / 4
            smoothed = previous * 7 / 8 + measured / 8
        } else {
            smoothed = measured
            rttVariation = measured / 2
        }
        smoothedRTT = smoothed
        rto = min(max(.nanoseconds(smoothed + rttVariation * 4), Self.rtoMin), Self.rtoMax)
    }

    /// RFC 9260 §6.3.3: everything outstanding goes again, from a window of one packet, with the timeout doubled.
    func retransmissionTimerFired(now: Duration) {
        retransmissionDeadline = nil
        guard inflightHead < inflight.count else { return }
        timeoutsInARow += 1
        guard timeoutsInARow <= Self.maxRetransmissions else {
            abort()
            return
        }
        ssthresh = max(cwnd / 2, 4 * Self.mtu)
        cwnd = Self.mtu
        partialBytesAcked = 0
        fastRecoveryExit = nil
        rto = min(rto * 2, Self.rtoMax)
        for index in inflightHead..<inflight.count {
            inflight[index].fastRetransmitted = false
            inflight[index].missReports = 0
            markForRetransmission(index)
        }
        // The window is one packet now; `transmit` sends the first of them and restarts the timer.
        retransmissionDeadline = nil
        if flightSize == 0 { peerWindow = max(peerWindow, Self.mtu) }
    }
}

extension UInt32 {
    /// Serial number order (RFC 1982), as TSNs wrap.
    func isBefore(_ other: UInt32) -> Bool {
        Int32(bitPattern: self &- other) < 0
    }
}

extension UInt16 {
    /// Serial number order (RFC 1982), as SSNs wrap.
    func isBefore(_ other: UInt16) -> Bool {
        Int16(bitPattern: self &- other) < 0
    }
}
