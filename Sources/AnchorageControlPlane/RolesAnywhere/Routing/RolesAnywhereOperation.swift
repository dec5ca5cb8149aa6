/// The 30 operations of the `rolesanywhere` 2018-05-10 model, with the HTTP method and path each is served on.
enum RolesAnywhereOperation: String, CaseIterable, Sendable {
    case createTrustAnchor = "CreateTrustAnchor", listTrustAnchors = "ListTrustAnchors"
    case getTrustAnchor = "GetTrustAnchor", updateTrustAnchor = "UpdateTrustAnchor"
    case deleteTrustAnchor = "DeleteTrustAnchor", enableTrustAnchor = "EnableTrustAnchor"
    case disableTrustAnchor = "DisableTrustAnchor"
    case createProfile = "CreateProfile", listProfiles = "ListProfiles", getProfile = "GetProfile"
    case updateProfile = "UpdateProfile", deleteProfile = "DeleteProfile", enableProfile = "EnableProfile"
    case disableProfile = "DisableProfile", putAttributeMapping = "PutAttributeMapping"
    case deleteAttributeMapping = "DeleteAttributeMapping"
    case importCrl = "ImportCrl", listCrls = "ListCrls", getCrl = "GetCrl", updateCrl = "UpdateCrl"
    case deleteCrl = "DeleteCrl", enableCrl = "EnableCrl", disableCrl = "DisableCrl"
    case tagResource = "TagResource", untagResource = "UntagResource", listTagsForResource = "ListTagsForResource"
    case putNotificationSettings = "PutNotificationSettings"
    case resetNotificationSettings = "ResetNotificationSettings"
    case listSubjects = "ListSubjects", getSubject = "GetSubject"

    /// The IAM action: `rolesanywhere:<Operation>`.
    var action: String { "rolesanywhere:" + rawValue }

    /// The operation `method` on `path` names, with the path's resource id; nil when no operation of the model
    /// is served there (the caller answers 404 as for any unknown path).
    static func route(method: String, path: String) -> (operation: RolesAnywhereOperation, id: String?)? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        switch (method, segments.count, segments.first ?? "") {
        case ("POST", 1, "trustanchors"): return (.createTrustAnchor, nil)
        case ("GET", 1, "trustanchors"): return (.listTrustAnchors, nil)
        case ("POST", 1, "profiles"): return (.createProfile, nil)
        case ("GET", 1, "profiles"): return (.listProfiles, nil)
        case ("POST", 1, "crls"): return (.importCrl, nil)
        case ("GET", 1, "crls"): return (.listCrls, nil)
        case ("GET", 1, "subjects"): return (.listSubjects, nil)
        case ("POST", 1, "TagResource"): return (.tagResource, nil)
        case ("POST", 1, "UntagResource"): return (.untagResource, nil)
        case ("GET", 1, "ListTagsForResource"): return (.listTagsForResource, nil)
        case ("PATCH", 1, "put-notifications-settings"): return (.putNotificationSettings, nil)
        case ("PATCH", 1, "reset-notifications-settings"): return (.resetNotificationSettings, nil)
        case (_, 2, _), (_, 3, _):
            return resource(method: method, segments)
        default:
            return nil
        }
    }

    /// `/trustanchor/{id}[/enable|/disable]`, `/profile/{id}[…]`, `/crl/{id}[…]`, `/subject/{id}`,
    /// `/profiles/{id}/mappings`.
    private static func resource(method: String, _ segments: [String]) -> (RolesAnywhereOperation, String?)? {
        let id = segments[1]
        guard !id.isEmpty else { return nil }
        let verb = segments.count == 3 ? segments[2] : nil
        let table: [String: [String: RolesAnywhereOperation]]
        switch segments[0] {
        case "trustanchor":
            table = [
                "": ["GET": .getTrustAnchor, "PATCH": .updateTrustAnchor, "DELETE": .deleteTrustAnchor],
                "enable": ["POST": .enableTrustAnchor], "disable": ["POST": .disableTrustAnchor],
            ]
        case "profile":
            table = [
                "": ["GET": .getProfile, "PATCH": .updateProfile, "DELETE": .deleteProfile],
                "enable": ["POST": .enableProfile], "disable": ["POST": .disableProfile],
            ]
        case "crl":
            table = [
                "": ["GET": .getCrl, "PATCH": .updateCrl, "DELETE": .deleteCrl],
                "enable": ["POST": .enableCrl], "disable": ["POST": .disableCrl],
            ]
        case "subject":
            table = ["": ["GET": .getSubject]]
        case "profiles":
            table = ["mappings": ["PUT": .putAttributeMapping, "DELETE": .deleteAttributeMapping]]
        default:
            return nil
        }
        guard let operation = table[verb ?? ""]?[method] else { return nil }
        return (operation, id)
    }
}
