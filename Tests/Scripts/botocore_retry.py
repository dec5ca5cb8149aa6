#!/usr/bin/env python3
"""botocore_retry.py — how botocore classifies an error response: parses it with botocore's rest-json parser
(the protocol Roles Anywhere speaks) and asks the standard and legacy retry handlers whether they retry it.

  botocore_retry.py STATUS HEADERS_JSON BODY
prints {"code": ..., "message": ..., "throttling": bool, "standardRetryable": bool, "legacyRetryable": bool}
"""

import json
import sys
from types import SimpleNamespace

from botocore.awsrequest import AWSResponse
from botocore.parsers import RestJSONParser
from botocore.retries import standard
from botocore import retryhandler, translate
import botocore.loaders


def main(argv):
    status, headers, body = int(argv[0]), json.loads(argv[1]), argv[2].encode()
    parsed = RestJSONParser().parse({"status_code": status, "headers": headers, "body": body}, None)
    http = AWSResponse("https://anchorage.test/sessions", status, headers, None)
    operation = SimpleNamespace(
        name="CreateSession", error_shapes=[], service_model=SimpleNamespace(service_name="rolesanywhere"))
    context = standard.RetryContext(
        attempt_number=1, operation_model=operation, parsed_response=parsed, http_response=http)
    # The legacy ("legacy" retry mode) handler, built from botocore's own _retry.json as clients build it.
    model = botocore.loaders.Loader().load_data("_retry")
    config = translate.build_retry_config("rolesanywhere", model["retry"], model.get("definitions", {}))
    legacy = retryhandler.create_retry_handler(config, operation_name="CreateSession")
    legacy_retry = legacy(
        attempts=1, response=(http, parsed), caught_exception=None, request_dict={"context": {}}) is not None
    print(json.dumps({
        "code": parsed.get("Error", {}).get("Code"),
        "message": parsed.get("Error", {}).get("Message"),
        "throttling": standard.ThrottledRetryableChecker().is_retryable(context),
        "standardRetryable": standard.StandardRetryConditions().is_retryable(context),
        "legacyRetryable": legacy_retry,
    }))


if __name__ == "__main__":
    main(sys.argv[1:])
