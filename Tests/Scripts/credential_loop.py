#!/usr/bin/env python3
"""credential_loop.py — request credentials continuously over one keep-alive connection (reload-under-load test).

  credential_loop.py --endpoint 127.0.0.1:PORT --ca-bundle ca.pem --certificate leaf.pem --private-key leaf.key
                     --profile-arn … --role-arn … --trust-anchor-arn … --stop-file PATH [--ready-file PATH]
                     [--max-seconds 60] [--expect 201]

Signs every CreateSession afresh (raw_client.build_request: Go-helper shape, new X-Amz-Date and invocation id)
and sends them one after another on one TLS connection until --stop-file exists (or --max-seconds pass).
The connection is reopened only when the server answers `Connection: close` (counted as `reconnects`); a
transport error, a timeout or any status other than --expect is a failure. --ready-file is created after the
first answer, so a test knows the load is running before it starts reloading.

Prints one JSON object: {"total", "statuses": {"201": n, …}, "failures": [first 20], "failureCount",
"reconnects", "seconds", "maxLatencySeconds"}. Exit status 0 (read the JSON).
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import raw_client  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name in ("--endpoint", "--certificate", "--private-key", "--profile-arn", "--role-arn", "--trust-anchor-arn",
                 "--stop-file"):
        p.add_argument(name, required=True)
    p.add_argument("--ca-bundle")
    p.add_argument("--insecure-http", action="store_true")
    p.add_argument("--ready-file")
    p.add_argument("--max-seconds", type=float, default=60)
    p.add_argument("--expect", type=int, default=201)
    a = p.parse_args()

    signer = raw_client.Signer(a.certificate, a.private_key)
    ctx = None if a.insecure_http else raw_client.tls_context(a.ca_bundle)
    statuses, failures = {}, []
    failure_count = reconnects = total = 0
    max_latency = 0.0
    started = time.monotonic()
    sock = None
    while not os.path.exists(a.stop_file) and time.monotonic() - started < a.max_seconds:
        request, _ = raw_client.build_request(
            signer, a.endpoint, a.profile_arn, a.role_arn, a.trust_anchor_arn, chunked=False)
        t0 = time.monotonic()
        try:
            if sock is None:
                sock = raw_client.connect(a.endpoint, ctx, timeout=10)
            status, headers, body = raw_client.exchange(sock, request)
            statuses[str(status)] = statuses.get(str(status), 0) + 1
            if status != a.expect:
                failure_count += 1
                if len(failures) < 20:
                    failures.append({"at": round(time.monotonic() - started, 3), "status": status,
                                     "requestId": headers.get("x-amzn-requestid"),
                                     "body": body.decode("utf-8", "replace")[:300]})
            if headers.get("connection", "").lower() == "close":
                sock.close()
                sock = None
                reconnects += 1
        except Exception as e:  # noqa: BLE001 — every transport problem is a failed request
            failure_count += 1
            statuses["transport"] = statuses.get("transport", 0) + 1
            if len(failures) < 20:
                failures.append({"at": round(time.monotonic() - started, 3),
                                 "transportError": f"{type(e).__name__}: {e}"})
            if sock is not None:
                sock.close()
            sock = None
        max_latency = max(max_latency, time.monotonic() - t0)
        total += 1
        if total == 1 and a.ready_file:
            open(a.ready_file, "w").close()
    if sock is not None:
        sock.close()
    print(json.dumps({"total": total, "statuses": statuses, "failures": failures, "failureCount": failure_count,
                      "reconnects": reconnects, "seconds": round(time.monotonic() - started, 3),
                      "maxLatencySeconds": round(max_latency, 4)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
