extension SessionDescription {
    /// Parses a description with `\r\n` or bare `\n` line endings, as Chromium, Firefox and aiortc
    /// write them. Unknown lines and attributes are kept; known ones with bad values are errors.
    public init(parsing text: String) throws(SDPParseError) {
        var parser = SDPParser()
        // Split by scalars so a combining mark after a line break cannot hide it.
        let lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, scalars) in lines.enumerated() {
            let line = Substring(scalars.last == "\r" ? scalars.dropLast() : scalars)
            if !line.isEmpty { try parser.consume(line, number: index + 1) }
        }
        self = try parser.finish()
    }
}
