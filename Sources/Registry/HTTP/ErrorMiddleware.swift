import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MeshProtocol
import NIOCore

/// Turns every failure into a JSON error body with the right status, so clients always get
/// `{"error": "..."}` and never an empty 500; unexpected errors are logged and answered 500.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: RegistryMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            if error.status == .tooManyRequests { metrics.rateLimited.increment() }
            var response = Self.response(error.status, error.message)
            if let retry = error.retryAfterSeconds { response.headers[.retryAfter] = String(retry) }
            return response
        } catch let error as any HTTPResponseError {
            let message: String
            switch error.status {
            case .notFound: message = "not found"
            case .contentTooLarge: message = "request body exceeds 1 MiB"
            case .methodNotAllowed: message = "method not allowed"
            default: message = error.status.reasonPhrase
            }
            return Self.response(error.status, message)
        } catch {
            context.logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return Self.response(.internalServerError, "internal error")
        }
    }

    static func response(_ status: HTTPResponse.Status, _ message: String) -> Response {
        let body = (try? JSONEncoder().encode(ErrorReply(message))) ?? Data("{}".utf8)
        return Response(
            status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
