import AnchorageConfig
import AnchorageCore
import Foundation

/// A resource that carries tags — trust anchor, profile or CRL — found by its ARN.
enum TaggedResource {
    case trustAnchor(TrustAnchorRecord)
    case profile(ProfileRecord)
    case crl(CRLRecord)

    /// The resource with ARN `arn` in the caller's account and region, or nil.
    static func find(_ arn: String, store: RolesAnywhereStore, call: RolesAnywhereCall) -> TaggedResource? {
        guard let parsed = ARN(arn) else { return nil }
        switch parsed.resourceType {
        case "trust-anchor":
            return store.trustAnchors(for: call).first { $0.arn.description == arn }.map(TaggedResource.trustAnchor)
        case "profile":
            return store.profiles(for: call).first { $0.arn.description == arn }.map(TaggedResource.profile)
        case "crl":
            return store.crls(for: call).first { $0.arn == arn }.map(TaggedResource.crl)
        default:
            return nil
        }
    }

    var tags: [ResourceTag] {
        switch self {
        case .trustAnchor(let record): return record.metadata.tags
        case .profile(let record): return record.metadata.tags
        case .crl(let record): return record.metadata.tags
        }
    }

    /// The file operation that writes `tags` (and `updatedAt` = `now`) to the resource's file.
    func writing(tags: [ResourceTag], now: Int64) -> ConfigurationChange.Operation {
        switch self {
        case .trustAnchor(var record):
            record.metadata.tags = tags
            record.metadata.updatedAt = now
            return .writeFile(record.anchorFile)
        case .profile(var record):
            record.metadata.tags = tags
            record.metadata.updatedAt = now
            return .writeFile(record.file)
        case .crl(var record):
            record.metadata.tags = tags
            record.metadata.updatedAt = now
            return .writeFile(record.sidecarFile)
        }
    }
}
