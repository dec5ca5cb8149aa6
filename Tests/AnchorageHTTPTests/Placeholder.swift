import Testing

@Test func placeholderAnchorageHTTPTestsBuilds() { #expect(Bool(true)) }
