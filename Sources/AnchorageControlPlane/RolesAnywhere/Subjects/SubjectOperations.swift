/// ListSubjects and GetSubject, from the ``SubjectStore``: the caller's account and region only.
struct SubjectOperations {
    let subjects: SubjectStore?

    func list(_ call: RolesAnywhereCall) throws(ControlPlaneError) -> RolesAnywhereResult {
        let pagination = try Pagination(query: call.query)
        try call.authorize("*")
        let page = pagination.page(records(call), id: \.id)
        return .ok(RolesAnywhereJSON.page("subjects", page.items.map(\.summary), nextToken: page.nextToken))
    }

    func get(_ call: RolesAnywhereCall) throws(ControlPlaneError) -> RolesAnywhereResult {
        let id = try call.resourceId("subjectId")
        guard let record = records(call).first(where: { $0.id == id }) else {
            try call.authorize(call.arn("subject", id))
            throw RolesAnywhereErrors.notFound("subject")
        }
        try call.authorize(record.arn)
        return .ok(RolesAnywhereJSON.wrap("subject", record.detail))
    }

    private func records(_ call: RolesAnywhereCall) -> [SubjectRecord] {
        subjects?.subjects(account: call.caller.account, region: call.caller.region) ?? []
    }
}
