#!/usr/bin/env python3
"""http_probe.py — HTTP edge-case and TLS probes for Anchorage's end-to-end tests.

Subcommands (every one prints exactly one JSON object on stdout and exits 0 when it got an answer, 2 on a
transport failure that the caller did not ask to observe):

  request  --endpoint H:P [--insecure-http] [--ca-bundle F] [--method GET] [--path /] [--header 'N: V']...
           [--body TEXT]
      One request through http.client. Prints {"status","reason","headers","body","json"}.

  raw      --endpoint H:P [--insecure-http] [--ca-bundle F] (--data TEXT | --oversize-body N)
      --data: sends TEXT as is (Python escapes such as \\r\\n are decoded) and reads one response.
      --oversize-body N [--framing content-length|chunked]: `POST /sessions` with a body of N bytes. With
      content-length (default) only the header section (`Content-Length: N`) is sent; with chunked the
      body really is sent in 64 KiB chunks (send errors are recorded, not fatal), then one response is read.
      Prints {"status","reason","headers","body","json","bodyBytesSent","sendError"}.

  tls      --endpoint H:P [--ca-bundle F] [--min VERSION] [--max VERSION]
      Only a TLS handshake, with the client restricted to [min, max] (TLSv1, TLSv1_1, TLSv1_2, TLSv1_3; the
      client's security level is lowered to 0 so that it really offers old versions). Prints
      {"ok": true, "version": "TLSv1.3", "cipher": ...} or {"ok": false, "error": "..."}.

Header names in the JSON output are lowercased; repeated headers are joined with ", ".
"""

import argparse
import http.client
import json
import socket
import ssl
import sys
import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)  # ssl.TLSVersion.TLSv1/TLSv1_1 on purpose


def client_context(ca_bundle):
    ctx = ssl.create_default_context(cafile=ca_bundle) if ca_bundle else ssl.create_default_context()
    return ctx


def connect(endpoint, ctx, timeout=15.0):
    host, _, port = endpoint.rpartition(":")
    sock = socket.create_connection((host, int(port)), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if ctx is not None:
        sock = ctx.wrap_socket(sock, server_hostname=host)
    return sock


def describe(resp, body):
    headers = {}
    for k, v in resp.getheaders():
        k = k.lower()
        headers[k] = v if k not in headers else headers[k] + ", " + v
    text = body.decode("utf-8", "replace")
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    return {"status": resp.status, "reason": resp.reason, "headers": headers, "body": text, "json": parsed}


def cmd_request(a):
    host, _, port = a.endpoint.rpartition(":")
    if a.insecure_http:
        conn = http.client.HTTPConnection(host, int(port), timeout=15)
    else:
        conn = http.client.HTTPSConnection(host, int(port), timeout=15, context=client_context(a.ca_bundle))
    headers = {}
    for h in a.header:
        name, _, value = h.partition(":")
        headers[name.strip()] = value.strip()
    conn.request(a.method, a.path, body=a.body.encode() if a.body is not None else None, headers=headers)
    resp = conn.getresponse()
    body = resp.read()
    out = describe(resp, body)
    if a.then_path is not None:
        # A second GET on the same connection, right after the first answer.
        conn.request("GET", a.then_path)
        then = conn.getresponse()
        out["then"] = describe(then, then.read())
    conn.close()
    return out


def cmd_raw(a):
    ctx = None if a.insecure_http else client_context(a.ca_bundle)
    sock = connect(a.endpoint, ctx)
    sent = 0
    send_error = None
    try:
        if a.data is not None:
            sock.sendall(a.data.encode("latin-1").decode("unicode_escape").encode("latin-1"))
        elif a.framing == "content-length":
            # Only the header section: a server that enforces its limit answers 413 from Content-Length alone.
            sock.sendall(
                (
                    "POST /sessions HTTP/1.1\r\n"
                    f"Host: {a.endpoint}\r\n"
                    "Content-Type: application/json\r\n"
                    f"Content-Length: {a.oversize_body}\r\n\r\n"
                ).encode()
            )
        else:
            # Chunked: the server only learns the size by reading, so the body is really sent.
            sock.sendall(
                (
                    "POST /sessions HTTP/1.1\r\n"
                    f"Host: {a.endpoint}\r\n"
                    "Content-Type: application/json\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n"
                ).encode()
            )
            block = b"x" * 65536
            try:
                while sent < a.oversize_body:
                    n = min(a.oversize_body - sent, len(block))
                    sock.sendall(b"%x\r\n" % n + block[:n] + b"\r\n")
                    sent += n
                sock.sendall(b"0\r\n\r\n")
            except OSError as e:  # the server may stop reading once the limit is passed
                send_error = f"{type(e).__name__}: {e}"
        resp = http.client.HTTPResponse(sock, method="POST")
        resp.begin()
        body = resp.read()
        out = describe(resp, body)
        out["bodyBytesSent"] = sent
        out["sendError"] = send_error
        return out
    finally:
        sock.close()


VERSIONS = {
    "TLSv1": ssl.TLSVersion.TLSv1,
    "TLSv1_1": ssl.TLSVersion.TLSv1_1,
    "TLSv1_2": ssl.TLSVersion.TLSv1_2,
    "TLSv1_3": ssl.TLSVersion.TLSv1_3,
}


def cmd_tls(a):
    ctx = client_context(a.ca_bundle)
    # Let the client really offer TLS 1.0/1.1 (OpenSSL 3 disables them at security level >= 1), so that a
    # failed handshake is the server's refusal, not the client's.
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    if a.min:
        ctx.minimum_version = VERSIONS[a.min]
    if a.max:
        ctx.maximum_version = VERSIONS[a.max]
    host, _, port = a.endpoint.rpartition(":")
    raw = socket.create_connection((host, int(port)), timeout=15)
    try:
        sock = ctx.wrap_socket(raw, server_hostname=host)
    except (ssl.SSLError, OSError) as e:
        raw.close()
        return {"ok": False, "error": f"{type(e).__name__}: {e}"}
    out = {"ok": True, "version": sock.version(), "cipher": sock.cipher()[0]}
    sock.close()
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    for name in ("request", "raw", "tls"):
        s = sub.add_parser(name)
        s.add_argument("--endpoint", required=True)
        s.add_argument("--ca-bundle")
        if name != "tls":
            s.add_argument("--insecure-http", action="store_true")
        if name == "request":
            s.add_argument("--method", default="GET")
            s.add_argument("--path", default="/")
            s.add_argument("--header", action="append", default=[])
            s.add_argument("--body")
            s.add_argument("--then-path", help="then GET this path on the same connection (reported as 'then')")
        if name == "raw":
            g = s.add_mutually_exclusive_group(required=True)
            g.add_argument("--data")
            g.add_argument("--oversize-body", type=int)
            s.add_argument("--framing", choices=["content-length", "chunked"], default="content-length")
        if name == "tls":
            s.add_argument("--min", choices=sorted(VERSIONS))
            s.add_argument("--max", choices=sorted(VERSIONS))
    a = p.parse_args(argv)
    try:
        out = {"request": cmd_request, "raw": cmd_raw, "tls": cmd_tls}[a.command](a)
    except Exception as e:  # noqa: BLE001 — report any transport failure as JSON
        print(json.dumps({"ok": False, "transportError": f"{type(e).__name__}: {e}"}))
        return 2
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
