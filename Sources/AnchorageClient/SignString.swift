import AnchorageCore
public import AnchorageCrypto

/// `sign-string`: signs the official helper's fixed test string
/// `"AWS Roles Anywhere Credential Helper Signing Test" ‖ "1" ‖ SHA256("IAM RA" ‖ public key bytes)`,
/// so the output can be checked with `openssl dgst -verify`.
public enum SignString {
    public static let testVersion = 1

    /// The fixed message for `publicKey`; without one (a token key whose certificate is not a `pkcs11:`
    /// URI, where the official helper's `Public()` is nil) the message stops after the version.
    public static func message(for publicKey: PublicKey?) -> [UInt8] {
        Array("AWS Roles Anywhere Credential Helper Signing Test\(testVersion)".utf8)
            + (publicKey.map { Digest.sha256(Array("IAM RA".utf8) + $0.subjectPublicKeyBytes) } ?? [])
    }

    /// Runs the command; returns what goes to stdout.
    static func run(_ options: CommandLineOptions) throws(HelperError) -> [UInt8] {
        let digest = (options["digest"] ?? "SHA256").uppercased()
        guard ["SHA256", "SHA384", "SHA512"].contains(digest) else {
            throw HelperError.usage("--digest must be one of SHA256, SHA384, SHA512")
        }
        let format = (options["format"] ?? "json").lowercased()
        guard ["json", "text", "bin"].contains(format) else {
            throw HelperError.usage("--format must be one of json, text, bin")
        }
        let key: any SigningKey
        let publicKey: PublicKey?
        if let pkcs11 = try HelperCommand.pkcs11Source(options) {
            // As the official helper: the public key is in the message only when the certificate comes from
            // a pkcs11: URI. A certificate file is still checked against the key; with no certificate at all
            // the key URI must name exactly one private key.
            if pkcs11.certificateURI != nil || options["certificate"] != nil {
                let identity = try SigningIdentitySource(
                    certificatePath: options["certificate"] ?? "", privateKeyPath: options["private-key"],
                    password: options["pkcs8-password"], pkcs11: pkcs11
                ).load()
                key = identity.signingKey
                if pkcs11.certificateURI != nil {
                    do { publicKey = try identity.certificate.publicKey } catch {
                        throw HelperError("cannot read the certificate's public key: \(error)")
                    }
                } else {
                    publicKey = nil
                }
            } else {
                (_, key) = try pkcs11.loadKey(fileCertificate: nil)
                publicKey = nil
            }
        } else if let path = options["private-key"] {
            let privateKey = try SigningIdentitySource.loadPrivateKey(
                path, password: options["pkcs8-password"], tpmPassword: HelperCommand.tpmPassword(options))
            (key, publicKey) = (privateKey, try publicKeyOf(privateKey))
        } else if let certificate = options["certificate"] {
            let identity = try SigningIdentitySource(
                certificatePath: certificate, privateKeyPath: nil, password: options["pkcs8-password"]
            ).load()
            guard let privateKey = identity.signingKey as? PrivateKey else { throw HelperError("no private key") }
            (key, publicKey) = (privateKey, try publicKeyOf(privateKey))
        } else {
            throw HelperError.usage("--private-key is required")
        }
        let signature = try key.signature(of: message(for: publicKey), digestName: digest)
        switch format {
        case "text": return Array(Hex.encode(signature).utf8)
        case "bin": return signature
        default: return Array(JSONWriter.quoted(Hex.encode(signature)).utf8)
        }
    }
}

private func publicKeyOf(_ key: PrivateKey) throws(HelperError) -> PublicKey {
    do { return try key.publicKey } catch { throw HelperError("cannot derive the public key: \(error)") }
}

/// `read-certificate-data`: the official helper's JSON about a certificate file.
public enum CertificateData {
    public static func json(certificatePath: String, password: String?) throws(HelperError) -> String {
        let bytes = try readFile(certificatePath, what: "certificate")
        let certificate: Certificate
        do {
            if let first = try? Certificate.parsePEMBundle(bytes).first {
                certificate = first
            } else {
                certificate = try PKCS12Bundle(derBytes: bytes, password: password ?? "").certificate
            }
        } catch {
            throw HelperError("\(certificatePath): neither a PEM certificate nor a readable PKCS#12 bundle: \(error)")
        }
        let keyType: String
        let algorithms: [String]
        do {
            switch try certificate.publicKey.kind {
            case .rsa:
                keyType = "RSA"
                algorithms = ["RSASHA256", "RSASHA384", "RSASHA512"]
            case .ec:
                keyType = "EC"
                algorithms = ["ECDSASHA256", "ECDSASHA384", "ECDSASHA512"]
            case .other(let name):
                throw HelperError("\(certificatePath): unsupported key type \(name)")
            }
        } catch let error as HelperError {
            throw error
        } catch {
            throw HelperError("\(certificatePath): cannot read the public key: \(error)")
        }
        return
            "{\"keyType\":\"\(keyType)\",\"certificateData\":\(JSONWriter.quoted(Base64.encode(certificate.derBytes))),"
            + "\"serialNumber\":\(JSONWriter.quoted(certificate.serialNumberDecimal)),"
            + "\"supportedAlgorithms\":[\(algorithms.map { "\"\($0)\"" }.joined(separator: ","))]}"
    }
}
