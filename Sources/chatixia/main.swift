import ArgumentParser
import Foundation

/// Placeholder entry point: the agent CLI lands with the agent work (see README, "Status").
struct ChatixiaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chatixia",
        abstract: "Build and run agents on a chatixia mesh: init, validate, pair, run (not implemented yet).",
        version: "0.1.0")

    func run() throws {
        FileHandle.standardError.write(Data("chatixia: the agent CLI is not implemented in this build yet\n".utf8))
        throw ExitCode(1)
    }
}

ChatixiaCommand.main()
