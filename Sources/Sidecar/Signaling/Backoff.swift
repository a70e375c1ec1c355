/// Exponential backoff with jitter: each failure doubles the ceiling (from `initial` up to `maximum`)
/// and the wait is drawn between half the ceiling and the ceiling, so sidecars never retry in lockstep.
struct Backoff: Sendable {
    let initial: Duration
    let maximum: Duration
    private var ceiling: Duration

    init(initial: Duration = .milliseconds(500), maximum: Duration = .seconds(30)) {
        self.initial = initial
        self.maximum = maximum
        ceiling = initial
    }

    /// The wait before the next attempt; grows the ceiling for the one after.
    mutating func next<G: RandomNumberGenerator>(using generator: inout G) -> Duration {
        let wait = ceiling * Double.random(in: 0.5...1, using: &generator)
        ceiling = min(ceiling * 2, maximum)
        return wait
    }

    mutating func next() -> Duration {
        var generator = SystemRandomNumberGenerator()
        return next(using: &generator)
    }

    mutating func reset() { ceiling = initial }
}
