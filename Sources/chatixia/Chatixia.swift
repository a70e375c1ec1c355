import ArgumentParser
import Foundation

/// `chatixia`: scaffold, check, pair and run agents on a chatixia mesh (CONTRACT.md §4).
@main
struct Chatixia: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chatixia",
        abstract: "Build and run AI agents on a chatixia mesh.",
        discussion: """
            Start with `chatixia init my-agent`, fill in .env, check with `chatixia validate`, join a mesh with \
            `chatixia pair CODE` (or an API key), then `chatixia run`.
            """,
        version: "0.2.0",
        subcommands: [InitCommand.self, ValidateCommand.self, PairCommand.self, RunCommand.self, A2ACommand.self])
}

/// Prints to standard error, prefixed so the source of the message is clear.
func printError(_ message: String) {
    FileHandle.standardError.write(Data("chatixia: error: \(message)\n".utf8))
}
