#!/usr/bin/env python3
"""crash_client.py — CreateSession load for the kill -9 durability test (Tests/EndToEndTests/DurabilityTests.swift).

THREADS keep-alive TLS connections each send freshly signed, distinct CreateSession requests (raw_client.py's
signing; every request has its own (X-Amz-Date, durationSeconds) pair, starting at --first-index) until the
server goes away, --seconds pass or the --stop-file appears. Every 201 received in full is appended at once, as one JSON line
{"requestId", "accessKeyId", "index", "signedAt"}, to --out; every other answer as {"status", "requestId",
"errorType", "signedAt"} ("signedAt": the wall-clock time, in seconds since the epoch, taken before the request
was signed, so that the audit rotation test knows which requests began after it moved the log).
The test kills the server at a random moment and then reconciles --out with the audit log: a request counts
as answered only when its whole response was received.

Exit status 0; a summary JSON object on stdout: {"ok", "other", "transportErrors"}.
"""

import argparse
import datetime as dt
import itertools
import json
import os
import socket
import ssl
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import raw_client  # noqa: E402

ACCOUNT = "123456789012"
DEFAULT_ANCHOR = f"arn:aws:rolesanywhere:us-east-1:{ACCOUNT}:trust-anchor/4a1c52e0-7d6b-4b7e-9a55-0e6f4c3b9d21"
DEFAULT_PROFILE = f"arn:aws:rolesanywhere:us-east-1:{ACCOUNT}:profile/8f0e2a3b-1c4d-4e5f-8a9b-0c1d2e3f4a5b"
DEFAULT_ROLE = f"arn:aws:iam::{ACCOUNT}:role/web-reader"
DURATIONS = 3600 - 900 + 1


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--endpoint", required=True)
    p.add_argument("--ca-bundle", required=True)
    p.add_argument("--certificate", required=True)
    p.add_argument("--private-key", required=True)
    p.add_argument("--profile-arn", default=DEFAULT_PROFILE)
    p.add_argument("--role-arn", default=DEFAULT_ROLE)
    p.add_argument("--trust-anchor-arn", default=DEFAULT_ANCHOR)
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--first-index", type=int, default=0)
    p.add_argument("--out", required=True)
    p.add_argument("--stop-file", help="stop (after the requests in flight) once this file exists")
    p.add_argument("--retries", type=int, default=1,
                   help="transport errors in a row a thread retries (on a new connection) before it stops")
    args = p.parse_args()

    signer = raw_client.Signer(args.certificate, args.private_key)
    ctx = raw_client.tls_context(args.ca_bundle)
    counter = itertools.count(args.first_index)
    lock = threading.Lock()
    out = open(args.out, "a", buffering=1)
    totals = {"ok": 0, "other": 0, "transportErrors": 0}
    deadline = time.monotonic() + args.seconds

    def record(obj, key):
        with lock:
            out.write(json.dumps(obj) + "\n")
            out.flush()
            totals[key] += 1

    def worker():
        sock = None
        failures = 0
        while time.monotonic() < deadline and failures <= args.retries and not (
                args.stop_file and os.path.exists(args.stop_file)):
            index = next(counter)
            signed_at = time.time()
            skew = (index // DURATIONS) % 481 - 240
            request, _ = raw_client.build_request(
                signer, args.endpoint, args.profile_arn, args.role_arn, args.trust_anchor_arn,
                now=dt.datetime.now(dt.timezone.utc).replace(microsecond=0), date_skew_seconds=skew,
                duration=900 + index % DURATIONS, chunked=False)
            try:
                if sock is None:
                    sock = raw_client.connect(args.endpoint, ctx, timeout=5)
                status, headers, body = raw_client.exchange(sock, request)
            except (OSError, ssl.SSLError, raw_client.http.client.HTTPException):
                with lock:
                    totals["transportErrors"] += 1
                if sock is not None:
                    sock.close()
                sock = None
                failures += 1
                continue
            failures = 0
            request_id = headers.get("x-amzn-requestid")
            if status == 201:
                credentials = json.loads(body)["credentialSet"][0]["credentials"]
                record({"requestId": request_id, "accessKeyId": credentials["accessKeyId"], "index": index,
                        "signedAt": signed_at}, "ok")
            else:
                record({"status": status, "requestId": request_id, "errorType": headers.get("x-amzn-errortype"),
                        "signedAt": signed_at}, "other")
        if sock is not None:
            sock.close()

    threads = [threading.Thread(target=worker) for _ in range(args.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.close()
    print(json.dumps(totals))
    return 0


if __name__ == "__main__":
    sys.exit(main())
