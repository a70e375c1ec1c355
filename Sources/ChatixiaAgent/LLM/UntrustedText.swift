/// Text from other agents, tasks and skills on its way to the LLM: control characters (other than line
/// breaks and tabs) are stripped and the length is capped, so it arrives as plain, bounded data.
enum UntrustedText {
    /// A prompt longer than this is cut before it reaches the model.
    static let promptLimit = 32_000

    static func sanitized(_ text: String, limit: Int) -> String {
        var clean = String.UnicodeScalarView()
        for scalar in text.unicodeScalars where scalar.properties.generalCategory != .control || scalar == "\n" || scalar == "\t" {
            clean.append(scalar)
        }
        let result = String(clean)
        guard result.count > limit else { return result }
        return String(result.prefix(limit)) + "\n[truncated: \(result.count) characters in all]"
    }
}
