import AnchorageConfig
import AnchorageCore

/// PutNotificationSettings and ResetNotificationSettings: a trust anchor's expiry-notification settings, kept in
/// its `anchor.json`. Anchorage stores and reports them (so infrastructure code round-trips) but sends nothing.
struct NotificationOperations {
    let trustAnchors: TrustAnchorOperations

    func put(_ call: RolesAnywhereCall) throws(ControlPlaneError) -> RolesAnywhereResult {
        let body = try call.body()
        let id = try Self.trustAnchorId(body)
        let settings = try body.require(
            "notificationSettings", try Self.settings(body, configuredBy: call.caller.account))
        let detail = try trustAnchors.edit(call.settingPathId(id), summary: "configuring notifications of") { record in
            for setting in settings {
                record.notificationSettings.removeAll { $0.event == setting.event && $0.channel == setting.channel }
                record.notificationSettings.append(setting)
            }
            return []
        }
        return .ok(RolesAnywhereJSON.wrap("trustAnchor", detail))
    }

    func reset(_ call: RolesAnywhereCall) throws(ControlPlaneError) -> RolesAnywhereResult {
        let body = try call.body()
        let id = try Self.trustAnchorId(body)
        guard case .array(let keys)? = body.value("notificationSettingKeys") else {
            throw RolesAnywhereErrors.validation("notificationSettingKeys", "is required: a list of {event, channel}")
        }
        guard keys.count <= 50 else {
            throw RolesAnywhereErrors.validation("notificationSettingKeys", "must have at most 50 members")
        }
        var resets: [(event: String, channel: String)] = []
        for (index, key) in keys.enumerated() {
            guard let event = key["event"]?.stringValue, NotificationSetting.events.contains(event) else {
                throw RolesAnywhereErrors.validation(
                    "notificationSettingKeys[\(index)].event",
                    "must be one of \(NotificationSetting.events.joined(separator: ", "))")
            }
            let channel = key["channel"]?.stringValue ?? "ALL"
            guard NotificationSetting.channels.contains(channel) else {
                throw RolesAnywhereErrors.validation("notificationSettingKeys[\(index)].channel", "must be ALL")
            }
            resets.append((event, channel))
        }
        let detail = try trustAnchors.edit(call.settingPathId(id), summary: "resetting notifications of") { record in
            record.notificationSettings.removeAll { setting in
                resets.contains { $0.event == setting.event && $0.channel == setting.channel }
            }
            return []
        }
        return .ok(RolesAnywhereJSON.wrap("trustAnchor", detail))
    }

    private static func trustAnchorId(_ body: RequestBody) throws(ControlPlaneError) -> String {
        let id = try body.require("trustAnchorId", try body.string("trustAnchorId"))
        guard RolesAnywhereCall.isUUID(id) else {
            throw RolesAnywhereErrors.validation("trustAnchorId", "must be a 36-character UUID")
        }
        return id
    }

    /// A request's `notificationSettings`, checked with the rules the loader applies to `anchor.json`.
    static func settings(_ body: RequestBody, configuredBy: String) throws(ControlPlaneError) -> [NotificationSetting]?
    {
        guard let value = body.value("notificationSettings") else { return nil }
        do {
            return try NotificationSetting.parseList(value, path: "$.notificationSettings", configuredBy: configuredBy)
        } catch {
            throw RolesAnywhereErrors.validation(String(error.path.dropFirst(2)), error.message)
        }
    }
}
