/// The errors of the `rolesanywhere` model, as ``ControlPlaneError`` values: the wire type and status, a message
/// that names the field at fault, and the audit reason.
enum RolesAnywhereErrors {
    /// `ValidationException` (400) naming `field` as the model spells it (`source.sourceType`, `pageSize`).
    static func validation(_ field: String, _ problem: String) -> ControlPlaneError {
        ControlPlaneError(
            type: "ValidationException", status: 400, message: "\(field): \(problem)", reason: "validation_error")
    }

    /// `ResourceNotFoundException` (404): no such resource in the caller's account and region.
    static func notFound(_ what: String) -> ControlPlaneError {
        ControlPlaneError(
            type: "ResourceNotFoundException", status: 404, message: "The \(what) was not found.",
            reason: "resource_not_found")
    }

    /// `AccessDeniedException` (403) with a generic message; the precise `reason` goes to the audit log only.
    static func accessDenied(reason: String, detail: String? = nil) -> ControlPlaneError {
        ControlPlaneError(
            type: "AccessDeniedException", status: 403,
            message: "You are not authorized to perform this operation.", reason: reason, detail: detail,
            outcome: "denied")
    }

    /// `TooManyTagsException` (400): a resource may carry at most 50 tags.
    static func tooManyTags(_ count: Int) -> ControlPlaneError {
        ControlPlaneError(
            type: "TooManyTagsException", status: 400,
            message: "tags: a resource may have at most 50 tags; this request would leave it \(count)",
            reason: "too_many_tags")
    }

    /// The configuration could not be written (disk, permissions): 500; `detail` (the audit log's) says why.
    static func writeFailed(_ detail: String) -> ControlPlaneError {
        ControlPlaneError(
            type: "InternalServerException", status: 500, message: "The configuration could not be written.",
            reason: "configuration_write_failed", detail: detail)
    }
}
