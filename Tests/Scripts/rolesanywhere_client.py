#!/usr/bin/env python3
"""rolesanywhere_client.py — drive the Roles Anywhere control plane with boto3, the way infrastructure code does.

  rolesanywhere_client.py lifecycle --endpoint https://127.0.0.1:PORT --profile admin
      --anchor-pem root.pem --crl root.crl.pem --role-arn arn:aws:iam::…:role/web-reader
      [--workload-access-key-id … --workload-secret-access-key … --workload-session-token …]

Credentials come from the AWS profile (its `credential_process` is `anchorage-helper credential-process`);
AWS_CONFIG_FILE and AWS_CA_BUNDLE are set by the caller. Runs every resource's lifecycle (trust anchors with
notification settings, CRL import/enable/disable, profiles with attribute mappings, a session policy, managed
policy ARNs and acceptRoleSessionName, tags), pagination over the profiles the files hold (`page-000` …, as
many as --paged-profiles) and some it creates, subjects, malformed input and
refusals, checking each answer. Prints one JSON object: {"ok": bool, "checks": N, "failures": ["…"], "seconds": {phase: s}}.
Exit status 0 either way; 2 on an unexpected error.
"""

import argparse
import datetime
import json
import sys
import time
import uuid

import boto3
import botocore.exceptions


class Checks:
    def __init__(self):
        self.count = 0
        self.failures = []
        self.timings = {}
        self.started = time.monotonic()

    def phase(self, name):
        """Records the seconds since the previous phase ended under `name`."""
        now = time.monotonic()
        self.timings[name] = round(now - self.started, 2)
        self.started = now

    def expect(self, condition, what):
        self.count += 1
        if not condition:
            self.failures.append(what)

    def error(self, call, code, field=None, what=""):
        """Runs `call`, which must fail with `code` (and a message starting with `field:`)."""
        self.count += 1
        try:
            call()
        except botocore.exceptions.ClientError as e:
            got = e.response["Error"]["Code"]
            message = e.response["Error"].get("Message", "")
            if got != code:
                self.failures.append(f"{what}: expected {code}, got {got}: {message}")
            elif field is not None and not message.startswith(field + ":"):
                self.failures.append(f"{what}: message does not name {field}: {message}")
            return
        self.failures.append(f"{what}: expected {code}, the call succeeded")


def lifecycle(a, c):
    ra = boto3.Session(profile_name=a.profile).client("rolesanywhere", endpoint_url=a.endpoint)
    pem = open(a.anchor_pem).read()
    crl = open(a.crl, "rb").read()
    account = a.role_arn.split(":")[4]

    # --- trust anchors ---------------------------------------------------------------------------
    created = ra.create_trust_anchor(
        name="boto anchor",
        source={"sourceType": "CERTIFICATE_BUNDLE", "sourceData": {"x509CertificateData": pem}},
        enabled=True,
        tags=[{"key": "team", "value": "pki"}],
        notificationSettings=[{"enabled": True, "event": "CA_CERTIFICATE_EXPIRY", "threshold": 30}],
    )["trustAnchor"]
    anchor_id, anchor_arn = created["trustAnchorId"], created["trustAnchorArn"]
    c.expect(anchor_arn.endswith(":trust-anchor/" + anchor_id), f"anchor ARN/id: {created}")
    c.expect(isinstance(created["createdAt"], datetime.datetime), "createdAt parses as a timestamp")
    c.expect(created["source"]["sourceType"] == "CERTIFICATE_BUNDLE", "source type")
    ca = [s for s in created["notificationSettings"] if s["event"] == "CA_CERTIFICATE_EXPIRY"]
    c.expect(ca and ca[0]["threshold"] == 30 and ca[0]["configuredBy"] == account, f"settings: {ca}")
    c.expect(ra.get_trust_anchor(trustAnchorId=anchor_id)["trustAnchor"]["name"] == "boto anchor", "get anchor")
    c.expect(
        ra.update_trust_anchor(trustAnchorId=anchor_id, name="boto anchor 2")["trustAnchor"]["name"] == "boto anchor 2",
        "update anchor")
    c.expect(not ra.disable_trust_anchor(trustAnchorId=anchor_id)["trustAnchor"]["enabled"], "disable anchor")
    c.expect(ra.enable_trust_anchor(trustAnchorId=anchor_id)["trustAnchor"]["enabled"], "enable anchor")
    reset = ra.reset_notification_settings(
        trustAnchorId=anchor_id, notificationSettingKeys=[{"event": "CA_CERTIFICATE_EXPIRY"}])["trustAnchor"]
    c.expect(all(s["threshold"] == 45 for s in reset["notificationSettings"]), "reset notifications")
    put = ra.put_notification_settings(
        trustAnchorId=anchor_id,
        notificationSettings=[{"enabled": False, "event": "END_ENTITY_CERTIFICATE_EXPIRY"}])["trustAnchor"]
    ee = [s for s in put["notificationSettings"] if s["event"] == "END_ENTITY_CERTIFICATE_EXPIRY"]
    c.expect(ee and ee[0]["enabled"] is False, f"put notifications: {ee}")
    anchors = [t["trustAnchorArn"] for t in ra.list_trust_anchors()["trustAnchors"]]
    c.expect(anchor_arn in anchors, "the new anchor is listed")

    c.phase("anchors")
    # --- CRLs ------------------------------------------------------------------------------------
    imported = ra.import_crl(name="boto crl", crlData=crl, trustAnchorArn=anchor_arn, enabled=False)["crl"]
    crl_id = imported["crlId"]
    c.expect(imported["enabled"] is False and imported["trustAnchorArn"] == anchor_arn, f"import: {imported}")
    c.expect(b"BEGIN X509 CRL" in imported["crlData"], "crlData comes back as the CRL")
    c.expect(ra.enable_crl(crlId=crl_id)["crl"]["enabled"] is True, "enable crl")
    c.expect(ra.disable_crl(crlId=crl_id)["crl"]["enabled"] is False, "disable crl")
    c.expect(ra.update_crl(crlId=crl_id, name="renamed crl")["crl"]["name"] == "renamed crl", "update crl")
    c.expect(crl_id in [x["crlId"] for x in ra.list_crls()["crls"]], "crl listed")
    c.expect(ra.get_crl(crlId=crl_id)["crl"]["name"] == "renamed crl", "get crl")
    ra.delete_crl(crlId=crl_id)
    c.error(lambda: ra.get_crl(crlId=crl_id), "ResourceNotFoundException", what="deleted crl")

    c.phase("crls")
    # --- profiles --------------------------------------------------------------------------------
    policy = json.dumps({"Version": "2012-10-17",
                         "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
    profile = ra.create_profile(
        name="boto profile", roleArns=[a.role_arn], enabled=True, sessionPolicy=policy,
        managedPolicyArns=["arn:aws:iam::aws:policy/ReadOnlyAccess"], acceptRoleSessionName=True,
        durationSeconds=1800, tags=[{"key": "env", "value": "test"}])["profile"]
    profile_id, profile_arn = profile["profileId"], profile["profileArn"]
    c.expect(profile["sessionPolicy"] == policy and profile["acceptRoleSessionName"] is True, f"profile: {profile}")
    c.expect(profile["managedPolicyArns"] == ["arn:aws:iam::aws:policy/ReadOnlyAccess"], "managed policies")
    mapped = ra.put_attribute_mapping(
        profileId=profile_id, certificateField="x509Subject",
        mappingRules=[{"specifier": "CN"}, {"specifier": "OU"}])["profile"]
    subject_rules = [m for m in mapped["attributeMappings"] if m["certificateField"] == "x509Subject"]
    c.expect(subject_rules and [r["specifier"] for r in subject_rules[0]["mappingRules"]] == ["CN", "OU"],
             f"put mapping: {subject_rules}")
    unmapped = ra.delete_attribute_mapping(
        profileId=profile_id, certificateField="x509Subject", specifiers=["CN"])["profile"]
    subject_rules = [m for m in unmapped["attributeMappings"] if m["certificateField"] == "x509Subject"]
    c.expect([r["specifier"] for r in subject_rules[0]["mappingRules"]] == ["OU"], f"delete mapping: {subject_rules}")
    c.expect(ra.update_profile(profileId=profile_id, durationSeconds=7200)["profile"]["durationSeconds"] == 7200,
             "update profile")
    c.expect(ra.disable_profile(profileId=profile_id)["profile"]["enabled"] is False, "disable profile")
    c.expect(ra.enable_profile(profileId=profile_id)["profile"]["enabled"] is True, "enable profile")

    c.phase("profiles")
    # --- tags ------------------------------------------------------------------------------------
    ra.tag_resource(resourceArn=profile_arn, tags=[{"key": "owner", "value": "alice"}])
    tags = {t["key"]: t["value"] for t in ra.list_tags_for_resource(resourceArn=profile_arn)["tags"]}
    c.expect(tags == {"env": "test", "owner": "alice"}, f"tags: {tags}")
    ra.untag_resource(resourceArn=profile_arn, tagKeys=["env"])
    tags = {t["key"]: t["value"] for t in ra.list_tags_for_resource(resourceArn=profile_arn)["tags"]}
    c.expect(tags == {"owner": "alice"}, f"untagged: {tags}")
    c.error(lambda: ra.tag_resource(
        resourceArn=profile_arn, tags=[{"key": f"k{i}", "value": "v"} for i in range(50)]),
        "TooManyTagsException", what="51 tags")
    ra.delete_profile(profileId=profile_id)
    c.error(lambda: ra.get_profile(profileId=profile_id), "ResourceNotFoundException", what="deleted profile")
    ra.delete_trust_anchor(trustAnchorId=anchor_id)
    c.error(lambda: ra.get_trust_anchor(trustAnchorId=anchor_id), "ResourceNotFoundException", what="deleted anchor")

    c.phase("tags")
    # --- pagination over the 120 profiles the files hold (page-000 … page-119) and the API's ----------
    made = {ra.create_profile(name=f"api page {i}", roleArns=[a.role_arn])["profile"]["profileId"] for i in range(5)}
    pages = list(ra.get_paginator("list_profiles").paginate(pageSize=25))
    listed = [p for page in pages for p in page["profiles"]]
    ids = [p["profileId"] for p in listed]
    c.expect(len(ids) == len(set(ids)), "no profile is listed twice")
    c.expect(made <= set(ids), "every profile the API created is listed")
    files = {f"page-{i:03d}" for i in range(a.paged_profiles)}
    c.expect(files <= {p["name"] for p in listed}, "every profile the files hold is listed")
    c.expect(len(listed) >= a.paged_profiles + 5, f"{len(listed)} profiles listed")
    c.expect(len(pages) == -(-len(listed) // 25), f"pages of 25: {len(pages)} for {len(listed)}")
    c.expect(all(page.get("nextToken") for page in pages[:-1]) and not pages[-1].get("nextToken"), "nextToken")

    c.phase("pagination")
    # --- subjects: the admin certificate asked for credentials -------------------------------------
    subjects = ra.list_subjects()["subjects"]
    c.expect(any("OU=web" in s["x509Subject"] for s in subjects), f"subjects: {subjects}")
    if subjects:
        detail = ra.get_subject(subjectId=subjects[0]["subjectId"])["subject"]
        c.expect(detail["credentials"] and detail["credentials"][0]["x509CertificateData"].startswith(
            "-----BEGIN CERTIFICATE-----"), "subject credentials")

    c.phase("subjects")
    # --- malformed input and refusals --------------------------------------------------------------
    c.error(lambda: ra.create_profile(name="bad", roleArns=["not-an-arn"]), "ValidationException", "roleArns[0]",
            "role ARN")
    c.error(lambda: ra.create_profile(name="bad", roleArns=[a.role_arn], durationSeconds=50000),
            "ValidationException", "durationSeconds", "duration")
    c.error(lambda: ra.create_trust_anchor(
        name="pca", source={"sourceType": "AWS_ACM_PCA",
                            "sourceData": {"acmPcaArn": f"arn:aws:acm-pca:us-east-1:{account}:certificate-authority/x"}}),
        "ValidationException", "source.sourceType", "ACM PCA")
    c.error(lambda: ra.import_crl(name="bad", crlData=b"not a crl", trustAnchorArn=anchors[0]),
            "ValidationException", "crlData", "CRL data")
    c.error(lambda: ra.list_profiles(nextToken="forged"), "ValidationException", "nextToken", "token")
    other = f"arn:aws:rolesanywhere:us-east-1:999999999999:profile/{uuid.uuid4()}"
    c.error(lambda: ra.tag_resource(resourceArn=other, tags=[{"key": "a", "value": "b"}]),
            "AccessDeniedException", what="another account's ARN")
    c.error(lambda: ra.get_profile(profileId=str(uuid.uuid4())), "ResourceNotFoundException", what="unknown id")
    if a.workload_access_key_id:
        workload = boto3.client(
            "rolesanywhere", endpoint_url=a.endpoint, region_name="us-east-1",
            aws_access_key_id=a.workload_access_key_id, aws_secret_access_key=a.workload_secret_access_key,
            aws_session_token=a.workload_session_token)
        c.error(lambda: workload.list_trust_anchors(), "AccessDeniedException", what="a workload role")


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("command", choices=["lifecycle"])
    p.add_argument("--endpoint", required=True)
    p.add_argument("--profile", required=True)
    p.add_argument("--anchor-pem", required=True)
    p.add_argument("--crl", required=True)
    p.add_argument("--role-arn", required=True)
    p.add_argument("--paged-profiles", type=int, default=120)
    p.add_argument("--workload-access-key-id")
    p.add_argument("--workload-secret-access-key")
    p.add_argument("--workload-session-token")
    a = p.parse_args(argv)
    checks = Checks()
    try:
        lifecycle(a, checks)
    except botocore.exceptions.ClientError as e:
        checks.failures.append(f"unexpected error: {e}")
    checks.phase("refusals")
    print(json.dumps({"ok": not checks.failures, "checks": checks.count, "failures": checks.failures,
                      "seconds": checks.timings}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
