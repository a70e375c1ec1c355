import FuzzSupport
import SCTP
import SansIO

@main enum Main {
    static func main() { runLibFuzzer(fuzzSCTP) }
}

/// One input: its first byte picks the target, the rest are the chunks of one SCTP packet (after a valid
/// common header and checksum, which libFuzzer could not forge). Even: the packet reaches `b` of an established
/// pair with `b`'s verification tag, then the pair runs on for 3 s of its clock. Odd: it reaches an association
/// that has just sent its INIT, with tag 0 (INIT, INIT ACK and COOKIE ECHO paths). Whatever the packet did,
/// an association that has not reported `closed` still answers a HEARTBEAT: no input wedges it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSCTP(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    guard let mode = input.first else { return 0 }
    var now = Duration.zero
    // Seeded, so an input does the same on every run.
    let a = SCTPAssociation(random: RandomSource(SplitMix64(seed: 1)))
    let b = SCTPAssociation(random: RandomSource(SplitMix64(seed: 2)))
    a.connect(now: now)
    b.connect(now: now)
    var tagOfB: [UInt8] = [0, 0, 0, 0]
    var closed = false
    func exchange() {
        for _ in 0..<8 {
            var moved = false
            while let packet = a.pollTransmit() {
                if packet.count >= 8, packet[4..<8] != [0, 0, 0, 0] { tagOfB = Array(packet[4..<8]) }
                b.receive(packet, now: now)
                moved = true
            }
            while let packet = b.pollTransmit() {
                a.receive(packet, now: now)
                moved = true
            }
            while let event = b.pollEvent() { if event == .closed { closed = true } }
            while a.pollEvent() != nil {}
            if !moved { break }
        }
    }
    exchange()
    let target = mode & 1 == 0 ? b : SCTPAssociation(random: RandomSource(SplitMix64(seed: 3)))
    if mode & 1 == 1 {
        target.connect(now: now)
        while target.pollTransmit() != nil {}
    }
    let header: [UInt8] = [0x13, 0x88, 0x13, 0x88] + (mode & 1 == 0 ? tagOfB : [0, 0, 0, 0]) + [0, 0, 0, 0]
    target.receive(SCTPAssociation.withChecksum(header + input.dropFirst()), now: now)
    if target === b {
        try? a.send(stream: 1, ppid: 51, data: [1, 2, 3], now: now)
        for _ in 0..<30 {
            exchange()
            now += .milliseconds(100)
            for association in [a, b] where (association.deadline ?? .seconds(1 << 40)) <= now { association.handleTimeout(now: now) }
        }
    }
    guard target === b else { return 0 }
    while b.pollTransmit() != nil {}
    let heartbeat: [UInt8] = [4, 0, 0, 8, 0, 1, 0, 4]
    b.receive(SCTPAssociation.withChecksum([0x13, 0x88, 0x13, 0x88] + tagOfB + [0, 0, 0, 0] + heartbeat), now: now)
    while let event = b.pollEvent() { if event == .closed { closed = true } }
    require(closed || b.pollTransmit() != nil, "an association that never reported closed ignores a HEARTBEAT")
    return 0
}
