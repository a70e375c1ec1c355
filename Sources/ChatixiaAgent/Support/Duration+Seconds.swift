extension Duration {
    /// The duration in (fractional) seconds.
    var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    var inMilliseconds: Int { Int(inSeconds * 1000) }
}
