#!/usr/bin/env python3
"""Proves each of Rapport's Spectral rules can fail: breaks a copy of the OpenAPI document in one
way per rule, lints all copies in one Spectral run, and fails unless every copy is caught by the
rule meant to catch it."""
import copy
import json
import subprocess
import sys
import tempfile
from pathlib import Path

root = Path(__file__).resolve().parent.parent
spectral = root / ".ci/node_modules/.bin/spectral"
doc = json.loads((root / "openapi/openapi.json").read_text())


def op(d, path="/api/v1/customers", method="get"):
    return d["paths"][path][method]


def drop_summary(d):
    del op(d)["summary"]


def drop_operation_id(d):
    del op(d)["operationId"]


def two_tags(d):
    op(d)["tags"].append("users")


def drop_cursor(d):
    op(d)["parameters"] = [p for p in op(d)["parameters"] if p["name"] != "cursor"]


def camel_property(d):
    d["components"]["schemas"]["CustomerView"]["properties"]["createdAt"] = {"type": "string"}


def snake_path(d):
    d["paths"]["/api/v1/audit_events"] = d["paths"].pop("/api/v1/audit-events")


def error_as_json(d):
    r = op(d)["responses"]["404" if "404" in op(d)["responses"] else "401"]
    r["content"] = {"application/json": r["content"]["application/problem+json"]}


def error_without_code(d):
    op(d)["responses"]["401"]["description"] = "Not signed in"


def no_401(d):
    del op(d)["responses"]["401"]


def no_example(d):
    del d["components"]["schemas"]["CreateCustomer"]["example"]


def not_a_page(d):
    schema = d["components"]["schemas"]["PageOf_CustomerView"]
    schema["required"] = [r for r in schema["required"] if r != "has_more"]


def camel_query(d):
    op(d)["parameters"][0]["name"] = "pageSize"


cases = {
    "rapport-operation-summary": drop_summary,
    "rapport-operation-id": drop_operation_id,
    "rapport-operation-tag": two_tags,
    "rapport-list-is-paged": drop_cursor,
    "rapport-properties-snake-case": camel_property,
    "rapport-paths-kebab-case": snake_path,
    "rapport-error-is-problem": error_as_json,
    "rapport-error-says-its-code": error_without_code,
    "rapport-authenticated-operation-says-401": no_401,
    "rapport-request-example": no_example,
    "rapport-query-parameters-snake-case": camel_query,
    "rapport-list-returns-a-page": not_a_page,
}

with tempfile.TemporaryDirectory() as tmp:
    files = {}
    for rule, breaks in cases.items():
        broken = copy.deepcopy(doc)
        breaks(broken)
        path = Path(tmp) / f"{rule}.json"
        path.write_text(json.dumps(broken))
        files[rule] = str(path)
    out = subprocess.run(
        [str(spectral), "lint", "-q", "-f", "json", "--ruleset", str(root / ".spectral.yaml"), *files.values()],
        capture_output=True,
        text=True,
        check=False,
    )
    found = json.loads(out.stdout or "[]")
    missed = [
        rule
        for rule, path in files.items()
        if not any(r["code"] == rule and r["source"] == path for r in found)
    ]
    for rule in cases:
        print(("caught " if rule not in missed else "MISSED ") + rule)
    sys.exit(1 if missed else 0)
