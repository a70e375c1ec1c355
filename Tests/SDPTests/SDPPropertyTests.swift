import RTCTestSupport
import Testing
import SDP

/// Seeded mutations of real descriptions and candidates: the parsers never trap, and whatever
/// parses serializes to text that parses back to the same value.
@Suite struct SDPPropertyTests {
    static let junk: [String] = ["", " ", ":", "=", "a=", "m=", "\r", "\n", "\r\n", "0", "-1", "99999999999999999999999",
                                 "typ", "candidate:", "sha-256", "AB:", "\u{0301}", "\u{00E9}", "\u{1F600}", "\0", "\t"]

    static func mutate(_ text: String, using generator: inout SplitMix64) -> String {
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        for _ in 0..<Int.random(in: 1...3, using: &generator) {
            let index = Int.random(in: 0..<lines.count, using: &generator)
            switch Int.random(in: 0..<7, using: &generator) {
            case 0: lines.remove(at: index); if lines.isEmpty { lines = [""] }
            case 1: lines.insert(lines[index], at: index)
            case 2: lines.swapAt(index, Int.random(in: 0..<lines.count, using: &generator))
            case 3:
                // Replace one character of a line with junk.
                var characters = Array(lines[index])
                if !characters.isEmpty {
                    let at = Int.random(in: 0..<characters.count, using: &generator)
                    characters.replaceSubrange(at...at, with: Array(junk.randomElement(using: &generator)!))
                }
                lines[index] = String(characters)
            case 4: lines[index] = String(lines[index].prefix(Int.random(in: 0...lines[index].count, using: &generator)))
            case 5: lines[index] += junk.randomElement(using: &generator)!
            default:
                // Keep the line type, replace the value with a field from elsewhere.
                let donor = lines.randomElement(using: &generator)!
                lines[index] = String(lines[index].prefix(2)) + String(donor.dropFirst(2))
            }
        }
        return lines.joined(separator: generator.chance(0.5) ? "\r\n" : "\n")
    }

    @Test func mutatedDescriptionsNeverTrapAndRoundTrip() throws {
        var generator = SplitMix64(seed: 8866)
        var parsed = 0, resolved = 0
        for _ in 0..<4_000 {
            let text = Self.mutate(SDPFixtures.all.randomElement(using: &generator)!, using: &generator)
            guard let description = try? SessionDescription(parsing: text) else { continue }
            parsed += 1
            let serialized = description.serialized()
            let again = try SessionDescription(parsing: serialized)
            #expect(again == description)
            #expect(again.serialized() == serialized)
            guard let dataChannel = try? description.dataChannelDescription() else { continue }
            resolved += 1
            // What we read we can also write, and read back unchanged.
            let written = SessionDescription(dataChannel: dataChannel, sessionID: 1)
            #expect(try SessionDescription(parsing: written.serialized()).dataChannelDescription() == dataChannel)
        }
        #expect(parsed > 1_000 && resolved > 500)
    }

    @Test func mutatedCandidatesNeverTrapAndRoundTrip() throws {
        var generator = SplitMix64(seed: 8839)
        let seeds = SDPFixtures.all.flatMap { $0.split(separator: "\r\n").filter { $0.hasPrefix("a=candidate:") }.map(String.init) }
        var parsed = 0
        for _ in 0..<4_000 {
            var fields = seeds.randomElement(using: &generator)!.split(separator: " ").map(String.init)
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                let index = Int.random(in: 0..<fields.count, using: &generator)
                switch Int.random(in: 0..<4, using: &generator) {
                case 0: fields.remove(at: index); if fields.isEmpty { fields = [""] }
                case 1: fields[index] = Self.junk.randomElement(using: &generator)!
                case 2: fields.insert(fields.randomElement(using: &generator)!, at: index)
                default: fields[index] = String(fields[index].reversed())
                }
            }
            guard let candidate = try? ICECandidate(parsing: fields.joined(separator: " ")) else { continue }
            parsed += 1
            #expect(try ICECandidate(parsing: candidate.candidateAttribute) == candidate, "\(fields.joined(separator: " ").unicodeScalars.map { $0.escaped(asASCII: true) }.joined())")
        }
        #expect(parsed > 500)
    }
}
