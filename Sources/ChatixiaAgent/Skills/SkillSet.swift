import Foundation
import MeshProtocol

/// The skills an agent offers, by name: validation happens here, before any skill runs.
public struct SkillSet: Sendable {
    public private(set) var skills: [String: any Skill] = [:]
    /// Names in the order they were added (tools are shown to the LLM in this order).
    public private(set) var names: [String] = []

    public init(_ skills: [any Skill] = []) {
        for skill in skills { add(skill) }
    }

    /// Adds a skill; a later skill with the same name replaces the earlier one.
    public mutating func add(_ skill: any Skill) {
        if skills[skill.definition.name] == nil { names.append(skill.definition.name) }
        skills[skill.definition.name] = skill
    }

    public mutating func remove(_ name: String) {
        skills[name] = nil
        names.removeAll { $0 == name }
    }

    public func contains(_ name: String) -> Bool { skills[name] != nil }

    public var definitions: [SkillDefinition] { names.compactMap { skills[$0]?.definition } }

    /// Validates `arguments` against the skill's parameters, then runs it; `onDelta` gets the pieces of an
    /// answer that comes in pieces.
    public func invoke(_ name: String, arguments: [String: JSONValue], onDelta: ChatCompletionClient.DeltaHandler? = nil) async throws -> String {
        guard let skill = skills[name] else { throw SkillError.unknownSkill(name, available: names) }
        let checked = try skill.definition.validate(arguments)
        return try await skill.run(checked, onDelta: onDelta)
    }

    /// Every skill folder (a directory holding `skill.json`) directly inside `directories`, and what was wrong with the rest.
    public static func loadFolders(_ directories: [URL], environment: [String: String]) -> (skills: [FolderSkill], problems: [SkillError]) {
        var skills: [FolderSkill] = []
        var problems: [SkillError] = []
        for directory in directories {
            let entries = (try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: [.isDirectoryKey])) ?? []
            for folder in entries.sorted(by: { $0.path < $1.path }) {
                guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("skill.json").path) else { continue }
                do {
                    skills.append(try FolderSkill(folder: folder, environment: environment))
                } catch {
                    problems.append(error)
                }
            }
        }
        return (skills, problems)
    }
}
