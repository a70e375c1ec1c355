import FuzzSupport
import MeshProtocol

@main enum Main {
    static func main() { runLibFuzzer(fuzzIPC) }
}

/// One input: a line on the IPC socket, from an agent (a command) or a sidecar (an event); a peer's DataChannel
/// message meets the same scanner (`MeshMessage.peekType`). The one-pass scan of an envelope and its payload must
/// agree with scanning each on its own, every range must lie inside the line, and a command or event that parses
/// must write a line that parses back to itself.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIPC(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let line = Array(UnsafeBufferPointer(start: data, count: size))
    line.withUnsafeBufferPointer { bytes in
        let whole = try? JSONScanner.members(of: bytes)
        let scanned = try? JSONScanner.members(of: bytes, andOf: "payload")
        require((whole == nil) == (scanned == nil), "the one-pass scan accepts what the plain scan does not, or the reverse")
        require(MeshMessage.peekType(bytes) != nil || whole == nil, "peekType refuses an object the scanner accepts")
        guard let whole, let (members, nested) = scanned else { return }
        require(members == whole, "the one-pass scan records other members")
        for range in members.values { require(range.lowerBound >= 0 && range.upperBound <= bytes.count, "a range outside the line") }
        if let payload = members["payload"], bytes[payload.lowerBound] == UInt8(ascii: "{") {
            require(nested == (try? JSONScanner.members(of: bytes, in: payload)), "the payload's members differ from scanning it alone")
        } else {
            require(nested == nil, "payload members for a payload that is not an object")
        }
    }
    if let command = try? IPCCommand(line: line) {
        require((try? IPCCommand(line: Array(command.line.utf8.dropLast()))) == command, "an IPC command does not survive being written and read")
    }
    if let event = try? IPCEvent(line: line) {
        require((try? IPCEvent(line: Array(event.line.utf8.dropLast()))) == event, "an IPC event does not survive being written and read")
    }
    return 0
}
