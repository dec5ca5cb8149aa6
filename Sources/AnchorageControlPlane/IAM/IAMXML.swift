import AnchorageCore

/// IAM's query-protocol XML: the response envelope, the role and tag shapes, and the error document, spelled as
/// IAM spells them so that botocore and the AWS CLI parse them unchanged.
public enum IAMXML {
    public static let namespace = "https://iam.amazonaws.com/doc/2010-05-08/"

    /// `<{Action}Response xmlns=…><{Action}Result>result</{Action}Result><ResponseMetadata>…` (no `Result` element
    /// when `result` is nil, as for the operations that return nothing).
    public static func response(action: String, result: String?, requestId: String) -> [UInt8] {
        var xml = "<\(action)Response xmlns=\"\(namespace)\">\n"
        if let result { xml += "  <\(action)Result>\n\(result)  </\(action)Result>\n" }
        xml += "  <ResponseMetadata>\n    <RequestId>\(XMLText.escape(requestId))</RequestId>\n  </ResponseMetadata>\n"
        xml += "</\(action)Response>\n"
        return Array(xml.utf8)
    }

    /// `<ErrorResponse><Error><Type>Sender</Type><Code>…</Code><Message>…</Message></Error><RequestId>…`.
    public static func error(code: String, message: String, status: Int, requestId: String) -> [UInt8] {
        let type = status >= 500 ? "Receiver" : "Sender"
        let xml = """
            <ErrorResponse xmlns="\(namespace)">
              <Error>
                <Type>\(type)</Type>
                <Code>\(XMLText.escape(code))</Code>
                <Message>\(XMLText.escape(message))</Message>
              </Error>
              <RequestId>\(XMLText.escape(requestId))</RequestId>
            </ErrorResponse>

            """
        return Array(xml.utf8)
    }

    /// `<name>text</name>` indented by `depth` levels.
    static func element(_ name: String, _ text: String, depth: Int) -> String {
        String(repeating: "  ", count: depth) + "<\(name)>\(XMLText.escape(text))</\(name)>\n"
    }

    /// `<name>` + members + `</name>`, each member wrapped in `<member>`.
    static func list(_ name: String, _ members: [String], depth: Int) -> String {
        let indent = String(repeating: "  ", count: depth)
        guard !members.isEmpty else { return indent + "<\(name)/>\n" }
        return indent + "<\(name)>\n" + members.joined() + indent + "</\(name)>\n"
    }

    static func tags(_ tags: [(key: String, value: String)], depth: Int) -> String {
        let inner = String(repeating: "  ", count: depth + 1)
        return list(
            "Tags",
            tags.map {
                inner + "<member>\n" + element("Key", $0.key, depth: depth + 2)
                    + element("Value", $0.value, depth: depth + 2)
                    + inner + "</member>\n"
            }, depth: depth)
    }
}
