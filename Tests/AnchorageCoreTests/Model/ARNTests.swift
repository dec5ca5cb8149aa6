import AnchorageCore
import Testing

@Suite struct ARNTests {
    @Test func splitsIntoItsParts() throws {
        let arn = try #require(ARN("arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/4a1c-9f"))
        #expect(arn.partition == "aws")
        #expect(arn.service == "rolesanywhere")
        #expect(arn.region == "us-east-1")
        #expect(arn.account == "123456789012")
        #expect(arn.resource == "trust-anchor/4a1c-9f")
        #expect(arn.description == "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/4a1c-9f")
        #expect(arn.hasResource(ofType: "trust-anchor"))
        #expect(arn.resourceName == "4a1c-9f")
    }

    @Test func keepsFurtherColonsInTheResourceAndAllowsAnEmptyRegionAndAccount() throws {
        let arn = try #require(ARN("arn:aws-cn:iam:::role/a:b:c"))
        #expect(arn.partition == "aws-cn")
        #expect(arn.region == "")
        #expect(arn.account == "")
        #expect(arn.resource == "role/a:b:c")
        #expect(arn.resourceType == "role")
    }

    @Test(arguments: [
        "", "arn", "arn:aws:iam::123456789012", "arn:aws:iam::123456789012:", "arn::iam::1:role/x",
        "arn:aws::us-east-1:1:role/x", "arx:aws:iam::1:role/x", "arnx:aws:iam::1:role/x", "xarn:aws:iam::1:role/x",
        "Arn:aws:iam::1:role/x", "arn:aws:iam::1:role/with space", "arn:aws:iam::1:role/é", "arn:aws:iam::1:role/\t",
        " arn:aws:iam::1:role/x", "arn:aws:iam::1:role/x\u{7F}",
    ])
    func rejects(_ text: String) {
        #expect(ARN(text) == nil)
    }

    @Test func changingAPartChangesTheText() throws {
        var arn = try #require(ARN("arn:aws:iam::123456789012:role/a"))
        arn.resource = "role/b"
        #expect(arn.description == "arn:aws:iam::123456789012:role/b")
        #expect(ARN(arn.description) == arn)
    }
}
