internal import COpenSSL
internal import CTrustIndex
import Foundation
import Testing

@testable import AnchorageHTTP

/// The client's lazily parsed trust store (`TrustStore`, CTrustIndex): the chains it verifies and refuses, how many
/// certificates it parses, and that it accepts and refuses exactly the CA files OpenSSL's eager loader does.
@Suite struct TrustStoreTests {
    /// The certificates every test shares: 100 unrelated CAs (one key, so they are cheap), a root, an intermediate
    /// under it, and a renewed root with the root's subject and a key of its own.
    static let fillers: [TrustTestPKI.Issued] = {
        let key = TrustTestPKI.key()
        defer { EVP_PKEY_free(key) }
        return (0..<100).map { TrustTestPKI.authority("Unrelated CA \($0)", key: key) }
    }()
    static let root = TrustTestPKI.authority("Anchorage Trust Test Root")
    static let intermediate = TrustTestPKI.authority("Anchorage Trust Test Intermediate", issuer: root)
    static let renewedRoot = TrustTestPKI.authority("Anchorage Trust Test Root")

    /// A fresh folder, removed after `body`.
    private func withFolder<T>(_ body: (URL) throws -> T) throws -> T {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("anchorage-trust-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        return try body(folder)
    }

    private func write(_ text: String, _ name: String, in folder: URL) throws -> String {
        let url = folder.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    private func bundle(_ certificates: [TrustTestPKI.Issued]) -> String { certificates.map { $0.pem() }.joined() }

    /// A TLS server presenting `chain` (leaf first), for `body`.
    private func withServer<T>(
        chain: [TrustTestPKI.Issued], in folder: URL, _ body: (Int) throws -> T
    ) throws -> T {
        var keyDER: UnsafeMutablePointer<UInt8>?
        let length = i2d_PrivateKey(chain[0].key, &keyDER)
        precondition(length > 0)
        let keyPEM = TrustTestPKI.pem(
            Array(UnsafeBufferPointer(start: keyDER, count: Int(length))), label: "EC PRIVATE KEY")
        CRYPTO_free(keyDER, #file, #line)
        var configuration = HTTPServerConfiguration()
        configuration.tls = try TLSServerContext(
            certificateChainFile: write(bundle(chain), "chain.pem", in: folder),
            privateKeyFile: write(keyPEM, "key.pem", in: folder))
        return try AnchorageHTTPTests.withServer(configuration) { _, port in try body(port) }
    }

    /// Connects with `tls`, checks a request goes through, and returns the trust store's counts.
    private func connect(_ port: Int, _ tls: TLSClientConfiguration) throws -> (indexed: Int, parsed: Int) {
        let client = try HTTPClientConnection(host: "127.0.0.1", port: port, tls: tls, timeout: 5)
        defer { client.close() }
        let counts = try #require(client.trustedCertificateCounts)
        #expect(try client.send(method: "GET", target: "/", headers: [:], body: []).status == 200)
        return counts
    }

    /// The error of a connection that must fail.
    private func failure(_ port: Int, _ tls: TLSClientConfiguration) -> TLSError? {
        do {
            let client = try HTTPClientConnection(host: "127.0.0.1", port: port, tls: tls, timeout: 5)
            client.close()
            return nil
        } catch {
            return error as? TLSError
        }
    }

    // MARK: - Chains

    /// The right CA among 100 unrelated ones, in the middle or at the end: only it is parsed.
    @Test(arguments: [50, 100]) func findsTheRightCAAmongMany(position: Int) throws {
        let leaf = TrustTestPKI.server(issuer: Self.root)
        try withFolder { folder in
            var authorities = Self.fillers
            authorities.insert(Self.root, at: position)
            let caFile = try write(bundle(authorities), "bundle.pem", in: folder)
            try withServer(chain: [leaf], in: folder) { port in
                let counts = try connect(port, TLSClientConfiguration(caFile: caFile))
                #expect(counts.indexed == 101)
                #expect(counts.parsed == 1)
            }
        }
    }

    @Test func refusesAChainWhoseCAIsNotInTheBundle() throws {
        let leaf = TrustTestPKI.server(issuer: Self.root)
        try withFolder { folder in
            let caFile = try write(bundle(Self.fillers), "bundle.pem", in: folder)
            try withServer(chain: [leaf], in: folder) { port in
                let error = try #require(failure(port, TLSClientConfiguration(caFile: caFile)))
                #expect(error.operation.hasPrefix("handshake"))
                #expect(error.details.contains("unable to get local issuer certificate"), "\(error)")
            }
        }
    }

    /// The server sends its leaf alone; the bundle has the intermediate and the root: both are parsed, no other.
    @Test func buildsTheChainThroughAnIntermediateInTheBundle() throws {
        let leaf = TrustTestPKI.server(issuer: Self.intermediate)
        try withFolder { folder in
            let caFile = try write(
                bundle(Array(Self.fillers[..<30]) + [Self.intermediate] + Self.fillers[30...] + [Self.root]),
                "bundle.pem", in: folder)
            try withServer(chain: [leaf], in: folder) { port in
                let counts = try connect(port, TLSClientConfiguration(caFile: caFile))
                #expect(counts.parsed == 2)
            }
            // Without the root, the intermediate alone is no anchor (no partial chains, as with OpenSSL's loader).
            let withoutRoot = try write(bundle(Self.fillers + [Self.intermediate]), "partial.pem", in: folder)
            try withServer(chain: [leaf], in: folder) { port in
                #expect(failure(port, TLSClientConfiguration(caFile: withoutRoot)) != nil)
            }
        }
    }

    /// A renewed CA with the old one's subject and a new key, in either order: the one that signed is found.
    @Test(arguments: [false, true]) func picksTheSameSubjectCAThatSigned(renewedFirst: Bool) throws {
        let leaf = TrustTestPKI.server(issuer: Self.renewedRoot)
        try withFolder { folder in
            let pair = renewedFirst ? [Self.renewedRoot, Self.root] : [Self.root, Self.renewedRoot]
            let caFile = try write(bundle(Self.fillers + pair), "bundle.pem", in: folder)
            try withServer(chain: [leaf], in: folder) { port in
                let counts = try connect(port, TLSClientConfiguration(caFile: caFile))
                #expect(counts.parsed == 2)  // both of that subject, each once
            }
            let oldOnly = try write(bundle(Self.fillers + [Self.root]), "old.pem", in: folder)
            try withServer(chain: [leaf], in: folder) { port in
                #expect(failure(port, TLSClientConfiguration(caFile: oldOnly)) != nil)
            }
        }
    }

    /// TRUSTED CERTIFICATE blocks keep their trust settings, as OpenSSL's loader keeps them: a root marked as
    /// rejected for TLS servers anchors nothing.
    @Test func keepsTheTrustSettingsOfTrustedCertificateBlocks() throws {
        let rejected = TrustTestPKI.authority("Anchorage Trust Test Rejected Root")
        X509_add1_reject_object(rejected.certificate, OBJ_nid2obj(NID_server_auth))
        let trusted = TrustTestPKI.authority("Anchorage Trust Test Trusted Root")
        X509_add1_trust_object(trusted.certificate, OBJ_nid2obj(NID_server_auth))
        try withFolder { folder in
            let caFile = try write(
                bundle(Self.fillers) + rejected.pem(auxiliary: true) + trusted.pem(auxiliary: true), "bundle.pem",
                in: folder)
            try withServer(chain: [TrustTestPKI.server(issuer: trusted)], in: folder) { port in
                let counts = try connect(port, TLSClientConfiguration(caFile: caFile))
                #expect(counts.parsed == 1)
            }
            try withServer(chain: [TrustTestPKI.server(issuer: rejected)], in: folder) { port in
                let error = try #require(failure(port, TLSClientConfiguration(caFile: caFile)))
                #expect(error.details.contains("certificate rejected"), "\(error)")
            }
        }
    }

    /// A certificate whose framing and subject are sound but which does not parse is found only when a chain needs
    /// it: the connection then fails as the configuration would have failed with OpenSSL's loader.
    @Test func failsTheConnectionWhenANeededCertificateDoesNotParse() throws {
        let leaf = TrustTestPKI.server(issuer: Self.root)
        try withFolder { folder in
            let corrupt = TrustTestPKI.pem(try Self.withSignatureRetagged(Self.root.der()), label: "CERTIFICATE")
            let caFile = try write(bundle(Self.fillers) + corrupt, "bundle.pem", in: folder)
            #expect(!Self.eagerlyLoads(caFile))
            try withServer(chain: [leaf], in: folder) { port in
                let error = try #require(failure(port, TLSClientConfiguration(caFile: caFile)))
                #expect(error.operation == "load trusted certificates", "\(error)")
            }
            // The renewed root shares the corrupt one's subject: both are parsed when asked for, and the connection
            // fails although the renewed root alone would anchor the chain.
            let renewed = try write(bundle(Self.fillers + [Self.renewedRoot]) + corrupt, "renewed.pem", in: folder)
            try withServer(chain: [TrustTestPKI.server(issuer: Self.renewedRoot)], in: folder) { port in
                let error = try #require(failure(port, TLSClientConfiguration(caFile: renewed)))
                #expect(error.operation == "load trusted certificates", "\(error)")
            }
            // A chain that never asks for that subject verifies: the one documented difference from the eager
            // loader, which would have refused the file.
            let otherRoot = TrustTestPKI.authority("Anchorage Trust Test Other Root")
            let mixed = try write(bundle(Self.fillers + [otherRoot]) + corrupt, "mixed.pem", in: folder)
            try withServer(chain: [TrustTestPKI.server(issuer: otherRoot)], in: folder) { port in
                let counts = try connect(port, TLSClientConfiguration(caFile: mixed))
                #expect(counts.parsed == 1)
            }
        }
    }

    /// A certificate whose subject the index cannot locate (here: BER indefinite length, which d2i_X509 accepts) would
    /// hide, once in the store, the indexed certificates of its subject: such a file goes to OpenSSL's loader whole,
    /// so a renewed CA of that subject still anchors, and a corrupt one still refuses the file.
    @Test func aCertificateTheIndexCannotReadSendsTheFileToOpenSSLsLoader() throws {
        let indefinite = TrustTestPKI.pem(try Self.withIndefiniteLength(Self.root.der()), label: "CERTIFICATE")
        try withFolder { folder in
            let caFile = try write(bundle(Self.fillers) + indefinite + bundle([Self.renewedRoot]), "b.pem", in: folder)
            #expect(Self.eagerlyLoads(caFile))
            try withServer(chain: [TrustTestPKI.server(issuer: Self.renewedRoot)], in: folder) { port in
                let counts = try connect(port, TLSClientConfiguration(caFile: caFile))
                #expect(counts.indexed == 0, "the file was indexed, not loaded by OpenSSL")
            }
            let corrupt = TrustTestPKI.pem(try Self.withSignatureRetagged(Self.renewedRoot.der()), label: "CERTIFICATE")
            let widening = try write(indefinite + corrupt, "widening.pem", in: folder)
            #expect(!Self.eagerlyLoads(widening))
            try withServer(chain: [TrustTestPKI.server(issuer: Self.root)], in: folder) { port in
                let error = try #require(failure(port, TLSClientConfiguration(caFile: widening)))
                #expect(error.operation == "load trusted certificates", "\(error)")
            }
        }
    }

    // MARK: - Loading errors, as OpenSSL's loader

    @Test func refusesABundleWithACorruptBlockEmptyFileOrMissingFile() throws {
        try withFolder { folder in
            let corrupt = try write(
                bundle(Self.fillers[..<3] + [Self.root])
                    + "-----BEGIN CERTIFICATE-----\nMII@@@@\n-----END CERTIFICATE-----\n",
                "corrupt.pem", in: folder)
            let empty = try write("", "empty.pem", in: folder)
            let textOnly = try write("no certificates here\n", "text.pem", in: folder)
            let missing = folder.appendingPathComponent("missing.pem").path
            for path in [corrupt, empty, textOnly, missing] {
                #expect(!Self.eagerlyLoads(path))
                #expect(throws: TLSError.self) { try Self.lazilyLoads(path) }
            }
            try withServer(chain: [TrustTestPKI.server(issuer: Self.root)], in: folder) { port in
                let error = try #require(failure(port, TLSClientConfiguration(caFile: corrupt)))
                #expect(error.operation == "load trusted certificates")
            }
        }
    }

    /// Truncated, garbled and odd files: a file OpenSSL's loader accepts is accepted and every certificate of it
    /// parses; a file it refuses is refused, at load time or (a certificate whose framing and subject are sound but
    /// whose other fields are not) when its subject is asked for. Never a crash: the DER probe reads only within
    /// each block.
    @Test func acceptsExactlyWhatOpenSSLAccepts() throws {
        let der = Self.root.der()
        var files: [String] = []
        // Every truncation of a certificate, alone and followed by a good one.
        for length in 0..<der.count {
            let block = TrustTestPKI.pem(Array(der[..<length]), label: "CERTIFICATE")
            files.append(block)
            files.append(block + Self.root.pem())
        }
        // Bytes changed in the header and the first fields (lengths, tags), one at a time.
        for index in 0..<min(40, der.count) {
            for value: UInt8 in [0x00, 0x30, 0x80, 0x84, 0xFF] {
                var changed = der
                changed[index] = value
                files.append(TrustTestPKI.pem(changed, label: "CERTIFICATE"))
            }
        }
        // Random bytes of several lengths (a fixed generator, so that any failure repeats).
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for length in [1, 2, 3, 10, 100, 1000] {
            let bytes = (0..<length).map { _ in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return UInt8(truncatingIfNeeded: state >> 56)
            }
            files.append(TrustTestPKI.pem(bytes, label: "CERTIFICATE"))
            files.append(TrustTestPKI.pem([0x30, 0x82] + bytes, label: "TRUSTED CERTIFICATE"))
        }
        files += [
            TrustTestPKI.pem([0x30, 0x00], label: "CERTIFICATE"),
            TrustTestPKI.pem([0x30, 0x02, 0x30, 0x00], label: "CERTIFICATE"),
            TrustTestPKI.pem(der + [0x01, 0x02, 0x03], label: "CERTIFICATE"),  // trailing bytes: ignored by d2i
            TrustTestPKI.pem(der, label: "X509 CERTIFICATE"),
            Self.root.pem(auxiliary: true),
            "-----BEGIN CERTIFICATE-----\n"
                + Self.root.pem().split(separator: "\n").dropFirst().joined(separator: "\n"),
            "-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n",
            "-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n" + Self.root.pem(),
            "-----BEGIN CERTIFICATE-----\nProc-Type: 4,MIC-CLEAR\n\n"
                + Self.root.pem().split(separator: "\n").dropFirst().joined(separator: "\n"),
            "text before\n" + Self.root.pem() + "text after\n",
            Self.root.pem().replacingOccurrences(of: "\n", with: "\r\n"),
        ]
        // Forms the fast framing of plain files declines (OpenSSL's reader then decides) and forms it accepts.
        let pem = Self.root.pem()
        let body = pem.split(separator: "\n").dropFirst().dropLast().map(String.init)
        func block(_ lines: [String], name: String = "CERTIFICATE") -> String {
            (["-----BEGIN \(name)-----"] + lines + ["-----END \(name)-----"]).joined(separator: "\n") + "\n"
        }
        files += [
            "# ----- a comment with dashes\n" + pem,
            "\u{FEFF}" + pem,
            block(body.map { $0 + " " }),
            block(body.map { $0 + "\t" }),
            block([body.joined()]),  // one long line
            block(
                [body.joined()].flatMap { line in
                    stride(from: 0, to: line.count, by: 76).map {
                        String(Array(line)[$0..<min($0 + 76, line.count)])
                    }
                }),
            block(body, name: "certificate"),
            block(body, name: ""),
            String(pem.dropLast()),  // no final newline
            block([body[0], ""] + body.dropFirst()),
            block(body).replacingOccurrences(of: "-----END CERTIFICATE-----", with: "-----END X509 CRL-----"),
            block(Array(body[..<2]) + [pem] + Array(body[2...])),
            block([body.joined().replacingOccurrences(of: "=", with: "")]),
            block(["=" + body.joined().dropFirst()]),
            block([body.joined() + "===="]),
            pem.replacingOccurrences(of: "\n", with: "\r\r\n"),
            pem + "\0" + pem,
            pem + "-----BEGIN CERTIFICATE-----\n",
            String(repeating: "x", count: 300) + "-----BEGIN CERTIFICATE-----\n" + pem,
        ]
        var deferred = 0
        try withFolder { folder in
            for (index, text) in files.enumerated() {
                let path = try write(text, "case-\(index).pem", in: folder)
                let eager = Self.eagerlyLoads(path)
                let lazy = Self.lazyVerdict(path)
                #expect(
                    eager == (lazy.loaded && !lazy.failedWhenAsked),
                    "case \(index): OpenSSL \(eager ? "accepts" : "refuses")\n\(text)")
                if lazy.loaded && lazy.failedWhenAsked { deferred += 1 }
            }
        }
        // The byte changes in the issuer and the serial are only found when the certificate is parsed.
        #expect(deferred > 0)
    }

    // MARK: - Default paths

    @Test func resolvesTheDefaultPathsAsOpenSSL() {
        let none = DefaultTrustPaths(environment: { _ in nil })
        #expect(none.file == String(cString: X509_get_default_cert_file()))
        #expect(none.directory == String(cString: X509_get_default_cert_dir()))
        let environment = ["SSL_CERT_FILE": "/etc/anchorage/bundle.pem", "SSL_CERT_DIR": ""]
        let set = DefaultTrustPaths(environment: { environment[$0] })
        #expect(set == DefaultTrustPaths(file: "/etc/anchorage/bundle.pem", directory: ""))
    }

    @Test func defaultFileIsIndexedLazily() throws {
        try withFolder { folder in
            let file = try write(bundle(Self.fillers + [Self.root]), "bundle.pem", in: folder)
            let directory = folder.appendingPathComponent("absent").path
            try withServer(chain: [TrustTestPKI.server(issuer: Self.root)], in: folder) { port in
                let counts = try connect(
                    port, TLSClientConfiguration(defaultTrustPaths: DefaultTrustPaths(file: file, directory: directory))
                )
                #expect(counts.indexed == 101 && counts.parsed == 1)
            }
        }
    }

    /// The hashed directory (as `openssl rehash` makes it) is searched when the file is absent or empty.
    @Test(arguments: [false, true]) func defaultDirectoryIsSearched(emptyFile: Bool) throws {
        try withFolder { folder in
            let directory = folder.appendingPathComponent("certs")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            // Named as `openssl rehash` names it: the subject's hash (X509_NAME_hash_ex, as by_dir looks it up), ".0".
            // Computed here rather than by running the tool: Foundation's Process leaks under LeakSanitizer.
            var ok: Int32 = 0
            let hash = X509_NAME_hash_ex(X509_get_subject_name(Self.root.certificate), nil, nil, &ok)
            try #require(ok == 1)
            _ = try write(Self.root.pem(), String(format: "%08lx.0", hash), in: directory)
            let file = emptyFile ? try write("", "empty.pem", in: folder) : folder.appendingPathComponent("none").path
            let paths = DefaultTrustPaths(file: file, directory: directory.path)
            try withServer(chain: [TrustTestPKI.server(issuer: Self.root)], in: folder) { port in
                let counts = try connect(port, TLSClientConfiguration(defaultTrustPaths: paths))
                #expect(counts.indexed == 0 && counts.parsed == 0)
                // Without the directory, nothing anchors the chain.
                let without = DefaultTrustPaths(file: file, directory: folder.appendingPathComponent("none").path)
                #expect(failure(port, TLSClientConfiguration(defaultTrustPaths: without)) != nil)
            }
        }
    }

    /// A default file with a corrupt block is ignored whole, as OpenSSL ignores it: no error, nothing trusted from it.
    @Test func ignoresACorruptDefaultFile() throws {
        try withFolder { folder in
            let file = try write(
                bundle([Self.root]) + "-----BEGIN CERTIFICATE-----\n@@@@\n-----END CERTIFICATE-----\n", "bundle.pem",
                in: folder)
            let paths = DefaultTrustPaths(file: file, directory: folder.appendingPathComponent("none").path)
            try withServer(chain: [TrustTestPKI.server(issuer: Self.root)], in: folder) { port in
                let error = try #require(failure(port, TLSClientConfiguration(defaultTrustPaths: paths)))
                #expect(error.operation.hasPrefix("handshake"), "\(error)")
            }
        }
    }

    // MARK: - Helpers

    /// Whether OpenSSL's eager loader accepts the CA file.
    static func eagerlyLoads(_ path: String) -> Bool {
        let context = SSL_CTX_new(TLS_client_method())
        defer {
            SSL_CTX_free(context)
            ERR_clear_error()
        }
        return SSL_CTX_load_verify_locations(context, path, nil) == 1
    }

    /// Loads the CA file into a new context's store through the index; throws as the client would.
    static func lazilyLoads(_ path: String) throws {
        let context = SSL_CTX_new(TLS_client_method())!
        defer {
            SSL_CTX_free(context)
            ERR_clear_error()
        }
        _ = try TrustStore.load(
            caFile: path, defaultPaths: DefaultTrustPaths(file: "", directory: ""), into: context)
    }

    /// Loads the CA file through the index, then asks for every subject it indexed: whether it loaded, and whether
    /// a certificate then failed to parse.
    static func lazyVerdict(_ path: String) -> (loaded: Bool, failedWhenAsked: Bool) {
        let context = SSL_CTX_new(TLS_client_method())!
        defer {
            SSL_CTX_free(context)
            ERR_clear_error()
        }
        guard
            let lookup = try? TrustStore.load(
                caFile: path, defaultPaths: DefaultTrustPaths(file: "", directory: ""), into: context)
        else { return (false, false) }
        return (true, CTrustIndex_lookup_resolve_all(lookup) != 0)
    }

    /// `der` with its outer SEQUENCE in BER indefinite length (`30 80 … 00 00`).
    static func withIndefiniteLength(_ der: [UInt8]) throws -> [UInt8] {
        try #require(der.count > 4 && der[0] == 0x30 && der[1] & 0x80 != 0)
        let content = 2 + Int(der[1] & 0x7F)
        return [0x30, 0x80] + der[content...] + [0x00, 0x00]
    }

    /// `der` with its signatureValue's BIT STRING tag made an OCTET STRING: framing and subject intact, unparsable.
    static func withSignatureRetagged(_ der: [UInt8]) throws -> [UInt8] {
        /// The content start and the end of the element at `offset`.
        func element(_ offset: Int) throws -> (content: Int, end: Int) {
            let first = Int(der[offset + 1])
            if first < 0x80 { return (offset + 2, offset + 2 + first) }
            let count = first & 0x7F
            try #require(count <= 2)
            let length = der[(offset + 2)..<(offset + 2 + count)].reduce(0) { $0 << 8 | Int($1) }
            return (offset + 2 + count, offset + 2 + count + length)
        }
        let certificate = try element(0)
        let tbs = try element(certificate.content)
        let algorithm = try element(tbs.end)
        var changed = der
        try #require(changed[algorithm.end] == 0x03)
        changed[algorithm.end] = 0x04
        return changed
    }
}
