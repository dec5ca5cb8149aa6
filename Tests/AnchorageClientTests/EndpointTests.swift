import Testing
@testable import AnchorageClient
