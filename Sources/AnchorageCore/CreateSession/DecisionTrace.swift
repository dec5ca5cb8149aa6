/// The steps of one decision, as `anchorage explain` prints them.
///
/// Recording is off on the request path, so the server pays nothing for it.
public struct DecisionTrace: Sendable {
    /// How a step came out.
    public enum Outcome: String, Sendable {
        case pass, fail, info
    }

    /// One check or derived fact.
    public struct Step: Sendable, Equatable {
        public var check: String
        public var outcome: Outcome
        public var detail: String
    }

    public private(set) var steps: [Step] = []
    public let recording: Bool

    public init(recording: Bool) { self.recording = recording }

    /// Records a step when recording; `detail` is only evaluated then.
    public mutating func record(_ check: String, _ outcome: Outcome, _ detail: @autoclosure () -> String) {
        guard recording else { return }
        steps.append(Step(check: check, outcome: outcome, detail: detail()))
    }
}

/// The result of ``CreateSessionService/explain(_:configuration:now:)``.
public struct Explanation: Sendable {
    /// nil when the request would be allowed.
    public var reason: DenialReason?
    public var detail: String
    public var trace: [DecisionTrace.Step]
}
