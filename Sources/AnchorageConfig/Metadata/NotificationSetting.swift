public import AnchorageCore

/// A trust anchor's notification setting (Roles Anywhere's `NotificationSettingDetail`): which expiry event,
/// how many days ahead, on which channel. Kept in `anchor.json` (`"notificationSettings"`, only the ones an admin
/// configured); Anchorage stores and returns them but sends no notification itself.
public struct NotificationSetting: Sendable, Equatable {
    /// `CA_CERTIFICATE_EXPIRY` or `END_ENTITY_CERTIFICATE_EXPIRY`.
    public var event: String
    public var enabled: Bool
    /// Days before expiry, 1-360.
    public var threshold: Int
    /// `ALL`, the model's only channel.
    public var channel: String
    /// `rolesanywhere.amazonaws.com` for the defaults, the account id for an admin's setting.
    public var configuredBy: String

    public init(event: String, enabled: Bool, threshold: Int, channel: String = "ALL", configuredBy: String) {
        self.event = event
        self.enabled = enabled
        self.threshold = threshold
        self.channel = channel
        self.configuredBy = configuredBy
    }

    public static let events = ["CA_CERTIFICATE_EXPIRY", "END_ENTITY_CERTIFICATE_EXPIRY"]
    public static let channels = ["ALL"]
    public static let thresholds = 1...360
    public static let defaultConfiguredBy = "rolesanywhere.amazonaws.com"

    /// What AWS reports for an anchor nobody configured: both events, 45 days, enabled.
    public static let defaults = events.map {
        NotificationSetting(event: $0, enabled: true, threshold: 45, configuredBy: defaultConfiguredBy)
    }

    /// `configured` laid over the defaults, one per (event, channel), in the defaults' order.
    public static func effective(_ configured: [NotificationSetting]) -> [NotificationSetting] {
        defaults.map { fallback in
            configured.first { $0.event == fallback.event && $0.channel == fallback.channel } ?? fallback
        }
    }

    /// Parses one setting (`event`, `enabled` required; `threshold`, `channel`, and — in a file — `configuredBy`).
    public static func parse(
        _ json: JSONValue, path: String, configuredBy defaultConfiguredBy: String?
    ) throws(SchemaError) -> NotificationSetting {
        guard case .object(let members) = json else { throw SchemaError(path: path, message: "must be an object") }
        var known: Set<String> = ["event", "enabled", "threshold", "channel"]
        if defaultConfiguredBy == nil { known.insert("configuredBy") }
        for member in members where !known.contains(member.key) {
            throw SchemaError(path: "\(path).\(member.key)", message: "unknown key")
        }
        guard let event = json["event"]?.stringValue else {
            throw SchemaError(path: "\(path).event", message: "required, one of \(events.joined(separator: ", "))")
        }
        guard events.contains(event) else {
            throw SchemaError(path: "\(path).event", message: "must be one of \(events.joined(separator: ", "))")
        }
        guard let enabled = json["enabled"]?.boolValue else {
            throw SchemaError(path: "\(path).enabled", message: "required boolean")
        }
        var threshold = 45
        if let value = json["threshold"], value != .null {
            guard let number = value.intValue, thresholds.contains(number) else {
                throw SchemaError(path: "\(path).threshold", message: "must be an integer 1-360")
            }
            threshold = number
        }
        var channel = "ALL"
        if let value = json["channel"], value != .null {
            guard let text = value.stringValue, channels.contains(text) else {
                throw SchemaError(path: "\(path).channel", message: "must be ALL")
            }
            channel = text
        }
        var configuredBy = defaultConfiguredBy ?? ""
        if defaultConfiguredBy == nil {
            guard let text = json["configuredBy"]?.stringValue, (1...200).contains(text.count) else {
                throw SchemaError(path: "\(path).configuredBy", message: "required, 1-200 characters")
            }
            configuredBy = text
        }
        return NotificationSetting(
            event: event, enabled: enabled, threshold: threshold, channel: channel, configuredBy: configuredBy)
    }

    /// Parses a list of settings; at most one per (event, channel).
    public static func parseList(
        _ json: JSONValue, path: String, configuredBy: String?
    ) throws(SchemaError) -> [NotificationSetting] {
        guard case .array(let elements) = json else { throw SchemaError(path: path, message: "must be an array") }
        guard elements.count <= 50 else { throw SchemaError(path: path, message: "at most 50 settings") }
        var settings: [NotificationSetting] = []
        for (index, element) in elements.enumerated() {
            let setting = try parse(element, path: "\(path)[\(index)]", configuredBy: configuredBy)
            guard !settings.contains(where: { $0.event == setting.event && $0.channel == setting.channel }) else {
                throw SchemaError(path: "\(path)[\(index)].event", message: "duplicate setting for \(setting.event)")
            }
            settings.append(setting)
        }
        return settings
    }

    /// The NotificationSettingDetail JSON.
    public var json: JSONValue {
        .object([
            "enabled": .bool(enabled), "event": .string(event), "threshold": .number(String(threshold)),
            "channel": .string(channel), "configuredBy": .string(configuredBy),
        ])
    }
}
