import NIOSSL
import Synchronization

/// How the certificates of `turns:` servers are checked. The TLS context loads a whole trust store (megabytes
/// per process), so it is made on first use: a sidecar that never meets a `turns:` server never pays for it.
public final class TURNTrust: Sendable {
    private let configuration: TLSConfiguration
    private let context = Mutex<Result<NIOSSLContext, any Error>?>(nil)

    public init(_ configuration: TLSConfiguration = .makeClientConfiguration()) {
        self.configuration = configuration
    }

    /// The system's trust store.
    public static let system = TURNTrust()

    func sslContext() throws -> NIOSSLContext {
        try context.withLock { context in
            if let context { return context }
            let made = Result { try NIOSSLContext(configuration: configuration) }
            context = made
            return made
        }.get()
    }
}
