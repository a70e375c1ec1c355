import ICE
import STUN

/// Agents and TURN servers on a simulated network with a virtual clock: a datagram goes to whichever
/// node owns its destination address. Agents may sit behind a NAT (others see a public address), the
/// direct path between agents may be blocked (only servers relay), addresses may be unreachable, and
/// trickled candidates may be passed between agents as they appear.
final class SimulatedNetwork {
    struct Host {
        let local: TransportAddress
        /// What others see and send to.
        let seenAs: TransportAddress
        /// A TCP or TLS connection to a TURN server rather than a UDP socket.
        var isStream = false
    }

    var now: Duration = .zero
    var agents: [(agent: ICEAgent, hosts: [Host])] = []
    var servers: [TURNServerSimulation] = []
    /// Drops everything.
    var cut = false
    /// Drops datagrams between agents that no server relays.
    var directPathBlocked = false
    var unreachable: Set<TransportAddress> = []
    /// Passes each agent's `localCandidate` events to every other agent.
    var trickle = false
    /// Drops every datagram to or from an agent's UDP socket (a firewall); streams to servers pass.
    var udpBlocked = false
    /// Servers whose TCP connections are refused.
    var refusingConnections: Set<TransportAddress> = []
    /// Every connection an agent asked for, in order.
    private(set) var connectionRequests: [TURNConnectionRequest] = []
    var received: [Int: [[UInt8]]] = [:]
    /// Every datagram an agent sent to a server, for assertions on the wire format.
    private(set) var sentToServers: [[UInt8]] = []
    private(set) var announced: [Int: [ICECandidateAddress]] = [:]

    @discardableResult
    func add(_ agent: ICEAgent, hosts: [TransportAddress], natted: [TransportAddress]? = nil) -> Int {
        let entry = hosts.enumerated().map { Host(local: $1, seenAs: natted?[$0] ?? $1) }
        agents.append((agent, entry))
        for (socket, address) in hosts.enumerated() { agent.addLocalCandidate(kind: .host, address: address, socket: socket, now: now) }
        return agents.count - 1
    }

    /// Runs until `done` or `limit` of virtual time passes, stepping to the next deadline.
    func run(for limit: Duration, until done: () -> Bool = { false }) {
        let end = now + limit
        while now < end && !done() {
            var moved = false
            for index in agents.indices {
                let entry = agents[index]
                while let event = entry.agent.pollEvent() {
                    guard case .localCandidate(let candidate) = event else { continue }
                    announced[index, default: []].append(candidate)
                    guard trickle else { continue }
                    for other in agents.indices where other != index { agents[other].agent.addRemoteCandidate(candidate, now: now) }
                }
                while let request = entry.agent.pollConnectionRequest() {
                    moved = true
                    connectionRequests.append(request)
                    guard !refusingConnections.contains(request.server), !cut else {
                        entry.agent.connectionFailed(request.id, now: now)
                        continue
                    }
                    let stream = TransportAddress(ip: request.localIP, port: UInt16(40_000 + connectionRequests.count))
                    agents[index].hosts.append(Host(local: stream, seenAs: stream, isStream: true))
                    entry.agent.connectionOpened(request.id, socket: agents[index].hosts.count - 1, now: now)
                }
                while let transmit = entry.agent.pollTransmit() {
                    moved = true
                    let host = agents[index].hosts[transmit.socket]
                    guard host.isStream || !udpBlocked else { continue }
                    deliver(transmit.payload, from: host.seenAs, to: transmit.destination, relayed: false)
                }
            }
            if moved { continue }
            let next = agents.compactMap { $0.agent.deadline }.min() ?? end
            now = min(max(next, now + .milliseconds(1)), end)
            for entry in agents where (entry.agent.deadline ?? end) <= now { entry.agent.handleTimeout(now: now) }
        }
    }

    /// Delivers one datagram and whatever servers send because of it.
    private func deliver(_ payload: [UInt8], from source: TransportAddress, to destination: TransportAddress, relayed: Bool) {
        var queue = [(payload, source, destination, relayed)]
        while !queue.isEmpty {
            let (payload, source, destination, relayed) = queue.removeFirst()
            guard !cut, !unreachable.contains(destination), !unreachable.contains(source) else { continue }
            if let server = servers.first(where: { $0.owns(destination) }) {
                if !relayed { sentToServers.append(payload) }
                for out in server.receive(payload, from: source, to: destination, now: now) { queue.append((out.payload, out.from, out.to, true)) }
                continue
            }
            guard relayed || !directPathBlocked,
                let target = agents.firstIndex(where: { $0.hosts.contains { $0.seenAs == destination } })
            else { continue }
            let socket = agents[target].hosts.firstIndex { $0.seenAs == destination }!
            guard agents[target].hosts[socket].isStream || !udpBlocked else { continue }
            if let data = agents[target].agent.receive(payload, from: source, socket: socket, now: now) {
                received[target, default: []].append(data)
            }
        }
    }
}
