import Hummingbird

extension RegistryServices {
    /// `GET /readyz`: 200 while the store takes writes, 503 with `Retry-After` while it does not (a
    /// PostgreSQL server that is down or unreachable), so a load balancer sends requests elsewhere meanwhile.
    /// Needs no credentials and tells nothing but that; limited per address since each check reaches the database.
    func addReadinessRoute(to router: Router<RegistryContext>) {
        router.get("readyz") { _, context in
            try readinessLimiter.hit(context.clientIP)
            do {
                try await state.store.ping()
            } catch {
                throw APIError(.serviceUnavailable, "the database is unreachable", retryAfterSeconds: 1)
            }
            return try jsonResponse(["status": "ready"])
        }
    }
}
