import AnchorageCrypto
import Foundation
import Testing

@Suite struct PEMTests {
    @Test(arguments: [0, 1, 47, 48, 49, 96, 1000])
    func linesAreSixtyFourCharactersAndDecodeBack(length: Int) throws {
        let der = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        let text = PEM.encode(der, label: "X509 CRL")
        #expect(text.hasSuffix("-----END X509 CRL-----\n"))
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.removeLast() == "")
        #expect(lines.removeFirst() == "-----BEGIN X509 CRL-----")
        #expect(lines.removeLast() == "-----END X509 CRL-----")
        #expect(lines.dropLast().allSatisfy { $0.count == 64 }, "\(lines)")
        #expect((lines.last?.count ?? 0) <= 64)
        #expect(lines.count == (length + 47) / 48)
        #expect(Data(base64Encoded: lines.joined()) == Data(der))
    }
}
