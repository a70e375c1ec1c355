/// How a STUN client request to a server is retransmitted over UDP (RFC 8489 §6.2.1): first after
/// `initialInterval`, then doubling up to `maxInterval`, and given up one interval after the last
/// retransmission. The defaults give up after 9.5 s, so an unreachable server fails quickly.
public struct STUNRetransmitSchedule: Sendable, Hashable {
    public var initialInterval: Duration = .milliseconds(500)
    public var maxInterval: Duration = .seconds(2)
    public var maxRetransmits = 5

    public init() {}

    /// Over TCP or TLS (RFC 8489 §6.2.2): sent once, given up after 39.5 s without an answer.
    public static var reliable: STUNRetransmitSchedule {
        var schedule = STUNRetransmitSchedule()
        schedule.initialInterval = .milliseconds(39_500)
        schedule.maxRetransmits = 0
        return schedule
    }
}

/// The retransmission timer of one outstanding request.
package struct STUNRetransmission: Sendable {
    package let schedule: STUNRetransmitSchedule
    package private(set) var deadline: Duration
    private var interval: Duration
    private var retransmits = 0

    package init(schedule: STUNRetransmitSchedule, now: Duration) {
        self.schedule = schedule
        interval = schedule.initialInterval
        deadline = now + interval
    }

    package enum Step {
        case retransmit, giveUp
    }

    /// At or after `deadline`: whether to send the request again (the timer is re-armed) or give up.
    package mutating func fire(now: Duration) -> Step {
        guard retransmits < schedule.maxRetransmits else { return .giveUp }
        retransmits += 1
        interval = min(interval * 2, schedule.maxInterval)
        deadline = now + interval
        return .retransmit
    }
}
