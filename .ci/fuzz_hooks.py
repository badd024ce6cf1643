"""What the OpenAPI document cannot say, told to schemathesis for valid (positive) cases only.

A schema can say that a cursor is a string, an owner is a UUID, If-Match is an entity tag and a
birthday is a date; it cannot say that the cursor must come from the same list, that the owner must
exist, that the tag must be the record's current version, that an Idempotency-Key is new, that a
date lies before or after today, or which custom fields the workspace has defined. For cases
schemathesis generates as valid, these hooks put in real values, so "a valid request was rejected"
means a real bug. Invalid (negative) cases are sent exactly as generated.
"""

import os
import uuid
from datetime import date, datetime, timedelta, timezone

import requests
import schemathesis

BASE = os.environ["FUZZ_BASE_URL"]
AUTH = {"Authorization": f"Bearer {os.environ['FUZZ_TOKEN']}"}
ADMIN_ID = os.environ["FUZZ_ADMIN_ID"]
# A role every server has and that may own records.
EXISTING_ROLE = "sales"


def _positive(case) -> bool:
    meta = getattr(case, "meta", None)
    return meta is not None and meta.generation.mode.is_positive


def _current(case):
    response = requests.get(BASE + case.formatted_path, headers=AUTH, timeout=10)
    return response.json() if response.status_code == 200 else None


def _current_etag(case):
    response = requests.get(BASE + case.formatted_path, headers=AUTH, timeout=10)
    return response.headers.get("ETag") if response.status_code == 200 else None


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    if not _positive(case):
        return
    if case.query and "cursor" in case.query:
        # Only a cursor the server issued for this list and sort is valid.
        del case.query["cursor"]
    if isinstance(case.body, dict):
        # Rules relative to today: a birthday lies between 1900 and today, a key expires later.
        birthday = case.body.get("birthday")
        if isinstance(birthday, str) and not ("1900-01-01" <= birthday <= date.today().isoformat()):
            case.body["birthday"] = "1990-05-17"
        expires_at = case.body.get("expires_at")
        if isinstance(expires_at, str):
            case.body["expires_at"] = (datetime.now(timezone.utc) + timedelta(days=30)).isoformat()
        if isinstance(case.body.get("owner_id"), str):
            case.body["owner_id"] = ADMIN_ID
        if isinstance(case.body.get("role"), str):
            case.body["role"] = EXISTING_ROLE
        if isinstance(case.body.get("custom_fields"), dict):
            # Only defined keys take values, and which keys are defined is the server's state.
            case.body["custom_fields"] = {}
        if case.path.startswith("/api/v1/custom-fields") and case.body.get("required") is True:
            # A required field would make every later valid customer without it invalid.
            case.body["required"] = False
        if case.method == "PATCH" and case.path == "/api/v1/custom-fields/{id}" and "options" in case.body:
            # Only a choice field has options, and the stored field's type is the server's state.
            current = _current(case)
            if current is not None and current.get("field_type") not in ("enum", "multi_enum"):
                del case.body["options"]
            elif current is not None and not case.body["options"]:
                case.body["options"] = ["retail"]
    if case.headers and "Idempotency-Key" in case.headers:
        # A key names one request: a valid retry repeats the request, a new request takes a new key.
        case.headers["Idempotency-Key"] = uuid.uuid4().hex
    if case.headers and "If-Match" in case.headers and case.method in ("PATCH", "DELETE"):
        case.headers["If-Match"] = _current_etag(case) or "*"
