import SansIO
import STUN

/// Learns server-reflexive addresses (RFC 8445 §5.1.1.2): a STUN Binding request from a host
/// candidate's socket to a STUN server, whose XOR-MAPPED-ADDRESS is where the server saw us.
/// A server that never answers just yields no candidate.
final class ServerReflexiveDiscovery {
    struct Discovered {
        let socket: Int
        let mapped: TransportAddress
    }

    private struct Request {
        let socket: Int
        let server: TransportAddress
        let bytes: [UInt8]
        var retransmission: STUNRetransmission
    }

    private let schedule: STUNRetransmitSchedule
    private var requests: [STUNTransactionID: Request] = [:]
    private var transmits = DrainQueue<ICETransmit>()
    private var random: RandomSource

    init(schedule: STUNRetransmitSchedule, random: RandomSource) {
        self.schedule = schedule
        self.random = random
    }

    func start(socket: Int, server: TransportAddress, now: Duration) {
        let request = STUNMessage(method: .binding, class: .request, transactionID: .random(using: &random))
        guard let bytes = try? request.encoded(fingerprint: true) else { return }
        requests[request.transactionID] = Request(
            socket: socket, server: server, bytes: bytes, retransmission: STUNRetransmission(schedule: schedule, now: now))
        transmits.append(ICETransmit(socket: socket, destination: server, payload: bytes))
    }

    /// Whether `response` answers one of our requests (then it is consumed), and what it taught us.
    func receive(_ response: STUNMessage, from source: TransportAddress, socket: Int) -> (consumed: Bool, discovered: Discovered?) {
        guard let request = requests[response.transactionID], request.server == source, request.socket == socket else {
            return (false, nil)
        }
        requests[response.transactionID] = nil
        guard response.messageClass == .successResponse, let mapped = response.xorMappedAddress ?? response.mappedAddress else {
            return (true, nil)
        }
        return (true, Discovered(socket: socket, mapped: mapped))
    }

    func handleTimeout(now: Duration) {
        for (id, var request) in requests where request.retransmission.deadline <= now {
            switch request.retransmission.fire(now: now) {
            case .giveUp:
                requests[id] = nil
            case .retransmit:
                requests[id] = request
                transmits.append(ICETransmit(socket: request.socket, destination: request.server, payload: request.bytes))
            }
        }
    }

    var deadline: Duration? { requests.values.map(\.retransmission.deadline).min() }

    func pollTransmit() -> ICETransmit? {
        transmits.popFirst()
    }

    func cancel() {
        requests.removeAll()
        transmits.removeAll()
    }
}
