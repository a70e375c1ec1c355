/// The queue every sans-IO core keeps its output in (transmits, events, requests to its owner) until the
/// owner polls it: a FIFO read from the front in O(1). Reads advance an index and the storage is reset
/// (keeping its capacity) once everything has been read, so a burst never costs a quadratic shuffle.
/// Inlinable, so each core's queue is specialized for its element type: it sits on every packet's path.
public struct DrainQueue<Element> {
    @usableFromInline var items: [Element] = []
    @usableFromInline var head = 0

    @inlinable public init() {}

    @inlinable public var isEmpty: Bool { head == items.count }

    @inlinable public mutating func append(_ element: Element) {
        items.append(element)
    }

    @inlinable public mutating func popFirst() -> Element? {
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

    @inlinable public mutating func removeAll() {
        items.removeAll(keepingCapacity: true)
        head = 0
    }
}

extension DrainQueue: Sendable where Element: Sendable {}
