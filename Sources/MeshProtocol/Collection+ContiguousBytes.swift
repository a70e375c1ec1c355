extension Collection<UInt8> {
    /// Runs `body` on the bytes in place when they are contiguous (a ByteBuffer's view, an array): no copy of a line
    /// that may be a mebibyte. Anything else is copied first.
    func withContiguousBytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        withContiguousStorageIfAvailable(body) ?? Array(self).withUnsafeBufferPointer(body)
    }
}
