import DataChannel
import FuzzSupport

@main enum Main {
    static func main() { runLibFuzzer(fuzzDCEP) }
}

/// One input: a DCEP message as it arrives on an SCTP stream with PPID 50. Parsing must return an
/// error or a message, and a message must encode to bytes that parse back to itself.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDCEP(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let message = try? DCEPMessage(bytes: bytes) else { return 0 }
    let reparsed = try? DCEPMessage(bytes: message.bytes)
    require(reparsed == message, "DCEP message does not survive encode and parse")
    return 0
}
