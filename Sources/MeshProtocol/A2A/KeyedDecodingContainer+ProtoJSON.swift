/// ProtoJSON, A2A's JSON, leaves out every field at its default (`false`, `""`, `[]`, `{}`), so readers of
/// A2A objects take an absent field as its default rather than an error.
extension KeyedDecodingContainer {
    func protoJSON<Value: Decodable>(_ key: Key, or fallback: Value) throws -> Value {
        try decodeIfPresent(Value.self, forKey: key) ?? fallback
    }
}
