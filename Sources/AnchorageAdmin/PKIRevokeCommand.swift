import AnchorageCommandLine
import AnchorageConfig
import AnchorageCore
import AnchorageCrypto
import Foundation

extension PKICommands {
    static let revoke = Subcommand(
        name: "revoke", summary: "revoke certificates: write the CA's CRL (then `anchorage crl import` it)",
        help: """
            usage: anchorage pki revoke --ca-certificate FILE --ca-private-key FILE --crl FILE
                                        [--certificate FILE]... [--serial HEX]... [--days N] [--pki DIR] [--profiles DIR]

              Writes FILE: a CRL (v2, PEM, SHA-256) signed by the CA that lists every certificate revoked before
              (when FILE exists it must be a CRL of this CA; its entries keep their revocation dates) and the
              ones given now, revoked as of now. Without --certificate or --serial it issues the same list again
              with a fresh thisUpdate and nextUpdate (the periodic refresh before nextUpdate passes). FILE is
              replaced atomically. Prints FILE and the number of revoked certificates.

              Nothing is in force until the CRL is imported: `anchorage crl import ANCHOR FILE` (a running server
              picks it up at once). To stop sessions already issued as well, see `anchorage revoke`.

              --ca-certificate FILE  the CA that issued the certificates (PEM)
              --ca-private-key FILE  its private key (PEM, unencrypted)
              --crl FILE             the CRL to write (and to extend, when it exists)
              --certificate FILE     (repeatable) a certificate to revoke (PEM); it must be issued by the CA
              --serial HEX           (repeatable) the serial number of a certificate to revoke, in hex
                                     (as `anchorage pki issue` prints it)
              --days N               nextUpdate N days from now (default 30)
            \(CommandGroup.commonHelp)
            """,
        specification: .init(
            options: ["ca-certificate", "ca-private-key", "crl", "days"], repeatableOptions: ["certificate", "serial"]),
        action: { arguments, context throws in
            let ca = try IssuingCA(arguments)
            guard let crlFile = arguments.value("crl") else {
                throw CommandArguments.UsageError("--crl FILE is required")
            }
            let days = try arguments.integer("days", in: 1...3650, default: 30)
            let now = SystemClock().seconds

            // The entries already revoked, with their dates, from the CRL being extended.
            var dates: [[UInt8]: Int64] = [:]
            var serials: [[UInt8]] = []
            if FileManager.default.fileExists(atPath: crlFile) {
                let lists: [CertificateRevocationList]
                do {
                    lists = try CertificateRevocationList.parse(fileBytes: try InputFiles.read(crlFile, what: "CRL"))
                } catch let error as AdminError {
                    throw error
                } catch {
                    throw AdminError("\(crlFile) exists and is not a CRL: \(error)")
                }
                for list in lists {
                    guard list.isNamedAsIssuer(ca.certificate), list.isSignatureValid(issuedBy: ca.certificate) else {
                        throw AdminError(
                            "\(crlFile) is a CRL of \(list.issuerString), not of \(ca.certificateFile); "
                                + "give another --crl FILE")
                    }
                    for entry in list.revokedEntries where dates[entry.serial] == nil {
                        dates[entry.serial] = entry.date
                        serials.append(entry.serial)
                    }
                }
            }
            var added = 0
            func add(_ serial: [UInt8], _ what: String) {
                guard dates[serial] == nil else {
                    context.console.note("\(what) is already revoked in \(crlFile)")
                    return
                }
                dates[serial] = now
                serials.append(serial)
                added += 1
            }
            for file in arguments.values("certificate") {
                let certificates: [Certificate]
                do {
                    certificates = try Certificate.parsePEMBundle(try InputFiles.read(file, what: "certificate"))
                } catch let error as AdminError {
                    throw error
                } catch {
                    throw AdminError("\(file) is not a PEM certificate: \(error)")
                }
                guard let certificate = certificates.first else { throw AdminError("\(file) holds no PEM certificate") }
                guard certificate.isSignatureValid(issuedBy: ca.certificate) else {
                    throw AdminError(
                        "\(file) (\(certificate.subjectString)) is not issued by \(ca.certificateFile); "
                            + "a CRL can only revoke its own CA's certificates")
                }
                add(certificate.serialNumberBytes, "\(file) (serial \(certificate.serialNumberHex))")
            }
            for text in arguments.values("serial") {
                guard let serial = serialMagnitude(text) else {
                    throw CommandArguments.UsageError("--serial \(text) is not a hexadecimal serial number")
                }
                add(serial, "serial \(text)")
            }

            var builder = CertificateRevocationListBuilder(thisUpdate: now, nextUpdate: now + Int64(days) * 86400)
            builder.revokedSerials = serials
            builder.revocationDates = dates
            let crl: CertificateRevocationList
            do {
                crl = try builder.issue(issuer: ca.certificate, issuerKey: ca.key)
            } catch {
                throw AdminError("cannot issue the CRL: \(error)")
            }
            try AtomicFiles.write(Array(crl.pemString.utf8), to: crlFile, mode: 0o644)
            context.console.note(
                "wrote \(crlFile): \(serials.count) revoked certificate(s), \(added) new; "
                    + "next update \(UTCTimestamp.iso8601(now + Int64(days) * 86400)). "
                    + "Put it in force with `anchorage crl import ANCHOR \(crlFile)`")
            context.console.print(crlFile)
        })

    /// `0A1B…` (optionally `0x`, `:` separators) as a big-endian magnitude without leading zero bytes, the
    /// form ``Certificate/serialNumberBytes`` has; nil when it is not hexadecimal.
    static func serialMagnitude(_ text: String) -> [UInt8]? {
        var digits = Substring(text.replacingOccurrences(of: ":", with: ""))
        if digits.hasPrefix("0x") || digits.hasPrefix("0X") { digits = digits.dropFirst(2) }
        guard !digits.isEmpty, digits.count <= 40,
            let bytes = Hex.decode(String(digits.count % 2 == 1 ? "0" + digits : digits))
        else { return nil }
        let magnitude = Array(bytes.drop { $0 == 0 })
        return magnitude.isEmpty ? [0] : magnitude
    }
}
