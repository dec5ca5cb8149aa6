import AnchorageCore
import AnchorageCrypto
import Foundation

/// One case of the AWS SigV4 test suite (aws-c-auth layout) in `Tests/Fixtures/vectors/sigv4/v4`.
struct SigV4TestVector: Sendable {
    /// A raw HTTP/1.1 request as the suite writes it: LF line endings, `Name:value` headers with
    /// repeats and continuation lines, an optional blank line and body.
    struct RawRequest: Sendable {
        var method: String
        var path: String
        var query: String?
        var headers: [(name: String, value: String)]
        var body: [UInt8]

        init(parsing bytes: [UInt8]) throws {
            let text = String(decoding: bytes, as: UTF8.self)
            let head: Substring
            if let separator = text.range(of: "\n\n") {
                head = text[..<separator.lowerBound]
                body = Array(text[separator.upperBound...].utf8)
            } else {
                head = text[...]
                body = []
            }
            var lines = head.split(separator: "\n", omittingEmptySubsequences: false)
            if lines.last == "" { lines.removeLast() }
            guard let requestLine = lines.first, let firstSpace = requestLine.firstIndex(of: " "),
                let lastSpace = requestLine.lastIndex(of: " "), firstSpace < lastSpace
            else { throw LoadError("bad request line") }
            method = String(requestLine[..<firstSpace])
            // Targets in the suite contain raw spaces, so the target is everything between the
            // first and the last space.
            let target = requestLine[requestLine.index(after: firstSpace)..<lastSpace]
            if let question = target.firstIndex(of: "?") {
                path = String(target[..<question])
                query = String(target[target.index(after: question)...])
            } else {
                path = String(target)
                query = nil
            }
            headers = []
            for line in lines.dropFirst() {
                if line.first == " " || line.first == "\t" {
                    // Obsolete line folding: keep the break so canonicalisation has to collapse it.
                    guard !headers.isEmpty else { throw LoadError("continuation before any header") }
                    headers[headers.count - 1].value += "\n" + line
                    continue
                }
                guard let colon = line.firstIndex(of: ":") else { throw LoadError("header without ':'") }
                headers.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
            }
        }

        func headerValue(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    struct LoadError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    static let accessKeyID = "AKIDEXAMPLE"
    static let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    static let amzDate = "20150830T123600Z"
    static let scope = CredentialScope(date: "20150830", region: "us-east-1", service: "service")
    static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// `Tests/Fixtures/vectors/sigv4/v4`, one folder per case.
    static let directory: URL = VectorFixtures.directory.appendingPathComponent("sigv4/v4", isDirectory: true)

    /// Case folder names, sorted; empty when the directory is missing (a test asserts the count).
    static let caseNames: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { name in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(
                atPath: directory.appendingPathComponent(name).path, isDirectory: &isDirectory) && isDirectory.boolValue
        }.sorted()
    }()

    let name: String
    let request: RawRequest
    let normalize: Bool
    let signBody: Bool
    let token: String?
    let omitSessionToken: Bool

    init(named name: String) throws {
        self.name = name
        request = try RawRequest(parsing: try Self.bytes(name, "request.txt"))
        let context = try JSONParser.parse(try Self.text(name, "context.json"))
        normalize = context["normalize"]?.boolValue ?? true
        signBody = context["sign_body"]?.boolValue ?? false
        token = context["credentials"]?["token"]?.stringValue
        omitSessionToken = context["omit_session_token"]?.boolValue ?? false
    }

    static func bytes(_ name: String, _ file: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent(name).appendingPathComponent(file)))
    }

    static func text(_ name: String, _ file: String) throws -> String {
        String(decoding: try bytes(name, file), as: UTF8.self)
    }

    func expected(_ file: String) throws -> String { try Self.text(name, file) }

    /// The payload hash the suite's signer used: SHA-256 of the body when `sign_body`, else of "".
    func payloadHash(body: [UInt8]) -> String {
        signBody ? Digest.sha256Hex(body) : Self.emptyPayloadHash
    }

    /// The request with the headers the header-mode signer adds before signing.
    var headerModeHeaders: [(name: String, value: String)] {
        var headers = request.headers
        headers.append(("X-Amz-Date", Self.amzDate))
        if signBody { headers.append(("x-amz-content-sha256", Digest.sha256Hex(request.body))) }
        if let token { headers.append(("X-Amz-Security-Token", token)) }
        return headers
    }
}
