import Crypto
import Foundation
import Hummingbird
import ICE
import MeshProtocol

extension RegistryServices {
    /// coturn `use-auth-secret` credentials: username `"<expiry>:<peer_id>"`, credential
    /// base64(HMAC-SHA1(secret, username)), so no long-lived TURN password is ever handed out.
    static func turnCredential(secret: String, username: String) -> String {
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Data(username.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return Data(mac).base64EncodedString()
    }

    func iceConfig(for identity: Identity, now: Double = Date().timeIntervalSince1970) -> ICEConfiguration {
        var servers: [ICEServer] = []
        if !config.stunURLs.isEmpty { servers.append(ICEServer(urls: config.stunURLs)) }
        if let turn = config.turn {
            let username = "\(Int(now) + turn.ttl):\(identity.peerId.isEmpty ? "mesh" : identity.peerId)"
            servers.append(ICEServer(urls: turn.urls, username: username, credential: Self.turnCredential(secret: turn.secret, username: username)))
        }
        return ICEConfiguration(iceServers: servers)
    }

    func addConfigRoutes(to api: RouterGroup<RegistryContext>) {
        api.get("config") { _, context in
            try jsonResponse(iceConfig(for: try context.requireIdentity()))
        }
    }
}
