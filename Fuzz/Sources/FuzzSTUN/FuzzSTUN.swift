import FuzzSupport
import STUN
import TURN

@main enum Main {
    static func main() { runLibFuzzer(fuzzSTUN) }
}

private let key = STUNKey.shortTerm(password: "fuzz")

/// One input: a datagram arriving on an ICE socket. Everything that reads untrusted datagrams runs
/// on it (STUN parsing and its integrity and fingerprint checks, TURN ChannelData and stream framing), also on a slice
/// that does not start at index 0. None may trap, and their answers must agree with each other.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSTUN(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = DatagramKind(classifying: bytes)
    checkSTUN(bytes[...])
    checkChannelData(bytes[...])
    // Slices keep their parent's indices; the parsers must not assume they start at 0.
    if !bytes.isEmpty {
        checkSTUN(bytes.dropFirst())
        checkChannelData(bytes.dropFirst())
    }
    return 0
}

private func checkSTUN(_ bytes: ArraySlice<UInt8>) {
    let integrity = STUNMessage.verifyIntegrity(of: bytes, key: key)
    let integritySHA256 = STUNMessage.verifyIntegritySHA256(of: bytes, key: key)
    let fingerprint = STUNMessage.verifyFingerprint(of: bytes)
    let looksLikeSTUN = STUNMessage.looksLikeSTUN(bytes)
    guard let message = try? STUNMessage(parsing: bytes) else { return }

    // What parses passed the cheap check, and the verifiers saw the same attributes the parser did.
    require(looksLikeSTUN, "a parsed message failed looksLikeSTUN")
    for verification in [integrity, integritySHA256, fingerprint] {
        if case .malformed = verification { fatalError("a verifier calls a parsed message malformed") }
    }
    require((integrity == .absent) == (message.messageIntegrity == nil), "MESSAGE-INTEGRITY seen differently")
    require((integritySHA256 == .absent) == (message.messageIntegritySHA256 == nil),
            "MESSAGE-INTEGRITY-SHA256 seen differently")
    require((fingerprint == .absent) == (message.fingerprint == nil), "FINGERPRINT seen differently")

    // A parsed message encodes as received and parses back to itself.
    guard let encoded = try? message.encoded() else { fatalError("a parsed message does not encode") }
    let reparsed = try? STUNMessage(parsing: encoded)
    require(reparsed == message, "message does not survive encode and parse")

    // Signed afresh it verifies; only the 16-bit length may refuse it.
    if let signed = try? message.encoded(integrityKey: key, integrityAlgorithms: [.sha1, .sha256], fingerprint: true) {
        require(STUNMessage.verifyIntegrity(of: signed, key: key) == .valid, "fresh MESSAGE-INTEGRITY does not verify")
        require(STUNMessage.verifyIntegritySHA256(of: signed, key: key) == .valid,
                "fresh MESSAGE-INTEGRITY-SHA256 does not verify")
        require(STUNMessage.verifyFingerprint(of: signed) == .valid, "fresh FINGERPRINT does not verify")
    } else {
        require(encoded.count + 24 + 36 + 8 > Int(UInt16.max) + STUNMessage.headerLength,
                "signing refused a message that fits")
    }
}

private func checkChannelData(_ bytes: ArraySlice<UInt8>) {
    // Over TCP the header alone gives the length, which must cover at least the header.
    if let length = TURNStreamFraming.messageLength(startingWith: bytes) {
        require(length >= TURNStreamFraming.headerLength && length % 4 == 0, "a framed length that cannot be a message")
    }
    guard let message = try? TURNChannelData(parsing: bytes) else { return }
    for padded in [true, false] {
        let encoded = try? message.encoded(padded: padded)
        require(encoded.flatMap { try? TURNChannelData(parsing: $0) } == message,
                "ChannelData does not survive encode and parse")
    }
}
