import Foundation
import MeshProtocol

/// `chatixia pair CODE`: redeem an invite code, wait for an admin's approval, keep the device token (CONTRACT.md §2).
public struct DevicePairing: Sendable {
    public enum Progress: Sendable {
        case redeemed(PairingTicket)
        /// An earlier run redeemed this code and was interrupted before a decision: waiting goes on.
        case resumed(PairingTicket)
        case stillWaiting(elapsed: Duration)
        case approved(peerId: String, tokenFile: URL)
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case invalidCode(String)
        case ended(PairingStatus)
        case timedOut(entryId: String, after: Duration)
        case approvedWithoutToken(entryId: String)

        public var description: String {
            switch self {
            case .invalidCode(let code): "the invite code must be exactly 6 digits (got \"\(code)\")"
            case .ended(let status): "the pairing request was \(status.rawValue) by the registry's admin"
            case .timedOut(let entryId, let after):
                "no decision on pairing request \(entryId) within \(after.inSeconds / 60) min; run the same `chatixia pair` again to keep waiting, or ask the admin for a new code"
            case .approvedWithoutToken(let entryId):
                "pairing request \(entryId) was approved but its device token was already collected; ask for a new code"
            }
        }
    }

    public let manifest: Manifest
    public var pollInterval = Duration.seconds(2)
    public var timeout = Duration.seconds(15 * 60)
    /// How often `.stillWaiting` is reported.
    public var reminderInterval = Duration.seconds(30)

    public init(manifest: Manifest) { self.manifest = manifest }

    /// Runs the whole flow; returns the file holding the device token.
    public func run(code rawCode: String, progress: @Sendable (Progress) -> Void) async throws -> URL {
        let code = rawCode.trimmingCharacters(in: .whitespaces)
        guard code.count == 6, code.allSatisfy(\.isASCII), code.allSatisfy(\.isNumber) else { throw Failure.invalidCode(rawCode) }
        let registry = RegistryClient(baseURL: manifest.registry, credential: nil, caFile: ProcessInfo.processInfo.environment["CA_FILE"])
        let store = CredentialStore(directory: manifest.dataDirectory)
        let ticket: PairingTicket
        if let pending = store.pendingPairing(), pending.code == code, pending.registry == manifest.registry {
            ticket = PairingTicket(id: pending.entryId, status: .pendingApproval, peerId: pending.peerId, claimSecret: pending.claimSecret)
            progress(.resumed(ticket))
        } else {
            ticket = try await registry.pair(code: code, agentName: manifest.name)
            try store.store(pending: .init(code: code, registry: manifest.registry, entryId: ticket.id, peerId: ticket.peerId, claimSecret: ticket.claimSecret))
            try store.store(pairing: .init(entryId: ticket.id, peerId: ticket.peerId, status: ticket.status, registry: manifest.registry))
            progress(.redeemed(ticket))
        }

        let start = ContinuousClock.now
        var lastReminder = start
        while ContinuousClock.now - start < timeout {
            try await Task.sleep(for: pollInterval)
            let state: PairingProgress
            do {
                state = try await registry.pairingProgress(entryId: ticket.id, claimSecret: ticket.claimSecret)
            } catch RegistryError.rateLimited(let retryAfter, _) {
                try await Task.sleep(for: .seconds(retryAfter ?? 5))
                continue
            } catch let error as RegistryError {
                // A registry restart or a network hiccup should not lose a pairing that is otherwise fine.
                if case .unreachable = error { continue }
                if case .timedOut = error { continue }
                throw error
            }
            switch state.status {
            case .pendingApproval:
                if ContinuousClock.now - lastReminder >= reminderInterval {
                    lastReminder = .now
                    progress(.stillWaiting(elapsed: ContinuousClock.now - start))
                }
            case .approved:
                defer { store.removePendingPairing() }
                guard let token = state.deviceToken else { throw Failure.approvedWithoutToken(entryId: ticket.id) }
                try store.store(deviceToken: token)
                try store.store(pairing: .init(entryId: ticket.id, peerId: state.peerId ?? ticket.peerId, status: .approved, registry: manifest.registry))
                progress(.approved(peerId: state.peerId ?? ticket.peerId, tokenFile: store.deviceTokenFile))
                return store.deviceTokenFile
            case .rejected, .revoked:
                store.removePendingPairing()
                try store.store(pairing: .init(entryId: ticket.id, peerId: ticket.peerId, status: state.status, registry: manifest.registry))
                throw Failure.ended(state.status)
            }
        }
        throw Failure.timedOut(entryId: ticket.id, after: timeout)
    }
}
