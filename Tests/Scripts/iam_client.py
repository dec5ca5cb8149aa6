#!/usr/bin/env python3
"""iam_client.py — one IAM call against Anchorage with boto3 (end-to-end tests).

  iam_client.py --endpoint URL --access-key-id K --secret-access-key S --session-token T
                --operation create_role --params '{"RoleName": "x", ...}'

Prints one JSON object: {"ok": true, "RequestId": …, "response": {…}} or
{"ok": false, "status": 403, "code": "AccessDenied", "message": …, "RequestId": …}.
"""

import argparse
import json
import sys

import boto3
import botocore.config
import botocore.exceptions


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--endpoint", required=True)
    p.add_argument("--access-key-id", required=True)
    p.add_argument("--secret-access-key", required=True)
    p.add_argument("--session-token", required=True)
    p.add_argument("--operation", required=True)
    p.add_argument("--params", default="{}")
    a = p.parse_args()
    client = boto3.client(
        "iam", endpoint_url=a.endpoint, region_name="us-east-1", aws_access_key_id=a.access_key_id,
        aws_secret_access_key=a.secret_access_key, aws_session_token=a.session_token,
        config=botocore.config.Config(retries={"max_attempts": 1}))
    try:
        response = getattr(client, a.operation)(**json.loads(a.params))
        out = {"ok": True, "RequestId": response.get("ResponseMetadata", {}).get("RequestId"),
               "response": {k: v for k, v in response.items() if k != "ResponseMetadata"}}
    except botocore.exceptions.ClientError as e:
        out = {"ok": False, "status": e.response["ResponseMetadata"].get("HTTPStatusCode"),
               "code": e.response["Error"].get("Code"), "message": e.response["Error"].get("Message"),
               "RequestId": e.response["ResponseMetadata"].get("RequestId")}
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    sys.exit(main())
