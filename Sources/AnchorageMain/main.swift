import AnchorageAdmin
import AnchorageCrypto
import AnchorageServer
import Foundation

let usage = """
    usage: anchorage <command> [options]

    commands:
      serve         run the CreateSession and STS service
      validate      check PKI/ and Profiles/ exactly as the server loads them
      explain       show why a certificate is allowed or denied, step by step
      revoke        revoke certificates and sessions at once; list and lift revocations
      pki           create a CA and issue workload certificates (labs, tests)
      trust-anchor  add, list, show, enable, disable, remove trust anchors
      crl           import, list, remove the CRLs of a trust anchor
      profile       create, list, show, enable, disable, remove profiles; add-role, remove-role
      role          create, list, show, remove roles and their trust policies
      version       print the version

    Every command takes --help.
    """

OpenSSLLifetime.skipCleanupAtExit()

let arguments = Array(CommandLine.arguments.dropFirst())
let status: Int32
switch arguments.first {
case "serve": status = ServeCommand.run(Array(arguments.dropFirst()))
case "validate": status = ValidateCommand.run(Array(arguments.dropFirst()))
case "explain": status = ExplainCommand.run(Array(arguments.dropFirst()))
case "revoke": status = RevokeCommand.run(Array(arguments.dropFirst()))
case "pki", "trust-anchor", "crl", "profile", "role":
    status = AdminCommand.run(arguments[0], Array(arguments.dropFirst()))
case "version" where arguments.dropFirst().contains("--help") || arguments.dropFirst().contains("-h"):
    print("usage: anchorage version\n\nPrints the version.")
    status = 0
case "version", "--version": print("anchorage 0.1.0"); status = 0
case "help", "--help", "-h": print(usage); status = 0
case nil:
    FileHandle.standardError.write(Data((usage + "\n").utf8))
    status = 64
case let other?:
    FileHandle.standardError.write(Data("anchorage: unknown command \(other)\n\n\(usage)\n".utf8))
    status = 64
}
exit(status)
