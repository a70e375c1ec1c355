/// Receiving: TSN tracking, reassembly, ordered delivery per stream, SACKs (RFC 9260 §6.2, §6.5, §6.9).
extension SCTPAssociation {
    func receiveData(_ chunk: SCTPChunk.DataChunk) {
        guard state == .established || state == .shutdownPending || state == .shutdownSent else { return }
        let tsn = chunk.tsn
        if !cumulativeTSN.isBefore(tsn) || isHeldAboveCumulative(tsn) {
            if duplicates.count < 16 { duplicates.append(tsn) }
            ackNow = true
            return
        }
        // No room left (the peer ignored our window): dropped unacknowledged, so it comes again later. The next TSN
        // in order is still taken, as it may be what completes the buffered pieces, up to a hard limit a peer that
        // ignores our window and our message size cannot push us past.
        if receiveBuffered >= receiveWindow, tsn != cumulativeTSN &+ 1 || receiveBuffered >= receiveWindow + maxReceiveMessageSize {
            ackNow = true
            return
        }
        let inOrder = tsn == cumulativeTSN &+ 1
        if inOrder {
            cumulativeTSN = tsn
            if !receivedAbove.isEmpty {
                var taken = 0
                while taken < receivedAbove.count, receivedAbove[taken] == cumulativeTSN &+ 1 {
                    cumulativeTSN = receivedAbove[taken]
                    taken += 1
                }
                receivedAbove.removeFirst(taken)
                ackNow = true  // a gap just closed: say so at once (RFC 9260 §6.7)
            }
        } else {
            // Past a gap, chunks mostly keep arriving in order: they go at the end.
            if let last = receivedAbove.last, tsn.isBefore(last) {
                receivedAbove.insert(tsn, at: receivedAbove.firstIndex { tsn.isBefore($0) } ?? receivedAbove.count)
            } else {
                receivedAbove.append(tsn)
            }
            ackNow = true
        }
        if chunk.beginning && chunk.ending {
            complete(stream: chunk.stream, ssn: chunk.ssn, unordered: chunk.unordered, ppid: chunk.ppid, data: Array(chunk.payload))
        } else if !(inOrder && assemble(chunk)) {
            fragments[tsn] = chunk
            receiveBuffered += chunk.payload.count
            reassemble(around: tsn)
        }
    }

    /// Adds a piece that arrived in order to the message being put together, or starts one with it; then takes
    /// the pieces that follow from `fragments` (they arrived early). False if the piece does not continue it.
    private func assemble(_ chunk: SCTPChunk.DataChunk) -> Bool {
        if assembling != nil {
            // No copy of the assembly is bound here: its data must stay uniquely owned to grow in place.
            guard !chunk.beginning, chunk.tsn == assembling?.nextTSN, chunk.stream == assembling?.stream, chunk.ssn == assembling?.ssn else { return false }
            assembling?.data.append(contentsOf: chunk.payload)
        } else {
            guard chunk.beginning else { return false }
            assembling = Assembly(stream: chunk.stream, ssn: chunk.ssn, unordered: chunk.unordered, ppid: chunk.ppid, nextTSN: chunk.tsn, data: Array(chunk.payload))
        }
        receiveBuffered += chunk.payload.count
        var ending = chunk.ending
        assembling?.nextTSN = chunk.tsn &+ 1
        while !ending, let tsn = assembling?.nextTSN, let next = fragments[tsn], next.stream == chunk.stream, next.ssn == chunk.ssn, !next.beginning {
            fragments[next.tsn] = nil
            assembling?.data.append(contentsOf: next.payload)
            assembling?.nextTSN = next.tsn &+ 1
            ending = next.ending
        }
        if ending, let message = assembling {
            assembling = nil
            receiveBuffered -= message.data.count
            complete(stream: message.stream, ssn: message.ssn, unordered: message.unordered, ppid: message.ppid, data: message.data)
        }
        return true
    }

    /// Whether `tsn`, past the cumulative TSN, is already here (binary search: `receivedAbove` is in order).
    private func isHeldAboveCumulative(_ tsn: UInt32) -> Bool {
        var low = 0, high = receivedAbove.count
        while low < high {
            let middle = (low + high) / 2
            if receivedAbove[middle] == tsn { return true }
            if receivedAbove[middle].isBefore(tsn) { low = middle + 1 } else { high = middle }
        }
        return false
    }

    /// After a packet with DATA: acknowledge every second one at once, others within `delayedAckTime`.
    func dataArrived(now: Duration) {
        packetsSinceAck += 1
        if packetsSinceAck >= 2 { ackNow = true }
        if !ackNow, ackDeadline == nil { ackDeadline = now + Self.delayedAckTime }
        if let deferred = deferredPeerReset, !cumulativeTSN.isBefore(deferred.lastTSN) { performPeerReset() }
    }

    /// Fragments of one message carry consecutive TSNs (RFC 9260 §6.9): the message is whole when every TSN from a
    /// beginning fragment to an ending one is here.
    private func reassemble(around tsn: UInt32) {
        guard let piece = fragments[tsn] else { return }
        var first = tsn
        while !(fragments[first]?.beginning ?? false) {
            first &-= 1
            guard let previous = fragments[first], previous.stream == piece.stream, previous.ssn == piece.ssn else { return }
        }
        var last = tsn
        while !(fragments[last]?.ending ?? false) {
            last &+= 1
            guard let next = fragments[last], next.stream == piece.stream, next.ssn == piece.ssn else { return }
        }
        var data: [UInt8] = []
        var size = 0
        var current = first
        while true {
            size += fragments[current]!.payload.count
            if current == last { break }
            current &+= 1
        }
        data.reserveCapacity(size)
        current = first
        while true {
            data.append(contentsOf: fragments.removeValue(forKey: current)!.payload)
            if current == last { break }
            current &+= 1
        }
        receiveBuffered -= size
        complete(stream: piece.stream, ssn: piece.ssn, unordered: piece.unordered, ppid: piece.ppid, data: data)
    }

    /// A whole message: delivered now if unordered or its turn on its stream, else kept until its turn.
    private func complete(stream: UInt16, ssn: UInt16, unordered: Bool, ppid: UInt32, data: [UInt8]) {
        // A peer that ignores our advertised limit gets its message dropped, not our memory.
        guard data.count <= maxReceiveMessageSize else {
            if !unordered { skipInOrder(stream: stream, ssn: ssn) }
            return
        }
        if unordered {
            deliver(stream: stream, ppid: ppid, data: data)
            return
        }
        let expected = expectedSSN[stream, default: 0]
        guard ssn == expected else {
            if expected.isBefore(ssn) {
                waitingInOrder[stream, default: [:]][ssn] = (ppid, data)
                receiveBuffered += data.count
            }
            return
        }
        deliver(stream: stream, ppid: ppid, data: data)
        skipInOrder(stream: stream, ssn: ssn)
    }

    /// The message `ssn` on `stream` is done with: the ones waiting after it go now.
    private func skipInOrder(stream: UInt16, ssn: UInt16) {
        guard expectedSSN[stream, default: 0] == ssn else { return }
        var next = ssn &+ 1
        while let waiting = waitingInOrder[stream]?.removeValue(forKey: next) {
            receiveBuffered -= waiting.data.count
            deliver(stream: stream, ppid: waiting.ppid, data: waiting.data)
            next &+= 1
        }
        expectedSSN[stream] = next
        if waitingInOrder[stream]?.isEmpty == true { waitingInOrder[stream] = nil }
    }

    private func deliver(stream: UInt16, ppid: UInt32, data: [UInt8]) {
        if isReceivePaused {
            held.append((stream, ppid, data))
            receiveBuffered += data.count
        } else {
            events.append(.message(stream: stream, ppid: ppid, data: data))
        }
    }

    /// Writes a SACK (RFC 9260 §3.3.4): the cumulative TSN, what arrived past it, duplicates, our window.
    func writeSack(to packet: inout [UInt8]) {
        var gaps: [(start: UInt16, end: UInt16)] = []
        var index = 0
        while index < receivedAbove.count, gaps.count < 64 {
            let start = receivedAbove[index]
            var end = start
            while index + 1 < receivedAbove.count, receivedAbove[index + 1] == end &+ 1 {
                index += 1
                end = receivedAbove[index]
            }
            index += 1
            let startOffset = start &- cumulativeTSN
            let endOffset = end &- cumulativeTSN
            guard endOffset <= UInt32(UInt16.max) else { break }
            gaps.append((UInt16(startOffset), UInt16(endOffset)))
        }
        let window = max(0, receiveWindow - receiveBuffered)
        SCTPChunk.sack(SCTPChunk.SelectiveAck(
            cumulativeTSN: cumulativeTSN, receiverWindow: UInt32(clamping: window), gaps: gaps, duplicates: duplicates)).write(to: &packet)
        duplicates.removeAll()
        packetsSinceAck = 0
        ackNow = false
        ackDeadline = nil
    }
}
