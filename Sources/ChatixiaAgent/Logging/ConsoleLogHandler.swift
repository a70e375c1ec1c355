import Foundation
import Logging

/// Log lines for people on a terminal: `12:03:04 notice  registered with the registry  agent_id=alpha`.
public struct ConsoleLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    let output: LogOutput

    public init(level: Logger.Level, output: LogOutput = .standardError) {
        self.logLevel = level
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.printable("\($0.value)"))" }.joined(separator: " ")
        let time = Date().formatted(.iso8601.time(includingFractionalSeconds: false))
        let level = event.level.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)
        output.write("\(time) \(level)\(Self.printable("\(event.message)"))\(fields.isEmpty ? "" : "  " + fields)\n")
    }

    /// Text from peers and tasks reaches the terminal with its control characters escaped, so it can neither
    /// forge log lines (a newline) nor drive the terminal (an escape sequence).
    static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return text }
        var escaped = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": escaped += "\\n"
            case "\t": escaped += "\\t"
            case "\r": escaped += "\\r"
            case _ where scalar.properties.generalCategory == .control: escaped += "\\u{\(String(scalar.value, radix: 16))}"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}

/// One JSON object per line: `{"time", "level", "label", "message", "metadata"}`.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    let label: String
    let output: LogOutput

    public init(label: String, level: Logger.Level, output: LogOutput = .standardError) {
        self.label = label
        self.logLevel = level
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    struct Line: Encodable {
        var time: String
        var level: String
        var label: String
        var message: String
        var metadata: [String: String]?
    }

    public func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        let line = Line(
            time: Date().ISO8601Format(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted)), level: event.level.rawValue, label: label,
            message: "\(event.message)", metadata: merged.isEmpty ? nil : merged.mapValues { "\($0)" })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        guard let data = try? encoder.encode(line) else { return }
        output.write(String(decoding: data, as: UTF8.self) + "\n")
    }
}

/// Where log lines go; writes are whole lines, serialized so concurrent logs never interleave.
public struct LogOutput: Sendable {
    let handle: FileHandle
    private static let lock = NSLock()

    public static let standardError = LogOutput(handle: .standardError)

    func write(_ text: String) {
        Self.lock.withLock { handle.write(Data(text.utf8)) }
    }
}
