/// A line of a type this stack does not interpret (`i=`, `u=`, `e=`, `p=`, `b=`, `r=`, `z=`,
/// `k=` or an unknown letter), kept so it can be written back.
public struct SDPLine: Sendable, Hashable {
    public var type: Character
    public var value: String

    public init(type: Character, value: String) {
        self.type = type
        self.value = value
    }
}
