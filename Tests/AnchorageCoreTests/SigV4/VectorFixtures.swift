import Foundation

/// The published vectors copied into the repository, `Tests/Fixtures/vectors` (see its README).
enum VectorFixtures {
    /// Found from this file's path, so the tests need nothing beside the clone: this file is
    /// `Tests/AnchorageCoreTests/SigV4/VectorFixtures.swift`, two levels below `Tests`.
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/vectors", isDirectory: true)
}
