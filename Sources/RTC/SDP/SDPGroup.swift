/// An `a=group:` attribute, such as `BUNDLE 0`: a semantics token and the mids it groups.
public struct SDPGroup: Sendable, Hashable {
    public var semantics: String
    public var mids: [String]

    public init(semantics: String, mids: [String]) {
        self.semantics = semantics
        self.mids = mids
    }

    public static func bundle(_ mids: [String]) -> SDPGroup {
        SDPGroup(semantics: "BUNDLE", mids: mids)
    }

    init?(parsing text: Substring) {
        let fields = SDPText.fields(text)
        guard let semantics = fields.first else { return nil }
        self.init(semantics: String(semantics), mids: fields.dropFirst().map(String.init))
    }

    var text: String { ([semantics] + mids).joined(separator: " ") }
}
