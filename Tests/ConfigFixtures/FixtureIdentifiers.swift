/// 2026-11-25T03:04:05Z: every certificate, signature and clock of the fixtures is anchored here.
public let testNow: Int64 = 1_795_575_845

public let anchorArn = "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/4a1c52e0-7d6b-4b7e-9a55-0e6f4c3b9d21"
public let secondAnchorArn =
    "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/0b7e1f3c-2222-4e5f-8a9b-aaaaaaaaaaaa"
public let profileArn = "arn:aws:rolesanywhere:us-east-1:123456789012:profile/8f0e2a3b-1c4d-4e5f-8a9b-0c1d2e3f4a5b"
public let minimalProfileArn =
    "arn:aws:rolesanywhere:us-east-1:123456789012:profile/11111111-1c4d-4e5f-8a9b-0c1d2e3f4a5b"
public let roleArn = "arn:aws:iam::123456789012:role/web-reader"
