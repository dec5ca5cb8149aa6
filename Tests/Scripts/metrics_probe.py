#!/usr/bin/env python3
"""metrics_probe.py — fetch `GET /metrics` from Anchorage and parse it as strict Prometheus text (0.0.4).

  metrics_probe.py --endpoint 127.0.0.1:9464 --insecure-http
  metrics_probe.py --endpoint HOST:PORT --ca-bundle ca.pem

/metrics is served only on the metrics listener (`anchorage serve --metrics-listen HOST:PORT`, plain HTTP,
127.0.0.1:9464 by default), never on the API listener: give that address, with --insecure-http.
  metrics_probe.py --file exposition.txt
  metrics_probe.py --self-test

Prints one JSON object:
  {"ok": true, "status": 200, "contentType": …, "families": {NAME: {"type", "help", "samples":
   [{"name", "labels": {…}, "value"}]}}, "text": …}
  {"ok": false, "errors": ["line 7: …", …], "text": …}

What "strict" means here (https://prometheus.io/docs/instrumenting/exposition_formats/):
  * every line is `# HELP name text`, `# TYPE name type`, another `#` comment, or a sample
    `name{label="value",…} value [timestamp]`; names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names
    [a-zA-Z_][a-zA-Z0-9_]* (not starting with __); label values escape only \\\\, \\" and \\n;
    values are Go floats, +Inf, -Inf or NaN; the text ends with a newline;
  * at most one HELP and one TYPE per family, TYPE before the family's first sample, every sample of a
    family contiguous (a family never reappears after another), no duplicate series, every sample belongs
    to a family with a TYPE;
  * counters: non-negative, and histogram series are `_bucket` (with `le`), `_sum` and `_count`;
    for each label set the buckets are sorted by `le`, cumulative counts never decrease, the `+Inf` bucket
    exists and equals `_count`.
--self-test runs the parser on good and broken expositions and exits 1 if any verdict is wrong.
"""

import argparse
import http.client
import json
import math
import re
import ssl
import sys

METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
FLOAT = re.compile(r"[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|Inf|inf)|NaN")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


class ParseError(Exception):
    pass


def parse_value(text):
    if not FLOAT.fullmatch(text):
        raise ParseError(f"bad value {text!r}")
    if text in ("+Inf", "Inf", "inf", "+inf"):
        return math.inf
    if text in ("-Inf", "-inf"):
        return -math.inf
    return float(text)


def parse_labels(text, pos):
    """text[pos] == '{'. Returns (labels dict, position after '}')."""
    labels = {}
    pos += 1
    while True:
        if pos < len(text) and text[pos] == "}":
            return labels, pos + 1
        m = LABEL_NAME.match(text, pos)
        if not m:
            raise ParseError(f"bad label name at column {pos + 1}")
        name = m.group(0)
        if name.startswith("__"):
            raise ParseError(f"reserved label name {name}")
        pos = m.end()
        if text[pos:pos + 2] != '="':
            raise ParseError(f"expected =\" after label {name}")
        pos += 2
        value = []
        while True:
            if pos >= len(text):
                raise ParseError(f"unterminated value of label {name}")
            c = text[pos]
            if c == "\\":
                nxt = text[pos + 1:pos + 2]
                if nxt == "\\":
                    value.append("\\")
                elif nxt == '"':
                    value.append('"')
                elif nxt == "n":
                    value.append("\n")
                else:
                    raise ParseError(f"bad escape \\{nxt} in label {name}")
                pos += 2
            elif c == '"':
                pos += 1
                break
            else:
                value.append(c)
                pos += 1
        if name in labels:
            raise ParseError(f"label {name} repeated")
        labels[name] = "".join(value)
        if pos < len(text) and text[pos] == ",":
            pos += 1
        elif pos < len(text) and text[pos] == "}":
            continue
        else:
            raise ParseError(f"expected , or }} after label {name}")


def family_of(sample_name, families):
    """The family a sample belongs to: its own name, or the histogram/summary it is a series of."""
    for suffix in ("_bucket", "_sum", "_count"):
        if sample_name.endswith(suffix):
            base = sample_name[: -len(suffix)]
            if base in families and families[base]["type"] in ("histogram", "summary"):
                if suffix == "_bucket" and families[base]["type"] != "histogram":
                    break
                return base
    return sample_name


def parse(text):
    """Returns (families, errors)."""
    errors = []
    families = {}
    order = []  # families in order of first appearance (HELP, TYPE or sample)
    finished = set()
    current = None
    seen_series = set()
    if text and not text.endswith("\n"):
        errors.append("the exposition does not end with a newline")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()

    def enter(name, lineno):
        nonlocal current
        if current != name:
            if name in finished or (name in families and current is not None and name != current
                                    and families[name]["samples"]):
                errors.append(f"line {lineno}: family {name} is not contiguous")
            if current is not None:
                finished.add(current)
            current = name
        if name not in families:
            families[name] = {"type": None, "help": None, "samples": []}
            order.append(name)

    for lineno, line in enumerate(lines, 1):
        try:
            if line == "":
                continue
            if line.startswith("#"):
                parts = line.split(" ", 3)
                if len(parts) >= 3 and parts[0] == "#" and parts[1] in ("HELP", "TYPE"):
                    name = parts[2]
                    if not METRIC_NAME.fullmatch(name):
                        raise ParseError(f"bad metric name {name!r}")
                    rest = parts[3] if len(parts) > 3 else ""
                    enter(name, lineno)
                    fam = families[name]
                    if parts[1] == "HELP":
                        if fam["help"] is not None:
                            raise ParseError(f"second HELP for {name}")
                        if re.search(r"\\[^\\n]", rest.replace("\\\\", "")):
                            raise ParseError(f"bad escape in HELP of {name}")
                        fam["help"] = rest.replace("\\n", "\n").replace("\\\\", "\\")
                    else:
                        if fam["type"] is not None:
                            raise ParseError(f"second TYPE for {name}")
                        if fam["samples"]:
                            raise ParseError(f"TYPE for {name} after its samples")
                        if rest not in TYPES:
                            raise ParseError(f"unknown type {rest!r}")
                        fam["type"] = rest
                continue  # other comments are allowed
            m = METRIC_NAME.match(line)
            if not m:
                raise ParseError("a sample must start with a metric name")
            name = m.group(0)
            pos = m.end()
            labels = {}
            if pos < len(line) and line[pos] == "{":
                labels, pos = parse_labels(line, pos)
            if pos >= len(line) or line[pos] != " ":
                raise ParseError("expected a space before the value")
            fields = line[pos + 1:].split(" ")
            if len(fields) not in (1, 2) or "" in fields:
                raise ParseError("expected `value [timestamp]`")
            value = parse_value(fields[0])
            if len(fields) == 2 and not re.fullmatch(r"-?\d+", fields[1]):
                raise ParseError(f"bad timestamp {fields[1]!r}")
            fam_name = family_of(name, families)
            if fam_name not in families or families[fam_name]["type"] is None:
                raise ParseError(f"sample {name} has no TYPE line before it")
            enter(fam_name, lineno)
            fam = families[fam_name]
            key = (name, tuple(sorted(labels.items())))
            if key in seen_series:
                raise ParseError(f"duplicate series {name}{labels}")
            seen_series.add(key)
            if fam["type"] == "counter" and not (value >= 0):
                raise ParseError(f"counter {name} is negative or NaN")
            if fam["type"] == "histogram":
                if name == fam_name:
                    raise ParseError(f"histogram {fam_name} has a bare sample")
                if name.endswith("_bucket") and "le" not in labels:
                    raise ParseError(f"bucket of {fam_name} without le")
                if not name.endswith("_bucket") and "le" in labels:
                    raise ParseError(f"{name} has an le label")
            fam["samples"].append({"name": name, "labels": labels, "value": value})
        except ParseError as e:
            errors.append(f"line {lineno}: {e}: {line!r}")

    for name in order:
        fam = families[name]
        if fam["type"] == "histogram":
            errors += check_histogram(name, fam["samples"])
    return families, errors


def check_histogram(name, samples):
    errors = []
    groups = {}
    for s in samples:
        labels = {k: v for k, v in s["labels"].items() if k != "le"}
        key = tuple(sorted(labels.items()))
        g = groups.setdefault(key, {"buckets": [], "sum": None, "count": None})
        if s["name"].endswith("_bucket"):
            try:
                le = parse_value(s["labels"]["le"])
            except ParseError:
                errors.append(f"{name}{dict(key)}: bad le {s['labels']['le']!r}")
                continue
            g["buckets"].append((le, s["value"]))
        elif s["name"].endswith("_sum"):
            g["sum"] = s["value"]
        else:
            g["count"] = s["value"]
    for key, g in groups.items():
        where = f"{name}{dict(key)}"
        les = [le for le, _ in g["buckets"]]
        if les != sorted(les) or len(set(les)) != len(les):
            errors.append(f"{where}: buckets not in increasing le order")
        counts = [c for _, c in sorted(g["buckets"])]
        if any(b < a for a, b in zip(counts, counts[1:])):
            errors.append(f"{where}: bucket counts decrease")
        if not les or les[-1] != math.inf:
            errors.append(f"{where}: no +Inf bucket")
        if g["count"] is None or g["sum"] is None:
            errors.append(f"{where}: _count or _sum missing")
        elif les and les[-1] == math.inf and counts[-1] != g["count"]:
            errors.append(f"{where}: +Inf bucket {counts[-1]} != _count {g['count']}")
    return errors


def fetch(endpoint, ca_bundle, insecure_http):
    host, _, port = endpoint.rpartition(":")
    if insecure_http:
        conn = http.client.HTTPConnection(host, int(port), timeout=15)
    else:
        ctx = ssl.create_default_context(cafile=ca_bundle)
        conn = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=15)
    conn.request("GET", "/metrics")
    r = conn.getresponse()
    body = r.read().decode("utf-8")
    return r.status, r.getheader("Content-Type"), body


def jsonable(families):
    def num(v):
        if v == math.inf:
            return "+Inf"
        if v == -math.inf:
            return "-Inf"
        if v != v:
            return "NaN"
        return v

    return {
        n: {"type": f["type"], "help": f["help"],
            "samples": [{"name": s["name"], "labels": s["labels"], "value": num(s["value"])} for s in f["samples"]]}
        for n, f in families.items()
    }


GOOD = r'''# HELP a_total A counter with "quotes" and a \\ backslash.\nSecond line.
# TYPE a_total counter
a_total{path="C:\\dir",quote="say \"hi\"",nl="a\nb"} 3
a_total{path="x"} 0
# TYPE h histogram
h_bucket{op="x",le="0.5"} 1
h_bucket{op="x",le="1"} 2
h_bucket{op="x",le="+Inf"} 2
h_sum{op="x"} 0.75
h_count{op="x"} 2
# TYPE g gauge
g -1.5e-3
g{x="y",} NaN
'''

BAD = {
    "no TYPE": "a 1\n",
    "bad escape": '# TYPE a gauge\na{x="\\t"} 1\n',
    "unterminated label": '# TYPE a gauge\na{x="y} 1\n',
    "not contiguous": "# TYPE a gauge\n# TYPE b gauge\na 1\nb 1\na{x=\"1\"} 2\n",
    "duplicate series": "# TYPE a gauge\na 1\na 2\n",
    "second TYPE": "# TYPE a gauge\n# TYPE a counter\na 1\n",
    "TYPE after samples": "# TYPE a gauge\na 1\n# TYPE a gauge\n",
    "negative counter": "# TYPE a counter\na -1\n",
    "bad value": "# TYPE a gauge\na one\n",
    "no trailing newline": "# TYPE a gauge\na 1",
    "+Inf != count": '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n',
    "buckets decrease": '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="2"} 1\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 2\n',
    "no +Inf": '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n',
    "unsorted le": '# TYPE h histogram\nh_bucket{le="2"} 1\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
    "bucket without le": "# TYPE h histogram\nh_bucket 1\nh_sum 1\nh_count 1\n",
    "unknown type": "# TYPE a thing\na 1\n",
    "bad metric name": "# TYPE 1a gauge\n",
    "space in labels": '# TYPE a gauge\na{x="1" ,y="2"} 1\n',
}


def self_test():
    failures = []
    families, errors = parse(GOOD)
    if errors:
        failures.append(f"good exposition rejected: {errors}")
    else:
        labels = families["a_total"]["samples"][0]["labels"]
        if labels != {"path": "C:\\dir", "quote": 'say "hi"', "nl": "a\nb"}:
            failures.append(f"label unescaping wrong: {labels}")
        if families["a_total"]["help"] != 'A counter with "quotes" and a \\ backslash.\nSecond line.':
            failures.append(f"HELP unescaping wrong: {families['a_total']['help']!r}")
    for name, text in BAD.items():
        _, errors = parse(text)
        if not errors:
            failures.append(f"accepted: {name}")
    return {"ok": not failures, "failures": failures, "badCases": len(BAD)}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--endpoint")
    p.add_argument("--ca-bundle")
    p.add_argument("--insecure-http", action="store_true")
    p.add_argument("--file")
    p.add_argument("--self-test", action="store_true")
    a = p.parse_args()
    if a.self_test:
        out = self_test()
        print(json.dumps(out))
        return 0 if out["ok"] else 1
    out = {}
    if a.file:
        with open(a.file, encoding="utf-8") as f:
            text = f.read()
    else:
        try:
            status, content_type, text = fetch(a.endpoint, a.ca_bundle, a.insecure_http)
        except Exception as e:  # noqa: BLE001
            print(json.dumps({"ok": False, "errors": [f"transport: {type(e).__name__}: {e}"]}))
            return 0
        out.update(status=status, contentType=content_type)
        if status != 200:
            print(json.dumps({"ok": False, "errors": [f"status {status}"], "text": text, **out}))
            return 0
    families, errors = parse(text)
    out.update(ok=not errors, errors=errors, families=jsonable(families), text=text)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
