/// The outcome of evaluating a trust policy, with the reasoning behind it.
public struct PolicyDecision: Equatable, Sendable, CustomStringConvertible {
    /// Why the policy allowed or denied.
    public enum Reason: Equatable, Sendable, CustomStringConvertible {
        /// Every requested action is allowed by some applicable `Allow` and no `Deny` applies.
        case allowed
        /// The first applicable `Deny` statement covering a requested action.
        case explicitDeny(statementIndex: Int, sid: String?)
        /// The requested actions no applicable `Allow` covers (in request order). Empty when no
        /// action was requested at all, which is denied too.
        case noMatchingAllow(missingActions: [String])

        /// One line for logs, e.g. `explicit deny by Statement[1] "NoContractors"`.
        public var description: String {
            switch self {
            case .allowed:
                return "allowed"
            case .explicitDeny(let index, let sid):
                return "explicit deny by Statement[\(index)]" + (sid.map { " " + JSONWriter.quoted($0) } ?? "")
            case .noMatchingAllow(let missing):
                return missing.isEmpty
                    ? "no action requested"
                    : "no statement allows " + missing.joined(separator: ", ")
            }
        }
    }

    /// True only when every requested action is allowed and nothing denies.
    public var allowed: Bool
    /// Why; matches ``allowed``.
    public var reason: Reason
    /// One entry per statement, in policy order.
    public var trace: [StatementTrace]

    /// Builds a decision (the evaluator is the usual author).
    public init(allowed: Bool, reason: Reason, trace: [StatementTrace]) {
        self.allowed = allowed
        self.reason = reason
        self.trace = trace
    }

    /// The decision line followed by each statement's trace.
    public var description: String {
        ([(allowed ? "ALLOW" : "DENY") + ": \(reason)"] + trace.map(\.description)).joined(separator: "\n")
    }
}
