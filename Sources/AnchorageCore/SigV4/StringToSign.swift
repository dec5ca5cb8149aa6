import AnchorageCrypto

/// The SigV4 string to sign: `Algorithm \n X-Amz-Date \n Scope \n hex(SHA256(CanonicalRequest))`.
///
/// The same string is signed by HMAC (`AWS4-HMAC-SHA256`) and by the X.509 algorithms of Roles
/// Anywhere; only the key and the primitive differ.
public enum StringToSign {
    /// Builds the string to sign. `amzDate` is the `X-Amz-Date` value exactly as received.
    public static func make(algorithm: String, amzDate: String, scope: CredentialScope, canonicalRequest: String)
        -> String
    {
        var out = algorithm
        out.reserveCapacity(algorithm.utf8.count + amzDate.utf8.count + 64 + 64 + 3)
        out += "\n"
        out += amzDate
        out += "\n"
        out += scope.date
        out += "/"
        out += scope.region
        out += "/"
        out += scope.service
        out += "/"
        out += scope.terminator
        out += "\n"
        out += Digest.sha256Hex(canonicalRequest)
        return out
    }
}
