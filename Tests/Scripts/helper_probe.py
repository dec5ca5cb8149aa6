#!/usr/bin/env python3
"""Client-side probes for the anchorage-helper end-to-end tests. Prints one JSON line.

  helper_probe.py boto3 [--profile P]   boto3 resolves credentials from the environment / AWS_CONFIG_FILE
                                        (credential_process, IMDS via AWS_EC2_METADATA_SERVICE_ENDPOINT,
                                        or the ECS form via AWS_CONTAINER_CREDENTIALS_FULL_URI):
                                        {"ok":true,"accessKeyId","method"} or {"ok":false,"error"}
  helper_probe.py imds --endpoint URL   raw IMDSv2: token, role list, credentials
                                        {"tokenStatus","roleStatus","role","status","body"}
  helper_probe.py ttl --endpoint URL    the IPv4 TTLs on loopback of the packets the endpoint sends and receives
                                        while answering an IMDSv2 token request (needs CAP_NET_RAW):
                                        {"ok":true,"tokenStatus","fromServer":[ttl…],"toServer":[ttl…]}
  helper_probe.py sign-message --certificate PEM --out FILE
                                        writes the fixed sign-string message for the certificate's key
"""
import argparse
import hashlib
import json
import sys
import urllib.error
import urllib.request


def boto3_credentials(args):
    import boto3
    import botocore.exceptions
    try:
        session = boto3.Session(profile_name=args.profile) if args.profile else boto3.Session()
        creds = session.get_credentials()
        if creds is None:
            return {"ok": False, "error": "no credentials"}
        frozen = creds.get_frozen_credentials()
        return {"ok": True, "accessKeyId": frozen.access_key, "secretAccessKey": frozen.secret_key,
                "sessionToken": frozen.token, "method": creds.method}
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        return {"ok": False, "error": type(e).__name__, "message": str(e)}


def request(method, url, headers):
    req = urllib.request.Request(url, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def imds(args):
    base = args.endpoint.rstrip("/")
    status, token = request("PUT", base + "/latest/api/token", {"x-aws-ec2-metadata-token-ttl-seconds": "60"})
    out = {"tokenStatus": status}
    if status != 200:
        return out
    h = {"x-aws-ec2-metadata-token": token}
    out["roleStatus"], out["role"] = request("GET", base + "/latest/meta-data/iam/security-credentials/", h)
    out["status"], out["body"] = request("GET", base + "/latest/meta-data/iam/security-credentials/" + out["role"], h)
    return out


def ttl(args):
    import socket
    import time
    import urllib.parse
    port = urllib.parse.urlparse(args.endpoint).port
    try:
        capture = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    except PermissionError as e:
        return {"ok": False, "error": "permission", "message": str(e)}
    # Every test's loopback traffic lands here too: a large buffer keeps this exchange's frames from being
    # dropped while the request runs (SO_RCVBUFFORCE needs root, which a packet socket needs anyway).
    try:
        capture.setsockopt(socket.SOL_SOCKET, 33, 32 << 20)  # SO_RCVBUFFORCE
    except OSError:
        capture.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 << 20)
    capture.bind(("lo", 0))
    capture.setblocking(False)
    status, _ = request("PUT", args.endpoint.rstrip("/") + "/latest/api/token",
                        {"x-aws-ec2-metadata-token-ttl-seconds": "60"})
    from_server, to_server = set(), set()
    # Drain everything queued (the whole exchange is, once the answer is in), and keep waiting while a
    # direction is still unseen, up to 5 s: under load the frames queue behind other tests' traffic.
    deadline = time.time() + 5
    while time.time() < deadline:
        try:
            frame = capture.recv(65535)
        except BlockingIOError:
            if from_server and to_server:
                break
            time.sleep(0.01)
            continue
        # Loopback frames carry a 14-byte Ethernet header; only IPv4 TCP is of interest.
        if len(frame) < 34 or frame[12:14] != b"\x08\x00" or frame[23] != 6:
            continue
        ip = frame[14:]
        tcp = ip[(ip[0] & 0x0F) * 4:]
        source, destination = int.from_bytes(tcp[0:2], "big"), int.from_bytes(tcp[2:4], "big")
        if source == port:
            from_server.add(ip[8])
        elif destination == port:
            to_server.add(ip[8])
    capture.close()
    return {"ok": True, "tokenStatus": status, "fromServer": sorted(from_server), "toServer": sorted(to_server)}


def sign_message(args):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    cert = x509.load_pem_x509_certificate(open(args.certificate, "rb").read())
    key = cert.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        raw = key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    else:
        raw = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    message = b"AWS Roles Anywhere Credential Helper Signing Test" + b"1" + hashlib.sha256(b"IAM RA" + raw).digest()
    open(args.out, "wb").write(message)
    return {"ok": True, "length": len(message)}


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("boto3")
    b.add_argument("--profile")
    i = sub.add_parser("imds")
    i.add_argument("--endpoint", required=True)
    t = sub.add_parser("ttl")
    t.add_argument("--endpoint", required=True)
    s = sub.add_parser("sign-message")
    s.add_argument("--certificate", required=True)
    s.add_argument("--out", required=True)
    args = p.parse_args()
    result = {"boto3": boto3_credentials, "imds": imds, "ttl": ttl, "sign-message": sign_message}[args.command](args)
    print(json.dumps(result))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
