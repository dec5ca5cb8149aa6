#!/usr/bin/env python3
"""sts_client.py — STS calls against Anchorage with botocore/boto3 and plain HTTP clients (end-to-end tests).

Subcommands (credentials: --access-key-id, --secret-access-key, --session-token; --region default us-east-1):
  boto3        --endpoint URL                 boto3 sts.get_caller_identity()
  presign      --endpoint URL [--expires N]   botocore generate_presigned_url, fetched with urllib (plain HTTP client)
  signed-call  --endpoint URL --action A [--accept-json]
                                              POST form signed with botocore's SigV4Auth, sent with http.client
  sign-forward --endpoint URL --audience V --out FILE
                                              a workload signs GetCallerIdentity with X-Vault-AWS-IAM-Server-ID: V
                                              and writes Vault's login payload (iam_http_request_method,
                                              iam_request_url, iam_request_body, iam_request_headers; base64)
  replay       --in FILE --ca-bundle FILE --expect-audience V [--tamper-audience]
                                              a relying service checks the audience header is present and signed,
                                              replays the request verbatim and reports Anchorage's answer
  seal-token   --keyring FILE --claims JSON   a session token sealed like Anchorage's (AES-256-GCM, keyring format)

Prints one JSON object: {"ok": true, "status": 200, "Arn": …, "body": …} or
{"ok": false, "status": 403, "code": "InvalidClientTokenId", "message": …}.
"""

import argparse
import base64
import http.client
import json
import os
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

NS = "{https://sts.amazonaws.com/doc/2011-06-15/}"


def credentials(a):
    import botocore.credentials

    return botocore.credentials.Credentials(a.access_key_id, a.secret_access_key, a.session_token)


def parse_body(status, body):
    out = {"ok": 200 <= status < 300, "status": status, "body": body}
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return out
    for name in ("Arn", "UserId", "Account", "Code", "Message", "RequestId", "TrustAnchorArn", "SerialNumber",
                 "Sha256Fingerprint", "RoleSessionName", "SourceIdentity", "AccessKeyId"):
        element = root.find(".//" + NS + name)
        if element is not None:
            out["code" if name == "Code" else ("message" if name == "Message" else name)] = element.text
    return out


def ssl_context(ca_bundle):
    return ssl.create_default_context(cafile=ca_bundle) if ca_bundle else None


def send(method, url, headers, body, ca_bundle):
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(parts.hostname, parts.port, context=ssl_context(ca_bundle), timeout=30)
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    target = (parts.path or "/") + ("?" + parts.query if parts.query else "")
    connection.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
    for name, value in headers:
        connection.putheader(name, value)
    data = body.encode() if isinstance(body, str) else (body or b"")
    if data or method == "POST":
        connection.putheader("Content-Length", str(len(data)))
    connection.endheaders(data)
    response = connection.getresponse()
    return response.status, response.read().decode()


def sign_post(a, action, extra_headers=()):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    body = "Action=%s&Version=2011-06-15" % action
    request = AWSRequest(method="POST", url=a.endpoint + "/", data=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    # An HTTP client sends Host from the URL; sign it explicitly so the headers are complete when forwarded.
    request.headers["Host"] = urllib.parse.urlsplit(a.endpoint).netloc
    for name, value in extra_headers:
        request.headers[name] = value
    SigV4Auth(credentials(a), "sts", a.region).add_auth(request)
    return request, body


def cmd_boto3(a):
    import boto3
    import botocore.exceptions

    client = boto3.client("sts", endpoint_url=a.endpoint, region_name=a.region, aws_access_key_id=a.access_key_id,
                          aws_secret_access_key=a.secret_access_key, aws_session_token=a.session_token,
                          verify=os.environ.get("AWS_CA_BUNDLE"))
    try:
        r = client.get_caller_identity()
        return {"ok": True, "status": r["ResponseMetadata"]["HTTPStatusCode"], "Arn": r["Arn"], "UserId": r["UserId"],
                "Account": r["Account"], "RequestId": r["ResponseMetadata"]["RequestId"]}
    except botocore.exceptions.ClientError as e:
        return {"ok": False, "status": e.response["ResponseMetadata"]["HTTPStatusCode"],
                "code": e.response["Error"]["Code"], "message": e.response["Error"]["Message"],
                "type": e.response["Error"].get("Type"), "RequestId": e.response["ResponseMetadata"].get("RequestId")}


def cmd_presign(a):
    import boto3

    client = boto3.client("sts", endpoint_url=a.endpoint, region_name=a.region, aws_access_key_id=a.access_key_id,
                          aws_secret_access_key=a.secret_access_key, aws_session_token=a.session_token)
    # botocore signs the operation's method (POST) unless told otherwise; a URL to fetch is signed for GET,
    # as EKS-style tokens are.
    url = client.generate_presigned_url("get_caller_identity", ExpiresIn=a.expires, HttpMethod="GET")
    try:
        with urllib.request.urlopen(url, context=ssl_context(a.ca_bundle), timeout=30) as response:
            out = parse_body(response.status, response.read().decode())
    except urllib.error.HTTPError as e:
        out = parse_body(e.code, e.read().decode())
    out["url"] = url
    return out


def cmd_signed_call(a):
    request, body = sign_post(a, a.action)
    headers = list(request.headers.items())
    if a.accept_json:
        headers.append(("Accept", "application/json"))  # not signed, like amz-sdk-* headers
    status, text = send("POST", request.url, headers, body, a.ca_bundle)
    out = parse_body(status, text)
    if a.accept_json:
        out["json"] = json.loads(text)
    return out


def cmd_sign_forward(a):
    request, body = sign_post(a, "GetCallerIdentity", [("X-Vault-AWS-IAM-Server-ID", a.audience)])
    headers = {}
    for name, value in request.headers.items():
        headers.setdefault(name, []).append(value)
    payload = {
        "iam_http_request_method": "POST",
        "iam_request_url": base64.b64encode(request.url.encode()).decode(),
        "iam_request_body": base64.b64encode(body.encode()).decode(),
        "iam_request_headers": base64.b64encode(json.dumps(headers).encode()).decode(),
    }
    with open(a.out, "w") as f:
        json.dump(payload, f)
    return {"ok": True, "signedHeaders": request.headers["Authorization"].split("SignedHeaders=")[1].split(",")[0]}


def cmd_replay(a):
    with open(a.input) as f:
        payload = json.load(f)
    url = base64.b64decode(payload["iam_request_url"]).decode()
    body = base64.b64decode(payload["iam_request_body"]).decode()
    headers = json.loads(base64.b64decode(payload["iam_request_headers"]))
    # What a relying service must check before forwarding: its own audience, and that it is signed.
    audience = headers.get("X-Vault-AWS-IAM-Server-ID", [None])[0]
    authorization = headers.get("Authorization", [""])[0]
    signed = authorization.split("SignedHeaders=")[1].split(",")[0].split(";") if "SignedHeaders=" in authorization else []
    if audience != a.expect_audience or "x-vault-aws-iam-server-id" not in signed:
        return {"ok": False, "status": 0, "code": "AudienceMismatch", "message": "audience %r, signed %r" % (audience, signed)}
    if a.tamper_audience:
        headers["X-Vault-AWS-IAM-Server-ID"] = [a.expect_audience + ".evil"]
    flat = [(name, value) for name, values in headers.items() for value in values]
    status, text = send(payload["iam_http_request_method"], url, flat, body, a.ca_bundle)
    return parse_body(status, text)


def cmd_seal_token(a):
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    with open(a.keyring) as f:
        key = json.load(f)["keys"][-1]
    key_id = key["id"].encode()
    header = bytes([1, len(key_id)]) + key_id
    nonce = os.urandom(12)
    sealed = AESGCM(base64.b64decode(key["secret"])).encrypt(nonce, a.claims.encode(), header)
    return {"ok": True, "token": base64.b64encode(header + nonce + sealed).decode()}


def main(argv=None):
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="command", required=True)

    def creds(s):
        s.add_argument("--endpoint", required=True)
        s.add_argument("--access-key-id", required=True)
        s.add_argument("--secret-access-key", required=True)
        s.add_argument("--session-token")
        s.add_argument("--region", default="us-east-1")
        s.add_argument("--ca-bundle", default=os.environ.get("AWS_CA_BUNDLE"))

    creds(sub.add_parser("boto3"))
    s = sub.add_parser("presign")
    creds(s)
    s.add_argument("--expires", type=int, default=900)
    s = sub.add_parser("signed-call")
    creds(s)
    s.add_argument("--action", default="GetCallerIdentity")
    s.add_argument("--accept-json", action="store_true")
    s = sub.add_parser("sign-forward")
    creds(s)
    s.add_argument("--audience", required=True)
    s.add_argument("--out", required=True)
    s = sub.add_parser("replay")
    s.add_argument("--in", dest="input", required=True)
    s.add_argument("--ca-bundle")
    s.add_argument("--expect-audience", required=True)
    s.add_argument("--tamper-audience", action="store_true")
    s = sub.add_parser("seal-token")
    s.add_argument("--keyring", required=True)
    s.add_argument("--claims", required=True)
    a = p.parse_args(argv)
    handler = {"boto3": cmd_boto3, "presign": cmd_presign, "signed-call": cmd_signed_call,
               "sign-forward": cmd_sign_forward, "replay": cmd_replay, "seal-token": cmd_seal_token}[a.command]
    print(json.dumps(handler(a)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
