/// Where a sans-IO core draws its randomness (ICE credentials and tie-breakers, STUN transaction ids,
/// session ids): the system's generator in production, a seeded one in tests, so a simulated run repeats
/// exactly. A class, so the layers of one connection (ICE, its TURN clients, the peer connection) draw
/// from one sequence; like the cores that hold it, it belongs to one owner (an event loop).
public final class RandomSource: RandomNumberGenerator {
    private var generator: any RandomNumberGenerator

    public init(_ generator: some RandomNumberGenerator) {
        self.generator = generator
    }

    /// The operating system's cryptographically secure generator.
    public static func system() -> RandomSource {
        RandomSource(SystemRandomNumberGenerator())
    }

    public func next() -> UInt64 {
        generator.next()
    }
}
