// The support target's names (FixturePKI, runProcess, poll, ServerRegistry…) for every file of this target.
@_exported import AnchorageTestSupport

/// The name the end-to-end files use for ``TestFailure``.
typealias FixtureError = TestFailure
