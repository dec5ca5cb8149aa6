public import AnchorageConfig
public import AnchorageCore

/// The Roles Anywhere control plane: every operation of the `rolesanywhere` 2018-05-10 REST-JSON model, served
/// beside `POST /sessions` on the same listener.
///
/// Socket-free: the HTTP glue verifies the SigV4 signature, builds the ``ControlPlaneCaller`` and calls
/// ``handle(method:path:rawQuery:body:caller:authorizer:)``; tests call it the same way. Each operation parses and
/// validates its input (`ValidationException` naming the member), asks the authorizer (`rolesanywhere:<Operation>`
/// on the resource's ARN, with `aws:RequestTag/…`, `aws:TagKeys` and `aws:ResourceTag/…`), then reads or writes the
/// configuration files through ``ConfigurationEditor`` — the writer the `anchorage` CLI uses — so the files stay
/// the source of truth and hot reload serves what the API wrote.
public struct RolesAnywhereAPI: RolesAnywhereRouting {
    let store: RolesAnywhereStore
    public let subjects: SubjectStore?
    public let clock: any WallClock

    /// - Parameters:
    ///   - editor: writes `PKI/` and `Profiles/`.
    ///   - subjects: the subjects CreateSession recorded (nil: ListSubjects answers an empty list).
    public init(editor: ConfigurationEditor, subjects: SubjectStore?, clock: any WallClock = SystemClock()) {
        self.store = RolesAnywhereStore(editor: editor)
        self.subjects = subjects
        self.clock = clock
    }

    /// Answers one call, or nil when `method` and `path` name no operation of the model.
    public func handle(
        method: String, path: String, rawQuery: String?, body: [UInt8], caller: ControlPlaneCaller,
        authorizer: any ControlPlaneAuthorizing
    ) -> ControlPlaneResponse? {
        guard let (operation, id) = RolesAnywhereOperation.route(method: method, path: path) else { return nil }
        guard let query = QueryParameters.parse(rawQuery, plusAsSpace: false) else {
            return Self.response(
                RolesAnywhereErrors.validation("query", "is not a valid query string"), action: operation.action,
                resource: nil)
        }
        let call = RolesAnywhereCall(
            operation: operation, caller: caller, authorizer: authorizer, pathId: id, query: query, rawBody: body,
            now: clock.seconds)
        do {
            let result = try run(call)
            return ControlPlaneResponse(
                status: result.status, headers: [("Content-Type", "application/json")],
                body: JSONWriter.bytes(result.body),
                audit: ControlPlaneAuditFacts(action: operation.action, resource: call.resource, outcome: "allowed"))
        } catch {
            return Self.response(error, action: operation.action, resource: call.resource)
        }
    }

    private func run(_ call: RolesAnywhereCall) throws(ControlPlaneError) -> RolesAnywhereResult {
        let anchors = TrustAnchorOperations(store: store)
        let profiles = ProfileOperations(store: store)
        let crls = CRLOperations(store: store)
        let tags = TagOperations(store: store)
        switch call.operation {
        case .createTrustAnchor: return try anchors.create(call)
        case .getTrustAnchor: return try anchors.get(call)
        case .listTrustAnchors: return try anchors.list(call)
        case .updateTrustAnchor: return try anchors.update(call)
        case .enableTrustAnchor: return try anchors.setEnabled(call, true)
        case .disableTrustAnchor: return try anchors.setEnabled(call, false)
        case .deleteTrustAnchor: return try anchors.delete(call)
        case .createProfile: return try profiles.create(call)
        case .getProfile: return try profiles.get(call)
        case .listProfiles: return try profiles.list(call)
        case .updateProfile: return try profiles.update(call)
        case .enableProfile: return try profiles.setEnabled(call, true)
        case .disableProfile: return try profiles.setEnabled(call, false)
        case .deleteProfile: return try profiles.delete(call)
        case .putAttributeMapping: return try profiles.putAttributeMapping(call)
        case .deleteAttributeMapping: return try profiles.deleteAttributeMapping(call)
        case .importCrl: return try crls.importCRL(call)
        case .getCrl: return try crls.get(call)
        case .listCrls: return try crls.list(call)
        case .updateCrl: return try crls.update(call)
        case .enableCrl: return try crls.setEnabled(call, true)
        case .disableCrl: return try crls.setEnabled(call, false)
        case .deleteCrl: return try crls.delete(call)
        case .tagResource: return try tags.tag(call)
        case .untagResource: return try tags.untag(call)
        case .listTagsForResource: return try tags.list(call)
        case .putNotificationSettings: return try NotificationOperations(trustAnchors: anchors).put(call)
        case .resetNotificationSettings: return try NotificationOperations(trustAnchors: anchors).reset(call)
        case .listSubjects: return try SubjectOperations(subjects: subjects).list(call)
        case .getSubject: return try SubjectOperations(subjects: subjects).get(call)
        }
    }

    /// The rest-json error: status, `X-Amzn-ErrorType`, `{"message": …}`; audited with the error's outcome (`denied`
    /// for an authorization refusal) and reason.
    static func response(_ error: ControlPlaneError, action: String, resource: String?) -> ControlPlaneResponse {
        ControlPlaneResponse(
            status: error.status,
            headers: [("Content-Type", "application/json"), ("X-Amzn-ErrorType", error.type)],
            body: JSONWriter.bytes(.object([JSONMember(key: "message", value: .string(error.message))])),
            audit: ControlPlaneAuditFacts(
                action: action, resource: resource, outcome: error.outcome,
                reason: error.reason, detail: error.detail))
    }
}
