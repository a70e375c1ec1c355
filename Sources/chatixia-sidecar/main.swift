#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import Logging
import Sidecar

/// `chatixia-sidecar`: no arguments, configured by environment (CONTRACT.md §3). Exit 2 for a
/// configuration error, 1 when the registry refuses the credential or the socket cannot be served.
@main
struct SidecarMain {
    static func main() async {
        let environment = ProcessInfo.processInfo.environment
        if CommandLine.arguments.count > 1 {
            let argument = CommandLine.arguments[1]
            if argument == "--version" || argument == "-V" {
                print("chatixia-sidecar 0.2.0")
                exit(0)
            }
            print("""
                chatixia-sidecar: WebRTC DataChannel mesh peer and IPC bridge for one chatixia agent.
                Configured by environment: SIGNALING_URL, TOKEN_URL, API_KEY or DEVICE_TOKEN, IPC_SOCKET,
                CHATIXIA_IPC_TOKEN, ICE_HOST_ADDRESSES, ICE_TRANSPORT_POLICY, LOG_LEVEL.
                """)
            exit(argument == "--help" || argument == "-h" ? 0 : 2)
        }
        let level = environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "chatixia-sidecar")
        let configuration: SidecarConfiguration
        do {
            configuration = try SidecarConfiguration.resolve(environment: environment)
        } catch {
            printError("chatixia-sidecar: configuration error: \(error)")
            exit(2)
        }
        do {
            try await Sidecar.run(configuration: configuration, environment: environment, logger: logger)
        } catch {
            printError("chatixia-sidecar: \(error)")
            exit(1)
        }
        exit(0)
    }
}

/// One line on standard error, written to fd 2 directly (this process does without full Foundation).
func printError(_ text: String) {
    var line = text + "\n"
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}
