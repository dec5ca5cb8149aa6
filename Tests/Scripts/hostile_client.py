#!/usr/bin/env python3
"""hostile_client.py — malformed, hostile and exhausting traffic for Anchorage's end-to-end tests.

Every subcommand prints exactly one JSON object on stdout and exits 0 when it ran to the end (whatever the
server answered), 2 when it could not run at all.

  table      --endpoint H:P (--ca-bundle F | --insecure-http) --pki DIR --table FILE [--only NAME]...
      Runs every case of the table (Tests/Scripts/hostile_requests.json) against one server, one case at a
      time, each on a fresh connection, and reports what was observed — the test asserts the expectations:
        {"credentials": {...the control session...},
         "cases": {NAME: {"status", "headers", "body", "connection", "healthyAfter", "elapsed", "error"}}}
      "connection" after the response: "closed" (the server closed it within 3 s), "usable" (a follow-up
      GET /healthz on it got 200), "open-unusable", or "no-response".
      "healthyAfter": a GET /healthz on a new connection got 200 right after the case.

  slowloris  --endpoint H:P --ca-bundle F --pki DIR [--connections 1000] [--tls-fraction 0.5]
             [--interval 10] [--observe 14]
      Opens N connections from this one process (a fraction completes the TLS handshake and trickles an HTTP
      request one byte per interval; the rest trickle a TLS ClientHello one byte per interval), then keeps a
      well-behaved client fetching credentials about every 0.7 s while they are open and reports each
      latency, and finally how many slow connections the server had closed (and with what) by the end.

  limit      --endpoint H:P --ca-bundle F --pki DIR --limit N
      Against a server started with --max-connections N: holds N idle connections, shows that one more is
      closed at once, releases a few and shows that a well-behaved client is served again.

Case format (JSON, see the table): "raw" (text, each character one byte; "{host}" is replaced), "generate"
(large shapes built here), "signed" (a CreateSession signed like AWS's Go helper, then bent) or "sts"
(a GetCallerIdentity signed with the control session's credentials, then bent). "signed" and "sts" take
"host" (the Host to sign and send; "{port}" is the server's port); "signed" takes "extraQuery" ([[name, value]]
added to the signed query string).
"""

import argparse
import base64
import datetime as _dt
import hashlib
import hmac
import json
import os
import select
import socket
import ssl
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import raw_client  # noqa: E402  (Signer, build_request)

WEB_PROFILE = "arn:aws:rolesanywhere:us-east-1:123456789012:profile/8f0e2a3b-1c4d-4e5f-8a9b-0c1d2e3f4a5b"
WEB_READER = "arn:aws:iam::123456789012:role/web-reader"
RSA_ANCHOR = "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/4a1c52e0-7d6b-4b7e-9a55-0e6f4c3b9d21"
EC_ANCHOR = "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/5b2d63f1-8e7c-4c8f-8b66-1f7a5d4cae32"


# ----------------------------------------------------------------------------------------------- transport

class Target:
    def __init__(self, endpoint, ca_bundle, insecure_http):
        self.endpoint = endpoint
        self.host, _, port = endpoint.rpartition(":")
        self.port = int(port)
        self.ctx = None
        if not insecure_http:
            self.ctx = ssl.create_default_context(cafile=ca_bundle) if ca_bundle else ssl.create_default_context()

    def connect(self, timeout=8.0):
        sock = socket.create_connection((self.host, self.port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.ctx is not None:
            sock = self.ctx.wrap_socket(sock, server_hostname=self.host)
        return sock


def send_all(sock, data):
    """Sends everything it can; a server that stops reading (and closes) after an error is not a failure."""
    try:
        sock.sendall(data)
        return None
    except (OSError, ssl.SSLError) as e:
        return f"{type(e).__name__}: {e}"


def read_response(sock, deadline):
    """Reads one final (non-1xx) response; returns (status, headers lowercased, body bytes) or raises."""
    buffer = b""
    while True:
        while b"\r\n\r\n" not in buffer:
            chunk = recv_until(sock, deadline)
            if not chunk:
                raise EOFError("connection closed before a complete response" if not buffer else
                               "connection closed inside the response head")
            buffer += chunk
        head, _, buffer = buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            headers[name] = value.strip() if name not in headers else headers[name] + ", " + value.strip()
        if 100 <= status < 200:
            continue
        length = int(headers.get("content-length", "0"))
        while len(buffer) < length:
            chunk = recv_until(sock, deadline)
            if not chunk:
                raise EOFError("connection closed inside the body")
            buffer += chunk
        return status, headers, buffer[:length]


def recv_until(sock, deadline):
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError("no complete response in time")
    sock.settimeout(remaining)
    try:
        return sock.recv(65536)
    except (ConnectionResetError, BrokenPipeError):
        return b""
    except ssl.SSLError as e:
        if "EOF" in str(e) or "eof" in str(e):
            return b""
        raise


def connection_state(sock, target, closes):
    """What the connection is good for after a response: closed, usable (keep-alive), or open but unusable."""
    if closes:
        deadline = time.monotonic() + 3
        try:
            while True:
                data = recv_until(sock, deadline)
                if not data:
                    return "closed"
                # Anything after the response on a connection that said close is a protocol error.
                return "open-unusable"
        except (TimeoutError, socket.timeout):
            return "open-unusable"
        except OSError:
            return "closed"
    if send_all(sock, f"GET /healthz HTTP/1.1\r\nHost: {target.endpoint}\r\n\r\n".encode()) is not None:
        return "closed"
    try:
        status, _, _ = read_response(sock, time.monotonic() + 5)
        return "usable" if status == 200 else "open-unusable"
    except EOFError:
        return "closed"
    except (TimeoutError, socket.timeout, OSError):
        return "open-unusable"


def healthy(target):
    try:
        sock = target.connect(timeout=5)
        try:
            sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: {target.endpoint}\r\nConnection: close\r\n\r\n".encode())
            status, _, body = read_response(sock, time.monotonic() + 5)
            return status == 200 and body.strip() == b"ok"
        finally:
            sock.close()
    except Exception:  # noqa: BLE001
        return False


# ----------------------------------------------------------------------------------------------- building

class Builder:
    """Turns a table case into the bytes to send (plus how to send them)."""

    def __init__(self, target, pki):
        self.target = target
        self.pki = pki
        self.signers = {}
        self.credentials = None

    def signer(self, leaf):
        if leaf not in self.signers:
            self.signers[leaf] = raw_client.Signer(
                os.path.join(self.pki, "certs", leaf + ".pem"), os.path.join(self.pki, "keys", leaf + ".key"))
        return self.signers[leaf]

    def build(self, case):
        if "raw" in case:
            return case["raw"].replace("{host}", self.target.endpoint).encode("latin-1")
        if "generate" in case:
            return self.generate(case["generate"])
        if "signed" in case:
            return self.signed(case["signed"])
        if "sts" in case:
            return self.sts(case["sts"])
        raise ValueError("case has no request")

    # -- generated shapes
    def generate(self, g):
        host = self.target.endpoint
        kind = g["kind"]
        n = g.get("count", 0)
        if kind == "longTarget":
            return f"GET /healthz?{'a' * n} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
        if kind == "manyHeaders":
            fields = "".join(f"X-H{i}: v\r\n" for i in range(n))
            return f"GET /healthz HTTP/1.1\r\nHost: {host}\r\n{fields}\r\n".encode()
        if kind == "bigHeader":
            return f"GET /healthz HTTP/1.1\r\nHost: {host}\r\nX-Big: {'b' * n}\r\n\r\n".encode()
        if kind == "bigBodyDeclared":
            return (f"POST /sessions HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {n}\r\n\r\n").encode()
        if kind == "bigBodyChunked":
            block = b"x" * 65536
            out = [f"POST {g.get('path', '/sessions')} HTTP/1.1\r\nHost: {host}\r\n"
                   f"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".encode()]
            sent = 0
            while sent < n:
                k = min(n - sent, len(block))
                out.append(b"%x\r\n" % k + block[:k] + b"\r\n")
                sent += k
            out.append(b"0\r\n\r\n")
            return b"".join(out)
        raise ValueError(f"unknown generator {kind}")

    # -- CreateSession, signed like the Go helper, then bent
    def signed(self, s):
        leaf = s.get("leaf", "leaf-ec-p256")
        signer = self.signer(leaf)
        kwargs = {}
        if "algorithm" in s:
            kwargs["algorithm"] = s["algorithm"]
        if "serial" in s:
            kwargs["serial"] = s["serial"]
        if "body" in s:
            kwargs["raw_body"] = s["body"].replace('"RSA"', json.dumps(RSA_ANCHOR)).encode("latin-1")
            kwargs["body_arns"] = s.get("bodyArns", False)
        elif s.get("bodyArns"):
            kwargs["body_arns"] = True
        if "nestedBody" in s:
            depth = s["nestedBody"]
            kwargs["raw_body"] = b'{"durationSeconds":' + b"[" * depth + b"1" + b"]" * depth + b"}"
        if "x509" in s:
            kwargs["x509_header"] = self.certificate_header(s["x509"], signer)
        if "chain" in s:
            kwargs["chain_header"] = ",".join(self.certificate_header(c, signer) for c in s["chain"])
        if "extraHeaders" in s:
            kwargs["extra_headers"] = {k: v for k, v in s["extraHeaders"]}
        if "contentType" in s:
            kwargs["content_type"] = s["contentType"]
        if "skewSeconds" in s:
            kwargs["date_skew_seconds"] = s["skewSeconds"]
        if "extraQuery" in s:
            kwargs["extra_query"] = dict(s["extraQuery"])
        profile = s.get("profileArn", WEB_PROFILE)
        role = s.get("roleArn", WEB_READER)
        anchor = s.get("trustAnchorArn", RSA_ANCHOR)
        anchor = {"EC": EC_ANCHOR, "RSA": RSA_ANCHOR}.get(anchor, anchor)
        request, info = raw_client.build_request(
            signer, self.host(s), profile, role, anchor, chunked=False, **kwargs)
        head, _, body = request.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        if "rawQuery" in s:
            # Replace the query after signing (the canonical query then differs, or the parser refuses it).
            lines[0] = f"POST /sessions?{s['rawQuery']} HTTP/1.1"
        auth_index = next(i for i, line in enumerate(lines) if line.startswith("Authorization: "))
        authorization = lines[auth_index][len("Authorization: "):]
        if "authorization" in s:
            lines[auth_index] = "Authorization: " + self.bend_authorization(authorization, s["authorization"], info)
        for name, value in s.get("appendHeaders", []):
            lines.append(f"{name}: {self.expand(value, signer, info)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body

    def host(self, s):
        """The Host to sign: the endpoint, or the case's "host" ("{port}" replaced by the server's)."""
        return s.get("host", self.target.endpoint).replace("{port}", str(self.target.port))

    def expand(self, value, signer, info):
        if value == "{authorization}":
            return info["authorization"]
        if value.startswith("{x509:") and value.endswith("}"):
            return self.certificate_header(value[6:-1], signer)
        return value.replace("{amzDate}", info["amzDate"])

    @staticmethod
    def bend_authorization(authorization, template, info):
        alg, _, rest = authorization.partition(" ")
        fields = dict(part.strip().split("=", 1) for part in rest.split(","))
        sig = fields["Signature"]
        values = {
            "alg": alg, "cred": fields["Credential"], "sh": fields["SignedHeaders"], "sig": sig,
            "sigHalf": sig[: len(sig) // 2], "sigOdd": sig[:-1], "sigUpper": sig.upper(),
            "sigNonHex": "zz" + sig[2:], "sigHuge": sig * 40,
        }
        return template.format(**values)

    def certificate_header(self, spec, signer):
        """base64 for X-Amz-X509 / -Chain entries: a certificate name or a bent shape."""
        if spec == "leaf":
            return signer.x509_header
        if spec == "invalid-base64":
            return "!!!!" + signer.x509_header[4:]
        if spec == "unpadded-base64":
            return signer.x509_header.rstrip("=") + ("A" if signer.x509_header.endswith("=") else "")
        if spec == "garbage-der":
            return base64.b64encode(b"\x30\x82\x01\x00" + b"\x00" * 64).decode()
        if spec == "empty":
            return ""
        if spec == "trailing-bytes":
            der = base64.b64decode(signer.x509_header)
            return base64.b64encode(der + b"\x00\x00\x00").decode()
        if spec == "truncated-der":
            der = base64.b64decode(signer.x509_header)
            return base64.b64encode(der[: len(der) - 20]).decode()
        return base64.b64encode(_pem_der(os.path.join(self.pki, "certs", spec + ".pem"))).decode()

    # -- STS, signed with the control session's credentials, then bent
    def sts(self, s):
        creds = self.credentials
        if creds is None:
            raise RuntimeError("no control credentials")
        host = self.target.endpoint
        method = s.get("method", "POST")
        body = s.get("body", "Action=GetCallerIdentity&Version=2011-06-15" if method == "POST" else "")
        body_bytes = body.encode("latin-1")
        query = s.get("query", "Action=GetCallerIdentity&Version=2011-06-15" if method == "GET" else "")
        amz_date = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        token = creds["sessionToken"]
        if s.get("token") == "tampered":
            token = token[:-8] + ("A" if token[-8] != "A" else "B") + token[-7:]
        elif s.get("token") == "not-base64":
            token = "%%%%" + token[4:]
        elif s.get("token") == "huge":
            token = token * 20
        secret = creds["secretAccessKey"] if s.get("secret") != "wrong" else "x" * 40
        headers = [("Host", self.host(s)), ("X-Amz-Date", amz_date), ("X-Amz-Security-Token", token)]
        if method == "POST":
            headers.append(("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"))
        if s.get("presigned"):
            scope = f"{amz_date[:8]}/us-east-1/sts/aws4_request"
            params = [("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
                      ("X-Amz-Credential", f"{creds['accessKeyId']}/{scope}"),
                      ("X-Amz-Date", amz_date), ("X-Amz-Expires", s.get("expires", "60")),
                      ("X-Amz-SignedHeaders", "host"), ("X-Amz-Security-Token", token)]
            base = query + "&" + "&".join(f"{k}={_enc(v)}" for k, v in params)
            canonical = "\n".join(["GET", "/", _canonical_query(base), f"host:{host}\n", "host",
                                   hashlib.sha256(b"").hexdigest()])
            sig = _hmac_signature(secret, amz_date, scope, canonical)
            target = "/?" + base + "&X-Amz-Signature=" + sig + s.get("appendQuery", "")
            lines = [f"GET {target} HTTP/1.1", f"Host: {host}"]
            lines += [f"{k}: {v}" for k, v in s.get("appendHeaders", [])]
            return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        signed = sorted((k.lower(), " ".join(v.split())) for k, v in headers)
        canonical_headers = "".join(f"{k}:{v}\n" for k, v in signed)
        signed_names = ";".join(k for k, _ in signed)
        canonical = "\n".join([method, "/", _canonical_query(query), canonical_headers, signed_names,
                               hashlib.sha256(body_bytes).hexdigest()])
        scope = f"{amz_date[:8]}/us-east-1/sts/aws4_request"
        sig = _hmac_signature(secret, amz_date, scope, canonical)
        authorization = f"AWS4-HMAC-SHA256 Credential={creds['accessKeyId']}/{scope}, " \
                        f"SignedHeaders={signed_names}, Signature={sig}"
        if "authorization" in s:
            authorization = self.bend_authorization(authorization, s["authorization"], {})
        target = "/" + ("?" + query if query else "")
        if "rawQuery" in s:
            target = "/?" + s["rawQuery"]
        lines = [f"{method} {target} HTTP/1.1"] + [f"{k}: {v}" for k, v in headers]
        lines.append(f"Authorization: {authorization}")
        for name, value in s.get("appendHeaders", []):
            lines.append(f"{name}: {value.replace('{authorization}', authorization).replace('{amzDate}', amz_date)}")
        if method == "POST" or body_bytes:
            lines.append(f"Content-Length: {len(body_bytes)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body_bytes


def _pem_der(path):
    """The first certificate of a PEM file, as DER."""
    with open(path) as f:
        text = f.read()
    first = text.split("-----END CERTIFICATE-----")[0]
    return base64.b64decode("".join(line for line in first.splitlines() if line and not line.startswith("-----")))


def _enc(s):
    return urllib.parse.quote(s, safe="-_.~")


def _canonical_query(query):
    if not query:
        return ""
    pairs = []
    for part in query.split("&"):
        if not part:
            continue
        k, _, v = part.partition("=")
        pairs.append((_enc(urllib.parse.unquote(k)), _enc(urllib.parse.unquote(v))))
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def _hmac_signature(secret, amz_date, scope, canonical):
    string_to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                                hashlib.sha256(canonical.encode("utf-8", "surrogateescape")).hexdigest()])
    key = ("AWS4" + secret).encode()
    for part in scope.split("/"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


# ----------------------------------------------------------------------------------------------- table

def run_case(target, builder, case):
    started = time.monotonic()
    out = {"status": None, "headers": {}, "body": "", "connection": "no-response", "error": None}
    try:
        data = builder.build(case)
    except Exception as e:  # noqa: BLE001
        out["error"] = f"build: {type(e).__name__}: {e}"
        return out
    sock = None
    try:
        sock = target.connect()
        out["sendError"] = send_all(sock, data)
        status, headers, body = read_response(sock, time.monotonic() + case.get("timeout", 8))
        out.update(status=status, headers=headers, body=body.decode("utf-8", "replace"))
        closes = "close" in headers.get("connection", "").lower()
        out["connection"] = connection_state(sock, target, closes)
    except Exception as e:  # noqa: BLE001 — reported, the test decides
        out["error"] = f"{type(e).__name__}: {e}"
    finally:
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass
    out["elapsed"] = round(time.monotonic() - started, 3)
    out["healthyAfter"] = healthy(target)
    return out


def control_session(target, builder):
    """A good CreateSession, whose credentials sign the STS cases (and prove the crafting is right)."""
    request, _ = raw_client.build_request(
        builder.signer("leaf-ec-p256"), target.endpoint, WEB_PROFILE, WEB_READER, RSA_ANCHOR, chunked=False)
    sock = target.connect()
    try:
        sock.sendall(request)
        status, _, body = read_response(sock, time.monotonic() + 10)
    finally:
        sock.close()
    if status != 201:
        raise RuntimeError(f"control CreateSession answered {status}: {body[:300]!r}")
    return json.loads(body)["credentialSet"][0]["credentials"]


def cmd_table(a):
    target = Target(a.endpoint, a.ca_bundle, a.insecure_http)
    builder = Builder(target, a.pki)
    with open(a.table) as f:
        table = json.load(f)
    builder.credentials = control_session(target, builder)
    results = {}
    for case in table["cases"]:
        if a.only and case["name"] not in a.only:
            continue
        results[case["name"]] = run_case(target, builder, case)
    return {"credentials": builder.credentials, "cases": results}


# ----------------------------------------------------------------------------------------------- exhaustion

def good_request(target, signer):
    """Signs first, then times only connect + TLS + request + response, as a client would see it."""
    request, _ = raw_client.build_request(signer, target.endpoint, WEB_PROFILE, WEB_READER, RSA_ANCHOR, chunked=False)
    started = time.monotonic()
    try:
        sock = target.connect(timeout=5)
        try:
            sock.sendall(request)
            status, _, _ = read_response(sock, time.monotonic() + 5)
        finally:
            sock.close()
    except Exception as e:  # noqa: BLE001
        return {"status": None, "seconds": round(time.monotonic() - started, 3), "error": f"{type(e).__name__}: {e}"}
    return {"status": status, "seconds": round(time.monotonic() - started, 3)}


class Trickler:
    """One slow connection: `payload` is sent one byte per interval."""

    def __init__(self, sock, payload, is_tls):
        self.sock = sock
        self.payload = payload
        self.sent = 0
        self.is_tls = is_tls
        self.state = "open"
        self.received = b""

    def send_next(self):
        if self.state != "open" or self.sent >= len(self.payload):
            return
        try:
            n = self.sock.send(self.payload[self.sent:self.sent + 1])
            self.sent += n
        except (ssl.SSLWantWriteError, ssl.SSLWantReadError, BlockingIOError):
            pass
        except (OSError, ssl.SSLError):
            self.state = "closed"

    def poll(self):
        """Reads what the server sent; notes a close."""
        if self.state != "open":
            return
        try:
            data = self.sock.recv(4096)
            if not data:
                self.state = "closed"
            else:
                self.received += data
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
            pass
        except (OSError, ssl.SSLError):
            self.state = "closed"


def open_tricklers(target, count, tls_fraction):
    """Opens `count` connections at once: non-blocking connects, then every TLS handshake driven in parallel
    with poll(2) (sequential handshakes would take longer than the server's deadlines on a loaded machine).
    Each sends its first byte as soon as it is ready."""
    tls_count = int(count * tls_fraction) if target.ctx is not None else 0
    http_payload = (f"POST /sessions HTTP/1.1\r\nHost: {target.endpoint}\r\nContent-Type: application/json\r\n"
                    "Content-Length: 2\r\n\r\n{}").encode()
    # A real ClientHello is a few hundred bytes; its first bytes are enough to keep a handshake pending.
    hello = bytes([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03]) + os.urandom(32)
    pending = {}  # fd -> [socket, wants TLS, handshake started]
    for i in range(count):
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        raw.setblocking(False)
        raw.connect_ex((target.host, target.port))
        pending[raw.fileno()] = [raw, i < tls_count, False]
    out = []
    deadline = time.monotonic() + 60
    while pending and time.monotonic() < deadline:
        poller = select.poll()
        for fd, (sock, _, started) in pending.items():
            poller.register(fd, select.POLLIN | select.POLLOUT if started else select.POLLOUT)
        for fd, _ in poller.poll(100):
            entry = pending.get(fd)
            if entry is None:
                continue
            sock, wants_tls, started = entry
            if not wants_tls:
                out.append(Trickler(sock, hello if target.ctx is not None else http_payload, False))
                del pending[fd]
                out[-1].send_next()  # from now on the request (or the handshake) is in progress
                continue
            if not started:
                sock = target.ctx.wrap_socket(sock, server_hostname=target.host, do_handshake_on_connect=False)
                entry[0], entry[2] = sock, True
            try:
                sock.do_handshake()
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                continue
            except (OSError, ssl.SSLError):
                del pending[fd]
                trickler = Trickler(sock, http_payload, True)
                trickler.state = "closed"
                out.append(trickler)
                continue
            del pending[fd]
            out.append(Trickler(sock, http_payload, True))
            out[-1].send_next()
    for sock, _, _ in pending.values():
        trickler = Trickler(sock, http_payload, True)
        trickler.state = "closed"
        out.append(trickler)
    return out


def cmd_slowloris(a):
    target = Target(a.endpoint, a.ca_bundle, False)
    signer = raw_client.Signer(os.path.join(a.pki, "certs", "leaf-ec-p256.pem"),
                               os.path.join(a.pki, "keys", "leaf-ec-p256.key"))
    baseline = good_request(target, signer)
    opened_at = time.monotonic()
    tricklers = open_tricklers(target, a.connections, a.tls_fraction)
    open_seconds = round(time.monotonic() - opened_at, 3)
    for t in tricklers:
        t.poll()  # notice any the server already closed
    all_open = sum(t.state == "open" for t in tricklers)
    started = time.monotonic()
    next_byte = started + a.interval
    probes = []
    next_probe = time.monotonic()
    while time.monotonic() - started < a.observe:
        now = time.monotonic()
        if now >= next_probe:
            probe = good_request(target, signer)
            probe["at"] = round(time.monotonic() - started, 2)
            probe["slowOpen"] = sum(t.state == "open" for t in tricklers)
            probes.append(probe)
            next_probe = time.monotonic() + 0.7
        if now >= next_byte:
            for t in tricklers:
                t.send_next()
            next_byte += a.interval
        # poll(2), not select(2): descriptors beyond 1024 are the norm here.
        poller = select.poll()
        by_fd = {}
        for t in tricklers:
            if t.state == "open":
                by_fd[t.sock.fileno()] = t
                poller.register(t.sock.fileno(), select.POLLIN)
        for fd, _ in poller.poll(50):
            by_fd[fd].poll()
    for t in tricklers:
        t.poll()
    closed = [t for t in tricklers if t.state == "closed"]
    answered_408 = sum(b" 408 " in t.received for t in tricklers)
    after = good_request(target, signer)
    for t in tricklers:
        try:
            t.sock.close()
        except OSError:
            pass
    return {
        "connections": a.connections, "openedInSeconds": open_seconds, "openAfterOpening": all_open,
        "baseline": baseline, "probes": probes, "closedByServer": len(closed), "answered408": answered_408,
        "stillOpen": a.connections - len(closed), "observedSeconds": a.observe, "after": after,
        "maxProbeSeconds": max((p["seconds"] for p in probes), default=None),
    }


def cmd_limit(a):
    target = Target(a.endpoint, a.ca_bundle, False)
    signer = raw_client.Signer(os.path.join(a.pki, "certs", "leaf-ec-p256.pem"),
                               os.path.join(a.pki, "keys", "leaf-ec-p256.key"))
    held = []
    for _ in range(a.limit):
        held.append(socket.create_connection((target.host, target.port), timeout=5))
    time.sleep(0.3)  # let the server accept them all
    # Our held connections are all still open (the server has not closed any of them).
    alive = 0
    for s in held:
        s.setblocking(False)
        try:
            alive += 0 if s.recv(1) == b"" else 1
        except BlockingIOError:
            alive += 1
        except OSError:
            pass
        s.setblocking(True)
    extra = socket.create_connection((target.host, target.port), timeout=5)
    extra.settimeout(3)
    started = time.monotonic()
    try:
        extra_data = extra.recv(1)
        extra_outcome = "closed" if extra_data == b"" else "data"
    except socket.timeout:
        extra_outcome = "open"
    except OSError:
        extra_outcome = "closed"
    extra_seconds = round(time.monotonic() - started, 3)
    extra.close()
    while_full = good_request(target, signer)
    for s in held[:5]:
        s.close()
    time.sleep(0.3)
    after_release = good_request(target, signer)
    for s in held[5:]:
        s.close()
    return {"held": len(held), "heldAlive": alive, "extra": extra_outcome, "extraSeconds": extra_seconds,
            "whileFull": while_full, "afterRelease": after_release}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    for name in ("table", "slowloris", "limit"):
        s = sub.add_parser(name)
        s.add_argument("--endpoint", required=True)
        s.add_argument("--ca-bundle")
        s.add_argument("--pki", required=True, help="the fixture PKI directory (certs/, keys/)")
        if name == "table":
            s.add_argument("--insecure-http", action="store_true")
            s.add_argument("--table", required=True)
            s.add_argument("--only", action="append", default=[])
        if name == "slowloris":
            s.add_argument("--connections", type=int, default=1000)
            s.add_argument("--tls-fraction", type=float, default=0.5)
            s.add_argument("--interval", type=float, default=10)
            s.add_argument("--observe", type=float, default=14)
        if name == "limit":
            s.add_argument("--limit", type=int, required=True)
    a = p.parse_args(argv)
    try:
        out = {"table": cmd_table, "slowloris": cmd_slowloris, "limit": cmd_limit}[a.command](a)
    except Exception as e:  # noqa: BLE001
        print(json.dumps({"ok": False, "error": f"{type(e).__name__}: {e}"}))
        return 2
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
