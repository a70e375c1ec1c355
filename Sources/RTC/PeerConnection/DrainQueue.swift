/// A FIFO read from the front in O(1): reads advance an index and the storage is reset (keeping its
/// capacity) once everything has been read, so a burst of packets never costs a quadratic shuffle.
struct DrainQueue<Element> {
    private var items: [Element] = []
    private var head = 0

    var isEmpty: Bool { head == items.count }

    mutating func append(_ element: Element) {
        items.append(element)
    }

    mutating func popFirst() -> Element? {
        guard head < items.count else {
            if head > 0 {
                items.removeAll(keepingCapacity: true)
                head = 0
            }
            return nil
        }
        defer { head += 1 }
        return items[head]
    }
}
