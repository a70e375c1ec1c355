import ArgumentParser
import ChatixiaAgent
import Foundation

struct PairCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pair",
        abstract: "Join a mesh with an invite code: redeem it, wait for an admin's approval, keep the device token.",
        discussion: """
            The device token is stored owner-only (0600) in data_dir; `chatixia run` uses it from then on. \
            If the wait is interrupted, running the same command again goes on waiting for the same request.
            """)

    @Argument(help: "The 6-digit invite code from the mesh's admin.")
    var code: String

    @Argument(help: "Path to agent.yaml, or a directory holding one.")
    var manifest = "agent.yaml"

    @Option(help: "How long to wait for approval, in seconds.")
    var timeout = 900

    func run() async throws {
        let loaded = try loadManifestOrExit(manifest)
        var pairing = DevicePairing(manifest: loaded)
        pairing.timeout = .seconds(max(1, timeout))
        print("Pairing '\(loaded.name)' with \(loaded.registry) ...")
        do {
            _ = try await pairing.run(code: code) { progress in
                switch progress {
                case .redeemed(let ticket):
                    print("Request \(ticket.id) is waiting for approval (this agent will be peer \(ticket.peerId)).")
                    print("An admin approves it in the hub dashboard, or with POST /api/pairing/\(ticket.id)/approve.")
                case .resumed(let ticket):
                    print("Resuming request \(ticket.id), which this code opened earlier: still waiting for approval (peer \(ticket.peerId)).")
                case .stillWaiting(let elapsed):
                    print("Still waiting for approval (\(Int(elapsed.components.seconds)) s) ...")
                case .approved(let peerId, let tokenFile):
                    print("Approved: this agent is peer \(peerId).")
                    print("Device token saved to \(tokenFile.path) (owner-only); `chatixia run` uses it from now on.")
                }
            }
        } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
    }
}

/// Loads a manifest, printing every error and exiting 2 (a configuration error) if it is unusable.
func loadManifestOrExit(_ path: String) throws -> Manifest {
    let report: ManifestReport
    do {
        report = try Manifest.load(path)
    } catch {
        printError("\(error)")
        throw ExitCode(2)
    }
    guard report.errors.isEmpty else {
        for issue in report.errors { FileHandle.standardError.write(Data("\(issue)\n".utf8)) }
        printError("\(report.errors.count) error(s) in \(path); `chatixia validate \(path)` shows them all")
        throw ExitCode(2)
    }
    return report.manifest
}
