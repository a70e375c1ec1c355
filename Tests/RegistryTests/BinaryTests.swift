import Foundation
import Testing

/// The real `chatixia-registry` executable: flags, exit codes, SIGTERM and SIGKILL.
@Suite(.serialized) struct BinaryTests {
    let secret = String(repeating: "q", count: 48)

    func keysFile() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString).json").path
        try #"{"keys":{"bin_admin_key":{"peer_id":"admin","role":"admin"},"bin_agent_key":{"peer_id":"peer-a","role":"agent"}}}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func temporaryDatabase() async throws -> String {
        try await TestDatabase.freshArgument()
    }

    @Test func helpAndVersionExitZero() throws {
        let help = try RegistryProcess.run(["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("--allow-anonymous"))
        let version = try RegistryProcess.run(["--version"])
        #expect(version.status == 0)
        #expect(!version.stdout.isEmpty)
    }

    @Test func configurationErrorsExitTwoWithOneClearLine() throws {
        let noSecret = try RegistryProcess.run(["--api-keys", try keysFile()])
        #expect(noSecret.status == 2)
        #expect(noSecret.stderr.contains("SIGNALING_SECRET"))
        #expect(noSecret.stderr.split(separator: "\n").count == 1)

        let badKeys = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString).json").path
        try "{\"keys\": 3}".write(toFile: badKeys, atomically: true, encoding: .utf8)
        let malformed = try RegistryProcess.run(["--api-keys", badKeys], environment: ["SIGNALING_SECRET": secret])
        #expect(malformed.status == 2)
        #expect(malformed.stderr.contains("malformed"))

        let badPort = try RegistryProcess.run(["--port", "eighty"], environment: ["SIGNALING_SECRET": secret])
        #expect(badPort.status == 2)
    }

    @Test func sigkillLosesNothingAcknowledgedAndSigtermExitsZero() async throws {
        let database = try await temporaryDatabase()
        let keys = try keysFile()
        let environment = ["SIGNALING_SECRET": secret, "STUN_URLS": ""]
        let first = try RegistryProcess(arguments: ["--db", database, "--api-keys", keys], environment: environment)
        try await first.waitUntilReady()

        // Acknowledge a burst of writes, then kill -9 straight after the last acknowledgement.
        var taskIds: [String] = []
        let port = first.port
        try await withThrowingTaskGroup(of: String.self) { group in
            for n in 0..<50 {
                group.addTask {
                    let (status, body) = try await RegistryProcess.request(port: port, "POST", "/api/hub/tasks", key: "bin_admin_key", json: #"{"skill":"s","payload":{"n":\#(n)}}"#)
                    guard status == 200, let id = (body as? [String: Any])?["task_id"] as? String else { throw TestFailure("submit failed: \(status)") }
                    return id
                }
            }
            for try await id in group { taskIds.append(id) }
        }
        let (_, codeBody) = try await first.request("POST", "/api/pairing/generate-code", key: "bin_admin_key")
        let code = try #require((codeBody as? [String: Any])?["code"] as? String)
        let (_, pairBody) = try await first.request("POST", "/api/pairing/pair", json: #"{"code":"\#(code)","agent_name":"survivor"}"#)
        let entryId = try #require((pairBody as? [String: Any])?["id"] as? String)
        let (_, approveBody) = try await first.request("POST", "/api/pairing/\(entryId)/approve", key: "bin_admin_key")
        let deviceToken = try #require((approveBody as? [String: Any])?["device_token"] as? String)
        let (registered, _) = try await first.request("POST", "/api/registry/agents", key: "bin_agent_key", json: #"{"agent_id":"persist","hostname":"h"}"#)
        #expect(registered == 200)
        first.signal(SIGKILL)
        _ = try await first.waitForExit()

        let second = try RegistryProcess(arguments: ["--db", database, "--api-keys", keys], environment: environment)
        try await second.waitUntilReady()
        let (_, tasksBody) = try await second.request("GET", "/api/hub/tasks/all", key: "bin_admin_key")
        let stored = Set(((tasksBody as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String })
        #expect(stored == Set(taskIds))
        let (tokenStatus, _) = try await second.request("POST", "/api/token", headers: ["x-device-token": deviceToken])
        #expect(tokenStatus == 200)
        let (agentStatus, _) = try await second.request("GET", "/api/registry/agents/persist", key: "bin_agent_key")
        #expect(agentStatus == 200)

        second.signal(SIGTERM)
        #expect(try await second.waitForExit() == 0)
    }

    @Test func sigtermEndsWaitingClaimsInsteadOfWaitingThemOut() async throws {
        let registry = try RegistryProcess(
            arguments: ["--db", try await temporaryDatabase(), "--api-keys", try keysFile()], environment: ["SIGNALING_SECRET": secret, "STUN_URLS": ""])
        try await registry.waitUntilReady()
        let (registered, _) = try await registry.request("POST", "/api/registry/agents", key: "bin_agent_key", json: #"{"agent_id":"waiter","hostname":"h"}"#)
        #expect(registered == 200)
        let port = registry.port
        let started = ContinuousClock.now
        async let claim = RegistryProcess.request(
            port: port, "POST", "/api/hub/tasks/claim", key: "bin_agent_key", json: #"{"agent_id":"waiter","wait_ms":30000}"#)
        try await Task.sleep(for: .seconds(1))
        registry.signal(SIGTERM)
        let (status, body) = try await claim
        #expect(status == 200)
        #expect(((body as? [String: Any])?["tasks"] as? [Any])?.isEmpty == true)
        #expect(try await registry.waitForExit() == 0)
        // The claim asked to wait 30 s; a shutdown that waited it out would take that long.
        #expect(ContinuousClock.now - started < .seconds(20))
    }

    /// Runs a command to completion on a thread of its own (waiting for it must not hold one of the few
    /// threads every other test's async work runs on); its exit status and standard output.
    func run(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try Self.runBlocking(executable, arguments) })
            }
        }
    }

    static func runBlocking(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func servesHTTPSItselfWithACertificateAndKey() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let certificate = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        let made = try await run("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", certificate,
        ])
        try #require(made.status == 0)

        // Half a pair, or a file that is not a certificate, is a configuration error.
        let half = try RegistryProcess.run(["--api-keys", try keysFile(), "--tls-cert", certificate], environment: ["SIGNALING_SECRET": secret])
        #expect(half.status == 2)
        #expect(half.stderr.contains("--tls-cert and --tls-key"))
        let swapped = try RegistryProcess.run(
            ["--api-keys", try keysFile(), "--tls-cert", key, "--tls-key", key, "--port", "0"], environment: ["SIGNALING_SECRET": secret])
        #expect(swapped.status == 2)
        #expect(swapped.stderr.contains("cannot use TLS files"))

        let registry = try RegistryProcess(
            arguments: ["--db", try await temporaryDatabase(), "--api-keys", try keysFile(), "--tls-cert", certificate, "--tls-key", key],
            environment: ["SIGNALING_SECRET": secret, "STUN_URLS": ""])
        defer { registry.signal(SIGKILL) }
        let url = "https://127.0.0.1:\(registry.port)"
        // curl (OpenSSL) verifies the certificate against the CA file: the registry terminates TLS itself.
        var answered = ""
        for _ in 0..<200 {
            let attempt = try await run("/usr/bin/curl", ["-s", "--cacert", certificate, "-H", "x-api-key: bin_agent_key", "\(url)/api/registry/agents"])
            if attempt.status == 0 { answered = attempt.output; break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(answered == "[]")
        // Without the CA the certificate is refused; plain HTTP on the TLS port gets no HTTP answer.
        #expect(try await run("/usr/bin/curl", ["-s", "\(url)/metrics"]).status == 60)
        #expect(try await run("/usr/bin/curl", ["-s", "--max-time", "3", "http://127.0.0.1:\(registry.port)/metrics"]).output.isEmpty)
    }
}
