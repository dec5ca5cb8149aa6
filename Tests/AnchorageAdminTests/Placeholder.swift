import Testing

@Test func placeholderAnchorageAdminTestsBuilds() { #expect(Bool(true)) }
