import AnchorageCommandLine
import AnchorageCore
import Foundation

/// ARNs for new resources: generated from `--region` and `--account-id` with a random UUID id (as AWS
/// does), or taken verbatim from `--arn` (to keep the ARNs of resources moved from AWS).
enum ResourceNaming {
    static let defaultRegion = "us-east-1"
    static let defaultAccount = "123456789012"

    static let regionHelp = "  --region REGION    region of the generated ARN (default \(defaultRegion))"
    static let accountHelp = "  --account-id ID    12-digit account of the generated ARN (default \(defaultAccount))"

    /// The region from `--region`, checked (`us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`, …).
    static func region(_ arguments: CommandArguments) throws(CommandArguments.UsageError) -> String {
        let region = arguments.value("region") ?? defaultRegion
        let parts = region.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 3, parts.first?.count == 2,
            parts.last.map({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }) == true,
            parts.dropLast().allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIILowercase) })
        else { throw CommandArguments.UsageError("--region \(region) is not a region name such as us-east-1") }
        return region
    }

    /// The account from `--account-id`: exactly 12 digits.
    static func account(_ arguments: CommandArguments) throws(CommandArguments.UsageError) -> String {
        let account = arguments.value("account-id") ?? defaultAccount
        guard account.count == 12, account.allSatisfy(\.isASCIIDigit) else {
            throw CommandArguments.UsageError("--account-id \(account) is not a 12-digit account id")
        }
        return account
    }

    /// The partition a region belongs to (`aws`, `aws-cn`, `aws-us-gov`).
    static func partition(region: String) -> String {
        if region.hasPrefix("cn-") { return "aws-cn" }
        if region.hasPrefix("us-gov-") { return "aws-us-gov" }
        return "aws"
    }

    /// `arn:<partition>:rolesanywhere:<region>:<account>:<type>/<uuid>`, or `--arn` when given (checked).
    static func rolesAnywhereARN(type: String, _ arguments: CommandArguments) throws(CommandArguments.UsageError)
        -> String
    {
        if let explicit = arguments.value("arn") {
            guard let arn = ARN(explicit), arn.service == "rolesanywhere", arn.resourceType == type,
                !arn.region.isEmpty, !arn.account.isEmpty, arn.resource.count > type.count + 1
            else { throw CommandArguments.UsageError("--arn \(explicit) is not a rolesanywhere \(type) ARN") }
            return explicit
        }
        let region = try region(arguments)
        let account = try account(arguments)
        return
            "arn:\(partition(region: region)):rolesanywhere:\(region):\(account):\(type)/\(UUID().uuidString.lowercased())"
    }

    /// Checks a trust anchor, profile or CRL name: it becomes a file or directory name.
    static func checkName(_ name: String, what: String) throws(CommandArguments.UsageError) {
        let allowed = name.unicodeScalars.allSatisfy {
            ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)))
                || "._-".unicodeScalars.contains($0)
        }
        guard !name.isEmpty, name.count <= 128, allowed, !name.hasPrefix("."), !name.hasPrefix("-") else {
            throw CommandArguments.UsageError(
                "\(what) name \"\(name)\" must be 1-128 of A-Z a-z 0-9 . _ - and not start with . or -")
        }
    }

    /// Checks an IAM role name (1-64 of `[\w+=,.@-]`).
    static func checkRoleName(_ name: String) throws(CommandArguments.UsageError) {
        let allowed = name.unicodeScalars.allSatisfy {
            ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)))
                || "_+=,.@-".unicodeScalars.contains($0)
        }
        guard !name.isEmpty, name.count <= 64, allowed, !name.hasPrefix(".") else {
            throw CommandArguments.UsageError("role name \"\(name)\" must be 1-64 of A-Z a-z 0-9 _ + = , . @ -")
        }
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
    var isASCIILowercase: Bool { isASCII && isLowercase }
}

/// Plain-text output helpers for `list` and `show`.
enum TextOutput {
    /// Columns padded to their widest cell; the last column is not padded.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        var widths = [Int](repeating: 0, count: header.count)
        for row in all {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index] + 2, withPad: " ", startingAt: 0)
            }.joined()
        }.joined(separator: "\n")
    }

    /// `key: value` lines with the keys aligned.
    static func fields(_ pairs: [(String, String)]) -> String {
        let width = (pairs.map(\.0.count).max() ?? 0) + 2
        return pairs.map { ($0.0 + ":").padding(toLength: width, withPad: " ", startingAt: 0) + $0.1 }
            .joined(separator: "\n")
    }

    static func time(_ seconds: Int64?) -> String { seconds.map(UTCTimestamp.iso8601) ?? "-" }
}

/// Reading files given on the command line.
enum InputFiles {
    static func read(_ path: String, what: String) throws(AdminError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AdminError("cannot read \(what) \(path)")
        }
        return [UInt8](data)
    }

    static func readJSON(_ path: String, what: String) throws(AdminError) -> JSONValue {
        let bytes = try read(path, what: what)
        do {
            return try JSONParser.parse(bytes)
        } catch {
            throw AdminError("\(what) \(path) is not valid JSON: \(error)")
        }
    }
}
