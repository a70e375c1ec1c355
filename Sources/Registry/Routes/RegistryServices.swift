import Hummingbird
import Logging

/// Everything the routes share: configuration, state, auth, signaling, events, metrics, rate limits.
public struct RegistryServices: Sendable {
    public let config: RegistryConfiguration
    public let state: RegistryState
    public let tokens: TokenService
    public let signaling: SignalingHub
    public let events: HubEventBus
    let authenticator: Authenticator
    let metrics: RegistryMetrics
    let submissionLimiter: RateLimiter
    let requestLimiter: RateLimiter
    let tokenLimiter = RateLimiter("token", limit: 120, window: 60)
    let pairingLimiter = RateLimiter("pairing", limit: 5, window: 60, message: "too many pairing attempts, try again later")
    /// Claimants poll their status while they wait; the 128-bit claim secret needs no tighter limit.
    let claimStatusLimiter = RateLimiter("claim-status", limit: 120, window: 60)
    /// A2A agent cards are public, so fetching them is limited per address.
    let cardLimiter = RateLimiter("card", limit: 120, window: 60)
    /// A load balancer checks readiness every second or two.
    let readinessLimiter = RateLimiter("readiness", limit: 600, window: 60)

    init(config: RegistryConfiguration, state: RegistryState, tokens: TokenService, events: HubEventBus, metrics: RegistryMetrics, logger: Logger) {
        self.config = config
        self.state = state
        self.tokens = tokens
        self.events = events
        self.metrics = metrics
        submissionLimiter = RateLimiter(
            "submissions", limit: config.limits.submissionsPerMinute, window: 60, message: "too many task submissions from this credential, slow down")
        requestLimiter = RateLimiter(
            "requests", limit: config.limits.requestsPerMinute, window: 60, message: "too many requests from this credential, slow down")
        authenticator = Authenticator(
            tokens: tokens, state: state, allowAnonymous: config.allowAnonymous, metrics: metrics,
            failures: RateLimiter("failed-authentications", limit: config.limits.failedAuthPerMinute, window: 60, message: "too many failed authentication attempts"))
        signaling = SignalingHub(state: state, metrics: metrics, logger: logger)
    }

    /// Every rate limit, for replicas to share their counts.
    var rateLimiters: [RateLimiter] {
        [submissionLimiter, requestLimiter, tokenLimiter, pairingLimiter, claimStatusLimiter, cardLimiter, readinessLimiter, authenticator.failures]
    }

    /// Routes that authenticate themselves (token exchange, pairing redemption, WebSockets with `?token=`),
    /// then everything else under `/api` behind the auth middleware.
    func addRoutes(to router: Router<RegistryContext>) {
        addTokenRoutes(to: router)
        addPublicPairingRoutes(to: router)
        addSignalingRoute(to: router)
        addHubEventsRoute(to: router)
        addMetricsRoute(to: router)
        addReadinessRoute(to: router)
        addA2ARoutes(to: router)
        let api = router.group("api").add(middleware: AuthMiddleware(authenticator: authenticator, requests: requestLimiter))
        addAgentRoutes(to: api)
        addTaskRoutes(to: api)
        addAdminPairingRoutes(to: api)
        addConfigRoutes(to: api)
        addKeyRoutes(to: api)
    }
}
