public import AnchorageCrypto

/// Where the certificate, chain and key come from: files, re-read at every signing so a rotated
/// certificate takes effect at the next refresh.
public struct SigningIdentitySource: Sendable, Equatable {
    /// `--certificate`: a PEM certificate or a PKCS#12 bundle (key, certificate and chain).
    public var certificatePath: String
    /// `--private-key`: PEM (PKCS#8, encrypted PKCS#8, SEC1, PKCS#1); not needed with PKCS#12.
    public var privateKeyPath: String?
    /// `--intermediates`: PEM bundle sent as `X-Amz-X509-Chain`, in file order.
    public var intermediatesPath: String?
    /// `--pkcs8-password`: for an encrypted PKCS#8 key, or a password-protected PKCS#12 bundle.
    public var password: String?
    /// The token when `--certificate` or `--private-key` is a `pkcs11:` URI; it then supplies the key (and the
    /// certificate, when that is a URI too).
    public var pkcs11: PKCS11KeySource?
    /// `--tpm-key-password` / `--no-tpm-key-password`, for a TPM-held `--private-key`.
    public var tpmPassword: TPMKey.Password

    public init(
        certificatePath: String, privateKeyPath: String?, intermediatesPath: String? = nil, password: String? = nil,
        pkcs11: PKCS11KeySource? = nil, tpmPassword: TPMKey.Password = .ask
    ) {
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
        self.intermediatesPath = intermediatesPath
        self.password = password
        self.pkcs11 = pkcs11
        self.tpmPassword = tpmPassword
    }

    /// Reads and checks the files (and token): the key must match the certificate, before any network call.
    public func load() throws(HelperError) -> SigningIdentity {
        var certificate: Certificate?
        var chain: [Certificate] = []
        var key: PrivateKey?
        if pkcs11?.certificateURI == nil {
            (certificate, chain, key) = try readCertificateFile()
        }
        if let intermediatesPath {
            let bytes = try readFile(intermediatesPath, what: "intermediates")
            do {
                chain = try Certificate.parsePEMBundle(bytes, fastPath: false)
            } catch {
                throw HelperError("\(intermediatesPath): not a readable PEM certificate bundle: \(error)")
            }
        }
        guard chain.count <= 5 else {
            throw HelperError("the certificate chain holds \(chain.count) certificates; at most 5 are sent")
        }
        if let pkcs11 {
            let (tokenCertificate, tokenKey) = try pkcs11.load(fileCertificate: certificate)
            return SigningIdentity(certificate: tokenCertificate, chain: chain, signingKey: tokenKey)
        }
        guard let certificate else { throw HelperError.usage("--certificate is required") }
        if let privateKeyPath {
            key = try Self.loadPrivateKey(privateKeyPath, password: password, tpmPassword: tpmPassword)
        }
        guard let key else {
            throw HelperError.usage("--private-key is required unless --certificate is a PKCS#12 bundle")
        }
        do {
            guard key.matches(try certificate.publicKey) else {
                throw HelperError(
                    "the private key \(privateKeyPath ?? certificatePath) does not match the certificate \(certificatePath)"
                )
            }
        } catch let error as HelperError {
            throw error
        } catch {
            throw HelperError("\(certificatePath): cannot read the certificate's public key: \(error)")
        }
        return SigningIdentity(certificate: certificate, chain: chain, signingKey: key)
    }

    /// `--certificate` as a file: a PEM certificate, or a PKCS#12 bundle with its chain and key.
    private func readCertificateFile() throws(HelperError) -> (Certificate, [Certificate], PrivateKey?) {
        let certificateBytes = try readFile(certificatePath, what: "certificate")
        let certificate: Certificate
        var chain: [Certificate] = []
        var key: PrivateKey?
        if containsPEM(certificateBytes) {
            do {
                let certificates = try Certificate.parsePEMBundle(certificateBytes, fastPath: false)
                guard let first = certificates.first else {
                    throw HelperError("\(certificatePath): no CERTIFICATE block")
                }
                certificate = first
            } catch let error as HelperError {
                throw error
            } catch {
                throw HelperError("\(certificatePath): not a readable PEM certificate: \(error)")
            }
        } else {
            do {
                let bundle = try PKCS12Bundle(derBytes: certificateBytes, password: password ?? "")
                certificate = bundle.certificate
                chain = bundle.chain.filter { !$0.isSame(as: bundle.certificate) }
                key = bundle.privateKey
            } catch {
                throw HelperError(
                    "\(certificatePath): neither a PEM certificate nor a readable PKCS#12 bundle: \(error)")
            }
        }
        return (certificate, chain, key)
    }

    /// `--private-key`: a TPM key (`handle:…` or a TSS2 key file) or a PEM private key; the file is read once.
    static func loadPrivateKey(_ path: String, password: String?, tpmPassword: TPMKey.Password) throws(HelperError)
        -> PrivateKey
    {
        if TPMKey.isHandle(path) { return try TPMKey.load(path, password: tpmPassword) }
        let bytes = try readFile(path, what: "private key")
        if TPMKey.isTSS2KeyFile(bytes) { return try TPMKey.load(path, password: tpmPassword) }
        return try readPrivateKey(path, bytes: bytes, password: password)
    }

    /// Reads a PEM private key, asking for `--pkcs8-password` when it is encrypted.
    public static func readPrivateKey(_ path: String, password: String?) throws(HelperError) -> PrivateKey {
        try readPrivateKey(path, bytes: try readFile(path, what: "private key"), password: password)
    }

    /// The PEM private key `bytes` (read from `path`), asking for `--pkcs8-password` when it is encrypted.
    static func readPrivateKey(_ path: String, bytes: [UInt8], password: String?) throws(HelperError) -> PrivateKey {
        let encrypted = PrivateKey.isEncryptedPEM(bytes)
        if encrypted && password == nil {
            throw HelperError("\(path): the private key is encrypted; pass --pkcs8-password")
        }
        do {
            return try PrivateKey(pemBytes: bytes, password: encrypted ? password : nil)
        } catch {
            throw HelperError(
                encrypted
                    ? "\(path): cannot decrypt the private key (wrong --pkcs8-password?)"
                    : "\(path): not a readable PEM private key (PKCS#8, SEC1 or PKCS#1): \(error)")
        }
    }
}

/// A loaded certificate, its chain and the key that signs (in memory, or on a token).
public struct SigningIdentity: Sendable {
    public let certificate: Certificate
    public let chain: [Certificate]
    public let signingKey: any SigningKey

    public init(certificate: Certificate, chain: [Certificate], signingKey: any SigningKey) {
        self.certificate = certificate
        self.chain = chain
        self.signingKey = signingKey
    }

    /// `AWS4-X509-RSA-SHA256` or `AWS4-X509-ECDSA-SHA256`, by key type.
    public var algorithm: String { signingKey.isRSA ? "AWS4-X509-RSA-SHA256" : "AWS4-X509-ECDSA-SHA256" }
}

func readFile(_ path: String, what: String) throws(HelperError) -> [UInt8] {
    guard case .success(let bytes) = SystemIO.readFile(path) else {
        throw HelperError("cannot read the \(what) file \(path)")
    }
    return bytes
}

private func containsPEM(_ bytes: [UInt8]) -> Bool {
    String(decoding: bytes.prefix(64 * 1024), as: UTF8.self).contains("-----BEGIN CERTIFICATE-----")
}
