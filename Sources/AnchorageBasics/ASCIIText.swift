/// The byte-level text rules that several targets apply to protocol text (HTTP field names and values,
/// SigV4 parameters, identifiers in files): one implementation each, reachable from every target.
///
/// Protocol text is bytes. These functions never look at grapheme clusters, so a space followed by a
/// combining mark is still a space, as HTTP and SigV4 define it, and no result depends on Unicode tables.
public enum ASCII {
    /// SP or HTAB: HTTP's optional whitespace (RFC 9110 §5.6.3).
    @inlinable
    public static func isSpaceOrTab(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    /// `byte` with `A`–`Z` folded to `a`–`z`; every other byte unchanged.
    @inlinable
    public static func lowercased(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }

    /// `text` with ASCII letters lowercased and every other byte kept: the case folding of header names
    /// (tokens) and of IAM condition keys. Returns `text` itself, without copying, when it has no
    /// uppercase ASCII letter.
    @inlinable
    public static func lowercased(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else { return text }
        return String(decoding: text.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
}

extension BidirectionalCollection where Element == UInt8 {
    /// Without the leading and trailing bytes for which `isTrimmed` holds.
    @inlinable
    public func trimming(_ isTrimmed: (UInt8) -> Bool) -> SubSequence {
        var start = startIndex
        var end = endIndex
        while start != end, isTrimmed(self[start]) { formIndex(after: &start) }
        while start != end {
            let last = index(before: end)
            guard isTrimmed(self[last]) else { break }
            end = last
        }
        return self[start..<end]
    }

    /// Without leading and trailing SP and HTAB bytes (HTTP's optional whitespace).
    @inlinable
    public func trimmingSpacesAndTabs() -> SubSequence { trimming(ASCII.isSpaceOrTab) }
}

extension Substring {
    /// Without leading and trailing SP and HTAB bytes (HTTP's optional whitespace).
    @inlinable
    public func trimmingSpacesAndTabs() -> Substring { Substring(utf8.trimmingSpacesAndTabs()) }
}

extension String {
    /// Without leading and trailing SP and HTAB bytes (HTTP's optional whitespace); `self`, without
    /// copying, when there is nothing to trim (header values rarely need it).
    @inlinable
    public func trimmingSpacesAndTabs() -> String { trimming(ASCII.isSpaceOrTab) }

    /// Without the leading and trailing bytes for which `isTrimmed` holds; `self`, without copying,
    /// when there is nothing to trim. `isTrimmed` must hold only for ASCII bytes, so that the cuts
    /// fall between characters.
    @inlinable
    public func trimming(_ isTrimmed: (UInt8) -> Bool) -> String {
        guard let first = utf8.first, let last = utf8.last, isTrimmed(first) || isTrimmed(last) else { return self }
        return String(Substring(utf8.trimming(isTrimmed)))
    }
}
