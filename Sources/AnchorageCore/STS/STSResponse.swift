/// STS response bodies: XML (the query protocol's default) or JSON (when the caller sends
/// `Accept: application/json`, as AWS STS also allows).
public enum STSResponse {
    /// The query protocol's XML namespace for version 2011-06-15.
    public static let namespace = "https://sts.amazonaws.com/doc/2011-06-15/"

    /// A rendered body and its Content-Type.
    public struct Body: Sendable {
        public var contentType: String
        public var bytes: [UInt8]
    }

    /// The body answering `action` for a verified session.
    public static func success(
        _ action: STSAction, identity: SessionIdentity, session: SessionClaims, requestId: String, json: Bool
    ) -> Body {
        var fields: [(String, Field)] = [
            ("Arn", .text(identity.arn)), ("UserId", .text(identity.userId)), ("Account", .text(identity.account)),
        ]
        if action == .getSessionContext { fields += sessionContextFields(session) }
        let name = action.rawValue
        if json {
            let document = JSONValue.object([
                JSONMember(
                    key: "\(name)Response",
                    value: .object([
                        JSONMember(key: "\(name)Result", value: jsonObject(fields)),
                        JSONMember(
                            key: "ResponseMetadata",
                            value: .object([JSONMember(key: "RequestId", value: .string(requestId))])),
                    ]))
            ])
            return Body(contentType: "application/json", bytes: JSONWriter.bytes(document))
        }
        var xml = "<\(name)Response xmlns=\"\(namespace)\">\n  <\(name)Result>\n"
        appendXML(fields, indent: "    ", to: &xml)
        xml += "  </\(name)Result>\n  <ResponseMetadata>\n    <RequestId>\(XMLText.escape(requestId))</RequestId>\n"
        xml += "  </ResponseMetadata>\n</\(name)Response>\n"
        return Body(contentType: "text/xml", bytes: Array(xml.utf8))
    }

    /// STS's error body: `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`.
    public static func error(_ error: STSError, requestId: String, json: Bool) -> Body {
        if json {
            let document = JSONValue.object([
                JSONMember(
                    key: "Error",
                    value: .object([
                        JSONMember(key: "Type", value: .string(error.type)),
                        JSONMember(key: "Code", value: .string(error.code.rawValue)),
                        JSONMember(key: "Message", value: .string(error.message)),
                    ])),
                JSONMember(key: "RequestId", value: .string(requestId)),
            ])
            return Body(contentType: "application/json", bytes: JSONWriter.bytes(document))
        }
        let xml = """
            <ErrorResponse xmlns="\(namespace)">
              <Error>
                <Type>\(error.type)</Type>
                <Code>\(error.code.rawValue)</Code>
                <Message>\(XMLText.escape(error.message))</Message>
              </Error>
              <RequestId>\(XMLText.escape(requestId))</RequestId>
            </ErrorResponse>

            """
        return Body(contentType: "text/xml", bytes: Array(xml.utf8))
    }

    /// True when the caller asked for JSON (`Accept: application/json`).
    public static func wantsJSON(_ request: SignedRequest) -> Bool {
        request.header("accept")?.lowercased().contains("application/json") == true
    }

    // MARK: - Session context

    indirect enum Field {
        case text(String)
        case members([[(String, Field)]])
        case structure([(String, Field)])
    }

    static func sessionContextFields(_ session: SessionClaims) -> [(String, Field)] {
        var certificate: [(String, Field)] = [
            ("SerialNumber", .text(session.certificateSerialHex)),
            ("Sha256Fingerprint", .text(session.certificateSHA256)),
        ]
        if let subject = session.certificateSubject { certificate.append(("Subject", .text(subject))) }
        if let issuer = session.certificateIssuer { certificate.append(("Issuer", .text(issuer))) }
        var fields: [(String, Field)] = [
            ("RoleArn", .text(session.roleArn)),
            ("RoleSessionName", .text(session.roleSessionName)),
            ("SourceIdentity", .text(session.sourceIdentity)),
            (
                "PrincipalTags",
                .members(session.principalTags.map { [("Key", .text($0.key)), ("Value", .text($0.value))] })
            ),
            ("TrustAnchorArn", .text(session.trustAnchorArn)),
            ("ProfileArn", .text(session.profileArn)),
            ("Certificate", .structure(certificate)),
            ("AccessKeyId", .text(session.accessKeyId)),
            ("IssuedAt", .text(UTCTimestamp.iso8601(session.issuedAt))),
            ("Expiration", .text(UTCTimestamp.iso8601(session.expiresAt))),
        ]
        if let source = session.sourceAddress { fields.append(("SourceAddress", .text(source))) }
        return fields
    }

    private static func appendXML(_ fields: [(String, Field)], indent: String, to xml: inout String) {
        for (name, field) in fields {
            switch field {
            case .text(let value):
                xml += "\(indent)<\(name)>\(XMLText.escape(value))</\(name)>\n"
            case .structure(let children):
                xml += "\(indent)<\(name)>\n"
                appendXML(children, indent: indent + "  ", to: &xml)
                xml += "\(indent)</\(name)>\n"
            case .members(let items):
                if items.isEmpty {
                    xml += "\(indent)<\(name)/>\n"
                    continue
                }
                xml += "\(indent)<\(name)>\n"
                for item in items {
                    xml += "\(indent)  <member>\n"
                    appendXML(item, indent: indent + "    ", to: &xml)
                    xml += "\(indent)  </member>\n"
                }
                xml += "\(indent)</\(name)>\n"
            }
        }
    }

    private static func jsonObject(_ fields: [(String, Field)]) -> JSONValue {
        .object(fields.map { JSONMember(key: $0.0, value: jsonValue($0.1)) })
    }

    private static func jsonValue(_ field: Field) -> JSONValue {
        switch field {
        case .text(let value): return .string(value)
        case .structure(let children): return jsonObject(children)
        case .members(let items): return .array(items.map(jsonObject))
        }
    }
}
