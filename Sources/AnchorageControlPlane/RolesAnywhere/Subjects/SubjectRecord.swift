import AnchorageConfig
import AnchorageCore

/// A subject: the certificates with one `x509Subject` (in one account and region) that asked for credentials,
/// with the credentials each was issued — the model's `SubjectDetail`.
public struct SubjectRecord: Sendable, Equatable {
    public var id: String
    public var arn: String
    public var x509Subject: String
    public var createdAt: Int64
    public var lastSeenAt: Int64
    public var credentials: [CredentialRecord]

    /// One certificate that asked for credentials (`CredentialSummary`).
    public struct CredentialRecord: Sendable, Equatable {
        public var serialNumber: String
        public var issuer: String
        public var seenAt: Int64
        public var failed: Bool
        /// The certificate's DER in base64, as the request's `X-Amz-X509` carried it (kept so, so that recording
        /// on the CreateSession path copies a string; the PEM is made when it is read or written).
        public var certificateBase64: String

        /// The certificate, PEM (the model's `x509CertificateData`); empty when none was recorded.
        public var x509CertificateData: String {
            certificateBase64.isEmpty ? "" : SubjectStore.pem(certificateBase64)
        }
    }

    /// The model's `SubjectSummary`.
    var summary: JSONValue { .object(commonMembers) }

    /// The model's `SubjectDetail`.
    var detail: JSONValue {
        .object(
            commonMembers + [
                JSONMember(
                    key: "credentials",
                    value: .array(
                        credentials.map {
                            .object([
                                "seenAt": .string(UTCTimestamp.iso8601($0.seenAt)),
                                "serialNumber": .string($0.serialNumber), "issuer": .string($0.issuer),
                                "enabled": .bool(true), "failed": .bool($0.failed),
                                "x509CertificateData": .string($0.x509CertificateData),
                            ])
                        })),
                JSONMember(key: "instanceProperties", value: .array([])),
            ])
    }

    private var commonMembers: [JSONMember] {
        [
            JSONMember(key: "subjectArn", value: .string(arn)), JSONMember(key: "subjectId", value: .string(id)),
            JSONMember(key: "enabled", value: .bool(true)), JSONMember(key: "x509Subject", value: .string(x509Subject)),
            JSONMember(key: "lastSeenAt", value: .string(UTCTimestamp.iso8601(lastSeenAt))),
            JSONMember(key: "createdAt", value: .string(UTCTimestamp.iso8601(createdAt))),
            JSONMember(key: "updatedAt", value: .string(UTCTimestamp.iso8601(lastSeenAt))),
        ]
    }
}

extension SubjectRecord {
    /// The form `subjects.json` keeps (times as epoch seconds).
    var stateJSON: JSONValue {
        .object([
            "subjectId": .string(id), "subjectArn": .string(arn), "x509Subject": .string(x509Subject),
            "createdAt": .number(String(createdAt)), "lastSeenAt": .number(String(lastSeenAt)),
            "credentials": .array(
                credentials.map {
                    .object([
                        "serialNumber": .string($0.serialNumber), "issuer": .string($0.issuer),
                        "seenAt": .number(String($0.seenAt)), "failed": .bool($0.failed),
                        "x509CertificateData": .string($0.x509CertificateData),
                    ])
                }),
        ])
    }

    /// The record as the shared store (Redis) keeps it: `subjects.json`'s entry, as bytes.
    public var sharedBytes: [UInt8] { JSONWriter.bytes(stateJSON) }

    /// A record of the shared store; nil when it does not parse.
    public init?(sharedBytes: [UInt8]) {
        guard let json = try? JSONParser.parse(sharedBytes) else { return nil }
        self.init(stateJSON: json)
    }

    init?(stateJSON json: JSONValue) {
        guard let id = json["subjectId"]?.stringValue, let arn = json["subjectArn"]?.stringValue,
            let subject = json["x509Subject"]?.stringValue,
            let createdAt = json["createdAt"]?.intValue, let lastSeenAt = json["lastSeenAt"]?.intValue,
            case .array(let credentials)? = json["credentials"]
        else { return nil }
        self.init(
            id: id, arn: arn, x509Subject: subject, createdAt: Int64(createdAt), lastSeenAt: Int64(lastSeenAt),
            credentials: credentials.compactMap { credential in
                guard let serial = credential["serialNumber"]?.stringValue,
                    let issuer = credential["issuer"]?.stringValue, let seenAt = credential["seenAt"]?.intValue,
                    let data = credential["x509CertificateData"]?.stringValue
                else { return nil }
                return CredentialRecord(
                    serialNumber: serial, issuer: issuer, seenAt: Int64(seenAt),
                    failed: credential["failed"]?.boolValue ?? false, certificateBase64: SubjectStore.base64(pem: data))
            })
    }
}
