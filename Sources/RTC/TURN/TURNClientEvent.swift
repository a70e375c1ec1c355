import STUN

/// What a ``TURNClient`` reports to its owner.
public enum TURNClientEvent: Sendable, Equatable {
    /// The allocation exists: peers reach us at `relayed`; the server saw us at `mapped`.
    case allocated(relayed: TransportAddress, mapped: TransportAddress?)
    /// The allocation could not be made or was lost; the client does nothing more.
    case failed(TURNClientError)
}

public enum TURNClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No answer to a request after all retransmissions.
    case timeout(STUNMethod)
    /// The server answered a request with an error we cannot recover from (401 after we answered
    /// the challenge means wrong credentials).
    case rejected(STUNMethod, STUNErrorCode)
    /// A success response without what it must carry (an Allocate without XOR-RELAYED-ADDRESS).
    case malformedResponse(STUNMethod)
    /// The TCP or TLS connection to the server closed: the allocation went with it (RFC 8656 §3.1).
    case connectionClosed

    public var description: String {
        switch self {
        case .timeout(let method): "TURN \(method): no response from the server"
        case .rejected(let method, let error): "TURN \(method): \(error.code) \(error.reason)"
        case .malformedResponse(let method): "TURN \(method): malformed response"
        case .connectionClosed: "TURN: the connection to the server closed"
        }
    }
}
