import ArgumentParser
import ChatixiaAgent
import Foundation

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Scaffold a new agent: agent.yaml, .env.example, .gitignore, AGENT.md and an example skill.",
        discussion: "Never overwrites: exits 1 if agent.yaml exists; other existing files are kept.")

    @Argument(help: "The agent's name.")
    var name = "my-agent"

    @Option(name: [.short, .customLong("directory")], help: "Where to write the files (default: ./<name>).")
    var directory: String?

    func run() throws {
        let target = URL(fileURLWithPath: NSString(string: directory ?? name).expandingTildeInPath).standardized
        do {
            let outcome = try Scaffold.write(name: name, into: target)
            let shown = directory ?? name
            for file in outcome.created { print("Created \(shown)/\(file)") }
            for file in outcome.kept { print("Kept existing \(shown)/\(file)") }
            print("""

                Next steps:
                  cd \(shown)
                  cp .env.example .env     # fill in your credentials
                  chatixia validate        # check the manifest
                  chatixia pair <code>     # join a mesh with an invite code from its admin (or set API_KEY)
                  chatixia run             # connect to the mesh
                """)
        } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
    }
}
