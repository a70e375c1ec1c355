import FuzzSupport
import SDP

@main enum Main {
    static func main() { runLibFuzzer(fuzzSDP) }
}

/// One input: a remote session description. Parsing must return an error or a description that
/// serializes to text parsing back to the same value (and the same text); a resolved data channel
/// description must survive being written into an offer and read back.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSDP(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    // Signaling delivers valid Unicode; invalid UTF-8 becomes U+FFFD as a JSON decoder would.
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let description = try? SessionDescription(parsing: text) else { return 0 }
    let serialized = description.serialized()
    let reparsed = try? SessionDescription(parsing: serialized)
    require(reparsed == description, "description does not survive serialize and parse")
    require(reparsed?.serialized() == serialized, "serialization is not stable")

    guard let dataChannel = try? description.dataChannelDescription() else { return 0 }
    let written = SessionDescription(dataChannel: dataChannel, sessionID: 1).serialized()
    require((try? SessionDescription(parsing: written).dataChannelDescription()) == dataChannel,
            "data channel description does not survive being written and read back")
    return 0
}
