import Testing

/// usrsctp keeps one timer wheel per process, and it follows one clock (see `SCTPAssociation`). Suites that
/// run associations, on a virtual clock or on the real one, take turns through this trait, so no two
/// clocks drive the wheel at once; everything else in the test process still runs in parallel.
public struct SCTPTimerWheelTrait: SuiteTrait, TestTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await SCTPTimerWheelLock.shared.exclusively(function)
    }
}

extension Trait where Self == SCTPTimerWheelTrait {
    /// The test has usrsctp's process-wide timers to itself.
    public static var sctpTimerWheel: Self { Self() }
}

/// A FIFO lock for async code; a task already holding it (a suite's scope around its tests) passes through.
actor SCTPTimerWheelLock {
    static let shared = SCTPTimerWheelLock()
    @TaskLocal private static var isHeld = false
    private var locked = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    nonisolated func exclusively(_ body: @Sendable () async throws -> Void) async throws {
        if Self.isHeld { return try await body() }
        await acquire()
        do {
            try await Self.$isHeld.withValue(true) { try await body() }
        } catch {
            await release()
            throw error
        }
        await release()
    }

    private func acquire() async {
        guard locked else {
            locked = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    private func release() {
        if waiters.isEmpty { locked = false } else { waiters.removeFirst().resume() }
    }
}
