import Foundation

/// A `.env` file: `KEY=value` lines, `#` comments, optional `export `, single or double quotes.
public enum DotEnv {
    public static func parse(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for rawLine in text.split(whereSeparator: \.isNewline) {
            var line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty else { continue }
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if let quote = value.first, quote == "\"" || quote == "'", value.count >= 2, value.last == quote {
                value = String(value.dropFirst().dropLast())
                if quote == "\"" { value = value.replacingOccurrences(of: "\\n", with: "\n") }
            } else if let comment = value.range(of: " #") {
                value = value[..<comment.lowerBound].trimmingCharacters(in: .whitespaces)
            }
            values[key] = value
        }
        return values
    }

    /// The process environment over the manifest directory's `.env` (the process wins, as with python-dotenv).
    public static func environment(for manifest: Manifest, process: [String: String] = ProcessInfo.processInfo.environment) -> [String: String] {
        let file = manifest.directory.appendingPathComponent(".env")
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return process }
        return parse(text).merging(process) { _, fromProcess in fromProcess }
    }
}
