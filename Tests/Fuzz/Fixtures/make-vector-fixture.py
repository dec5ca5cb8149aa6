#!/usr/bin/env python3
"""Writes certificate_chain.vector.swift from Tests/Fixtures/vectors/roles-anywhere/testvector-rsa.json.

Only public material is copied: the captured requests (headers, body) and the three certificates.
The vector's private key is deliberately left out.
Usage: Tests/Fuzz/Fixtures/make-vector-fixture.py [testvector-rsa.json]
"""
import json
import os
import sys

# The default is the copy in the repository, found from this script's own path (Tests/Fuzz/Fixtures).
here = os.path.dirname(os.path.abspath(__file__))
default_source = os.path.join(here, "..", "..", "Fixtures", "vectors", "roles-anywhere", "testvector-rsa.json")
source = sys.argv[1] if len(sys.argv) > 1 else default_source
vector = json.load(open(source))


def der_base64(pem):
    return "".join(line for line in pem.strip().splitlines() if not line.startswith("-----"))


out = [
    "// Generated from Tests/Fixtures/vectors/roles-anywhere/testvector-rsa.json: two CreateSession requests",
    "// signed by iam_rolesanywhere_session 3.0.0 at 2026-11-25T03:04:05Z, and the public test",
    "// certificates (leaf RSA-2048 <- intermediate P-384 <- root RSA-2048). No private key is included.",
    "enum RolesAnywhereVector {",
    '    static let time = "20261125T030405Z"',
]
for key, name in [("leaf_cert_pem", "leafBase64"), ("intermediate_pem", "intermediateBase64"), ("root_pem", "rootBase64")]:
    out.append(f'    static let {name} = "{der_base64(vector[key])}"')
out += [
    "    struct Request {",
    "        var method: String",
    "        var path: String",
    "        var headers: [(name: String, value: String)]",
    "        var body: String",
    "    }",
    "    static let requests: [Request] = [",
]
for request in vector["requests"]:
    headers = ",\n".join(f"                ({json.dumps(n)}, {json.dumps(v)})" for n, v in request["headers"])
    out.append(
        f'        Request(\n            method: {json.dumps(request["method"])}, path: {json.dumps(request["path"])},\n'
        f"            headers: [\n{headers},\n            ],\n            body: {json.dumps(request['body'])}),"
    )
out += ["    ]", "}"]
target = os.path.join(os.path.dirname(os.path.abspath(__file__)), "certificate_chain.vector.swift")
open(target, "w").write("\n".join(out) + "\n")
