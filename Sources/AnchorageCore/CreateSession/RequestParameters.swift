/// The CreateSession parameters, from the query string (AWS's Go helper) or the JSON body (the Python
/// client and most others). A parameter in both places must carry the same value.
struct RequestParameters {
    var trustAnchorArn: String
    var profileArn: String
    var roleArn: String
    var durationSeconds: Int?
    var roleSessionName: String?

    static let knownBodyKeys: Set<String> = [
        "durationSeconds", "profileArn", "roleArn", "trustAnchorArn", "roleSessionName", "sessionName",
        "instanceProperties",
    ]

    init(_ request: SignedRequest) throws(CreateSessionService.Denial) {
        guard let query = QueryParameters.parse(request.rawQuery) else {
            throw .init(.malformedRequest, "query string is not valid percent-encoding")
        }
        var body: JSONValue = .object([])
        if !request.body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            do {
                body = try JSONParser.parse(request.body)
            } catch {
                throw .init(.malformedRequest, "body is not JSON: \(error)")
            }
        }
        guard case .object(let members) = body else { throw .init(.malformedRequest, "body is not a JSON object") }
        for member in members where !Self.knownBodyKeys.contains(member.key) {
            throw .init(.malformedRequest, "unknown body member \(member.key)")
        }

        func string(_ name: String) throws(CreateSessionService.Denial) -> String? {
            let fromQuery = query.filter { $0.name == name }.map(\.value)
            guard fromQuery.count <= 1 else { throw .init(.malformedRequest, "\(name) repeated in the query") }
            var fromBody: String?
            if let value = body[name] {
                guard let text = value.stringValue else { throw .init(.malformedRequest, "\(name) is not a string") }
                fromBody = text
            }
            if let q = fromQuery.first, let b = fromBody, q != b {
                throw .init(.malformedRequest, "\(name) differs between query and body")
            }
            return fromQuery.first ?? fromBody
        }

        func requiredARN(_ name: String) throws(CreateSessionService.Denial) -> String {
            guard let value = try string(name), !value.isEmpty else {
                throw .init(.malformedRequest, "\(name) missing")
            }
            guard value.utf8.count <= 1011, ARN(value) != nil else {
                throw .init(.malformedRequest, "\(name) is not an ARN")
            }
            return value
        }

        trustAnchorArn = try requiredARN("trustAnchorArn")
        profileArn = try requiredARN("profileArn")
        roleArn = try requiredARN("roleArn")

        // Like the strings above: each place is read and checked, and the two must agree (as numbers, so
        // `3600` in the query and `3600` in the body are the same value).
        let queryDurations = query.filter { $0.name == "durationSeconds" }.map(\.value)
        guard queryDurations.count <= 1 else { throw .init(.malformedRequest, "durationSeconds repeated in the query") }
        var fromQuery: Int?
        if let text = queryDurations.first {
            guard let value = Int(text) else { throw .init(.invalidDuration, "durationSeconds is not an integer") }
            fromQuery = value
        }
        var fromBody: Int?
        if let raw = body["durationSeconds"] {
            guard let value = raw.intValue else { throw .init(.invalidDuration, "durationSeconds is not an integer") }
            fromBody = value
        }
        if let q = fromQuery, let b = fromBody, q != b {
            throw .init(.malformedRequest, "durationSeconds differs between query and body")
        }
        durationSeconds = fromBody ?? fromQuery
        try CreateSessionService.checkDurationRange(durationSeconds)
        roleSessionName = try string("roleSessionName")
        try CreateSessionService.checkRoleSessionNameSyntax(roleSessionName)
    }
}
