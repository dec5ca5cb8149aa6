import AnchorageCommandLine
import AnchorageConfig
import AnchorageCore
import Foundation

/// `anchorage validate`: runs the server's loader over a configuration and reports every problem.
public enum ValidateCommand {
    public static let usage = """
        usage: anchorage validate [--pki DIR] [--profiles DIR]

          Loads PKI/ and Profiles/ exactly as `serve` does and prints every error with its file and JSON path.
          Exit status 0 when valid, 1 when not, 64 on a usage error.
        """

    public static func run(_ arguments: [String]) -> Int32 {
        let parsed: CommandArguments
        do {
            parsed = try CommandArguments(arguments, .init(options: ["pki", "profiles"]))
        } catch {
            FileHandle.standardError.write(Data("anchorage validate: \(error)\n\n\(usage)\n".utf8))
            return 64
        }
        if parsed.helpRequested {
            print(usage)
            return 0
        }
        let loader = ConfigurationLoader(
            pkiDirectory: parsed.value("pki") ?? "PKI", profilesDirectory: parsed.value("profiles") ?? "Profiles")
        do {
            let configuration = try loader.load(generation: 1)
            print(
                "configuration valid: \(configuration.trustAnchors.count) trust anchor(s), "
                    + "\(configuration.profiles.count) profile(s), \(configuration.roles.count) role(s)"
                    + (configuration.upstreams.isEmpty ? "" : ", \(configuration.upstreams.count) upstream(s)"))
            return 0
        } catch {
            for issue in error.issues { FileHandle.standardError.write(Data("error: \(issue)\n".utf8)) }
            FileHandle.standardError.write(Data("configuration invalid: \(error.issues.count) error(s)\n".utf8))
            return 1
        }
    }
}
