import Testing

/// usrsctp keeps one timer wheel per process, and it follows one clock (see `SCTPAssociation`). Tests that run
/// associations, on a virtual clock or on the real one, take turns through this trait, one test case at a time
/// (within a suite too), so no two clocks drive the wheel at once; everything else in the test process still
/// runs in parallel.
public struct SCTPTimerWheelTrait: SuiteTrait, TestTrait, TestScoping {
    public var isRecursive: Bool { true }

    /// Each test case takes the wheel for itself; a suite holding it would let its own tests share it.
    public func scopeProvider(for test: Test, testCase: Test.Case?) -> Self? {
        testCase == nil ? nil : self
    }

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

/// A FIFO lock for async code.
actor SCTPTimerWheelLock {
    static let shared = SCTPTimerWheelLock()
    private var locked = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    nonisolated func exclusively(_ body: @Sendable () async throws -> Void) async throws {
        await acquire()
        do {
            try await body()
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
