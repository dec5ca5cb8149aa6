import AnchorageCrypto

extension CertificateIdentity {
    /// The facts of `certificate` that principal tags and source identity are derived from.
    init(_ certificate: Certificate) {
        let san = certificate.subjectAlternativeNames
        self.init(
            subject: DistinguishedName(certificate.subject), issuer: DistinguishedName(certificate.issuer),
            sanDNSNames: san.dnsNames, sanURIs: san.uris,
            sanDirectoryNames: san.directoryNames.map(DistinguishedName.init),
            serialNumberBytes: certificate.serialNumberBytes)
    }
}

extension DistinguishedName {
    /// Groups OpenSSL's flat attribute list into RDNs by their SET index.
    init(_ attributes: [NameAttribute]) {
        var rdns: [RelativeDistinguishedName] = []
        var currentIndex: Int?
        var current: [AttributeTypeAndValue] = []
        for attribute in attributes {
            if attribute.rdnIndex != currentIndex, !current.isEmpty {
                rdns.append(RelativeDistinguishedName(current))
                current = []
            }
            currentIndex = attribute.rdnIndex
            current.append(
                AttributeTypeAndValue(shortName: attribute.shortName, oid: attribute.oid, value: attribute.value))
        }
        if !current.isEmpty { rdns.append(RelativeDistinguishedName(current)) }
        self.init(rdns: rdns)
    }
}
