import AsyncHTTPClient
import PeerConnection
import RTCTransport
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Synchronization
import Logging
import MeshProtocol
import NIOCore
import NIOPosix
import NIOSSL

/// Wires one sidecar together: token, signaling, the mesh and the agent's IPC socket.
public enum Sidecar {
    private static let privateCA = Mutex<HTTPClient?>(nil)

    static func privateCAClient(_ tls: TLSConfiguration) -> HTTPClient {
        privateCA.withLock { client in
            if let client { return client }
            let created = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
            client = created
            return created
        }
    }

    /// Runs until SIGINT or SIGTERM, then closes every connection and removes the socket.
    /// Throws only for what retrying cannot fix: a refused credential or an unusable socket path.
    public static func run(configuration: SidecarConfiguration, environment: [String: String], logger: Logger) async throws {
        let tls = ClientTLS.configuration(caFile: configuration.caFile)
        // A client of our own only for a private CA; like `.shared`, it lives as long as the process.
        let registry = RegistryClient(
            tokenURLs: configuration.tokenURLs, credential: configuration.credential,
            http: configuration.caFile == nil ? .shared : Self.privateCAClient(tls))
        let token = try await firstToken(from: registry, logger: logger)
        let followsAddresses = configuration.hostAddresses.isEmpty
        let hosts: @Sendable () -> [String] = { followsAddresses ? localAddresses() : configuration.hostAddresses }
        let signaling = SignalingClient(signalingURLs: configuration.signalingURLs, tls: tls, registry: registry, initialToken: token, logger: logger)
        let environmentTURN = configuration.environmentTURNServer(peerId: token.peerId)
        // Fetched again whenever signaling (re)connects, so TURN credentials never go stale; a failed fetch keeps
        // the last list.
        let fetchedICEServers = Mutex<[ICEServer]>([])
        let iceServers: @Sendable () async -> [ICEServer] = {
            do {
                let fetched = try await registry.fetchICEServers(token: try await signaling.freshToken())
                fetchedICEServers.withLock { $0 = fetched }
            } catch {
                logger.warning("cannot fetch ICE servers from the registry; keeping the last ones", metadata: ["error": "\(error)"])
            }
            var servers = fetchedICEServers.withLock { $0 }
            if let environmentTURN = configuration.environmentTURNServer(peerId: token.peerId) { servers.append(environmentTURN) }
            return servers
        }
        if configuration.transportPolicy == .relay && environmentTURN == nil {
            logger.notice("relay-only: connections need a TURN server from the registry's /api/config")
        }
        // One loop carries every peer connection and the agent's IPC connection: a message between them never
        // changes threads.
        let dataPlane = DataPlane(
            loop: MultiThreadedEventLoopGroup.singleton.next(), busyPollLimit: configuration.busyPollLimit, logger: logger)
        let mesh = Mesh(
            selfId: token.peerId, signaling: signaling, dtls: try DTLSContext(), turnTrust: TURNTrust(tls), hostAddresses: hosts,
            policy: configuration.transportPolicy, iceServers: iceServers, dataPlane: dataPlane, logger: logger)
        // Configured addresses are fixed; the machine's own are followed, and a change restarts ICE.
        let addressMonitor = followsAddresses ? AddressMonitor.start { Task { await mesh.addressesMayHaveChanged() } } : nil
        let ipc = IPCServer(path: configuration.ipcSocket, token: configuration.ipcToken, mesh: mesh, dataPlane: dataPlane, logger: logger)
        let usesDefaultSocket = environment["IPC_SOCKET"]?.isEmpty ?? true
        logger.notice("sidecar starting", metadata: ["peer_id": "\(token.peerId)", "hosts": "\(hosts().joined(separator: ","))", "ipc": "\(configuration.ipcSocket)"])

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await signaling.run() }
            group.addTask { await mesh.run() }
            group.addTask { try await ipc.run(privateDirectory: usesDefaultSocket) }
            group.addTask { await terminationSignal() }
            defer { group.cancelAll() }
            try await group.next()
        }
        withExtendedLifetime(addressMonitor) {}
        await mesh.shutdown()
        logger.notice("sidecar stopped")
    }

    /// The first token decides who we are; an unreachable registry is waited for, a refusal is final.
    private static func firstToken(from registry: RegistryClient, logger: Logger) async throws -> SignalingToken {
        var backoff = Backoff()
        while true {
            do {
                return try await registry.fetchToken()
            } catch let error as TokenError {
                if case .rejected = error { throw error }
                logger.warning("waiting for the registry", metadata: ["error": "\(error)"])
            }
            try await Task.sleep(for: backoff.next())
        }
    }

    /// Every non-loopback IPv4 address that is up; loopback when there is none.
    static func localAddresses() -> [String] {
        let devices = (try? System.enumerateDevices()) ?? []
        let usable = devices.compactMap { device -> String? in
            guard let address = device.address, case .v4 = address, let ip = address.ipAddress, !ip.hasPrefix("127.") else { return nil }
            return ip
        }
        return usable.isEmpty ? ["127.0.0.1"] : Array(Set(usable)).sorted()
    }

    private static func terminationSignal() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            SignalLatch.install(continuation, signals: [SIGINT, SIGTERM])
        }
    }
}

/// Resumes the waiting continuation once, from whichever signal comes first.
private final class SignalLatch: @unchecked Sendable {
    // @unchecked: `sources` is filled in `install` before any handler can run and is only kept alive,
    // never read again; the continuation, which handlers on a global queue take, sits behind a Mutex.
    private let continuation: Mutex<CheckedContinuation<Void, Never>?>
    private var sources: [any DispatchSourceSignal] = []

    private init(_ continuation: CheckedContinuation<Void, Never>) { self.continuation = Mutex(continuation) }

    /// Ignores `signals`' default action and resumes `continuation` on the first of them. The latch
    /// lives on in its sources' handlers.
    static func install(_ continuation: CheckedContinuation<Void, Never>, signals: [Int32]) {
        let latch = SignalLatch(continuation)
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { latch.fire() }
            latch.sources.append(source)
        }
        for source in latch.sources { source.resume() }
    }

    private func fire() {
        let waiting = continuation.withLock { continuation in
            defer { continuation = nil }
            return continuation
        }
        waiting?.resume()
    }
}
