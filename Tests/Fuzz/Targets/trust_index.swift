// The TLS client's lazily parsed trust store (Sources/CTrustIndex): its own PEM framing and base64 decoding, the
// DER walk to each certificate's subject, and the lookup that parses a certificate when chain building asks for it.
//
// Input: the bytes of a CA file (`--ca-bundle`, `AWS_CA_BUNDLE`, `SSL_CERT_FILE`).
// Invariants beyond "no crash":
//  - the file is refused by the lazy store (at load, or when every indexed subject has been asked for) exactly
//    when OpenSSL's eager loader, X509_STORE_load_file, refuses it;
//  - when both accept it, the two stores trust the same certificates (with the same trust settings) and hold the
//    same CRLs: the lazy store never widens or narrows what a CA file trusts.
import COpenSSL
import CTrustIndex

@testable import AnchorageCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// One scratch file, rewritten for every input (run.sh points TMPDIR at a per-target folder).
private let path: String = {
    var template = Array(
        ((getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp/") + "/trust-index-XXXXXX").utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    fuzzCheck(fd >= 0, "cannot make a scratch file")
    close(fd)
    return template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}()

private func write(_ bytes: [UInt8]) {
    guard let file = fopen(path, "wb") else {
        fuzzCheck(false, "cannot write \(path)")
        return
    }
    _ = bytes.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, file) }
    fclose(file)
}

/// What a store holds: each certificate with its trust settings (i2d_X509_AUX), and each CRL, as DER, sorted.
private func contents(_ store: OpaquePointer) -> [[UInt8]] {
    guard let objects = X509_STORE_get0_objects(store) else { return [] }
    var out: [[UInt8]] = []
    for index in 0..<OPENSSL_sk_num(objects) {
        let object = OpaquePointer(OPENSSL_sk_value(objects, index))
        var der: UnsafeMutablePointer<UInt8>? = nil
        var length: Int32 = 0
        if let certificate = X509_OBJECT_get0_X509(object) {
            length = i2d_X509_AUX(certificate, &der)
            out.append([1] + Array(UnsafeBufferPointer(start: der, count: Int(max(length, 0)))))
        } else if let crl = X509_OBJECT_get0_X509_CRL(object) {
            length = i2d_X509_CRL(crl, &der)
            out.append([2] + Array(UnsafeBufferPointer(start: der, count: Int(max(length, 0)))))
        }
        CRYPTO_free(der, "trust_index", 0)
    }
    return out.sorted { $0.lexicographicallyPrecedes($1) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func test(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    write(Array(UnsafeBufferPointer(start: data, count: size)))
    guard let lazy = X509_STORE_new(), let eager = X509_STORE_new() else { return 0 }
    defer {
        X509_STORE_free(lazy)
        X509_STORE_free(eager)
        ERR_clear_error()
    }
    let lookup = CTrustIndex_store_load_file(lazy, path)
    let lazyAccepts = lookup != nil && CTrustIndex_lookup_resolve_all(lookup) == 0
    let eagerAccepts = X509_STORE_load_file(eager, path) == 1
    fuzzCheck(
        lazyAccepts == eagerAccepts,
        "the lazy store \(lazyAccepts ? "accepts" : "refuses") a file OpenSSL's loader \(eagerAccepts ? "accepts" : "refuses")"
    )
    if lazyAccepts && eagerAccepts {
        fuzzCheck(contents(lazy) == contents(eager), "the two stores trust different certificates or CRLs")
    }
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    fuzzWriteSeedsIfAsked(writeSeeds)
    return 0
}

private func writeSeeds(_ directory: String) {
    func certificate(_ name: String) -> String {
        let key = try! PrivateKey.generate(.ecP256)
        var builder = CertificateBuilder(subject: [("CN", name)], notBefore: 0, notAfter: 4_102_444_800)
        builder.isCA = true
        return try! builder.issue(for: key, issuer: nil, issuerKey: key).pemString
    }
    let first = certificate("first CA")
    let second = certificate("second CA")
    fuzzWriteSeed(directory, "one", Array(first.utf8))
    fuzzWriteSeed(directory, "two-with-text", Array(("Issuer: first\n" + first + "\nsecond:\n" + second).utf8))
    fuzzWriteSeed(directory, "crlf", Array(first.replacing("\n", with: "\r\n").utf8))
    fuzzWriteSeed(
        directory, "trusted",
        Array(
            first.replacing("BEGIN CERTIFICATE", with: "BEGIN TRUSTED CERTIFICATE")
                .replacing("END CERTIFICATE", with: "END TRUSTED CERTIFICATE").utf8))
    fuzzWriteSeed(directory, "truncated", Array(first.utf8.prefix(first.utf8.count / 2)))
}
