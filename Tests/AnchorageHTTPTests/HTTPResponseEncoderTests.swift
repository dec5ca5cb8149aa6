import Testing

@testable import AnchorageHTTP

@Suite struct HTTPResponseEncoderTests {
    private func encode(
        _ response: HTTPResponse, head: Bool = false, connection: HTTPResponseEncoder.ConnectionHeader = .none
    ) -> String {
        var out: [UInt8] = []
        HTTPResponseEncoder.encode(
            response, suppressBody: head, connection: connection, date: Array("Thu, 01 Jan 1970 00:00:00 GMT".utf8),
            into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    @Test func setsContentLengthDateAndConnection() {
        let wire = encode(
            HTTPResponse(
                status: 200, headers: ["Content-Type": "text/plain", "Content-Length": "999"], body: Array("hi".utf8)),
            connection: .close)
        #expect(
            wire == "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\n"
                + "Content-Length: 2\r\nConnection: close\r\n\r\nhi")
    }

    @Test func headResponseHasLengthButNoBody() {
        let wire = encode(HTTPResponse(status: 200, body: Array("hello".utf8)), head: true)
        #expect(wire.hasSuffix("Content-Length: 5\r\n\r\n"))
    }

    @Test func noContentHasNoLength() {
        #expect(!encode(HTTPResponse(status: 204, body: [1])).contains("Content-Length"))
    }

    @Test func dropsFieldsThatWouldSplitTheResponse() {
        let wire = encode(HTTPResponse(status: 404, headers: ["X-Evil": "a\r\nSet-Cookie: b", "X-Ok": "c"]))
        #expect(wire.hasPrefix("HTTP/1.1 404 Not Found\r\nX-Ok: c\r\n"))
        #expect(!wire.contains("Set-Cookie"))
    }

    @Test func formatsIMFFixdate() {
        #expect(
            String(decoding: HTTPResponseEncoder.httpDate(epochSeconds: 784_111_777), as: UTF8.self)
                == "Sun, 06 Nov 1994 08:49:37 GMT")
    }
}
