#!/usr/bin/env python3
"""loadtest.py — drive CreateSession load against a running `anchorage serve` (by hand; not part of the tests).

Pre-signs N DISTINCT CreateSession requests for one leaf (every request has its own X-Amz-Date second
within ±4 min of now and its own durationSeconds, so no cache can answer), then sends them over
keep-alive HTTPS connections: P worker processes × C connections each, every connection sending its
share sequentially. Prints requests/second, the status histogram, errors and p50/p90/p99 latency.

  make-pki.sh /tmp/pki                      # fixtures
  anchorage serve --pki … --profiles … --state-dir … --listen 127.0.0.1:8443 \\
      --tls-certificate /tmp/pki/certs/server.pem --tls-private-key /tmp/pki/keys/server.key
  Tests/Scripts/loadtest.py --endpoint 127.0.0.1:8443 --pki /tmp/pki \\
      --profile-arn … --role-arn … --trust-anchor-arn …  [-n 20000] [--processes 2] [--connections 4]

Defaults for the ARNs are those of the end-to-end test configuration (Tests/EndToEndTests/ConfigWriter.swift).
Signing 20000 requests takes a few seconds (ECDSA P-256); it is done before the clock starts.
"""

import argparse
import datetime as dt
import multiprocessing as mp
import os
import socket
import ssl
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import raw_client  # noqa: E402

ACCOUNT = "123456789012"
DEFAULT_ANCHOR = f"arn:aws:rolesanywhere:us-east-1:{ACCOUNT}:trust-anchor/4a1c52e0-7d6b-4b7e-9a55-0e6f4c3b9d21"
DEFAULT_PROFILE = f"arn:aws:rolesanywhere:us-east-1:{ACCOUNT}:profile/8f0e2a3b-1c4d-4e5f-8a9b-0c1d2e3f4a5b"
DEFAULT_ROLE = f"arn:aws:iam::{ACCOUNT}:role/web-reader"


def presign(args, count, offset):
    """Sign `count` distinct requests (indices offset … offset+count-1)."""
    signer = raw_client.Signer(args.certificate, args.private_key)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    window = 2 * args.skew_window + 1  # distinct seconds in [-window/2, +window/2]
    durations = args.max_duration - 900 + 1
    out = []
    for i in range(offset, offset + count):
        skew = (i % window) - args.skew_window
        duration = 900 + (i // window) % durations  # (date, duration) pairs are unique for N ≤ window*durations
        req, _ = raw_client.build_request(
            signer, args.endpoint, args.profile_arn, args.role_arn, args.trust_anchor_arn,
            now=now, date_skew_seconds=skew, duration=duration, chunked=False,
        )
        out.append(req)
    return out


def connection_worker(endpoint, ca_bundle, requests, results, lock):
    ctx = raw_client.tls_context(ca_bundle)
    lat, statuses, errors = [], {}, 0
    sock = None
    for req in requests:
        t0 = time.perf_counter()
        try:
            if sock is None:
                sock = raw_client.connect(endpoint, ctx)
            status, headers, _ = raw_client.exchange(sock, req)
            if headers.get("connection", "").lower() == "close":
                sock.close()
                sock = None
        except (OSError, ssl.SSLError, raw_client.http.client.HTTPException) as e:
            status = f"error:{type(e).__name__}"
            errors += 1
            if sock is not None:
                sock.close()
            sock = None
        lat.append(time.perf_counter() - t0)
        statuses[status] = statuses.get(status, 0) + 1
    if sock is not None:
        sock.close()
    with lock:
        results.append((lat, statuses, errors))


def process_worker(endpoint, ca_bundle, requests, connections, start_at, queue):
    chunks = [requests[i::connections] for i in range(connections)]
    results, lock = [], threading.Lock()
    threads = [threading.Thread(target=connection_worker, args=(endpoint, ca_bundle, c, results, lock)) for c in chunks]
    while time.time() < start_at:
        time.sleep(0.001)
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lat, statuses, errors = [], {}, 0
    for l, s, e in results:
        lat += l
        errors += e
        for k, v in s.items():
            statuses[k] = statuses.get(k, 0) + v
    queue.put((lat, statuses, errors))


def presign_job(a):
    args, count, offset = a
    return presign(args, count, offset)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--endpoint", default="127.0.0.1:8443", help="HOST:PORT (also the signed Host header)")
    p.add_argument("--pki", help="fixture directory from make-pki.sh (sets --certificate/--private-key/--ca-bundle)")
    p.add_argument("--leaf", default="leaf-ec-p256")
    p.add_argument("--certificate")
    p.add_argument("--private-key")
    p.add_argument("--ca-bundle")
    p.add_argument("--profile-arn", default=DEFAULT_PROFILE)
    p.add_argument("--role-arn", default=DEFAULT_ROLE)
    p.add_argument("--trust-anchor-arn", default=DEFAULT_ANCHOR)
    p.add_argument("-n", "--requests", type=int, default=20000)
    p.add_argument("--processes", type=int, default=2)
    p.add_argument("--connections", type=int, default=4, help="keep-alive connections per process")
    p.add_argument("--skew-window", type=int, default=240, help="X-Amz-Date spread: ±this many seconds")
    p.add_argument("--max-duration", type=int, default=3600, help="durationSeconds range 900…this")
    args = p.parse_args()
    if args.pki:
        args.certificate = args.certificate or os.path.join(args.pki, "certs", f"{args.leaf}.pem")
        args.private_key = args.private_key or os.path.join(args.pki, "keys", f"{args.leaf}.key")
        args.ca_bundle = args.ca_bundle or os.path.join(args.pki, "certs", "ca-bundle.pem")
    if not (args.certificate and args.private_key):
        p.error("--pki or --certificate/--private-key required")
    capacity = (2 * args.skew_window + 1) * (args.max_duration - 900 + 1)
    if args.requests > capacity:
        p.error(f"only {capacity} distinct (date, duration) pairs: widen --skew-window or --max-duration")

    t0 = time.perf_counter()
    per = -(-args.requests // args.processes)
    jobs = [(args, min(per, args.requests - i * per), i * per) for i in range(args.processes) if i * per < args.requests]
    with mp.Pool(len(jobs)) as pool:
        batches = pool.map(presign_job, jobs)
    print(f"pre-signed {sum(map(len, batches))} distinct requests in {time.perf_counter() - t0:.1f} s", flush=True)

    queue = mp.Queue()
    start_at = time.time() + 0.5
    procs = [mp.Process(target=process_worker, args=(args.endpoint, args.ca_bundle, b, args.connections, start_at, queue))
             for b in batches]
    for pr in procs:
        pr.start()
    results = [queue.get() for _ in procs]
    elapsed = time.time() - start_at
    for pr in procs:
        pr.join()

    lat, statuses, errors = [], {}, 0
    for l, s, e in results:
        lat += l
        errors += e
        for k, v in s.items():
            statuses[k] = statuses.get(k, 0) + v
    lat.sort()
    n = len(lat)

    def pct(q):
        return lat[min(n - 1, int(q * n))] * 1000 if n else float("nan")

    non201 = sum(v for k, v in statuses.items() if k != 201)
    print(f"requests:     {n} over {args.processes} processes x {args.connections} connections")
    print(f"elapsed:      {elapsed:.2f} s")
    print(f"throughput:   {n / elapsed:.0f} requests/s")
    print(f"statuses:     {dict(sorted(statuses.items(), key=lambda kv: str(kv[0])))}")
    print(f"errors:       {non201} non-201 ({errors} transport)")
    print(f"latency ms:   p50 {pct(0.50):.2f}  p90 {pct(0.90):.2f}  p99 {pct(0.99):.2f}  "
          f"max {lat[-1] * 1000 if n else float('nan'):.2f}  mean {statistics.fmean(lat) * 1000 if n else float('nan'):.2f}")
    return 0 if non201 == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
