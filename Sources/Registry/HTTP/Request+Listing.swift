import Foundation
import HTTPTypes
import Hummingbird

extension Request {
    /// `limit` and `cursor` of a paginated listing; no `limit` means the whole listing.
    func pageQuery() throws(APIError) -> (cursor: String?, limit: Int?) {
        let query = uri.queryParameters
        var limit: Int?
        if let text = query.get("limit") {
            guard let value = Int(text), (1...maxPageLimit).contains(value) else {
                throw APIError.badRequest("limit must be a number between 1 and \(maxPageLimit)")
            }
            limit = value
        }
        return (query.get("cursor").map { String($0) }, limit)
    }
}

extension RegistryContext {
    /// A path parameter, percent-decoded (`/api/registry/agents/caf%C3%A9` names the agent `café`).
    func pathParameter(_ name: String) throws(APIError) -> String {
        guard let raw = parameters.get(name) else { throw APIError.badRequest("missing path parameter '\(name)'") }
        guard let decoded = raw.removingPercentEncoding else { throw APIError.badRequest("path parameter '\(name)' is not valid percent-encoding") }
        return decoded
    }
}

/// A listing answered as a JSON array (the upstream shape), with the next page's cursor in `X-Next-Cursor`.
func pagedResponse<Item: Encodable>(_ page: Page<Item>) throws -> Response {
    var response = try jsonResponse(page.items)
    if let next = page.next { response.headers[.nextCursor] = next }
    return response
}

extension HTTPField.Name {
    static let nextCursor = Self("x-next-cursor")!
}
