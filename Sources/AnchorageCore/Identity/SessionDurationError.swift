/// Why a session duration cannot be granted (both are 400 ValidationException on the wire).
public enum SessionDurationError: Error, Equatable, Sendable {
    /// The requested duration is outside 900…43200 seconds.
    case outOfRange
    /// The resulting duration exceeds the role's `MaxSessionDuration` (AWS errors, never clamps).
    case exceedsRoleMaximum
}
