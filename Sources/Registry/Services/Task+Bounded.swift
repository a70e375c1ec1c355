extension Task where Success == Void, Failure == Never {
    /// Waits for the task to end, at most `limit`: at shutdown, a task blocked in something that ignores
    /// cancellation (a pooled connection waiting out a lost server's backoff) must not keep the process up.
    func finish(waitingAtMost limit: Duration) async {
        let (ended, end) = AsyncStream<Void>.makeStream()
        let watcher = Task<Void, Never> {
            await self.value
            end.finish()
        }
        let timer = Task<Void, Never> {
            try? await Task<Never, Never>.sleep(for: limit)
            end.finish()
        }
        for await _ in ended {}
        watcher.cancel()
        timer.cancel()
    }
}
