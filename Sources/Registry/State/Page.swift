import Foundation

/// The largest page a listing hands out.
let maxPageLimit = 1_000

/// One page of a listing, in the order of a string key; `next` is the cursor for the following page.
struct Page<Item> {
    var items: [Item]
    var next: String?

    init(items: [Item], next: String?) {
        self.items = items
        self.next = next
    }

    /// The items after `cursor` (exclusive), at most `limit` of them; without a limit, all of them.
    init(_ all: [Item], key: (Item) -> String, after cursor: String?, limit: Int?) {
        var keyed = all.map { (key($0), $0) }
        keyed.sort { $0.0 < $1.0 }
        if let cursor { keyed.removeFirst(keyed.partitioningIndex { $0.0 > cursor }) }
        guard let limit, keyed.count > limit else {
            items = keyed.map(\.1)
            return
        }
        items = keyed.prefix(limit).map(\.1)
        next = keyed[limit - 1].0
    }

    /// A sortable key: the time in fixed width, then the id.
    static func key(time: Double, id: String) -> String {
        String(format: "%017.6f", time) + "/" + id
    }
}

extension Array {
    /// The index of the first element for which `predicate` holds, assuming it holds for a suffix.
    func partitioningIndex(where predicate: (Element) -> Bool) -> Int {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if predicate(self[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}

extension Page: Sendable where Item: Sendable {}
