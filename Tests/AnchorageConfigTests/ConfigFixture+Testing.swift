import AnchorageConfig
import AnchorageConfigFixtures
import Testing

extension ConfigFixture {
    /// The issues of a load that must fail; records a test issue (and returns []) when it succeeds.
    func loadIssues(sourceLocation: SourceLocation = #_sourceLocation) -> [ConfigurationIssue] {
        do {
            let configuration = try loader.load(generation: 1)
            Issue.record(
                "expected the load to fail, got \(configuration.trustAnchors.count) anchors",
                sourceLocation: sourceLocation)
            return []
        } catch {
            return error.issues
        }
    }
}
