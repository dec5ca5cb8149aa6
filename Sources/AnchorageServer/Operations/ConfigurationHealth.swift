import AnchorageCore
import AnchorageCrypto
import AnchorageHTTP
import AnchorageLocking

/// Warnings an operator must see before they become outages: anchor certificates close to expiry and
/// CRLs past their `nextUpdate`.
struct ConfigurationHealth: Sendable {
    var warningDays: Int

    /// One finding, as logged.
    struct Finding: Equatable {
        var message: String
        var fields: [String: String]
    }

    func findings(_ configuration: Configuration, now: Int64) -> [Finding] {
        var out: [Finding] = []
        for anchor in configuration.trustAnchors.values.sorted(by: { $0.name < $1.name }) {
            for certificate in anchor.certificates {
                let secondsLeft = certificate.notAfter - now
                guard secondsLeft <= Int64(warningDays) * 86400 else { continue }
                out.append(
                    Finding(
                        message: secondsLeft < 0
                            ? "trust anchor certificate has expired" : "trust anchor certificate expires soon",
                        fields: [
                            "trustAnchor": anchor.name, "subject": certificate.subjectString,
                            "notAfter": UTCTimestamp.iso8601(certificate.notAfter),
                            "daysLeft": String(secondsLeft / 86400),
                        ]))
            }
            for list in anchor.revocationLists {
                guard let nextUpdate = list.nextUpdate, nextUpdate < now else { continue }
                out.append(
                    Finding(
                        message: "CRL is past its nextUpdate; it stays in force until replaced",
                        fields: [
                            "trustAnchor": anchor.name, "issuer": list.issuerString,
                            "nextUpdate": UTCTimestamp.iso8601(nextUpdate),
                        ]))
            }
        }
        return out
    }

    func logWarnings(_ configuration: Configuration, now: Int64, logger: Logger) {
        for finding in findings(configuration, now: now) { logger.warning(finding.message, finding.fields) }
    }
}

/// The HTTP server, once it exists, for the metrics' connection gauge.
final class ServerReference: Sendable {
    let server = Locked<HTTPServer?>(nil)
}
