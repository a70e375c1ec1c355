import Foundation

/// Splits a `text/event-stream` body into its events' data (the WHATWG rules A2A streams need: `data:` lines,
/// joined by newlines, an event ending at a blank line, an unfinished one at the end of the body dropped; other
/// fields and comments ignored), however the body is cut into chunks.
struct ServerSentEvents {
    /// Longest line or event accepted, so a server cannot make the reader hold an endless one.
    static let maxBytes = 8 << 20

    private var line: [UInt8] = []
    private var data: [UInt8] = []
    private var hasData = false

    /// The data of each event the chunk completes.
    mutating func feed(_ chunk: some Collection<UInt8>) throws -> [Data] {
        var events: [Data] = []
        for byte in chunk {
            guard byte == UInt8(ascii: "\n") else {
                line.append(byte)
                guard line.count + data.count <= Self.maxBytes else { throw A2AClient.Failure.malformed("an event of over \(Self.maxBytes) bytes") }
                continue
            }
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            if line.isEmpty {
                if hasData { events.append(Data(data)) }
                data.removeAll(keepingCapacity: true)
                hasData = false
            } else if line.starts(with: Array("data:".utf8)) {
                var value = line.dropFirst(5)
                if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
                if hasData { data.append(UInt8(ascii: "\n")) }
                data.append(contentsOf: value)
                hasData = true
            }
            line.removeAll(keepingCapacity: true)
        }
        return events
    }
}
