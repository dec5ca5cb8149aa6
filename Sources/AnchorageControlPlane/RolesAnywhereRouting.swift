/// The Roles Anywhere REST-JSON API as the HTTP glue sees it: one call per request, after the request's SigV4
/// signature verified with Anchorage-issued credentials (scope service `rolesanywhere`).
///
/// The glue audits what ``ControlPlaneResponse/audit`` says and sends the response; the implementation asks
/// `authorizer` before it reads or writes anything.
public protocol RolesAnywhereRouting: Sendable {
    /// The response to one call, or nil when `method` and `path` name no operation (the glue answers 404
    /// `UnknownOperationException`).
    func handle(
        method: String, path: String, rawQuery: String?, body: [UInt8], caller: ControlPlaneCaller,
        authorizer: any ControlPlaneAuthorizing
    ) -> ControlPlaneResponse?
}
