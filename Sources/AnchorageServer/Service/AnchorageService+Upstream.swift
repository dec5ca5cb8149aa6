import AnchorageCore
import AnchorageHTTP

extension AnchorageService {
    /// Answers a CreateSession that Anchorage allowed for a brokered role: the exchange runs on an upstream worker
    /// thread, and `deliver` gets the answer there once the upstream STS answered (or failed, or timed out) —
    /// audited first, like every answer, with the upstream's name, request id and assumed-role ARN.
    func exchangeBrokered(
        _ session: BrokeredSession, outcome: CreateSessionOutcome, _ context: AnswerContext,
        deliver: @escaping @Sendable (HTTPResponse) -> Void
    ) {
        upstreamBroker.exchange(session) { [self] upstreamAnswer, attempts in
            let final = outcome.completed(session, answer: upstreamAnswer, attempts: attempts)
            if case .failure(let failure) = upstreamAnswer {
                // The upstream's text stays here and in the audit log; the caller gets the mapped error only.
                logger.log(
                    .info, "upstream exchange failed",
                    [
                        "requestId": context.requestId, "upstream": session.upstream.name, "code": failure.code,
                        "attempts": String(attempts),
                    ])
            }
            deliver(audited(final, context))
        }
    }
}
