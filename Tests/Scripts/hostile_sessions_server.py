#!/usr/bin/env python3
"""hostile_sessions_server.py — a hostile CreateSession server (and proxy) on loopback for anchorage-helper.

Plays one hostile answer (`--case`, see CASES) to every `POST /sessions` over TLS, runs the helper
against it, and prints one JSON object about the helper's run. `{endpoint}` in the helper's
arguments becomes the server's `https://127.0.0.1:PORT`.

  hostile_sessions_server.py --certificate server.pem --private-key server.key --case NAME \
      [--proxy plain|inject|inject-late] [--serve] [--timeout 120] -- HELPER ARGS...

Run mode (default): runs HELPER ARGS once and prints
  {"exitCode", "stdout", "stderr", "seconds", "maxRSSKiB", "connections"}
(`maxRSSKiB` from wait4's rusage; the helper is killed after --timeout seconds, exitCode -9).

`--serve`: HELPER ARGS is a `serve --port 0 ...` line. Once it has printed its environment (after its
first CreateSession attempt), asks the IMDS emulation (token PUT, then the role's credentials) and the
ECS form, then prints
  {"imdsStatus", "imdsBody", "ecsStatus", "ecsBody", "running", "maxRSSKiB", "seconds", "connections", "stderr"}
(`running`: still alive after the answers; `maxRSSKiB`: VmHWM from /proc).

`--proxy`: HTTPS_PROXY for the helper is a CONNECT proxy here that relays to the server. `inject`
sends, right after its `200` answer to CONNECT, a plaintext HTTP answer with credentials of its own
(access key id ASIAPROXYINJECTED001); `inject-late` sends the same 0.3 s later; `plain` is honest.
"""

import argparse
import json
import os
import resource
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.request

VALID_KEY = "ASIAHOSTILE000000001"
VALID_SECRET = "aGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8g"
VALID_TOKEN = "dG9rZW4tZm9yLWEtaG9zdGlsZS1zZXJ2ZXI+Pz8/"
ENDLESS_CAP = 256 * 1024 * 1024  # stop "endless" streams here if the client never gives up

connections = 0
connections_lock = threading.Lock()


def iso(seconds):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def credentials(**override):
    c = {"accessKeyId": VALID_KEY, "secretAccessKey": VALID_SECRET, "sessionToken": VALID_TOKEN,
         "expiration": iso(time.time() + 3600)}
    c.update(override)
    return c


def session_body(creds):
    return json.dumps({"credentialSet": [{
        "assumedRoleUser": {"arn": "arn:aws:sts::123456789012:assumed-role/hostile/x", "assumedRoleId": "AROA:x"},
        "credentials": creds, "packedPolicySize": 0, "roleArn": "arn:aws:iam::123456789012:role/hostile",
        "sourceIdentity": "CN=x"}], "subjectArn": "arn:aws:rolesanywhere:us-east-1:123456789012:subject/x"}).encode()


def answer(body, status="201 Created", extra=b""):
    return (b"HTTP/1.1 " + status.encode() + b"\r\nContent-Type: application/json\r\nx-amzn-RequestId: hostile\r\n"
            + extra + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


def stream(conn, first, piece):
    """Sends `first`, then `piece` over and over until the client gives up (or ENDLESS_CAP)."""
    conn.sendall(first)
    sent = 0
    while sent < ENDLESS_CAP:
        conn.sendall(piece)
        sent += len(piece)


INJECTIONS = {
    "newline": "\n\n[pwn]\ncredential_process = /bin/sh -c 'touch /tmp/anchorage-pwned'\n",
    "nul": "\u0000injected",
    "control": "\u001b]0;pwned\u0007\u001b[2J",
}
FIELDS = ["accessKeyId", "secretAccessKey", "sessionToken", "expiration"]


def field_case(field, kind):
    def play(conn):
        value = "" if kind == "empty" else credentials()[field] + INJECTIONS[kind]
        conn.sendall(answer(session_body(credentials(**{field: value}))))
    return play


def slow_loris(conn):
    for byte in answer(session_body(credentials())):
        conn.sendall(bytes([byte]))
        time.sleep(0.5)


CASES = {
    "honest": lambda c: c.sendall(answer(session_body(credentials()))),
    "negative-content-length": lambda c: c.sendall(
        b"HTTP/1.1 201 Created\r\nContent-Length: -1\r\n\r\n" + session_body(credentials())),
    "overflowing-content-length": lambda c: c.sendall(
        b"HTTP/1.1 201 Created\r\nContent-Length: 99999999999999999999999999\r\n\r\n" + session_body(credentials())),
    "huge-content-length": lambda c: stream(c, b"HTTP/1.1 201 Created\r\nContent-Length: 1099511627776\r\n\r\n",
                                            b"a" * 65536),
    "negative-chunk-size": lambda c: c.sendall(
        b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n" + session_body(credentials())),
    "huge-chunk-size": lambda c: stream(c, b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n",
                                        b"a" * 65536),
    "endless-body": lambda c: stream(c, b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n\r\n", b" " * 65536),
    "endless-chunked-body": lambda c: stream(
        c, b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n", b"10000\r\n" + b" " * 65536 + b"\r\n"),
    "endless-headers": lambda c: stream(c, b"HTTP/1.1 201 Created\r\n", b"X-Filler: " + b"a" * 4000 + b"\r\n"),
    "long-header-line": lambda c: stream(c, b"HTTP/1.1 201 Created\r\nX-Long: ", b"a" * 65536),
    "endless-interim": lambda c: stream(c, b"", b"HTTP/1.1 100 Continue\r\n\r\n"),
    "slow-loris": slow_loris,
    # Valid, but due for refresh on arrival under the default --refresh-before 300.
    "due-on-arrival": lambda c: c.sendall(answer(session_body(credentials(expiration=iso(time.time() + 120))))),
    "past-expiration": lambda c: c.sendall(answer(session_body(credentials(expiration="2001-01-01T00:00:00Z")))),
    "impossible-expiration": lambda c: c.sendall(answer(session_body(credentials(expiration="2030-13-45T99:99:99Z")))),
    "escape-in-error": lambda c: c.sendall(
        answer(b'{"message":"denied \\u001b]0;pwned\\u0007\\u001b[2J"}', status="403 Forbidden",
               extra=b"X-Amzn-ErrorType: AccessDeniedException\r\n")),
}
for _field in FIELDS:
    for _kind in list(INJECTIONS) + ["empty"]:
        CASES[f"{_field}-{_kind}"] = field_case(_field, _kind)


def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return False
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return False
        rest += chunk
    return True


def serve_connection(raw, context, play):
    global connections
    with connections_lock:
        connections += 1
    try:
        conn = context.wrap_socket(raw, server_side=True)
        if read_request(conn):
            play(conn)
        try:
            conn.unwrap()
        except (OSError, ssl.SSLError):
            pass
    except (OSError, ssl.SSLError):
        pass
    finally:
        raw.close()


def accept_loop(listener, handler):
    while True:
        try:
            client, _ = listener.accept()
        except OSError:
            return
        threading.Thread(target=handler, args=(client,), daemon=True).start()


def listen():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    return listener


def proxy_connection(client, upstream_port, mode):
    try:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = client.recv(4096)
            if not chunk:
                return
            data += chunk
        upstream = socket.create_connection(("127.0.0.1", upstream_port), timeout=10)
        upstream.settimeout(None)
        injected = answer(session_body(credentials(accessKeyId="ASIAPROXYINJECTED001")))
        if mode == "inject":
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n" + injected)
        else:
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            if mode == "inject-late":
                time.sleep(0.3)
                client.sendall(injected)

        def relay(a, b):
            try:
                while True:
                    chunk = a.recv(65536)
                    if not chunk:
                        break
                    b.sendall(chunk)
            except OSError:
                pass
            finally:
                for s in (a, b):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        threading.Thread(target=relay, args=(upstream, client), daemon=True).start()
        relay(client, upstream)
    except OSError:
        pass


def run_helper(command, env, timeout):
    start = time.monotonic()
    process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    out, err = [], []
    readers = [threading.Thread(target=lambda: out.append(process.stdout.read()), daemon=True),
               threading.Thread(target=lambda: err.append(process.stderr.read()), daemon=True)]
    for r in readers:
        r.start()
    timer = threading.Timer(timeout, lambda: os.kill(process.pid, signal.SIGKILL))
    timer.start()
    _, status, usage = os.wait4(process.pid, 0)
    timer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    for r in readers:
        r.join()
    return {"exitCode": process.returncode, "stdout": out[0].decode("utf-8", "replace"),
            "stderr": err[0].decode("utf-8", "replace"), "seconds": round(time.monotonic() - start, 3),
            "maxRSSKiB": usage.ru_maxrss}


def http(method, url, headers):
    request = urllib.request.Request(url, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def serve_helper(command, env, timeout):
    start = time.monotonic()
    process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    err = []
    threading.Thread(target=lambda: err.append(process.stderr.read()), daemon=True).start()
    exports = {}
    deadline = time.monotonic() + timeout
    while len(exports) < 3 and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        if line.startswith("export "):
            name, _, value = line[len("export "):].strip().partition("=")
            exports[name] = value
    result = {"seconds": None, "running": False}
    if len(exports) == 3:
        base = exports["AWS_EC2_METADATA_SERVICE_ENDPOINT"].rstrip("/")
        status, token = http("PUT", base + "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": "60"})
        result["tokenStatus"] = status
        _, roles = http("GET", base + "/latest/meta-data/iam/security-credentials/",
                        {"X-aws-ec2-metadata-token": token})
        result["imdsStatus"], result["imdsBody"] = http(
            "GET", base + "/latest/meta-data/iam/security-credentials/" + roles.strip(),
            {"X-aws-ec2-metadata-token": token})
        result["ecsStatus"], result["ecsBody"] = http(
            "GET", exports["AWS_CONTAINER_CREDENTIALS_FULL_URI"],
            {"Authorization": exports["AWS_CONTAINER_AUTHORIZATION_TOKEN"]})
        result["running"] = process.poll() is None
    if process.poll() is None:
        with open(f"/proc/{process.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    result["maxRSSKiB"] = int(line.split()[1])
    result["seconds"] = round(time.monotonic() - start, 3)
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    result["stderr"] = err[0] if err else ""
    return result


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--certificate", required=True)
    p.add_argument("--private-key", required=True)
    p.add_argument("--case", required=True, choices=sorted(CASES))
    p.add_argument("--proxy", choices=["plain", "inject", "inject-late"])
    p.add_argument("--serve", action="store_true")
    p.add_argument("--timeout", type=float, default=120)
    p.add_argument("command", nargs=argparse.REMAINDER)
    a = p.parse_args()
    command = a.command[1:] if a.command[:1] == ["--"] else a.command

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(a.certificate, a.private_key)
    listener = listen()
    port = listener.getsockname()[1]
    play = CASES[a.case]
    threading.Thread(target=accept_loop, args=(listener, lambda c: serve_connection(c, context, play)),
                     daemon=True).start()
    env = dict(os.environ)
    for key in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"):
        env.pop(key, None)
    if a.proxy:
        proxy = listen()
        threading.Thread(target=accept_loop, args=(proxy, lambda c: proxy_connection(c, port, a.proxy)),
                         daemon=True).start()
        env["HTTPS_PROXY"] = f"http://127.0.0.1:{proxy.getsockname()[1]}"
    command = [arg.replace("{endpoint}", f"https://127.0.0.1:{port}") for arg in command]
    result = serve_helper(command, env, a.timeout) if a.serve else run_helper(command, env, a.timeout)
    with connections_lock:
        result["connections"] = connections
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
