import Foundation

/// `nextToken` and `pageSize` of the List operations: items in a stable order (by id), a page of `pageSize`
/// (default 50, at most 1000), and an opaque token naming the last id returned, so that creations and deletions
/// between pages neither repeat nor skip the items that stay.
struct Pagination {
    static let defaultPageSize = 50
    static let pageSizes = 1...1000

    var pageSize: Int
    /// The id after which the page starts.
    var after: String?

    init(query: [(name: String, value: String)]) throws(ControlPlaneError) {
        pageSize = Self.defaultPageSize
        if let text = query.last(where: { $0.name == "pageSize" })?.value {
            guard let size = Int(text), Self.pageSizes.contains(size) else {
                throw RolesAnywhereErrors.validation("pageSize", "must be an integer from 1 to 1000")
            }
            pageSize = size
        }
        if let token = query.last(where: { $0.name == "nextToken" })?.value {
            guard (1...10000).contains(token.count), let data = Data(base64Encoded: token),
                let text = String(data: data, encoding: .utf8), text.hasPrefix("after:")
            else { throw RolesAnywhereErrors.validation("nextToken", "is not a token this API returned") }
            after = String(text.dropFirst(6))
        }
    }

    /// The page of `items` (sorted by `id` here) and the token of the next page, if any.
    func page<Item>(_ items: [Item], id: (Item) -> String) -> (items: [Item], nextToken: String?) {
        // Code-point order, the same on every replica and locale.
        let sorted = items.sorted { id($0).utf8.lexicographicallyPrecedes(id($1).utf8) }
        let start =
            after.map { after in
                sorted.firstIndex { after.utf8.lexicographicallyPrecedes(id($0).utf8) } ?? sorted.count
            } ?? 0
        let page = Array(sorted[start..<min(sorted.count, start + pageSize)])
        let more = start + pageSize < sorted.count
        return (page, more ? Data(("after:" + id(page[page.count - 1])).utf8).base64EncodedString() : nil)
    }
}
