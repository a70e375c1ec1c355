/// A clock a test advances itself, so protocol cores run in simulated time: seconds of protocol time cost
/// milliseconds of real time, and a busy machine changes nothing about what the cores see.
public final class VirtualClock {
    public private(set) var now: Duration

    public init(startingAt now: Duration = .zero) {
        self.now = now
    }

    public func advance(by interval: Duration) {
        now += interval
    }

    /// Moves to `time` if that is later.
    public func advance(to time: Duration) {
        now = max(now, time)
    }
}
