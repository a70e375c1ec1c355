import ArgumentParser
import Foundation

/// Placeholder entry point: the WebRTC mesh peer lands with the sidecar work (see README, "Status").
struct SidecarCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chatixia-sidecar",
        abstract: "WebRTC DataChannel mesh peer and IPC bridge for one chatixia agent (not implemented yet).",
        version: "0.1.0")

    func run() throws {
        FileHandle.standardError.write(Data("chatixia-sidecar: the mesh peer is not implemented in this build yet\n".utf8))
        throw ExitCode(1)
    }
}

SidecarCommand.main()
