#!/usr/bin/env python3
"""replica_client.py — CreateSession against several replicas that share their state (ReplicasTests).

  replica_client.py MODE --endpoint HOST:PORT [--endpoint …] --ca-bundle F --certificate F --private-key F
                    --profile-arn A --role-arn A --trust-anchor-arn A [options]

Modes (each request on a new TLS connection; the signed Host is the first --endpoint, whose port the
server does not compare):
  same        sign ONE request and send the same bytes to every --endpoint in turn (a replay across replicas);
  fresh       --count N freshly signed requests, round robin over the endpoints;
  until-refused  fresh requests to each endpoint in turn until every one has answered 403 to a request
              sent --settle seconds or more after --since T (seconds since the epoch), or --max-seconds pass;
              each response carries "sentAfter" (seconds from T to the request's signing).
Prints one JSON object: {"responses": [{"endpoint", "status", "requestId", "errorType", "seconds"}] (seconds:
from the request's first byte sent to its answer read), and for
until-refused "refusedAfter": {endpoint: seconds since --since}}.
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
    p.add_argument("mode", choices=["same", "fresh", "until-refused"])
    p.add_argument("--endpoint", action="append", required=True)
    p.add_argument("--ca-bundle", required=True)
    for name in ("--certificate", "--private-key", "--profile-arn", "--role-arn", "--trust-anchor-arn"):
        p.add_argument(name, required=True)
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--since", type=float, default=None)
    p.add_argument("--max-seconds", type=float, default=10)
    p.add_argument("--settle", type=float, default=0,
                   help="until-refused: stop at a 403 to a request sent at least this many seconds after --since")
    a = p.parse_args()
    signer = raw_client.Signer(a.certificate, a.private_key)
    ctx = raw_client.tls_context(a.ca_bundle)

    def sign():
        request, _ = raw_client.build_request(
            signer, a.endpoint[0], a.profile_arn, a.role_arn, a.trust_anchor_arn, chunked=False)
        return request

    def send(endpoint, request):
        sock = raw_client.connect(endpoint, ctx, timeout=10)
        try:
            started = time.monotonic()
            status, headers, _ = raw_client.exchange(sock, request)
            seconds = time.monotonic() - started
        finally:
            sock.close()
        return {"endpoint": endpoint, "status": status, "requestId": headers.get("x-amzn-requestid"),
                "errorType": headers.get("x-amzn-errortype"), "seconds": seconds}

    responses = []
    result = {"responses": responses}
    if a.mode == "same":
        request = sign()
        for endpoint in a.endpoint:
            responses.append(send(endpoint, request))
    elif a.mode == "fresh":
        for index in range(a.count):
            responses.append(send(a.endpoint[index % len(a.endpoint)], sign()))
    else:
        # A request counts from the instant it was signed and sent: under load a client may take seconds to
        # get an answer, which says nothing about when the replica learned of the revocation.
        since = a.since if a.since is not None else time.time()
        refused = {}
        deadline = time.monotonic() + a.max_seconds
        while len(refused) < len(a.endpoint) and time.monotonic() < deadline:
            for endpoint in a.endpoint:
                if endpoint in refused:
                    continue
                sent_after = time.time() - since
                answer = send(endpoint, sign())
                answer["sentAfter"] = sent_after
                responses.append(answer)
                if answer["status"] == 403 and sent_after >= a.settle:
                    refused[endpoint] = sent_after
        result["refusedAfter"] = refused
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
