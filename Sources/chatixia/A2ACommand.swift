import ArgumentParser
import ChatixiaAgent
import Foundation
import MeshProtocol
import Synchronization

/// `chatixia a2a card URL` and `chatixia a2a send URL TEXT`: an outside A2A agent tried from the shell, as an
/// agent's `a2a_agents:` entry would call it.
struct A2ACommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "a2a",
        abstract: "Try an A2A 1.0 agent from the shell: read its card, send it a message.",
        discussion: "URL is the agent's base URL (its card at /.well-known/agent-card.json) or its card's own URL.",
        subcommands: [Card.self, Send.self])

    struct Target: ParsableArguments {
        @Argument(help: "The agent's base URL, or its card's URL.")
        var url: String

        @Option(name: .customLong("header"), help: "'NAME: VALUE' sent with every request, e.g. 'x-api-key: $KEY' (repeatable).")
        var headers: [String] = []

        func console() throws -> A2AConsole {
            var fields: [String: String] = [:]
            for header in headers {
                guard let colon = header.firstIndex(of: ":"), !header[..<colon].trimmingCharacters(in: .whitespaces).isEmpty else {
                    throw ValidationError("--header '\(header)' is not 'NAME: VALUE'")
                }
                fields[header[..<colon].trimmingCharacters(in: .whitespaces)] = header[header.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            return A2AConsole(url: url, headers: fields)
        }
    }

    struct Card: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print an agent's card: its interface, capabilities and skills.")

        @OptionGroup var target: Target

        @Flag(help: "Print the card as JSON.")
        var json = false

        func run() async throws {
            let card: A2AAgentCard
            do {
                card = try await target.console().card()
            } catch let error as ValidationError {
                throw error
            } catch {
                printError("\(error)")
                throw ExitCode(1)
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(card), as: UTF8.self))
                return
            }
            print("\(card.name) (version \(card.version)): \(card.description)")
            for interface in card.supportedInterfaces { print("  interface: \(interface.protocolBinding) \(interface.protocolVersion) \(interface.url)") }
            print("  streaming: \(card.capabilities.streaming ? "yes" : "no")")
            print("  skills:")
            for skill in card.skills {
                print("    \(skill.id): \(skill.description)" + (skill.tags.isEmpty ? "" : " [\(skill.tags.joined(separator: ", "))]"))
                for example in skill.examples ?? [] { print("      e.g. \(example)") }
            }
        }
    }

    struct Send: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send an agent a message and print its answer (as it is written, when the agent streams).",
            discussion: "Exits 1 when the agent's task fails, is rejected or canceled, or asks for more input.")

        @OptionGroup var target: Target

        @Argument(help: "The message's text.")
        var text: String

        @Option(help: "The skill to ask for (sent as the message's metadata.skill); without it the agent decides.")
        var skill = ""

        @Flag(name: .customLong("no-stream"), help: "Wait for the whole answer even when the agent streams.")
        var noStream = false

        func run() async throws {
            let console = try target.console()
            let printed = Printed()
            do {
                let answer = try await console.send(text, skill: skill, onDelta: noStream ? nil : { @Sendable piece in printed.write(piece) })
                if printed.any { print("") } else { print(answer) }
            } catch {
                if printed.any { print("") }
                printError("\(error)")
                throw ExitCode(1)
            }
        }
    }
}

/// The pieces of an answer, written to standard output as they come.
private final class Printed: Sendable {
    private let wrote = Mutex(false)

    var any: Bool { wrote.withLock { $0 } }

    func write(_ piece: String) {
        wrote.withLock { $0 = true }
        FileHandle.standardOutput.write(Data(piece.utf8))
    }
}
