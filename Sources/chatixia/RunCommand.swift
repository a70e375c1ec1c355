import ArgumentParser
import ChatixiaAgent
import Foundation
import Logging

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run an agent on the mesh until SIGINT or SIGTERM.",
        discussion: """
            Registers with the registry, starts and supervises the sidecar, heartbeats, takes queued tasks and \
            answers the mesh. On SIGINT or SIGTERM it deregisters, stops the sidecar and exits 0.
            """)

    enum LogFormat: String, ExpressibleByArgument, CaseIterable {
        case human, json
    }

    @Argument(help: "Path to agent.yaml, or a directory holding one.")
    var manifest = "agent.yaml"

    @Option(help: "Log format: human (default) or json (one object per line).")
    var logFormat = LogFormat.human

    @Option(help: "trace, debug, info, notice, warning or error (default: $LOG_LEVEL, else notice).")
    var logLevel: String?

    func run() async throws {
        let loaded = try loadManifestOrExit(manifest)
        let environment = DotEnv.environment(for: loaded)
        let levelName = (logLevel ?? environment["LOG_LEVEL"] ?? "notice").lowercased()
        guard let level = Logger.Level(rawValue: levelName == "warn" ? "warning" : levelName) else {
            printError("unknown log level \"\(levelName)\" (use trace, debug, info, notice, warning or error)")
            throw ExitCode(2)
        }
        let format = logFormat
        LoggingSystem.bootstrap { label in
            switch format {
            case .human: ConsoleLogHandler(level: level)
            case .json: JSONLogHandler(label: label, level: level)
            }
        }
        let logger = Logger(label: "chatixia")

        let runtime: AgentRuntime
        do {
            runtime = try AgentRuntime(manifest: loaded, environment: environment, logger: logger)
        } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
        do {
            try await runtime.run(until: {
                await TerminationSignals.next()
                // A second signal while shutting down means "now".
                Task.detached {
                    await TerminationSignals.next()
                    FileHandle.standardError.write(Data("chatixia: second signal; exiting without cleanup\n".utf8))
                    Foundation.exit(130)
                }
            })
        } catch {
            if format == .json { logger.error("\(error)") }
            printError("\(error)")
            throw ExitCode(1)
        }
    }
}

/// SIGINT and SIGTERM as something to await (their default action, ending the process, is turned off).
enum TerminationSignals {
    static func next() async {
        let (signals, sink) = AsyncStream.makeStream(of: Int32.self)
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { sink.yield(number) }
            source.resume()
            sources.append(source)
        }
        for await _ in signals { break }
        for source in sources { source.cancel() }
    }
}
