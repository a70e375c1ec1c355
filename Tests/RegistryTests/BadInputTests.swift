import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import Registry

@Suite struct BadInputTests {
    struct BadRequest: CustomTestStringConvertible, Sendable {
        let method: HTTPRequest.Method
        let path: String
        let body: String?
        let contentType: String?
        let expected: HTTPResponse.Status
        var testDescription: String { "\(method) \(path) \(body?.prefix(40) ?? "") → \(expected.code)" }

        init(_ method: HTTPRequest.Method, _ path: String, _ body: String?, _ expected: HTTPResponse.Status, contentType: String? = "application/json") {
            self.method = method
            self.path = path
            self.body = body
            self.expected = expected
            self.contentType = contentType
        }
    }

    static let cases: [BadRequest] = [
        .init(.post, "/api/registry/agents", "{not json", .badRequest),
        .init(.post, "/api/registry/agents", #"{"agent_id":"x"}"#, .badRequest),
        .init(.post, "/api/registry/agents", #"{"agent_id":5,"hostname":"h"}"#, .badRequest),
        .init(.post, "/api/registry/agents", #"{"agent_id":"x","hostname":"h","port":"eighty"}"#, .badRequest),
        .init(.post, "/api/registry/agents", #"{"agent_id":"","hostname":"h"}"#, .badRequest),
        .init(.post, "/api/registry/agents", #"{"agent_id":"a/b","hostname":"h"}"#, .badRequest),
        .init(.post, "/api/registry/agents", #"[1,2,3]"#, .badRequest),
        .init(.post, "/api/registry/agents", "", .badRequest),
        .init(.post, "/api/registry/agents", #"{"agent_id":"x","hostname":"h"}"#, .unsupportedMediaType, contentType: "text/plain"),
        .init(.post, "/api/hub/heartbeat", #"{"skill_names":["a"]}"#, .badRequest),
        .init(.post, "/api/hub/heartbeat", #"{"agent_id":"x","skill_names":"a"}"#, .badRequest),
        .init(.post, "/api/hub/tasks", #"{"skill":"s","ttl":-1}"#, .badRequest),
        .init(.post, "/api/hub/tasks", #"{"skill":"s","ttl":1e400}"#, .badRequest),
        .init(.post, "/api/hub/tasks", #"{"skill":["s"]}"#, .badRequest),
        .init(.post, "/api/hub/tasks", #"{}"#, .badRequest),
        .init(.post, "/api/hub/tasks/abc", #"{"state":"completed"}"#, .notFound),
        .init(.post, "/api/hub/tasks/abc", #"{"result":"x"}"#, .badRequest),
        .init(.post, "/api/hub/tasks/claim", #"{"agent_id":"x","wait_ms":"soon"}"#, .badRequest),
        .init(.get, "/api/hub/tasks/%00%ff", nil, .badRequest),  // not UTF-8 once decoded
        .init(.get, "/api/hub/tasks/%41bc", nil, .notFound),
        .init(.get, "/api/registry/agents/\(String(repeating: "z", count: 5000))", nil, .notFound),
        .init(.post, "/api/pairing/pair", #"{"agent_name":"x"}"#, .badRequest),
        .init(.post, "/api/pairing/pair", #"{"code":123456,"agent_name":"x"}"#, .badRequest),
        .init(.patch, "/api/hub/tasks/abc", #"{}"#, .methodNotAllowed),
        .init(.get, "/api/no/such/route", nil, .notFound),
    ]

    @Test(arguments: cases)
    func answersWithAJSONClientError(_ bad: BadRequest) async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.live) { client in
            var headers: HTTPFields = [HTTPField.Name("x-api-key")!: TestKeys.admin]
            if let contentType = bad.contentType { headers[.contentType] = contentType }
            let response = try await client.execute(uri: bad.path, method: bad.method, headers: headers, body: bad.body.map { ByteBuffer(string: $0) })
            #expect(response.status == bad.expected, "\(response.text)")
            #expect(response.errorMessage?.isEmpty == false, "body: \(response.text)")
            // The server is still up and answering.
            #expect(try await client.call(.get, "/api/registry/agents", key: TestKeys.admin).status == .ok)
        }
    }

    @Test func hugeBodiesAre413() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.live) { client in
            let big = #"{"skill":"s","payload":""# + String(repeating: "x", count: (1 << 20) + 10) + #""}"#
            let response = try await client.call(.post, "/api/hub/tasks", key: TestKeys.admin, json: big)
            #expect(response.status == .contentTooLarge)
            #expect(try await client.call(.get, "/api/registry/agents", key: TestKeys.admin).status == .ok)
        }
    }
}
