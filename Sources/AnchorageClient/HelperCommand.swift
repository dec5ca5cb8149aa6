import AnchorageCore
import AnchorageCrypto

/// The `anchorage-helper` command line: flag-compatible with `aws_signing_helper` 1.8.
public enum HelperCommand {
    /// Flags of `credential-process`, `update` and `serve` (the official helper's, plus `--ca-bundle`).
    static let credentialValueFlags: Set<String> = [
        "certificate", "private-key", "intermediates", "trust-anchor-arn", "profile-arn", "role-arn",
        "session-duration", "region", "endpoint", "role-session-name", "pkcs8-password", "ca-bundle",
        "attempt-timeout", "pkcs11-lib", "tpm-key-password",
    ]
    static let credentialBoolFlags: Set<String> = [
        "no-verify-ssl", "with-proxy", "debug", "reuse-pin", "no-tpm-key-password",
    ]

    public static let usage = """
        anchorage-helper \(CreateSessionClient.version): IAM Roles Anywhere credentials from an X.509 certificate
        (a drop-in replacement for aws_signing_helper).

        Usage:
          anchorage-helper credential-process --certificate FILE [--private-key FILE] [--intermediates FILE]
                                              --trust-anchor-arn ARN --profile-arn ARN --role-arn ARN
                                              [--session-duration SECONDS] [--region REGION] [--endpoint URL]
                                              [--role-session-name NAME] [--pkcs8-password PASSWORD]
                                              [--ca-bundle FILE] [--no-verify-ssl] [--with-proxy] [--debug]
                                              [--pkcs11-lib MODULE] [--reuse-pin]
                                              [--tpm-key-password P | --no-tpm-key-password]
          anchorage-helper update  <credential flags> [--profile NAME] [--once]
          anchorage-helper serve   <credential flags> [--port 9911] [--hop-limit 64]
          anchorage-helper sign-string --private-key FILE|URI [--certificate FILE|URI] [--pkcs8-password P]
                                       [--pkcs11-lib MODULE] [--reuse-pin]
                                       [--tpm-key-password P | --no-tpm-key-password] [--digest SHA256|SHA384|SHA512]
                                       [--format json|text|bin]
          anchorage-helper read-certificate-data --certificate FILE
          anchorage-helper version

        --certificate takes a PEM certificate or a PKCS#12 bundle (key, certificate and chain).
        --certificate and --private-key also take RFC 7512 pkcs11: URIs (keys on a PKCS#11 token or HSM);
        --private-key takes TPM 2.0 keys: handle:0x81000001 or a TSS2 PRIVATE KEY file (tpm2 OpenSSL provider).
        Trusted CAs for the endpoint: --ca-bundle, else AWS_CA_BUNDLE, else SSL_CERT_FILE, else the system's.
        Diagnostics go to stderr; stdout carries only the result.

        """

    static let credentialFlagsHelp = """
          --certificate FILE|URI      leaf certificate (PEM), PKCS#12 bundle (key, certificate, chain), or a
                                      pkcs11: URI (token=, object=, id=, slot-id=, ?pin-value= or ?pin-source=)
          --private-key FILE|URI      private key (PKCS#8, SEC1 or PKCS#1 PEM) or a pkcs11: URI; with a pkcs11:
                                      certificate and no --private-key, the token key with the certificate's id
          --pkcs11-lib MODULE         the PKCS#11 module to load (default: p11-kit's proxy, p11-kit-proxy.so)
          --reuse-pin                 use the token's user PIN for keys that ask for it at every signature
          --tpm-key-password P        the TPM key's password (authorisation value)
          --no-tpm-key-password       the TPM key has no password (with neither flag, a handle: key's is asked for)
          --intermediates FILE        chain certificates (PEM) sent as X-Amz-X509-Chain
          --trust-anchor-arn ARN, --profile-arn ARN, --role-arn ARN
          --session-duration SECONDS  requested durationSeconds (900-43200)
          --region REGION             signing region
          --endpoint URL              the Anchorage (or Roles Anywhere) endpoint
          --role-session-name NAME    requested roleSessionName
          --pkcs8-password PASSWORD   password of an encrypted PKCS#8 key or PKCS#12 bundle
          --ca-bundle FILE            CAs trusted for the endpoint
          --no-verify-ssl             do not verify the endpoint's certificate (warns)
          --with-proxy                tunnel through HTTPS_PROXY/HTTP_PROXY
          --attempt-timeout SECONDS   deadline of one CreateSession attempt, answer included (1-300, default 30)
          --debug                     log the exchange on stderr

        """

    /// `anchorage-helper <subcommand> --help`.
    static let subcommandUsage: [String: String] = [
        "credential-process": """
        usage: anchorage-helper credential-process <credential flags>

        One CreateSession; prints {"Version":1,"AccessKeyId",…,"Expiration"} on stdout (credential_process).
        Exit status: 0 done, 1 refused or failed, 64 usage error.

        """ + credentialFlagsHelp,
        "update": """
        usage: anchorage-helper update <credential flags> [--profile NAME] [--once] [--refresh-before SECONDS]

        Keeps AWS_SHARED_CREDENTIALS_FILE (or ~/.aws/credentials) fresh: writes section NAME (default
        "default") atomically, mode 0600, and refreshes --refresh-before seconds (default 300) before expiry.
        --refresh-before must be shorter than --session-duration; credentials that arrive already due are
        followed by a jittered backoff (5 s doubling to 5 min), never by a tight loop. An existing file that
        cannot be read is an error (nothing is written). --once writes once and exits.

        """ + credentialFlagsHelp,
        "serve": """
        usage: anchorage-helper serve <credential flags> [--port 9911] [--hop-limit 64] [--refresh-before SECONDS]

        IMDSv2 emulation on 127.0.0.1:PORT (AWS_EC2_METADATA_SERVICE_ENDPOINT) and the ECS credentials form
        (AWS_CONTAINER_CREDENTIALS_FULL_URI + AWS_CONTAINER_AUTHORIZATION_TOKEN). Answers only requests whose
        Host is 127.0.0.1, localhost or 169.254.169.254; the token PUT needs X-aws-ec2-metadata-token-ttl-seconds.
        Without valid credentials it answers 503, never "Success".

        """ + credentialFlagsHelp,
        "sign-string": """
        usage: anchorage-helper sign-string --private-key FILE|URI [--certificate FILE|URI] [--pkcs8-password P]
                                            [--pkcs11-lib MODULE] [--reuse-pin]
                                            [--tpm-key-password P | --no-tpm-key-password]
                                            [--digest SHA256|SHA384|SHA512] [--format json|text|bin]

        Signs aws_signing_helper's fixed test message (bound to the key's public key) and prints the signature,
        as aws_signing_helper sign-string does; --certificate takes the key from a PKCS#12 bundle.

        """,
        "read-certificate-data": """
        usage: anchorage-helper read-certificate-data --certificate FILE [--pkcs8-password P]

        Prints the certificate's data (key type, supported signing algorithms, …) as JSON, as
        aws_signing_helper read-certificate-data does.

        """,
        "version": """
        usage: anchorage-helper version

        Prints the version.

        """,
    ]

    /// The process's environment variables, for `run`.
    public static var processEnvironment: [String: String] { SystemIO.environment() }

    /// Runs the command line; returns the exit status (0 success, 1 failure, 64 usage error).
    public static func run(_ arguments: [String], environment: [String: String]) -> Int32 {
        guard let command = arguments.first else {
            writeOut(usage)
            return 0
        }
        let rest = Array(arguments.dropFirst())
        if rest.contains("--help") || rest.contains("-h"), let text = subcommandUsage[command] {
            writeOut(text)
            return 0
        }
        do {
            switch command {
            case "credential-process":
                let options = try CommandLineOptions(
                    rest, valueFlags: credentialValueFlags, boolFlags: credentialBoolFlags)
                let client = try makeClient(options, environment: environment)
                let credentials = try client.createSession()
                writeOut(credentials.credentialProcessJSON + "\n")
            case "sign-string":
                let options = try CommandLineOptions(
                    rest,
                    valueFlags: [
                        "private-key", "pkcs8-password", "digest", "format", "certificate", "pkcs11-lib",
                        "tpm-key-password",
                    ],
                    boolFlags: ["debug", "reuse-pin", "no-tpm-key-password"])
                let output = try SignString.run(options)
                writeOut(output)
            case "read-certificate-data":
                let options = try CommandLineOptions(
                    rest, valueFlags: ["certificate", "pkcs8-password"], boolFlags: ["debug"])
                writeOut(
                    try CertificateData.json(
                        certificatePath: options.required("certificate"),
                        password: options["pkcs8-password"]))
            case "update":
                let options = try CommandLineOptions(
                    rest, valueFlags: credentialValueFlags.union(["profile", "refresh-before"]),
                    boolFlags: credentialBoolFlags.union(["once"]))
                let profile = options["profile"] ?? "default"
                try CredentialsFile.checkProfileName(profile)
                let refreshBefore = try refreshBefore(options)
                let client = try makeClient(options, environment: environment)
                let updater = CredentialsFileUpdater(
                    client: client, file: CredentialsFile.path(environment: environment), profile: profile,
                    refreshBefore: refreshBefore, log: logLine)
                try updater.run(once: options.has("once"))
            case "serve":
                let options = try CommandLineOptions(
                    rest, valueFlags: credentialValueFlags.union(["port", "hop-limit", "refresh-before"]),
                    boolFlags: credentialBoolFlags)
                let refreshBefore = try refreshBefore(options)
                let client = try makeClient(options, environment: environment)
                let server = try MetadataServer(
                    client: client,
                    port: try options.integer("port", default: 9911, range: 0...65535),
                    hopLimit: try options.integer("hop-limit", default: 64, range: 1...255),
                    refreshBefore: refreshBefore,
                    containerToken: environment["AWS_CONTAINER_AUTHORIZATION_TOKEN"],
                    log: logLine)
                try server.run(announce: writeOut)
            case "version":
                writeOut(CreateSessionClient.version + "\n")
            case "help", "--help", "-h":
                writeOut(usage)
            default:
                throw HelperError.usage("unknown command \(PKCS11URI.redacted(command))")
            }
            return 0
        } catch let error as HelperError {
            logLine(error.message)
            if error.isUsage { logLine("run `anchorage-helper help` for usage") }
            return error.isUsage ? 64 : 1
        } catch let error as ServiceError {
            logLine("CreateSession failed: \(error)")
            return 1
        } catch {
            logLine("\(error)")
            return 1
        }
    }

    /// `--refresh-before` (default 300), refused when it is not shorter than `--session-duration`.
    static func refreshBefore(_ options: CommandLineOptions) throws(HelperError) -> Int64 {
        let refreshBefore = try options.integer("refresh-before", default: 300, range: 0...43200)
        try RefreshSchedule.validate(
            refreshBefore: refreshBefore, sessionDuration: try sessionDuration(options))
        return Int64(refreshBefore)
    }

    static func sessionDuration(_ options: CommandLineOptions) throws(HelperError) -> Int {
        try options.integer("session-duration", default: 3600, range: 900...43200)
    }

    /// The CreateSession client the credential flags describe.
    static func makeClient(_ options: CommandLineOptions, environment: [String: String]) throws(HelperError)
        -> CreateSessionClient
    {
        let trustAnchorArn = try options.required("trust-anchor-arn")
        let profileArn = try options.required("profile-arn")
        let roleArn = try options.required("role-arn")
        guard let anchor = ARN(trustAnchorArn), anchor.service == "rolesanywhere" else {
            throw HelperError.usage("--trust-anchor-arn \(trustAnchorArn) is not a Roles Anywhere ARN")
        }
        guard let profile = ARN(profileArn), profile.service == "rolesanywhere" else {
            throw HelperError.usage("--profile-arn \(profileArn) is not a Roles Anywhere ARN")
        }
        guard ARN(roleArn)?.service == "iam" else { throw HelperError.usage("--role-arn \(roleArn) is not an IAM ARN") }
        let region: String
        if let explicit = options["region"], !explicit.isEmpty {
            region = explicit
        } else {
            guard anchor.region == profile.region else {
                throw HelperError.usage(
                    "the trust anchor (\(anchor.region)) and profile (\(profile.region)) ARNs name different regions; pass --region"
                )
            }
            region = anchor.region
        }
        let parameters = CreateSessionParameters(
            trustAnchorArn: trustAnchorArn, profileArn: profileArn, roleArn: roleArn,
            durationSeconds: try sessionDuration(options),
            roleSessionName: options["role-session-name"], region: region)
        guard let certificate = options["certificate"] else {
            throw HelperError.usage("--certificate is required (certificate stores are not supported)")
        }
        let source = SigningIdentitySource(
            certificatePath: certificate, privateKeyPath: options["private-key"],
            intermediatesPath: options["intermediates"], password: options["pkcs8-password"],
            pkcs11: try pkcs11Source(options), tpmPassword: try tpmPassword(options))
        let endpoint =
            try options["endpoint"].map { text throws(HelperError) in try Endpoint(parsing: text) }
            ?? Endpoint.aws(region: region)
        if !endpoint.isTLS {
            logLine("warning: \(endpoint) is not https://: the credentials cross the network unencrypted")
        }
        let verify = !options.has("no-verify-ssl")
        if !verify {
            logLine("warning: --no-verify-ssl: the endpoint's TLS certificate and host name are NOT verified")
        }
        let caFile =
            options["ca-bundle"] ?? nonEmpty(environment["AWS_CA_BUNDLE"]) ?? nonEmpty(environment["SSL_CERT_FILE"])
        let proxy = options.has("with-proxy") ? try ProxySettings.from(environment: environment, for: endpoint) : nil
        if options.has("debug"), let proxy { logLine("using proxy \(proxy.host):\(proxy.port)") }
        let transport = ClientTransportOptions(
            endpoint: endpoint, caFile: caFile, verifyPeer: verify, proxy: proxy,
            attemptDeadline: Double(
                try options.integer(
                    "attempt-timeout", default: Int(ClientTransportOptions.defaultAttemptDeadline), range: 1...300)))
        return CreateSessionClient(
            parameters: parameters, identitySource: source, transport: transport, debug: options.has("debug"),
            log: logLine)
    }

    /// `--tpm-key-password` / `--no-tpm-key-password` (not both).
    static func tpmPassword(_ options: CommandLineOptions) throws(HelperError) -> TPMKey.Password {
        switch (options["tpm-key-password"], options.has("no-tpm-key-password")) {
        case (.some, true): throw HelperError.usage("--tpm-key-password and --no-tpm-key-password exclude each other")
        case (.some(let password), false): return .value(password)
        case (nil, true): return .none
        case (nil, false): return .ask
        }
    }

    /// The token behind `pkcs11:` values of `--certificate` and `--private-key`; nil when neither is a URI.
    /// Nothing is loaded here: the module is opened when the identity is first needed.
    static func pkcs11Source(_ options: CommandLineOptions) throws(HelperError) -> PKCS11KeySource? {
        let certificate = options["certificate"].flatMap { PKCS11URI.isURI($0) ? $0 : nil }
        let key = options["private-key"].flatMap { PKCS11URI.isURI($0) ? $0 : nil }
        guard certificate != nil || key != nil else {
            // The official helper ignores the module when no key or certificate is on a token, and so do we.
            if let library = options["pkcs11-lib"], options.has("debug") {
                logLine("--pkcs11-lib \(library) is not used: neither --certificate nor --private-key is a pkcs11: URI")
            }
            return nil
        }
        if certificate != nil, let path = options["private-key"], key == nil {
            throw HelperError.usage(
                "--private-key \(path) is a file but --certificate is a pkcs11: URI; name the token's key with a pkcs11: URI"
            )
        }
        return PKCS11KeySource(
            certificateURI: try certificate.map { text throws(HelperError) in try PKCS11URI(parsing: text) },
            keyURI: try key.map { text throws(HelperError) in try PKCS11URI(parsing: text) },
            libraryPath: options["pkcs11-lib"], reusePin: options.has("reuse-pin"))
    }

    private static func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }

    /// Writes `text` to stdout at once (unbuffered, so nothing is lost on exit).
    static func writeOut(_ text: String) { writeOut(Array(text.utf8)) }

    static func writeOut(_ bytes: [UInt8]) { SystemIO.write(bytes, to: 1) }

    /// One diagnostic line on stderr. Control characters are escaped: errors quote servers, files
    /// and environment variables, and none of them may drive the terminal.
    @Sendable static func logLine(_ text: String) {
        SystemIO.write(Array("anchorage-helper: \(TerminalText.escaped(text, keepingNewlines: true))\n".utf8), to: 2)
    }
}
