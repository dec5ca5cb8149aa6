#!/usr/bin/env python3
"""ra_session_client.py — obtain credentials with the published Python client `iam-rolesanywhere-session`.

  ra_session_client.py --endpoint 127.0.0.1:PORT --ca-bundle ca.pem --certificate leaf.pem
      --private-key leaf.key [--certificate-chain chain.pem] --profile-arn … --role-arn …
      --trust-anchor-arn … [--session-duration 3600] [--role-session-name NAME] [--region us-east-1]

Prints one JSON object:
  {"ok": true, "accessKeyId": …, "secretAccessKey": …, "sessionToken": …, "expiration": …}
  {"ok": false, "status": 403, "message": "…", "error": "CredentialsRetrievalError"}
(The test credentials are printed so the tests can check the audit log never contains them.)
Exit status 0 in both cases; 2 on a usage or unexpected error.
"""

import argparse
import json
import sys

from iam_rolesanywhere_session import IAMRolesAnywhereSession
from iam_rolesanywhere_session.exceptions import CredentialsRetrievalError


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--endpoint", required=True)
    p.add_argument("--ca-bundle", required=True)
    p.add_argument("--certificate", required=True)
    p.add_argument("--private-key", required=True)
    p.add_argument("--certificate-chain")
    p.add_argument("--profile-arn", required=True)
    p.add_argument("--role-arn", required=True)
    p.add_argument("--trust-anchor-arn", required=True)
    p.add_argument("--session-duration", type=int, default=3600)
    p.add_argument("--role-session-name")
    p.add_argument("--region", default="us-east-1")
    a = p.parse_args(argv)

    session = IAMRolesAnywhereSession(
        profile_arn=a.profile_arn,
        role_arn=a.role_arn,
        trust_anchor_arn=a.trust_anchor_arn,
        certificate=a.certificate,
        private_key=a.private_key,
        certificate_chain=a.certificate_chain,
        region=a.region,
        endpoint=a.endpoint,
        verify=a.ca_bundle,
        session_duration=a.session_duration,
        role_session_name=a.role_session_name,
    )
    try:
        creds = session.get_refreshable_credentials()
        frozen = creds.get_frozen_credentials()  # performs CreateSession
        expiry = getattr(creds, "_expiry_time", None)
        out = {
            "ok": True,
            "accessKeyId": frozen.access_key,
            "secretAccessKey": frozen.secret_key,
            "sessionToken": frozen.token,
            "expiration": expiry.strftime("%Y-%m-%dT%H:%M:%SZ") if expiry is not None else None,
        }
    except CredentialsRetrievalError as e:
        out = {"ok": False, "status": e.status_code, "message": e.message, "error": type(e).__name__}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
