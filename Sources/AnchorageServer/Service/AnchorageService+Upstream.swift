import AnchorageCore
import AnchorageHTTP

extension AnchorageService {
    /// Answers a CreateSession that Anchorage allowed for a brokered role: returns a pending response at once and
    /// completes it from an upstream worker thread once the upstream STS answered (or failed, or timed out) —
    /// audited first, like every answer, with the upstream's name, request id and assumed-role ARN.
    func handleBrokered(
        _ session: BrokeredSession, outcome: CreateSessionOutcome, request: HTTPRequest, requestId: String,
        now: Int64
    ) -> HTTPResponse {
        let promise = HTTPResponsePromise()
        let sourceAddress = request.remoteAddress
        upstreamBroker.exchange(session) { [self] upstreamAnswer, attempts in
            let final = outcome.completed(session, answer: upstreamAnswer, attempts: attempts)
            if case .failure(let failure) = upstreamAnswer {
                // The upstream's text stays here and in the audit log; the caller gets the mapped error only.
                logger.log(
                    .info, "upstream exchange failed",
                    [
                        "requestId": requestId, "upstream": session.upstream.name, "code": failure.code,
                        "attempts": String(attempts),
                    ])
            }
            var response = answer(final, sourceAddress: sourceAddress, requestId: requestId, now: now)
            response.headers.replaceOrAdd(name: "x-amzn-RequestId", value: requestId)
            promise.complete(response)
        }
        return .pending(promise)
    }
}
