import AnchorageCore

/// The limits of a profile that both the loader and the API enforce (the Roles Anywhere model's): one place, so
/// a file can never hold what the API would refuse.
public enum ProfileRules {
    public static let durationSeconds = 900...43200
    public static let maximumRoleArns = 250
    public static let maximumManagedPolicyArns = 50
    public static let managedPolicyArnLength = 1...200
    public static let sessionPolicyLength = 1...100_000

    /// Why `text` is not a session policy (a JSON object of 1-100,000 characters), or nil.
    public static func problem(sessionPolicy text: String) -> String? {
        guard sessionPolicyLength.contains(text.utf8.count) else { return "must be 1-100000 characters" }
        guard case .object? = try? JSONParser.parse(text) else { return "must be a JSON policy document" }
        return nil
    }
}
