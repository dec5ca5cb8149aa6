#!/usr/bin/env python3
"""mock_sessions_server.py — a tiny TLS echo server for checking the test clients without Anchorage.

NOT a reimplementation of the server and not used by the test suite. It accepts `POST /sessions`
(chunked or Content-Length, keep-alive), independently rebuilds the SigV4-X509 canonical request
from what arrived on the wire, verifies the signature with the certificate in X-Amz-X509, and answers
201 with a CreateSession-shaped body plus an `echo` member describing what it saw, or 403 with
{"message": "Invalid signature", "echo": ...} when the signature does not verify.

  mock_sessions_server.py --certificate server.pem --private-key server.key [--port 0]
prints `listening on https://127.0.0.1:PORT` like `anchorage serve`.
"""

import argparse
import base64
import hashlib
import json
import secrets
import ssl
import sys
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa


def enc(s):
    return quote(s, safe="-_.~")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out, chunks = b"", 0
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out, "chunked", chunks
                out += self.rfile.read(size)
                self.rfile.readline()
                chunks += 1
        n = int(self.headers.get("Content-Length", "0"))
        return self.rfile.read(n), "content-length", 0

    def do_POST(self):
        body, framing, chunks = self.read_body()
        url = urlsplit(self.path)
        echo = {"path": url.path, "query": url.query, "framing": framing, "chunks": chunks,
                "body": body.decode("utf-8", "replace"), "headers": {k.lower(): v for k, v in self.headers.items()}}
        try:
            auth = self.headers["Authorization"]
            alg, rest = auth.split(" ", 1)
            fields = dict(f.strip().split("=", 1) for f in rest.split(","))
            serial, sdate, region, service, term = fields["Credential"].split("/")
            signed = fields["SignedHeaders"].split(";")
            cq = "&".join(f"{k}={v}" for k, v in sorted((enc(k), enc(v)) for k, v in parse_qsl(url.query, keep_blank_values=True)))
            ch = "".join(f"{h}:{' '.join(','.join(self.headers.get_all(h)).split())}\n" for h in signed)
            creq = "\n".join(["POST", url.path, cq, ch, ";".join(signed), hashlib.sha256(body).hexdigest()])
            sts = "\n".join([alg, self.headers["X-Amz-Date"], f"{sdate}/{region}/{service}/{term}",
                             hashlib.sha256(creq.encode()).hexdigest()])
            cert = x509.load_der_x509_certificate(base64.b64decode(self.headers["X-Amz-X509"], validate=True))
            sig = bytes.fromhex(fields["Signature"])
            pub = cert.public_key()
            if isinstance(pub, rsa.RSAPublicKey):
                pub.verify(sig, sts.encode(), padding.PKCS1v15(), hashes.SHA256())
            else:
                pub.verify(sig, sts.encode(), ec.ECDSA(hashes.SHA256()))
            echo.update(canonicalRequest=creq, stringToSign=sts, serialMatches=(serial == str(cert.serial_number)))
            ok = True
        except (InvalidSignature, KeyError, ValueError) as e:
            echo["error"] = f"{type(e).__name__}: {e}"
            ok = False
        rid = str(uuid.uuid4())
        if ok:
            session = "%x" % cert.serial_number
            doc = {"credentialSet": [{
                "assumedRoleUser": {"arn": f"arn:aws:sts::123456789012:assumed-role/mock/{session}",
                                    "assumedRoleId": f"AROAMOCKMOCKMOCKMOCK:{session}"},
                "credentials": {"accessKeyId": "ASIA" + "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16)),
                                "expiration": "2099-01-01T00:00:00Z",
                                "secretAccessKey": secrets.token_urlsafe(30)[:40],
                                "sessionToken": secrets.token_urlsafe(64)},
                "packedPolicySize": 0, "roleArn": "arn:aws:iam::123456789012:role/mock", "sourceIdentity": "CN=mock"}],
                "subjectArn": f"arn:aws:rolesanywhere:us-east-1:123456789012:subject/{uuid.uuid4()}", "echo": echo}
            status = 201
        else:
            doc = {"message": "Invalid signature", "echo": echo}
            status = 403
        out = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("x-amzn-RequestId", rid)
        if status != 201:
            self.send_header("X-Amzn-ErrorType", "AccessDeniedException:http://internal.amazon.com/coral/com.amazon.coral.service/")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--certificate", required=True)
    p.add_argument("--private-key", required=True)
    p.add_argument("--port", type=int, default=0)
    a = p.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.certificate, a.private_key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print(f"listening on https://127.0.0.1:{srv.server_address[1]}", flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
