import Testing

@Test func placeholderAnchorageServerTestsBuilds() { #expect(Bool(true)) }
