/// The checks CreateSession makes on the request's parameters before any certificate or configuration check
/// (X-Amz-X509-Chain length, durationSeconds range, roleSessionName syntax), shared by the request path
/// (``RequestParameters``, the chain length in `authenticate`) and `anchorage explain`, so both refuse the same
/// input with the same reason and in the same order.
extension CreateSessionService {
    /// Throws `invalid_duration` for a `durationSeconds` outside 900–43200.
    static func checkDurationRange(_ duration: Int?) throws(Denial) {
        if let d = duration, !(900...43200).contains(d) {
            throw Denial(.invalidDuration, "durationSeconds \(d) outside 900-43200")
        }
    }

    /// Throws `malformed_request` for a `roleSessionName` that is not 2–64 of `[\w+=,.@-]`.
    static func checkRoleSessionNameSyntax(_ name: String?) throws(Denial) {
        if let name, !RoleSessionName.validate(name) {
            throw Denial(.malformedRequest, "roleSessionName does not match [\\w+=,.@-]{2,64}")
        }
    }

    /// What explain checks before ``authorize``: what the request path checked while parsing the request
    /// (chain length during authentication, then duration and session name), in that order.
    static func checkParameters(_ request: SessionRequest, trace: inout DecisionTrace) throws(Denial) {
        guard request.chain.count <= maximumChainLength else {
            throw Denial(.chainTooLong, "X-Amz-X509-Chain holds \(request.chain.count) certificates")
        }
        try checkDurationRange(request.durationSeconds)
        try checkRoleSessionNameSyntax(request.roleSessionName)
        trace.record(
            "request parameters", .pass,
            "\(request.chain.count) chain certificate(s), durationSeconds \(request.durationSeconds.map(String.init) ?? "none"), "
                + "roleSessionName \(request.roleSessionName ?? "none")")
    }
}
