import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
import NIOSSL
import Logging

/// A ready-to-run registry: its HTTP/WebSocket application plus the shared services behind it.
public struct RegistryServer: Sendable {
    public let services: RegistryServices
    public let application: Application<RouterResponder<RegistryContext>>

    /// Opens the store, rebuilds state from it and wires routes, the journal writer and the sweeper.
    public static func make(
        config: RegistryConfiguration, logger: Logger, store givenStore: (any RegistryStore)? = nil,
        clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
    ) async throws -> RegistryServer {
        // Checked before the store opens, so a bad file is a clean configuration error.
        let tls = try config.tls.map(Self.tlsConfiguration)
        let store: any RegistryStore
        if let givenStore {
            store = givenStore
        } else {
            store = try await config.database.openStore(logger: logger)
        }
        let journal = Journal(store: store, logger: logger)
        let events = HubEventBus()
        let metrics = RegistryMetrics()
        let state = RegistryState(
            journal: journal, store: store, events: events, logger: logger, limits: config.limits, metrics: metrics, clock: clock)
        await state.load(try await store.loadAll())
        // The journal's writer is not running yet: bootstrap the file's keys straight into the store.
        try await state.bootstrap(fileKeys: config.apiKeys, using: store)
        let tokens = await TokenService(secret: config.signingSecret)
        let services = RegistryServices(config: config, state: state, tokens: tokens, events: events, metrics: metrics, logger: logger)

        let router = Router(context: RegistryContext.self)
        if !config.trustedProxies.isEmpty { router.add(middleware: ClientAddressMiddleware(trustedProxies: config.trustedProxies)) }
        router.add(middleware: ErrorMiddleware(metrics: metrics))
        router.add(middleware: SecurityHeadersMiddleware())
        if let hub = config.hubDirectory ?? Bundle.module.path(forResource: "hub", ofType: nil) {
            router.add(middleware: FileMiddleware(hub, searchForIndexHtml: true, logger: logger))
        }
        services.addRoutes(to: router)

        var server: HTTPServerBuilder = .http1WebSocketUpgrade(
            webSocketRouter: router,
            configuration: .init(http1: .init(additionalChannelHandlers: [RefusedUpgradeStatusHandler()]), ws: .init(maxFrameSize: 1 << 20)))
        if let tls { server = try .tls(server, tlsConfiguration: tls) }
        var application = Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(config.host, port: config.port), serverName: "chatixia-registry"),
            logger: logger)
        application.addServices(journal, SweepService(state: state, logger: logger))
        if let link = store.replication {
            application.addServices(ReplicationService(link: link, state: state, signaling: services.signaling, rateLimiters: services.rateLimiters))
        }
        return RegistryServer(services: services, application: application)
    }

    /// The server side of HTTPS/WSS from PEM files; an unusable file is a configuration error.
    static func tlsConfiguration(_ files: RegistryConfiguration.TLSFiles) throws(ConfigurationError) -> TLSConfiguration {
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(files.certificateChain).map { NIOSSLCertificateSource.certificate($0) }
            guard !chain.isEmpty else { throw ConfigurationError("'\(files.certificateChain)' holds no PEM certificate") }
            let key = try NIOSSLPrivateKey(file: files.privateKey, format: .pem)
            return TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        } catch let error as ConfigurationError {
            throw error
        } catch {
            throw ConfigurationError("cannot use TLS files '\(files.certificateChain)' and '\(files.privateKey)': \(error)")
        }
    }
}
