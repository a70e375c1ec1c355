/// An `a=` line: `a=name` (a flag) or `a=name:value`. The value is kept exactly as written,
/// leading spaces included, so attributes this stack does not interpret survive a round trip.
public struct SDPAttribute: Sendable, Hashable {
    public var name: String
    public var value: String?

    public init(name: String, value: String? = nil) {
        self.name = name
        self.value = value
    }

    /// Splits the text after `a=` at its first colon.
    init(parsing text: Substring) {
        let parts = SDPText.split(text, at: ":", maxSplits: 1)
        if parts.count == 2 {
            self.init(name: String(parts[0]), value: String(parts[1]))
        } else {
            self.init(name: String(text), value: nil)
        }
    }

    /// The line without its `a=`.
    public var text: String {
        value.map { "\(name):\($0)" } ?? name
    }
}
