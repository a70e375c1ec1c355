import Foundation
import RTCTransport

/// `rtc-bench ours [--megabytes N] [--round-trips N] [--messages N] [--busy-poll-us N]` | `rtc-bench udp [--round-trips N] [--megabytes N]`:
/// measures one stack on loopback and prints its `StackResult` as one JSON line (bench/rtc/run.sh
/// runs the others beside it and writes the table).
/// `rtc-bench relay SOCKET PORT PEER_PORT`: a zero-work sidecar for bench/sidecar's floor (`Relay`).
let arguments = CommandLine.arguments.dropFirst()
func option(_ name: String, _ fallback: Int) -> Int {
    guard let index = arguments.firstIndex(of: name), arguments.index(after: index) < arguments.endIndex,
          let value = Int(arguments[arguments.index(after: index)]) else { return fallback }
    return value
}
let encoder = JSONEncoder()
do {
    let result: StackResult
    switch arguments.first {
    case "ours":
        let busyPoll = option("--busy-poll-us", Int(PeerConnectionDriver.defaultBusyPollLimit.nanoseconds / 1000))
        result = try await Measurements.run(
            megabytes: option("--megabytes", 200), roundTrips: option("--round-trips", 2000), messages: option("--messages", 100_000),
            busyPollLimit: .microseconds(Int64(busyPoll)))
    case "relay":
        let parameters = Array(arguments.dropFirst())
        guard parameters.count == 3, let port = UInt16(parameters[1]), let peerPort = UInt16(parameters[2]) else {
            FileHandle.standardError.write(Data("usage: rtc-bench relay SOCKET PORT PEER_PORT\n".utf8))
            exit(2)
        }
        try Relay.run(socketPath: parameters[0], port: port, peerPort: peerPort)
    case "udp":
        var floor = try UDPPingPong.run(count: option("--round-trips", 2000))
        floor.bulkMBps = try UDPBlast.run(megabytes: option("--megabytes", 200))
        result = floor
    default:
        FileHandle.standardError.write(Data("usage: rtc-bench ours|udp [--megabytes N] [--round-trips N] [--messages N] [--busy-poll-us N] | relay SOCKET PORT PEER_PORT\n".utf8))
        exit(2)
    }
    print(String(decoding: try encoder.encode(result), as: UTF8.self))
    exit(0)
} catch {
    FileHandle.standardError.write(Data("rtc-bench: \(error)\n".utf8))
    exit(1)
}
