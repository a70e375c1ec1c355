import FuzzSupport
import SDP
import STUN

@main enum Main {
    static func main() { runLibFuzzer(fuzzICECandidate) }
}

/// One input: a trickle candidate string, as the signaling JSON `candidate` field carries it.
/// Parsing must return an error or a candidate that both written forms read back unchanged, and
/// an address that parses as an IP address must print as text that parses back to it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzICECandidate(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    // Signaling delivers valid Unicode; invalid UTF-8 becomes U+FFFD as a JSON decoder would.
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let candidate = try? ICECandidate(parsing: text) else { return 0 }
    require((try? ICECandidate(parsing: candidate.candidateAttribute)) == candidate,
            "candidate does not survive candidateAttribute and parse")
    require((try? ICECandidate(parsing: candidate.sdpValue)) == candidate,
            "candidate does not survive sdpValue and parse")
    // PeerConnection reads the address with STUN's IPAddress, and writes ours with its description.
    for address in [candidate.address, candidate.relatedAddress].compactMap(\.self) {
        guard let ip = IPAddress(address) else { continue }
        require(IPAddress(ip.description) == ip, "address \(ip) does not survive description and parse")
    }
    return 0
}
