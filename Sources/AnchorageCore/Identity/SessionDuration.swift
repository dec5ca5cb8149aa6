/// Resolves the lifetime of issued credentials.
public enum SessionDuration {
    /// The durations CreateSession accepts, in seconds.
    public static let allowedRange = 900...43200

    /// `min(profileDuration, requested ?? profileDuration)`, refused when the request is outside
    /// ``allowedRange`` or the result exceeds `roleMaximum` (UG "Credentials Object").
    public static func resolve(requested: Int?, profileDuration: Int, roleMaximum: Int) -> Result<
        Int, SessionDurationError
    > {
        if let requested, !allowedRange.contains(requested) { return .failure(.outOfRange) }
        let final = min(profileDuration, requested ?? profileDuration)
        guard final <= roleMaximum else { return .failure(.exceedsRoleMaximum) }
        return .success(final)
    }
}
