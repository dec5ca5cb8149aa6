import AnchorageBasics

/// The STS actions Anchorage answers.
public enum STSAction: String, Sendable, CaseIterable {
    /// AWS STS's `GetCallerIdentity`.
    case getCallerIdentity = "GetCallerIdentity"
    /// Anchorage extension: everything the session token carries except its secret.
    case getSessionContext = "GetSessionContext"

    /// The API version every STS client sends.
    public static let version = "2011-06-15"

    /// The query-protocol parameters of `request`: the query string, plus the body when it is a form
    /// (`POST` with `application/x-www-form-urlencoded`, or no Content-Type). Nil when either does not decode.
    public static func parameters(of request: SignedRequest) -> [(name: String, value: String)]? {
        guard var parameters = QueryParameters.parse(request.rawQuery) else { return nil }
        if request.method == "POST", !request.body.isEmpty {
            let contentType = request.header("content-type")?.lowercased() ?? "application/x-www-form-urlencoded"
            if contentType.split(separator: ";").first?.trimmingSpacesAndTabs() == "application/x-www-form-urlencoded" {
                guard let form = QueryParameters.parse(String(decoding: request.body, as: UTF8.self)) else {
                    return nil
                }
                parameters += form
            }
        }
        return parameters
    }

    /// The action a request asks for. Throws `InvalidAction` when `Action` is missing, repeated with
    /// different values or unknown, or `Version` is present and not 2011-06-15.
    public static func requested(by request: SignedRequest) throws(STSFailure) -> STSAction {
        guard let parameters = parameters(of: request) else {
            throw STSFailure(.invalidAction, .invalidAction, "query or form body does not decode")
        }
        let actions = Set(parameters.filter { $0.name == "Action" }.map(\.value))
        let versions = Set(parameters.filter { $0.name == "Version" }.map(\.value))
        guard actions.count == 1, let name = actions.first else {
            throw STSFailure(
                .invalidAction, .invalidAction, actions.isEmpty ? "no Action parameter" : "several Action values",
                message: "Could not find operation for version \(version)")
        }
        guard let action = STSAction(rawValue: name) else {
            throw STSFailure(
                .invalidAction, .invalidAction, "unknown action \(name.prefix(64))",
                message: "Could not find operation \(name.prefix(64)) for version \(version)")
        }
        guard versions.isEmpty || versions == [version] else {
            throw STSFailure(
                .invalidAction, .invalidAction, "Version \(versions.sorted().joined(separator: ",").prefix(64))",
                message: "Could not find operation \(name) for version \(versions.sorted().first!.prefix(32))")
        }
        return action
    }
}
