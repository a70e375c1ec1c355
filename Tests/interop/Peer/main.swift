import DTLS
import DataChannel
import Foundation
import ICE
import MeshProtocol
import PeerConnection
import RTCTransport
import SDP

/// A WebRTC data-channel peer driven over stdin/stdout JSON lines, so interop tests in Python can pit
/// our stack against aiortc or Chromium. Every received message is echoed back on the same channel.
///
/// Environment: `PEER_HOST` (the address to bind, 127.0.0.1 by default), `ICE_SERVERS` (the registry's
/// `/api/config` JSON, `{"iceServers":[...]}`), `ICE_TRANSPORT_POLICY` (`all` or `relay`) and
/// `PEER_ECHO=0` to stop echoing (when two of these peers talk to each other), `CA_FILE` (PEM CA
/// certificates a `turns:` server's certificate may chain to, beside the system's).
///
/// In:  {"type":"make_offer"} | {"type":"offer"|"answer","sdp"} | {"type":"candidate","candidate"}
///      {"type":"send","text"} | {"type":"send","binary":"<base64>"} | {"type":"close"}
/// Out: {"type":"offer"|"answer","sdp"} | {"type":"candidate","candidate"} | {"type":"state","state"}
///      {"type":"open","label"} | {"type":"message","text"} | {"type":"message","binary"} | {"type":"closed"} | {"type":"error","error"}
@main
struct InteropPeer {
    static func main() async throws {
        let environment = ProcessInfo.processInfo.environment
        var configuration = PeerConnection.Configuration(dtls: try DTLSContext())
        if let json = environment["ICE_SERVERS"] {
            configuration.iceServers = try JSONDecoder().decode(ICEConfig.self, from: Data(json.utf8)).iceServers
        }
        if let policy = environment["ICE_TRANSPORT_POLICY"] {
            guard let parsed = ICETransportPolicy(rawValue: policy) else { throw PeerConnectionError.wrongState("ICE_TRANSPORT_POLICY must be all or relay") }
            configuration.iceTransportPolicy = parsed
        }
        let echoes = environment["PEER_ECHO"] != "0"
        let turnTrust = TURNTrust(ClientTLS.configuration(caFile: environment["CA_FILE"]))
        let driver = PeerConnectionDriver(configuration: configuration, turnTrust: turnTrust)
        _ = try await driver.bind(host: environment["PEER_HOST"] ?? "127.0.0.1")
        let channel = ChannelBox()

        // Detached: the main actor spends its time blocked in readLine().
        let eventTask = Task.detached {
            for await batch in driver.events {
                for event in batch {
                    switch event {
                    case .localCandidate(let candidate): emit(["type": "candidate", "candidate": candidate.candidateAttribute])
                    case .stateChanged(let state): emit(["type": "state", "state": state.rawValue])
                    case .channelOpened(let stream, let label):
                        await channel.set(stream)
                        emit(["type": "open", "label": label])
                    case .message(let stream, let message):
                        switch message {
                        case .text(let text): emit(["type": "message", "text": text])
                        case .binary(let bytes): emit(["type": "message", "binary": Data(bytes).base64EncodedString()])
                        }
                        if echoes { _ = try? await driver.withConnection { connection, now in try connection.send(message, on: stream, now: now) } }
                    case .channelClosed: emit(["type": "closed"])
                    case .bufferedAmountLow: break
                    }
                }
            }
        }

        while let line = readLine() {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], let type = object["type"] as? String else {
                emit(["type": "error", "error": "bad line"])
                continue
            }
            do {
                switch type {
                case "make_offer":
                    let offer = try await driver.withConnection { connection, now in
                        connection.createDataChannel(label: "mesh")
                        return connection.createOffer(now: now).serialized()
                    }
                    emit(["type": "offer", "sdp": offer])
                case "offer":
                    let sdp = object["sdp"] as? String ?? ""
                    let answer = try await driver.withConnection { connection, now in
                        try connection.setRemoteDescription(try SessionDescription(parsing: sdp), now: now)
                        return try connection.createAnswer().serialized()
                    }
                    emit(["type": "answer", "sdp": answer])
                case "answer":
                    let sdp = object["sdp"] as? String ?? ""
                    try await driver.withConnection { connection, now in try connection.setRemoteDescription(try SessionDescription(parsing: sdp), now: now) }
                case "candidate":
                    let text = object["candidate"] as? String ?? ""
                    if let candidate = try? ICECandidate(parsing: text) {
                        try await driver.withConnection { connection, now in connection.addRemoteCandidate(candidate, now: now) }
                    }
                case "send":
                    guard let stream = await channel.stream else { throw PeerConnectionError.notConnected }
                    let message: DataChannelMessage =
                        if let text = object["text"] as? String { .text(text) } else { .binary(Array(Data(base64Encoded: object["binary"] as? String ?? "") ?? Data())) }
                    try await driver.withConnection { connection, now in try connection.send(message, on: stream, now: now) }
                case "close":
                    await driver.close()
                    eventTask.cancel()
                    return
                default:
                    emit(["type": "error", "error": "unknown type \(type)"])
                }
            } catch {
                emit(["type": "error", "error": "\(error)"])
            }
        }
        await driver.close()
    }

    static func emit(_ object: [String: String]) {
        let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data()
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }
}

/// The shape of the registry's `GET /api/config`.
struct ICEConfig: Decodable {
    let iceServers: [ICEServer]
}

actor ChannelBox {
    var stream: UInt16?
    func set(_ stream: UInt16) { self.stream = stream }
}
