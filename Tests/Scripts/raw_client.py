#!/usr/bin/env python3
"""raw_client.py — a hand-written IAM Roles Anywhere CreateSession client for Anchorage's tests.

It is shaped like the official Go credential helper (aws_signing_helper): the three ARNs travel in the
query string, the body is `{"durationSeconds":3600}` sent with `Transfer-Encoding: chunked`, and the
SDK headers `amz-sdk-invocation-id` / `amz-sdk-request` are signed as well. Signing follows
roles-anywhere-protocol.md §1.5 exactly (ECDSA: SHA-256 + DER for every curve; RSA: PKCS#1 v1.5
SHA-256; the credential is the certificate serial in decimal).

Every part can be bent for negative tests (see --help). The result is printed as one JSON object:
  {"status": 201, "headers": {"x-amzn-requestid": ...}, "body": "...", "json": {...} | null,
   "requestId": ..., "errorType": ..., "canonicalRequest": ..., "stringToSign": ..., "sent": {...}}
Exit status 0 whenever an HTTP response was received (whatever its status), 2 otherwise.

The module is importable: loadtest.py reuses `Signer` and `build_request`.
"""

import argparse
import base64
import datetime as _dt
import hashlib
import http.client
import json
import os
import socket
import ssl
import sys
import uuid
from urllib.parse import quote

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

SERVICE = "rolesanywhere"
DEFAULT_BODY_DURATION = 3600


def uri_encode(s: str) -> str:
    """SigV4 URI encoding: RFC 3986 unreserved characters stay, everything else is %XX uppercase."""
    return quote(s, safe="-_.~")


def trimall(value: str) -> str:
    return " ".join(value.strip().split())


def load_certs(path: str):
    with open(path, "rb") as f:
        return x509.load_pem_x509_certificates(f.read())


def der_b64(cert) -> str:
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode("ascii")


class Signer:
    """Holds a leaf certificate and its key; signs a string-to-sign per §1.5."""

    def __init__(self, cert_path: str, key_path: str):
        self.cert = load_certs(cert_path)[0]
        with open(key_path, "rb") as f:
            self.key = serialization.load_pem_private_key(f.read(), password=None)
        if isinstance(self.key, rsa.RSAPrivateKey):
            self.algorithm = "AWS4-X509-RSA-SHA256"
        elif isinstance(self.key, ec.EllipticCurvePrivateKey):
            self.algorithm = "AWS4-X509-ECDSA-SHA256"
        else:
            raise SystemExit("unsupported key type")
        self.serial = self.cert.serial_number
        self.x509_header = der_b64(self.cert)

    def sign(self, data: bytes) -> str:
        if isinstance(self.key, rsa.RSAPrivateKey):
            return self.key.sign(data, padding.PKCS1v15(), hashes.SHA256()).hex()
        return self.key.sign(data, ec.ECDSA(hashes.SHA256())).hex()


def build_request(
    signer: Signer,
    host: str,
    profile_arn: str,
    role_arn: str,
    trust_anchor_arn: str,
    *,
    now: "_dt.datetime | None" = None,
    date_skew_seconds: int = 0,
    region: str = "us-east-1",
    scope_date: "str | None" = None,
    algorithm: "str | None" = None,
    serial: "str | None" = None,
    duration: "int | None" = DEFAULT_BODY_DURATION,
    role_session_name: "str | None" = None,
    raw_body: "bytes | None" = None,
    body_arns: bool = False,
    send_body: "bytes | None" = None,
    chain: "list | None" = None,
    x509_header: "str | None" = None,
    chain_header: "str | None" = None,
    omit_signed_headers: "tuple[str, ...]" = (),
    sdk_headers: bool = True,
    content_type: str = "application/json",
    chunked: bool = True,
    extra_headers: "dict[str, str] | None" = None,
    extra_query: "dict[str, str] | None" = None,
):
    """Return (request_bytes, info). `info` holds the canonical request, string to sign, headers, body."""
    now = now or _dt.datetime.now(_dt.timezone.utc)
    when = now + _dt.timedelta(seconds=date_skew_seconds)
    amz_date = when.strftime("%Y%m%dT%H%M%SZ")
    sdate = scope_date or amz_date[:8]
    alg = algorithm or signer.algorithm

    # --- body and query ---
    query = {}
    if raw_body is not None:
        body = raw_body
        if not body_arns:
            query = {"profileArn": profile_arn, "roleArn": role_arn, "trustAnchorArn": trust_anchor_arn}
    else:
        doc = {}
        if duration is not None:
            doc["durationSeconds"] = duration
        if body_arns:
            doc.update({"profileArn": profile_arn, "roleArn": role_arn, "trustAnchorArn": trust_anchor_arn})
        else:
            query = {"profileArn": profile_arn, "roleArn": role_arn, "trustAnchorArn": trust_anchor_arn}
        if role_session_name is not None:
            doc["roleSessionName"] = role_session_name
        body = json.dumps(doc, separators=(",", ":")).encode()
    query.update(extra_query or {})
    canonical_query = "&".join(
        f"{k}={v}" for k, v in sorted((uri_encode(k), uri_encode(v)) for k, v in query.items())
    )
    path = "/sessions" + (("?" + canonical_query) if canonical_query else "")

    # --- headers (name as sent, value) ---
    headers = [
        ("Host", host),
        ("Content-Type", content_type),
        ("X-Amz-Date", amz_date),
        ("X-Amz-X509", x509_header if x509_header is not None else signer.x509_header),
    ]
    if chain_header is not None:
        headers.append(("X-Amz-X509-Chain", chain_header))
    elif chain:
        headers.append(("X-Amz-X509-Chain", ",".join(der_b64(c) for c in chain)))
    if sdk_headers:
        headers.append(("amz-sdk-invocation-id", str(uuid.uuid4())))
        headers.append(("amz-sdk-request", "attempt=1"))
    for k, v in (extra_headers or {}).items():
        headers.append((k, v))

    omit = {h.lower() for h in omit_signed_headers}
    signed = sorted((k.lower(), trimall(v)) for k, v in headers if k.lower() not in omit)
    canonical_headers = "".join(f"{k}:{v}\n" for k, v in signed)
    signed_headers = ";".join(k for k, _ in signed)
    canonical_request = "\n".join(
        ["POST", "/sessions", canonical_query, canonical_headers, signed_headers, hashlib.sha256(body).hexdigest()]
    )
    scope = f"{sdate}/{region}/{SERVICE}/aws4_request"
    string_to_sign = "\n".join([alg, amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()])
    signature = signer.sign(string_to_sign.encode())
    cred_serial = serial if serial is not None else str(signer.serial)
    authorization = f"{alg} Credential={cred_serial}/{scope}, SignedHeaders={signed_headers}, Signature={signature}"

    wire_body = send_body if send_body is not None else body
    lines = [f"POST {path} HTTP/1.1"]
    lines += [f"{k}: {v}" for k, v in headers]
    lines.append(f"Authorization: {authorization}")
    lines.append("User-Agent: CredHelper/1.8.0 (anchorage-tests raw_client.py)")
    if chunked:
        lines.append("Transfer-Encoding: chunked")
        half = len(wire_body) // 2
        parts = [p for p in (wire_body[:half], wire_body[half:]) if p]
        payload = b"".join(b"%x\r\n" % len(p) + p + b"\r\n" for p in parts) + b"0\r\n\r\n"
    else:
        lines.append(f"Content-Length: {len(wire_body)}")
        payload = wire_body
    request = ("\r\n".join(lines) + "\r\n\r\n").encode() + payload
    info = {
        "path": path,
        "amzDate": amz_date,
        "algorithm": alg,
        "serial": cred_serial,
        "signedHeaders": signed_headers,
        "authorization": authorization,
        "canonicalRequest": canonical_request,
        "stringToSign": string_to_sign,
        "signedBody": body.decode("utf-8", "replace"),
        "sentBody": wire_body.decode("utf-8", "replace"),
    }
    return request, info


def tls_context(ca_bundle: "str | None") -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=ca_bundle) if ca_bundle else ssl.create_default_context()
    return ctx


def connect(endpoint: str, ctx: "ssl.SSLContext | None", timeout: float = 15.0):
    host, _, port = endpoint.rpartition(":")
    sock = socket.create_connection((host, int(port)), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if ctx is not None:
        sock = ctx.wrap_socket(sock, server_hostname=host)
    return sock


def exchange(sock, request: bytes):
    """Send one request; return (status, headers as a lowercase dict, body bytes)."""
    sock.sendall(request)
    resp = http.client.HTTPResponse(sock, method="POST")
    resp.begin()
    body = resp.read()
    headers = {}
    for k, v in resp.getheaders():
        headers[k.lower()] = v if k.lower() not in headers else headers[k.lower()] + ", " + v
    return resp.status, headers, body


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--endpoint", required=True, help="HOST:PORT, also the signed Host header unless --host")
    p.add_argument("--host", help="the Host header to sign and send instead of --endpoint")
    p.add_argument("--ca-bundle", help="CA bundle to verify the server (default: $AWS_CA_BUNDLE)")
    p.add_argument("--insecure-http", action="store_true", help="plain HTTP instead of TLS")
    p.add_argument("--certificate", required=True)
    p.add_argument("--private-key", required=True)
    p.add_argument("--chain", action="append", default=[], help="PEM file(s) for X-Amz-X509-Chain (repeatable)")
    p.add_argument("--chain-count", type=int, help="repeat the --chain certificates to this many entries")
    p.add_argument("--profile-arn", required=True)
    p.add_argument("--role-arn", required=True)
    p.add_argument("--trust-anchor-arn", required=True)
    p.add_argument("--duration", type=int, default=DEFAULT_BODY_DURATION, help="durationSeconds (-1 omits it)")
    p.add_argument("--role-session-name")
    p.add_argument("--body", help="raw body to sign and send instead of the JSON document")
    p.add_argument("--body-arns", action="store_true", help="ARNs in the JSON body (Python-client style), not the query")
    p.add_argument("--alter-body", action="store_true", help="sign the body but send {\"durationSeconds\":1800}")
    p.add_argument("--serial", help="credential serial to claim instead of the certificate's")
    p.add_argument("--date-skew-seconds", type=int, default=0)
    p.add_argument("--scope-date", help="YYYYMMDD for the credential scope (default: date of X-Amz-Date)")
    p.add_argument("--region", default="us-east-1", help="credential scope region")
    p.add_argument("--algorithm", help="algorithm string to claim, e.g. AWS4-X509-MLDSA")
    p.add_argument("--x509-header", help="raw X-Amz-X509 value to send (still signed)")
    p.add_argument("--chain-header", help="raw X-Amz-X509-Chain value to send (still signed)")
    p.add_argument("--omit-signed-header", action="append", default=[], help="send but do not sign this header")
    p.add_argument("--no-sdk-headers", action="store_true", help="do not send amz-sdk-invocation-id/amz-sdk-request")
    p.add_argument("--content-type", default="application/json")
    p.add_argument("--content-length", action="store_true", help="Content-Length framing instead of chunked")
    p.add_argument(
        "--extra-header", action="append", default=[],
        help="NAME:VALUE sent and signed; NAME:@N sends N bytes of 'a' as the value (repeatable)")
    p.add_argument(
        "--repeat", type=int, default=1,
        help="send N freshly signed requests on ONE connection (keep-alive); the output is the last "
             "response plus \"responses\": [{status, requestId, errorType}] for all of them")
    p.add_argument(
        "--replay", action="store_true",
        help="with --repeat N: sign once and send the exact same bytes N times (a replay), not N fresh signatures")
    a = p.parse_args(argv)
    extra_headers = {}
    for item in a.extra_header:
        name, _, value = item.partition(":")
        if value.startswith("@"):
            value = "a" * int(value[1:])
        extra_headers[name.strip()] = value

    signer = Signer(a.certificate, a.private_key)
    chain = []
    for f in a.chain:
        chain += load_certs(f)
    if a.chain_count is not None:
        if not chain:
            raise SystemExit("--chain-count needs --chain")
        chain = [chain[i % len(chain)] for i in range(a.chain_count)]

    def make_request():
        return build_request(
            signer,
            a.host or a.endpoint,
            a.profile_arn,
            a.role_arn,
            a.trust_anchor_arn,
            date_skew_seconds=a.date_skew_seconds,
            region=a.region,
            scope_date=a.scope_date,
            algorithm=a.algorithm,
            serial=a.serial,
            duration=None if a.duration == -1 else a.duration,
            role_session_name=a.role_session_name,
            raw_body=a.body.encode() if a.body is not None else None,
            body_arns=a.body_arns,
            send_body=b'{"durationSeconds":1800}' if a.alter_body else None,
            chain=chain,
            x509_header=a.x509_header,
            chain_header=a.chain_header,
            omit_signed_headers=tuple(a.omit_signed_header),
            sdk_headers=not a.no_sdk_headers,
            content_type=a.content_type,
            chunked=not a.content_length,
            extra_headers=extra_headers,
        )

    responses = []
    info = None
    try:
        ctx = None if a.insecure_http else tls_context(a.ca_bundle or os.environ.get("AWS_CA_BUNDLE"))
        sock = connect(a.endpoint, ctx)
        try:
            for index in range(max(a.repeat, 1)):
                # Each request is signed afresh (new amz-sdk-invocation-id), as a real client would —
                # unless --replay asks for the same bytes again.
                if not (a.replay and index > 0):
                    request, info = make_request()
                status, headers, body = exchange(sock, request)
                responses.append(
                    {
                        "status": status,
                        "requestId": headers.get("x-amzn-requestid"),
                        "errorType": headers.get("x-amzn-errortype"),
                        "connection": headers.get("connection"),
                    }
                )
        finally:
            sock.close()
    except Exception as e:  # noqa: BLE001 — report any transport failure as JSON
        print(json.dumps({"ok": False, "transportError": f"{type(e).__name__}: {e}", "sent": info,
                          "responses": responses}))
        return 2
    text = body.decode("utf-8", "replace")
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    out = {
        "status": status,
        "headers": headers,
        "body": text,
        "json": parsed,
        "requestId": headers.get("x-amzn-requestid"),
        "errorType": headers.get("x-amzn-errortype"),
        "sent": info,
    }
    if a.repeat > 1:
        out["responses"] = responses
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
