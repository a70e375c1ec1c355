extension Duration {
    /// The whole nanoseconds (rounded toward zero) as one 64-bit integer, enough for ±292 years: for clocks that count
    /// in integers, and for arithmetic on hot paths, where `Duration`'s own 128-bit multiplication and division show
    /// in a profile.
    public var wholeNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
