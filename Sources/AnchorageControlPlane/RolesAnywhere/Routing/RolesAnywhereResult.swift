import AnchorageCore

/// What an operation answers when it succeeds: the model's status and the JSON body.
struct RolesAnywhereResult {
    var status: Int
    var body: JSONValue

    static func ok(_ body: JSONValue) -> RolesAnywhereResult { RolesAnywhereResult(status: 200, body: body) }
    static func created(_ body: JSONValue) -> RolesAnywhereResult { RolesAnywhereResult(status: 201, body: body) }
}
