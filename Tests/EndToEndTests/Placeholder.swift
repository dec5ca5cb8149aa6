import Testing

@Test func placeholderEndToEndTestsBuilds() { #expect(Bool(true)) }
