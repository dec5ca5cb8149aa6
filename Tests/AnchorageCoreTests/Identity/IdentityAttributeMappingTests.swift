import AnchorageCore
import Testing

@Suite struct IdentityAttributeMappingTests {
    @Test func nullMeansDefault() throws {
        #expect(try AttributeMapping.parse(.null, path: "$.attributeMappings") == nil)
    }

    @Test func parsesAndNormalisesSpecifiers() throws {
        let parsed = try AttributeMapping.parse(
            try JSONParser.parse(
                """
                [{"certificateField": "x509SAN", "mappingRules": [{"specifier": "Name"}, {"specifier": "Name/"},
                   {"specifier": "DNS"}, {"specifier": "Name/uid"}]},
                 {"certificateField": "x509Subject", "mappingRules": [{"specifier": "*"}, {"specifier": "SERIALNUMBER"}]}]
                """), path: "$")
        #expect(
            parsed == [
                AttributeMapping(certificateField: .x509SAN, specifiers: ["Name/*", "DNS", "Name/UID"]),
                AttributeMapping(certificateField: .x509Subject, specifiers: ["*", "serialNumber"]),
            ])
    }

    struct Case: Sendable, CustomStringConvertible {
        var json: String
        var path: String
        var description: String { path }
    }

    @Test(arguments: [
        Case(json: #"{}"#, path: "$.m"),
        Case(json: #"[{"certificateField": "x509Subject", "mappingRules": [], "x": 1}]"#, path: "$.m[0].x"),
        Case(json: #"[{"certificateField": "x509Extension", "mappingRules": []}]"#, path: "$.m[0].certificateField"),
        Case(json: #"[{"mappingRules": []}]"#, path: "$.m[0]"),
        Case(json: #"[{"certificateField": "x509SAN"}]"#, path: "$.m[0]"),
        Case(json: #"[{"certificateField": "x509SAN", "mappingRules": {}}]"#, path: "$.m[0].mappingRules"),
        Case(
            json: #"[{"certificateField": "x509SAN", "mappingRules": [{"specifier": "IP"}]}]"#,
            path: "$.m[0].mappingRules[0].specifier"),
        Case(
            json: #"[{"certificateField": "x509SAN", "mappingRules": [{"specifier": "*"}]}]"#,
            path: "$.m[0].mappingRules[0].specifier"),
        Case(
            json: #"[{"certificateField": "x509SAN", "mappingRules": [{"specifier": "Name/Nope"}]}]"#,
            path: "$.m[0].mappingRules[0].specifier"),
        Case(
            json: #"[{"certificateField": "x509Subject", "mappingRules": [{"specifier": "DNS"}]}]"#,
            path: "$.m[0].mappingRules[0].specifier"),
        Case(
            json: #"[{"certificateField": "x509Subject", "mappingRules": [{"specifier": ""}]}]"#,
            path: "$.m[0].mappingRules[0].specifier"),
        Case(
            json:
                #"[{"certificateField": "x509Subject", "mappingRules": [{"specifier": "\#(String(repeating: "C", count: 61))"}]}]"#,
            path: "$.m[0].mappingRules[0].specifier"),
        Case(
            json: #"[{"certificateField": "x509Subject", "mappingRules": [{"specifier": "CN", "extra": 1}]}]"#,
            path: "$.m[0].mappingRules[0].extra"),
        Case(
            json: #"[{"certificateField": "x509Subject", "mappingRules": [{"specifier": 1}]}]"#,
            path: "$.m[0].mappingRules[0].specifier"),
        Case(
            json:
                #"[{"certificateField": "x509Subject", "mappingRules": []}, {"certificateField": "x509Subject", "mappingRules": []}]"#,
            path: "$.m[1].certificateField"),
    ])
    func rejectsWithPath(_ c: Case) throws {
        let json = try JSONParser.parse(c.json)
        do {
            _ = try AttributeMapping.parse(json, path: "$.m")
            Issue.record("accepted \(c.json)")
        } catch {
            #expect(error.path == c.path, "\(error)")
        }
    }
}
