import AnchorageCommandLine
import AnchorageConfig
import AnchorageCore
import AnchorageCrypto
import Foundation

/// `anchorage pki init-ca|issue|revoke`: a small CA for labs, tests and small deployments. Writes
/// certificates, CRLs and private keys to the paths given — private keys with mode 0600 and never inside the
/// `--pki` directory (which holds public material only).
enum PKICommands {
    static let group = CommandGroup(
        name: "pki",
        summary:
            "Create a CA, issue workload and server certificates, revoke them in a CRL "
            + "(for labs, tests and small deployments).",
        subcommands: [initCA, issue, revoke])

    static let keyTypeHelp = "  --key-type TYPE    ec-p256 (default), ec-p384, rsa-2048 or rsa-3072"
    static let subjectHelp = """
          --subject DN       the subject in OpenSSL's -subj form, in certificate order:
                             /C=US/O=Example/OU=web/CN=web-1 ('\\/' for a literal '/')
        """

    static let initCA = Subcommand(
        name: "init-ca", summary: "create a self-signed root CA (certificate and private key)",
        help: """
            usage: anchorage pki init-ca --subject DN --certificate FILE --private-key FILE
                                         [--key-type TYPE] [--days N] [--path-length N] [--pki DIR] [--profiles DIR]

              Generates a key and a self-signed CA certificate (CA:TRUE, keyCertSign, cRLSign; SHA-256), writes
              the certificate (PEM, mode 0644) and the private key (PKCS#8 PEM, mode 0600), and prints the
              certificate's subject and SHA-256 fingerprint. Existing files are never overwritten. The private key
              may not be inside the --pki directory. Register the CA with
              `anchorage trust-anchor add NAME --certificates FILE`.

            \(subjectHelp)
              --certificate FILE where to write the CA certificate
              --private-key FILE where to write the CA private key (mode 0600; not under --pki)
            \(keyTypeHelp)
              --days N           validity from now (backdated 5 minutes), default 3650
              --path-length N    basicConstraints pathlen (default: none)
            \(CommandGroup.commonHelp)
            """,
        specification: .init(options: ["subject", "certificate", "private-key", "key-type", "days", "path-length"]),
        action: { arguments, context throws in
            let request = try CertificateRequest(arguments, context: context, defaultDays: 3650)
            let key = try generateKey(request.keyType)
            var builder = CertificateBuilder(
                subject: request.subject, notBefore: request.notBefore, notAfter: request.notAfter)
            builder.isCA = true
            builder.keyUsage = "keyCertSign,cRLSign"
            if arguments.value("path-length") != nil {
                builder.pathLength = try arguments.integer("path-length", in: 0...16, default: 0)
            }
            let certificate = try issue(builder, key: key, issuer: nil, issuerKey: key)
            try request.write(certificate, key: key)
            printSummary(certificate, request, context)
        })

    static let issue = Subcommand(
        name: "issue", summary: "issue a workload, server (--server) or intermediate CA certificate signed by a CA",
        help: """
            usage: anchorage pki issue --ca-certificate FILE --ca-private-key FILE --subject DN
                                       --certificate FILE --private-key FILE [--dns NAME]... [--uri URI]...
                                       [--ip ADDRESS]... [--key-type TYPE] [--days N] [--server | --intermediate]
                                       [--pki DIR] [--profiles DIR]

              Generates a key and a certificate signed (SHA-256) by the CA, writes the certificate (PEM, mode 0644)
              and the private key (PKCS#8 PEM, mode 0600), and prints the certificate's subject, serial and SHA-256
              fingerprint. A workload certificate is CA:FALSE with keyUsage digitalSignature and extendedKeyUsage
              clientAuth, as Roles Anywhere requires. With --server it is a TLS server certificate for
              `anchorage serve`: CA:FALSE, digitalSignature, extendedKeyUsage serverAuth, and the --dns and --ip
              names clients connect to (at least one). With --intermediate it is a CA (keyCertSign, cRLSign,
              pathlen 0). Its validity is cut to the CA's. Existing files are never overwritten; the private key
              may not be inside the --pki directory.

              --ca-certificate FILE  the issuing CA certificate (PEM)
              --ca-private-key FILE  its private key (PEM, unencrypted)
            \(subjectHelp)
              --dns NAME         (repeatable) a DNS subjectAltName
              --uri URI          (repeatable) a URI subjectAltName, e.g. spiffe://example.org/web
              --ip ADDRESS       (repeatable) an IP address subjectAltName (IPv4 or IPv6)
              --certificate FILE where to write the certificate
              --private-key FILE where to write the private key (mode 0600; not under --pki)
            \(keyTypeHelp)
              --days N           validity from now (backdated 5 minutes), default 365
              --server           issue a TLS server certificate (serverAuth) instead of a workload certificate
              --intermediate     issue an intermediate CA instead of a workload certificate
            \(CommandGroup.commonHelp)
            """,
        specification: .init(
            options: ["ca-certificate", "ca-private-key", "subject", "certificate", "private-key", "key-type", "days"],
            repeatableOptions: ["dns", "uri", "ip"], flags: ["intermediate", "server"]),
        action: { arguments, context throws in
            let server = arguments.has("server")
            if server, arguments.has("intermediate") {
                throw CommandArguments.UsageError("--server and --intermediate exclude each other")
            }
            if server, arguments.values("dns").isEmpty, arguments.values("ip").isEmpty {
                throw CommandArguments.UsageError(
                    "--server needs the names clients connect to: --dns NAME and/or --ip ADDRESS")
            }
            let ca = try IssuingCA(arguments)
            var request = try CertificateRequest(arguments, context: context, defaultDays: 365)
            let caCertificate = ca.certificate
            if request.notAfter > caCertificate.notAfter {
                context.console.note(
                    "warning: validity cut to the CA's notAfter, \(UTCTimestamp.iso8601(caCertificate.notAfter))")
                request.notAfter = caCertificate.notAfter
            }
            var names: [String] = []
            for dns in arguments.values("dns") {
                guard !dns.isEmpty,
                    dns.unicodeScalars.allSatisfy({
                        $0.isASCII
                            && ($0.properties.isAlphabetic
                                || ("0"..."9").contains($0) || "-.*".unicodeScalars.contains($0))
                    })
                else { throw CommandArguments.UsageError("--dns \(dns) is not a DNS name") }
                names.append("DNS:" + dns)
            }
            for uri in arguments.values("uri") {
                guard uri.contains(":"), !uri.contains(","),
                    uri.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) })
                else { throw CommandArguments.UsageError("--uri \(uri) is not a URI (scheme:…, no spaces or commas)") }
                names.append("URI:" + uri)
            }
            for ip in arguments.values("ip") {
                var v4 = in_addr()
                var v6 = in6_addr()
                guard inet_pton(AF_INET, ip, &v4) == 1 || inet_pton(AF_INET6, ip, &v6) == 1 else {
                    throw CommandArguments.UsageError("--ip \(ip) is not an IPv4 or IPv6 address")
                }
                names.append("IP:" + ip)
            }
            let key = try generateKey(request.keyType)
            var builder = CertificateBuilder(
                subject: request.subject, notBefore: request.notBefore, notAfter: request.notAfter)
            if arguments.has("intermediate") {
                builder.isCA = true
                builder.pathLength = 0
                builder.keyUsage = "keyCertSign,cRLSign"
            } else {
                builder.keyUsage = "digitalSignature"
                builder.extendedKeyUsage = server ? "serverAuth" : "clientAuth"
            }
            if !names.isEmpty { builder.subjectAlternativeName = names.joined(separator: ",") }
            let certificate = try issue(builder, key: key, issuer: caCertificate, issuerKey: ca.key)
            try request.write(certificate, key: key)
            printSummary(certificate, request, context)
        })

    // MARK: - Shared

    /// `--ca-certificate FILE --ca-private-key FILE`, checked: a CA certificate (CA:TRUE, keyCertSign) and
    /// its own private key. What `issue` signs certificates with and `revoke` signs CRLs with.
    struct IssuingCA {
        var certificate: Certificate
        var key: PrivateKey
        var certificateFile: String

        init(_ arguments: CommandArguments) throws {
            guard let certificateFile = arguments.value("ca-certificate"),
                let keyFile = arguments.value("ca-private-key")
            else { throw CommandArguments.UsageError("--ca-certificate and --ca-private-key are required") }
            self.certificateFile = certificateFile
            do {
                guard
                    let first = try Certificate.parsePEMBundle(
                        try InputFiles.read(certificateFile, what: "CA certificate")
                    ).first
                else { throw AdminError("\(certificateFile) holds no PEM certificate") }
                certificate = first
            } catch let error as AdminError {
                throw error
            } catch {
                throw AdminError("\(certificateFile) is not a PEM certificate: \(error)")
            }
            do {
                key = try PrivateKey(pemBytes: try InputFiles.read(keyFile, what: "CA private key"))
            } catch let error as AdminError {
                throw error
            } catch {
                throw AdminError("\(keyFile) is not an unencrypted PEM private key: \(error)")
            }
            guard certificate.isCA, certificate.keyUsage.map({ $0.contains(.keyCertSign) }) ?? true else {
                throw AdminError("\(certificateFile) is not a CA certificate (CA:TRUE, keyCertSign)")
            }
            guard let caPublic = try? certificate.publicKey.subjectPublicKeyInfoDER,
                let keyPublic = try? key.publicKey.subjectPublicKeyInfoDER, caPublic == keyPublic
            else { throw AdminError("\(keyFile) is not the private key of \(certificateFile)") }
        }
    }

    enum KeyType: String, CaseIterable {
        case ecP256 = "ec-p256", ecP384 = "ec-p384", rsa2048 = "rsa-2048", rsa3072 = "rsa-3072"
    }

    /// What `init-ca` and `issue` share: subject, key type, validity and the two output files.
    struct CertificateRequest {
        var subject: [(String, String)]
        var keyType: KeyType
        var notBefore: Int64
        var notAfter: Int64
        var certificateFile: String
        var keyFile: String

        init(_ arguments: CommandArguments, context: AdminContext, defaultDays: Int) throws {
            guard let subjectText = arguments.value("subject") else {
                throw CommandArguments.UsageError("--subject is required, e.g. --subject /O=Example/CN=Example Root CA")
            }
            subject = try SubjectName.parse(subjectText)
            let keyTypeText = arguments.value("key-type") ?? KeyType.ecP256.rawValue
            guard let keyType = KeyType(rawValue: keyTypeText) else {
                throw CommandArguments.UsageError(
                    "--key-type \(keyTypeText): use one of \(KeyType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            self.keyType = keyType
            let days = try arguments.integer("days", in: 1...36500, default: defaultDays)
            let now = SystemClock().seconds
            notBefore = now - 300
            notAfter = now + Int64(days) * 86400
            guard let certificateFile = arguments.value("certificate"), let keyFile = arguments.value("private-key")
            else {
                throw CommandArguments.UsageError("--certificate FILE and --private-key FILE are required")
            }
            self.certificateFile = certificateFile
            self.keyFile = keyFile
            guard Self.canonical(certificateFile) != Self.canonical(keyFile) else {
                throw CommandArguments.UsageError("--certificate and --private-key must be different files")
            }
            let pki = Self.canonical(context.workspace.pkiDirectory)
            let key = Self.canonical(keyFile)
            if key == pki || key.hasPrefix(pki + "/") {
                throw AdminError(
                    "refusing to write a private key inside the PKI directory \(context.workspace.pkiDirectory) "
                        + "(it holds public material only); choose a --private-key path outside it")
            }
            for file in [certificateFile, keyFile] where FileManager.default.fileExists(atPath: file) {
                throw AdminError("\(file) already exists; refusing to overwrite it")
            }
        }

        /// Writes the private key (0600, no overwrite) then the certificate (0644, no overwrite).
        func write(_ certificate: Certificate, key: PrivateKey) throws {
            try AtomicFiles.write(try key.pkcs8PEM, to: keyFile, mode: 0o600, replace: false, forceMode: true)
            do {
                try AtomicFiles.write(
                    Array(certificate.pemString.utf8), to: certificateFile, mode: 0o644, replace: false)
            } catch {
                unlink(keyFile)
                throw error
            }
        }

        /// The absolute path with symlinks resolved as far as the path exists (for the inside-PKI check).
        static func canonical(_ path: String) -> String {
            let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
            var existing = (absolute as NSString).standardizingPath
            var rest: [String] = []
            while !existing.isEmpty, existing != "/", realpath(existing, nil) == nil {
                rest.insert((existing as NSString).lastPathComponent, at: 0)
                existing = (existing as NSString).deletingLastPathComponent
            }
            var resolved = existing
            if let pointer = realpath(existing, nil) {
                resolved = String(cString: pointer)
                free(pointer)
            }
            return ([resolved == "/" ? "" : resolved] + rest).joined(separator: "/")
        }
    }

    static func generateKey(_ type: KeyType) throws(AdminError) -> PrivateKey {
        do {
            switch type {
            case .ecP256: return try PrivateKey.generate(.ecP256)
            case .ecP384: return try PrivateKey.generate(.ecP384)
            case .rsa2048: return try PrivateKey.generate(.rsa(bits: 2048))
            case .rsa3072: return try PrivateKey.generate(.rsa(bits: 3072))
            }
        } catch {
            throw AdminError("key generation failed: \(error)")
        }
    }

    static func issue(
        _ builder: CertificateBuilder, key: PrivateKey, issuer: Certificate?, issuerKey: PrivateKey
    ) throws(AdminError) -> Certificate {
        do {
            return try builder.issue(for: key, issuer: issuer, issuerKey: issuerKey)
        } catch {
            throw AdminError("cannot issue the certificate: \(error)")
        }
    }

    static func printSummary(_ certificate: Certificate, _ request: CertificateRequest, _ context: AdminContext) {
        context.console.note("wrote \(request.certificateFile) and \(request.keyFile) (mode 0600)")
        context.console.print(
            TextOutput.fields([
                ("certificate", request.certificateFile), ("private key", request.keyFile),
                ("subject", certificate.subjectString), ("serial", certificate.serialNumberHex),
                ("not after", UTCTimestamp.iso8601(certificate.notAfter)), ("sha256", certificate.sha256Fingerprint),
            ]))
    }
}

/// The `--subject` syntax of `anchorage pki`: OpenSSL's `-subj` form, `/C=US/O=Example/CN=web-1`,
/// attributes in certificate order; `\/` and `\\` escape.
enum SubjectName {
    static func parse(_ text: String) throws(CommandArguments.UsageError) -> [(String, String)] {
        guard text.hasPrefix("/") else {
            throw CommandArguments.UsageError("--subject \(text): expected /TYPE=value/…, e.g. /O=Example/CN=web-1")
        }
        var parts: [String] = []
        var current = ""
        var escaped = false
        for character in text.dropFirst() {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "/" {
                parts.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        parts.append(current)
        var attributes: [(String, String)] = []
        for part in parts where !part.isEmpty {
            guard let equals = part.firstIndex(of: "="), equals != part.startIndex else {
                throw CommandArguments.UsageError("--subject \(text): \(part) is not TYPE=value")
            }
            let value = String(part[part.index(after: equals)...])
            guard !value.isEmpty else { throw CommandArguments.UsageError("--subject \(text): empty value in \(part)") }
            attributes.append((String(part[..<equals]), value))
        }
        guard !attributes.isEmpty else { throw CommandArguments.UsageError("--subject \(text) is empty") }
        return attributes
    }
}
