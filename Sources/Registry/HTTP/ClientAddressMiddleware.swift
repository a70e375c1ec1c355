import Foundation
import HTTPTypes
import Hummingbird

/// Behind a trusted proxy, takes the client's address from `X-Forwarded-For`: the rightmost address that is
/// not itself a trusted proxy (addresses further left were written by the client and prove nothing).
struct ClientAddressMiddleware: RouterMiddleware {
    let trustedProxies: [AddressRange]

    func handle(_ request: Request, context: RegistryContext, next: (Request, RegistryContext) async throws -> Response) async throws -> Response {
        guard isTrusted(context.clientIP), let forwarded = request.headers[values: .xForwardedFor].last else {
            return try await next(request, context)
        }
        var context = context
        let hops = request.headers[values: .xForwardedFor].flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        context.clientIP = hops.last { !isTrusted($0) } ?? hops.first ?? forwarded
        return try await next(request, context)
    }

    private func isTrusted(_ address: String) -> Bool {
        trustedProxies.contains { $0.contains(address) }
    }
}

extension HTTPField.Name {
    static let xForwardedFor = Self("x-forwarded-for")!
}
