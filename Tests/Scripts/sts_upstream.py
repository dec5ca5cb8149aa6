#!/usr/bin/env python3
"""sts_upstream.py — an upstream STS for the brokered-role tests: moto's server behind a recording proxy.

  sts_upstream.py --record FILE --keys FILE [--tls-certificate PEM --tls-private-key PEM]

Starts moto (`moto.server.ThreadedMotoServer`) and a recording HTTP proxy in front of it, both on 127.0.0.1 with
ephemeral ports, and prints one JSON line: {"moto": PORT, "recorder": PORT, "recorderTLS": PORT|null}. With
--tls-certificate, the same recorder also listens with TLS (that certificate and key) on "recorderTLS". Then
serves until the process is terminated.

For every request the recorder appends one JSON line to --record:
  {"path", "headers": {lowercase name: value}, "params": {form parameter: value}, "accessKeyId",
   "signatureValid": bool, "signatureProblem": str|null, "answered": "moto"|"refused"|"throttled"|"silent"}
The signature is recomputed independently with botocore's SigV4Auth, over exactly the headers the request lists
in SignedHeaders, with the secret that --keys (a JSON object AccessKeyId -> SecretAccessKey, re-read per request)
holds for the request's key id; the date is the request's X-Amz-Date, the scope's region and service are checked.

Role names steer the answer (the RoleArn's last path segment):
  upstream-refused    403 AccessDenied in STS's XML error shape (the recorder answers; moto never sees it)
  upstream-throttled  400 Throttling
  upstream-silent     no answer for 30 s (a hung upstream)
  anything else       forwarded to moto, whose answer is relayed.
"""

import argparse
import hmac
import http.client
import json
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from moto.server import ThreadedMotoServer

ERROR_XML = (
    '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
    "<Code>{code}</Code><Message>{message}</Message></Error><RequestId>{rid}</RequestId></ErrorResponse>"
)


def verify(method, path, headers, body, keys):
    """(accessKeyId, valid, problem) for the request's SigV4 Authorization header."""
    auth = headers.get("authorization", "")
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        return None, False, "not AWS4-HMAC-SHA256"
    parts = dict(p.strip().split("=", 1) for p in auth[len("AWS4-HMAC-SHA256 "):].split(","))
    akid, date, region, service, terminator = parts["Credential"].split("/")
    signed = parts["SignedHeaders"].split(";")
    if service != "sts" or terminator != "aws4_request":
        return akid, False, f"scope {parts['Credential']}"
    secret = keys.get(akid)
    if secret is None:
        return akid, False, "unknown access key id"
    amz_date = headers.get("x-amz-date", "")
    if not amz_date.startswith(date):
        return akid, False, "scope date differs from X-Amz-Date"
    request = AWSRequest(
        method=method, url=f"http://{headers['host']}{path}", data=body, headers={h: headers[h] for h in signed}
    )
    request.context["timestamp"] = amz_date
    signer = SigV4Auth(Credentials(akid, secret, headers.get("x-amz-security-token")), "sts", region)
    if sorted(signer.headers_to_sign(request).keys()) != sorted(signed):
        return akid, False, "botocore would sign other headers"
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    return akid, hmac.compare_digest(expected, parts["Signature"]), None


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--record", required=True)
    p.add_argument("--keys", required=True)
    p.add_argument("--tls-certificate")
    p.add_argument("--tls-private-key")
    a = p.parse_args()

    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    moto_port = moto.get_host_and_port()[1]
    lock = threading.Lock()

    class Recorder(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            with open(a.keys) as f:
                keys = json.load(f)
            akid, valid, problem = verify("POST", self.path, headers, body, keys)
            params = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
            role = params.get("RoleArn", "").rsplit("/", 1)[-1]
            answered = {"upstream-refused": "refused", "upstream-throttled": "throttled"}.get(role, "moto")
            if role == "upstream-silent":
                answered = "silent"
            record = {
                "path": self.path, "headers": headers, "params": params, "accessKeyId": akid,
                "signatureValid": valid, "signatureProblem": problem, "answered": answered,
            }
            with lock, open(a.record, "a") as f:
                f.write(json.dumps(record) + "\n")
            if answered == "silent":
                time.sleep(30)
                return
            if answered in ("refused", "throttled"):
                code, status = ("AccessDenied", 403) if answered == "refused" else ("Throttling", 400)
                text = ERROR_XML.format(
                    code=code, message=f"upstream secret detail for {role}", rid=f"rid-{answered}"
                ).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)
                return
            upstream = http.client.HTTPConnection("127.0.0.1", moto_port, timeout=20)
            forwarded = {k: v for k, v in self.headers.items() if k.lower() not in ("connection",)}
            upstream.request("POST", self.path, body=body, headers=forwarded)
            response = upstream.getresponse()
            data = response.read()
            self.send_response(response.status)
            self.send_header("Content-Type", response.getheader("Content-Type", "text/xml"))
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    tls_port = None
    if a.tls_certificate:
        tls_server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
        tls_server.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(a.tls_certificate, a.tls_private_key)
        tls_server.socket = context.wrap_socket(tls_server.socket, server_side=True)
        threading.Thread(target=tls_server.serve_forever, daemon=True).start()
        tls_port = tls_server.server_address[1]
    print(json.dumps({"moto": moto_port, "recorder": server.server_address[1], "recorderTLS": tls_port}), flush=True)
    try:
        while sys.stdin.read(1):
            pass
        while True:  # stdin is /dev/null under the test runner: serve until terminated
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
