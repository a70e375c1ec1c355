import ArgumentParser

/// Load benchmark of chatixia-registry against a bare Hummingbird server in the same run.
@main
struct RegistryBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registry-bench",
        abstract: "Benchmarks chatixia-registry beside a bare Hummingbird server and writes docs/BENCHMARKS.md.",
        subcommands: [BenchRun.self, BareServer.self],
        defaultSubcommand: BenchRun.self)
}
