import Testing

@Test func placeholderAnchorageClientTestsBuilds() { #expect(Bool(true)) }
