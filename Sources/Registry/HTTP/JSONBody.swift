import Foundation
import MeshProtocol
import Hummingbird
import NIOCore

extension Request {
    /// Decodes a JSON body with clear client errors: 415 when it is not JSON, 413 when over the
    /// context's limit, 400 with the offending field when the JSON is malformed or of the wrong shape.
    func decodeJSON<Value: Decodable>(_ type: Value.Type, context: some RequestContext) async throws -> Value {
        // The media type before any parameters: application/json or a +json type.
        if let contentType = headers[.contentType], !(contentType.split(separator: ";").first ?? "").lowercased().trimmingCharacters(in: .whitespaces).hasSuffix("json") {
            throw APIError(.unsupportedMediaType, "expected a JSON body (Content-Type: application/json)")
        }
        let buffer = try await body.collect(upTo: context.maxUploadSize)
        guard buffer.readableBytes > 0 else { throw APIError.badRequest("request body is empty; expected JSON") }
        // Foundation's decoder accepts some JSON5 (trailing commas, comments); the body must be strict JSON.
        let strict = buffer.withUnsafeReadableBytes { raw -> Int? in
            do throws(JSONScanner.Invalid) {
                _ = try JSONScanner.members(of: raw.bindMemory(to: UInt8.self))
                return nil
            } catch {
                return error.offset
            }
        }
        if let offset = strict { throw APIError.badRequest("malformed JSON at byte \(offset): expected a strict JSON object") }
        do {
            return try JSONDecoder().decode(Value.self, from: Data(buffer: buffer))
        } catch let error as DecodingError {
            throw APIError.badRequest(Self.describe(error))
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.isEmpty ? "body" : codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing field '\(path(context.codingPath + [key]))'"
        case .typeMismatch(let type, let context):
            return "field '\(path(context.codingPath))' has the wrong type (expected \(type))"
        case .valueNotFound(let type, let context):
            return "field '\(path(context.codingPath))' is null (expected \(type))"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "malformed JSON" }
            return "field '\(path(context.codingPath))' is invalid: \(context.debugDescription)"
        @unknown default:
            return "invalid JSON body"
        }
    }
}

/// Encodes a value as a JSON response.
func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    let data = try JSONEncoder().encode(value)
    return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

