internal import Glibc

/// Serialises responses into a connection's output buffer.
struct HTTPResponseEncoder {
    enum ConnectionHeader {
        case none
        case keepAlive
        case close
    }

    /// Appends the status line, headers and (unless suppressed) body of `response` to `out`.
    static func encode(
        _ response: HTTPResponse, suppressBody: Bool, connection: ConnectionHeader, date: [UInt8],
        into out: inout [UInt8]
    ) {
        let status = (100...999).contains(response.status) ? response.status : 500
        out.append(contentsOf: "HTTP/1.1 \(status) \(HTTPResponse.reasonPhrase(for: status))\r\n".utf8)
        var hasDate = false
        for field in response.headers {
            if HTTPHeaders.namesEqual(field.name, "Content-Length") || HTTPHeaders.namesEqual(field.name, "Connection")
                || HTTPHeaders.namesEqual(field.name, "Transfer-Encoding")
            {
                continue
            }
            // A CR or LF from a handler would let one response smuggle another; such a field is dropped.
            guard isSafe(field.name, allowEmpty: false), isSafe(field.value, allowEmpty: true) else { continue }
            if HTTPHeaders.namesEqual(field.name, "Date") { hasDate = true }
            out.append(contentsOf: field.name.utf8)
            out.append(contentsOf: ": ".utf8)
            out.append(contentsOf: field.value.utf8)
            out.append(contentsOf: "\r\n".utf8)
        }
        if !hasDate {
            out.append(contentsOf: "Date: ".utf8)
            out.append(contentsOf: date)
            out.append(contentsOf: "\r\n".utf8)
        }
        let bodyless = status == 204 || status == 304 || status < 200
        if !bodyless {
            out.append(contentsOf: "Content-Length: \(response.body.count)\r\n".utf8)
        }
        switch connection {
        case .none: break
        case .keepAlive: out.append(contentsOf: "Connection: keep-alive\r\n".utf8)
        case .close: out.append(contentsOf: "Connection: close\r\n".utf8)
        }
        out.append(contentsOf: "\r\n".utf8)
        if !suppressBody && !bodyless { out.append(contentsOf: response.body) }
    }

    private static func isSafe(_ text: String, allowEmpty: Bool) -> Bool {
        if text.utf8.isEmpty { return allowEmpty }
        return !text.utf8.contains { $0 == .cr || $0 == .lf || $0 == 0 }
    }

    /// IMF-fixdate for `seconds` since the epoch, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
    static func httpDate(epochSeconds seconds: Int) -> [UInt8] {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let text =
            "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
        return Array(text.utf8)
    }
}
