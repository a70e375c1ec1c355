import Foundation
import Logging
import ServiceLifecycle

/// Runs the state's sweep (TTL expiry, code expiry, health changes) four times a second, so a task
/// fails within about a second of its deadline.
struct SweepService: Service {
    let state: RegistryState
    let logger: Logger
    let interval: Duration = .milliseconds(250)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await state.sweep(now: Date().timeIntervalSince1970)
                } catch {
                    logger.error("sweep failed", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
