import AnchorageCore
import Foundation

/// The captured CreateSession requests in `Tests/Fixtures/vectors/roles-anywhere/testvector-rsa.json`.
struct RolesAnywhereTestVector: Sendable {
    struct Request: Sendable {
        var method: String
        var path: String
        var headers: [(name: String, value: String)]
        var body: [UInt8]

        func headerValue(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    static let file: URL = VectorFixtures.directory.appendingPathComponent("roles-anywhere/testvector-rsa.json")

    let requests: [Request]

    init() throws {
        let document = try JSONParser.parse(String(decoding: try Data(contentsOf: Self.file), as: UTF8.self))
        guard case .array(let requestValues)? = document["requests"] else {
            throw SigV4TestVector.LoadError("no requests")
        }
        requests = try requestValues.map { value in
            guard case .array(let pairs)? = value["headers"], let method = value["method"]?.stringValue,
                let path = value["path"]?.stringValue, let body = value["body"]?.stringValue
            else { throw SigV4TestVector.LoadError("request without method, path, headers or body") }
            let headers = try pairs.map { pair -> (name: String, value: String) in
                guard case .array(let parts) = pair, parts.count == 2, let name = parts[0].stringValue,
                    let headerValue = parts[1].stringValue
                else { throw SigV4TestVector.LoadError("header is not a [name, value] pair") }
                return (name, headerValue)
            }
            return Request(method: method, path: path, headers: headers, body: Array(body.utf8))
        }
    }
}
