"""What the OpenAPI document cannot say, told to schemathesis for valid (positive) cases only.

A schema can say that a cursor is a string, an owner is a UUID, If-Match is an entity tag and a
birthday is a date; it cannot say that the cursor must come from the same list, that the owner must
exist, that the tag must be the record's current version, that an Idempotency-Key is new, that a
date lies before or after today, that a new password is not one of the most common ones, or which
custom fields the workspace has defined. For cases
schemathesis generates as valid, these hooks put in real values, so "a valid request was rejected"
means a real bug. Invalid (negative) cases are sent exactly as generated.
"""

import os
import uuid
from datetime import date, datetime, timedelta, timezone

import requests
import schemathesis
import schemathesis.engine.observations

# Schemathesis 4.32.5 scans successful JSON bodies for links and crashes the whole run when a stored
# string such as "http://[x" is not a valid URL (urlsplit raises ValueError). Such a string is valid
# data to Rapport; it is simply not a link.
_same_origin_path = schemathesis.engine.observations._same_origin_path


def _same_origin_path_or_none(value, origin):
    try:
        return _same_origin_path(value, origin)
    except ValueError:
        return None


schemathesis.engine.observations._same_origin_path = _same_origin_path_or_none

# An import file in JSON lines is text, sent as it is.
schemathesis.serializer.alias("application/x-ndjson", "text/plain")

BASE = os.environ["FUZZ_BASE_URL"]
AUTH = {"Authorization": f"Bearer {os.environ['FUZZ_TOKEN']}"}
ADMIN_ID = os.environ["FUZZ_ADMIN_ID"]
# A role every server has and that may own records.
EXISTING_ROLE = "sales"


def _positive(case) -> bool:
    meta = getattr(case, "meta", None)
    return meta is not None and meta.generation.mode.is_positive


# A condition every server accepts; stands in for one the server's own state decides.
SIMPLE_CONDITION = {"field": "lifecycle_stage", "op": "eq", "value": "customer"}
# The same for an order filter.
SIMPLE_ORDER_CONDITION = {"field": "status", "op": "eq", "value": "paid"}
# And for a product filter.
SIMPLE_PRODUCT_CONDITION = {"field": "status", "op": "eq", "value": "active"}
# A deal filter's and a ticket filter's.
SIMPLE_DEAL_CONDITION = {"field": "status", "op": "eq", "value": "open"}
SIMPLE_TICKET_CONDITION = {"field": "status", "op": "eq", "value": "new"}
MAX_DEPTH = 4
MAX_CONDITIONS = 50


def _known_filter(node, simple, depth=0):
    """The filter with what depends on the server's state made known: conditions on custom fields
    (which fields exist is the server's state) become a plain condition, and groups nested deeper
    than the documented limit (which a schema cannot state) are cut there."""
    if isinstance(node, dict) and len(node) == 1 and ("and" in node or "or" in node):
        key = "and" if "and" in node else "or"
        if depth >= MAX_DEPTH or not isinstance(node[key], list):
            return dict(simple)
        return {key: [_known_filter(part, simple, depth + 1) for part in node[key]]}
    if isinstance(node, dict) and str(node.get("field", "")).startswith("custom_fields."):
        return dict(simple)
    return node


def _conditions(node):
    if isinstance(node, dict) and len(node) == 1 and ("and" in node or "or" in node):
        parts = node.get("and", node.get("or"))
        return sum(_conditions(part) for part in parts) if isinstance(parts, list) else 1
    return 1


def _known_sort(keys):
    """Sort keys without custom fields, which exist only once defined."""
    return [key for key in keys if "custom_fields." not in key]


def _batch_item(item):
    """A batch item the server can write whatever it holds already: its own key, a name for when
    it is new, no email or phone another customer may have, and the server-state rules of a
    customer body."""
    if not isinstance(item, dict):
        return item
    item["external_id"] = uuid.uuid4().hex
    item.setdefault("name", "Fuzz customer")
    if item.get("name") is None:
        item["name"] = "Fuzz customer"
    item.pop("email", None)
    item.pop("phone", None)
    if isinstance(item.get("owner_id"), str):
        item["owner_id"] = ADMIN_ID
    if isinstance(item.get("custom_fields"), dict):
        item["custom_fields"] = {}
    birthday = item.get("birthday")
    if isinstance(birthday, str) and not ("1900-01-01" <= birthday <= date.today().isoformat()):
        item["birthday"] = "1990-05-17"
    return item


def _product_item(item):
    """A product batch item the server can write whatever it holds already: its own key, a name
    for when it is new, no custom field values (which keys are defined is the server's state),
    and variants with skus and options of their own and a price."""
    if not isinstance(item, dict):
        return item
    item["external_id"] = uuid.uuid4().hex
    if isinstance(item.get("custom_fields"), dict):
        item["custom_fields"] = {}
    if item.get("name") is None:
        item["name"] = "Fuzz product"
    for reference in ("category_id", "brand_id"):
        if isinstance(item.get(reference), str):
            item[reference] = None
    if isinstance(item.get("variants"), list):
        for variant in item["variants"]:
            if isinstance(variant, dict):
                variant["sku"] = uuid.uuid4().hex
                variant["options"] = {"variant": uuid.uuid4().hex[:12]}
                if not isinstance(variant.get("price"), int) or isinstance(variant.get("price"), bool):
                    variant["price"] = 100
                if not isinstance(variant.get("currency"), str):
                    variant["currency"] = "CNY"
    return item


PAID_ON = {"paid", "shipped", "delivered", "completed"}
SHIPPED_ON = {"shipped", "delivered", "completed"}


def _order_item(item, customer_id):
    """An order batch item the server can write whatever it holds already: its own key, a
    customer that exists, free lines with small amounts (which variants exist is the server's
    state, and no schema can sum a total), no custom field values, and a state that carries what
    its status needs and nothing it has not reached (a rule across properties), and times in
    the past (a rule relative to now)."""
    if not isinstance(item, dict):
        return item
    item["external_id"] = uuid.uuid4().hex
    item["customer_id"] = customer_id
    if not isinstance(item.get("currency"), str):
        item["currency"] = "CNY"
    lines = item.get("lines") if isinstance(item.get("lines"), list) else [None]
    item["lines"] = [{"description": "Fuzz line", "quantity": 1, "unit_price": 100} for _ in lines]
    shipping = item.get("shipping")
    if isinstance(shipping, (int, float)) and not isinstance(shipping, bool):
        item["shipping"] = min(int(shipping), 1000)
    if isinstance(item.get("sales_user_id"), str):
        item["sales_user_id"] = ADMIN_ID
    if isinstance(item.get("custom_fields"), dict):
        item["custom_fields"] = {}
    status = item.get("status")
    if status in PAID_ON:
        if not isinstance(item.get("payment"), dict):
            item["payment"] = {"method": "cash"}
    else:
        item.pop("payment", None)
    if status in SHIPPED_ON:
        if not isinstance(item.get("shipment"), dict):
            item["shipment"] = {"carrier": "Fuzz carrier"}
        if status == "shipped":
            item["shipment"].pop("delivered_at", None)
    else:
        item.pop("shipment", None)
    if status != "completed":
        item.pop("completed_at", None)
    if status != "cancelled":
        item.pop("cancelled_at", None)
    # A shop records what happened: no time lies in the future.
    past = (datetime.now(timezone.utc) - timedelta(days=1)).isoformat()
    for holder, key in [(item, "placed_at"), (item, "completed_at"), (item, "cancelled_at"),
                        (item.get("payment"), "paid_at"), (item.get("shipment"), "shipped_at"),
                        (item.get("shipment"), "delivered_at")]:
        if isinstance(holder, dict) and isinstance(holder.get(key), str):
            holder[key] = past
    return item


# The fields a product import's column can fill; `external_id` and `name` are a customer's too.
PRODUCT_TARGETS = {
    "external_id", "name", "description", "category_id", "brand_id", "status", "images", "sku",
    "options", "price", "currency", "stock", "low_stock_threshold",
}
BOTH_TARGETS = {"external_id", "name"}
# The fields an order import's column can fill, besides `custom_fields.<key>`.
ORDER_TARGETS = {
    "external_id", "status", "customer_id", "sales_user_id", "currency", "shipping", "channel",
    "note", "recipient.name", "recipient.phone", "ship_to.country", "ship_to.province",
    "ship_to.city", "ship_to.district", "ship_to.street", "ship_to.postal_code",
    "payment.method", "payment.reference", "payment.paid_at", "shipment.carrier",
    "shipment.tracking_number", "shipment.shipped_at", "shipment.delivered_at", "completed_at",
    "cancelled_at", "placed_at", "line.variant_id", "line.sku", "line.description",
    "line.quantity", "line.unit_price",
}


def _product_target(target):
    return isinstance(target, str) and (target in PRODUCT_TARGETS or target.startswith("options."))


def _fits(target, resource):
    """Whether a mapping's target is a field of the job's resource: the document lists every
    resource's fields together, and which apply is the job's `resource_type`."""
    if target is None:
        return True
    if resource == "orders":
        return target in ORDER_TARGETS or target.startswith("custom_fields.")
    if resource == "products":
        return _product_target(target) or target.startswith("custom_fields.")
    return (not _product_target(target) or target in BOTH_TARGETS) and (
        target not in ORDER_TARGETS or target == "external_id")


_CHATTER = []


def _chatter():
    """One customer every generated ticket and conversation is for, made once: a customer each
    would swell the customers every level change reassigns."""
    if not _CHATTER:
        made = requests.post(BASE + "/api/v1/customers", headers=AUTH, json={"name": "Fuzz chatter"}, timeout=10)
        if made.status_code != 201:
            return None
        _CHATTER.append(made.json()["id"])
    return _CHATTER[0]


# The parts each coupon kind takes: needed, and allowed besides.
_COUPON_KINDS = {
    "fixed_amount": ({"amount_off": 500}, ()),
    "percentage": ({"percent_off": 10}, ("max_discount",)),
    "threshold": ({"amount_off": 500, "min_order_amount": 5000}, ()),
}
_COUPON_AMOUNTS = ("amount_off", "percent_off", "max_discount", "gift_variant_id")


def _coupon(case):
    """A coupon the server takes: the amounts its kind needs and no others (a gift names a variant
    that exists, the server's state, so none is made a gift), a unique code, a window that ends
    after it starts. A change leaves the kind and its amounts, and the limits, as they are: the
    stored coupon decides what fits."""
    body = case.body
    if isinstance(body.get("code"), str):
        body["code"] = "FZ" + uuid.uuid4().hex[:14].upper()
    for scope in ("product_ids", "category_ids"):
        if isinstance(body.get(scope), list):
            body[scope] = []
    if isinstance(body.get("valid_until"), str):
        body["valid_until"] = (datetime.now(timezone.utc) + timedelta(days=30)).isoformat()
        body.pop("valid_from", None)
    if case.method == "PATCH":
        for part in ("kind", "currency", "min_order_amount", "total_limit", "valid_from") + _COUPON_AMOUNTS:
            body.pop(part, None)
        return
    kind = body.get("kind") if body.get("kind") in _COUPON_KINDS else "fixed_amount"
    body["kind"] = kind
    needs, may = _COUPON_KINDS[kind]
    for part in _COUPON_AMOUNTS + ("min_order_amount",):
        if part not in needs and part not in may and (part != "min_order_amount" or kind == "threshold"):
            body.pop(part, None)
    for part, value in needs.items():
        if not isinstance(body.get(part), int) or isinstance(body.get(part), bool):
            body[part] = value
    if kind == "threshold" and body["amount_off"] > body["min_order_amount"]:
        body["amount_off"], body["min_order_amount"] = body["min_order_amount"], body["amount_off"]


_REWARD_PARTS = {}


def _made(key, path, body):
    """A record made once through the API and remembered: `key` names it."""
    if key not in _REWARD_PARTS:
        made = requests.post(BASE + path, headers=AUTH, json=body, timeout=10)
        if made.status_code != 201:
            return None
        _REWARD_PARTS[key] = made.json()["id"]
    return _REWARD_PARTS[key]


def _reward(case):
    """A reward the server takes: a coupon reward names a coupon that exists, a gift names none
    (and no variant, which would have to exist); a change leaves what it gives as it is."""
    body = case.body
    body.pop("variant_id", None)
    if case.method == "PATCH":
        for part in ("kind", "coupon_id"):
            body.pop(part, None)
        return
    if body.get("kind") == "coupon":
        coupon = _made("coupon", "/api/v1/coupons",
                       {"name": "Fuzz reward coupon", "kind": "fixed_amount", "amount_off": 100})
        if coupon is None:
            body["kind"] = "gift"
            body.pop("coupon_id", None)
        else:
            body["coupon_id"] = coupon
    else:
        body.pop("coupon_id", None)


def _exchange(case):
    """An exchange the server can make: of a reward that exists, costing one point, by the one
    customer generated requests are for, given that point first."""
    reward = _made("gift", "/api/v1/rewards", {"name": "Fuzz gift", "kind": "gift", "points_cost": 1})
    chatter = _chatter()
    if reward is None or chatter is None:
        return
    requests.post(f"{BASE}/api/v1/customers/{chatter}/points/adjustments", headers=AUTH,
                  json={"points": 1, "reason": "fuzz"}, timeout=10)
    case.path_parameters["id"] = chatter
    case.body["reward_id"] = reward


def _tracked_campaign():
    """A running campaign whose audience is the one customer generated requests are for, made
    once: tracking events are about its members."""
    chatter = _chatter()
    if chatter is None:
        return None
    segment = _made("chatter_segment", "/api/v1/segments", {
        "name": "Fuzz chatter " + uuid.uuid4().hex[:8], "kind": "dynamic",
        "filter": {"field": "name", "op": "eq", "value": "Fuzz chatter"}})
    if segment is None:
        return None
    start = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat()
    campaign = _made("campaign", "/api/v1/campaigns", {
        "name": "Fuzz campaign", "campaign_type": "sms", "segment_id": segment, "starts_at": start})
    if campaign is not None and "published" not in _REWARD_PARTS:
        requests.post(f"{BASE}/api/v1/campaigns/{campaign}/publish", headers=AUTH, timeout=10)
        _REWARD_PARTS["published"] = campaign
    return campaign


def _campaign(case):
    """A campaign the server takes: its segment and coupon exist (the server's state, so none is
    named), it ends after it starts; a change leaves what a published campaign keeps fixed."""
    body = case.body
    body.pop("segment_id", None)
    body.pop("coupon_id", None)
    if case.method == "PATCH":
        for part in ("campaign_type", "currency", "starts_at"):
            body.pop(part, None)
        if isinstance(body.get("ends_at"), str):
            body["ends_at"] = "2099-01-01T00:00:00Z"
        return
    if isinstance(body.get("ends_at"), str):
        body["starts_at"] = "2026-01-01T00:00:00Z"
        body["ends_at"] = "2099-01-01T00:00:00Z"


def _current(case):
    response = requests.get(BASE + case.formatted_path, headers=AUTH, timeout=10)
    return response.json() if response.status_code == 200 else None


def _current_etag(case):
    # An action (`POST /customers/{id}/anonymize`) is guarded by the version of its record.
    path = case.formatted_path.rsplit("/", 1)[0] if case.method == "POST" else case.formatted_path
    response = requests.get(BASE + path, headers=AUTH, timeout=10)
    return response.headers.get("ETag") if response.status_code == 200 else None


def _care_schedule(schedule):
    """A schedule the server takes: a date of the year that the month has, and an interval in
    months of at most ten years, rules across two properties."""
    if not isinstance(schedule, dict):
        return schedule
    on = schedule.get("on")
    if isinstance(on, str) and len(on) == 5 and on[2] == "-":
        try:
            date(2024, int(on[:2]), int(on[3:]))
        except ValueError:
            schedule["on"] = "12-25"
    every = schedule.get("every")
    if schedule.get("unit") == "months" and isinstance(every, (int, float)) and every > 120:
        schedule["every"] = 12
    return schedule


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    if not _positive(case):
        return
    if case.path == "/api/v1/customers/{id}/membership" and case.method == "GET":
        # A membership to read exists when the customer has enrolled: the server's state.
        member = _chatter()
        if member is not None:
            requests.post(f"{BASE}/api/v1/customers/{member}/membership", headers=AUTH,
                          json={"signup_channel": "store"}, timeout=10)
            case.path_parameters["id"] = member
    if case.query and "cursor" in case.query:
        # Only a cursor the server issued for this list and sort is valid.
        del case.query["cursor"]
    if case.query and "segment_id" in case.query:
        # Which segments exist is the server's state.
        del case.query["segment_id"]
    if case.query and case.query.get("format") == "ndjson" and case.query.get("bom") in (True, "true"):
        # A byte-order mark goes only in front of CSV: a rule across two parameters.
        del case.query["bom"]
    if case.query and isinstance(case.query.get("sort"), str):
        case.query["sort"] = ",".join(_known_sort(case.query["sort"].split(",")))
    if isinstance(case.body, dict) and case.path.endswith("/search"):
        case.body.pop("cursor", None)
        if isinstance(case.body.get("sort"), list):
            case.body["sort"] = _known_sort(case.body["sort"])
    if isinstance(case.body, dict) and case.path == "/api/v1/customers/{id}/merge":
        # Only another existing customer can be merged in: make one.
        made = requests.post(BASE + "/api/v1/customers", headers=AUTH, json={"name": "Fuzz duplicate"}, timeout=10)
        if made.status_code == 201:
            case.body["duplicate_id"] = made.json()["id"]
    if isinstance(case.body, dict) and case.path == "/api/v1/products/batch":
        if isinstance(case.body.get("products"), list):
            case.body["products"] = [_product_item(item) for item in case.body["products"]]
    if isinstance(case.body, dict) and case.path == "/api/v1/imports" and isinstance(case.body.get("mapping"), dict):
        # The document lists a customer's and a product row's fields together; which apply is
        # the job's resource type, a rule across two properties.
        resource = case.body.get("resource_type")
        case.body["mapping"] = {
            column: target
            for column, target in case.body["mapping"].items()
            if _fits(target, resource)
        }
    if isinstance(case.body, dict) and case.path == "/api/v1/orders/batch":
        if isinstance(case.body.get("orders"), list):
            # Orders are for a customer that exists: the server's state.
            made = requests.post(BASE + "/api/v1/customers", headers=AUTH, json={"name": "Fuzz buyer"}, timeout=10)
            buyer = made.json()["id"] if made.status_code == 201 else None
            case.body["orders"] = [_order_item(item, buyer) for item in case.body["orders"]]
    if isinstance(case.body, dict) and case.path == "/api/v1/customers/batch":
        if isinstance(case.body.get("customers"), list):
            case.body["customers"] = [_batch_item(item) for item in case.body["customers"]]
    if isinstance(case.body, dict) and case.body.get("filter") is not None:
        if case.path.startswith("/api/v1/orders"):
            simple = SIMPLE_ORDER_CONDITION
        elif case.path.startswith("/api/v1/products"):
            simple = SIMPLE_PRODUCT_CONDITION
        elif case.path.startswith("/api/v1/deals"):
            simple = SIMPLE_DEAL_CONDITION
        elif case.path.startswith("/api/v1/tickets"):
            simple = SIMPLE_TICKET_CONDITION
        else:
            simple = SIMPLE_CONDITION
        case.body["filter"] = _known_filter(case.body["filter"], simple)
        if _conditions(case.body["filter"]) > MAX_CONDITIONS:
            case.body["filter"] = dict(simple)
    if isinstance(case.body, dict):
        # Rules relative to today: a birthday lies between 1900 and today, a key expires later.
        birthday = case.body.get("birthday")
        if isinstance(birthday, str) and not ("1900-01-01" <= birthday <= date.today().isoformat()):
            case.body["birthday"] = "1990-05-17"
        occurred_at = case.body.get("occurred_at")
        if isinstance(occurred_at, str):
            # A decision lies in the past.
            case.body["occurred_at"] = (datetime.now(timezone.utc) - timedelta(days=1)).isoformat()
        if case.path == "/api/v1/customers/{id}/membership" and isinstance(case.body.get("member_since"), str):
            # A member joined in the past.
            case.body["member_since"] = (datetime.now(timezone.utc) - timedelta(days=400)).isoformat()
        expires_at = case.body.get("expires_at")
        if isinstance(expires_at, str):
            case.body["expires_at"] = (datetime.now(timezone.utc) + timedelta(days=30)).isoformat()
        if isinstance(case.body.get("owner_id"), str):
            case.body["owner_id"] = ADMIN_ID
        if case.path == "/api/v1/products" and isinstance(case.body.get("variants"), list):
            # Variants of one product differ in sku and options, which no schema can state across
            # the items of a list.
            for variant in case.body["variants"]:
                if isinstance(variant, dict):
                    variant["sku"] = uuid.uuid4().hex
                    variant["options"] = {"variant": uuid.uuid4().hex[:12]}
        placing = case.path == "/api/v1/orders" and case.method == "POST"
        changing = case.path == "/api/v1/orders/{id}" and case.method == "PATCH"
        if placing:
            # An order is for a customer that exists: the server's state.
            made = requests.post(BASE + "/api/v1/customers", headers=AUTH, json={"name": "Fuzz buyer"}, timeout=10)
            if made.status_code == 201:
                case.body["customer_id"] = made.json()["id"]
        if placing or changing:
            # Variant lines name variants that exist: the server's state. Free lines need none;
            # amounts stay small enough that the order's total fits, which no schema can sum.
            if isinstance(case.body.get("lines"), list):
                case.body["lines"] = [
                    {"description": "Fuzz line", "quantity": 1, "unit_price": 100}
                    for line in case.body["lines"]
                ]
            shipping = case.body.get("shipping")
            if isinstance(shipping, (int, float)) and not isinstance(shipping, bool):
                # Integers may come as 3.0; either way the total must stay within its limit.
                case.body["shipping"] = min(int(shipping), 1000)
            if isinstance(case.body.get("sales_user_id"), str):
                case.body["sales_user_id"] = ADMIN_ID
        if placing or changing:
            # Which coupon codes and campaigns exist, and whether a code applies, is the server's
            # state.
            case.body.pop("coupon_code", None)
            case.body.pop("campaign_id", None)
        if case.path in ("/api/v1/coupons", "/api/v1/coupons/{id}", "/api/v1/promotions",
                         "/api/v1/promotions/{id}") and case.method in ("POST", "PATCH"):
            # A promotion takes a coupon's terms.
            _coupon(case)
        if case.path in ("/api/v1/rewards", "/api/v1/rewards/{id}") and case.method in ("POST", "PATCH"):
            _reward(case)
        if case.path == "/api/v1/customers/{id}/reward-exchanges" and case.method == "POST":
            _exchange(case)
        if case.path in ("/api/v1/campaigns", "/api/v1/campaigns/{id}") and case.method in ("POST", "PATCH"):
            _campaign(case)
        if case.path == "/api/v1/campaigns/{id}/events" and isinstance(case.body.get("events"), list):
            # Events are about a published campaign's members, stamped in the past.
            campaign = _tracked_campaign()
            chatter = _chatter()
            if campaign is not None:
                case.path_parameters["id"] = campaign
                for item in case.body["events"]:
                    if isinstance(item, dict):
                        item["customer_id"] = chatter
                        item["occurred_at"] = (datetime.now(timezone.utc) - timedelta(minutes=1)).isoformat()
        if case.path == "/api/v1/coupons/validate":
            # A draft is for a customer that exists, with lines whose total fits.
            chatter = _chatter()
            if chatter is not None:
                case.body["customer_id"] = chatter
            if isinstance(case.body.get("lines"), list):
                case.body["lines"] = [
                    {"description": "Fuzz line", "quantity": 1, "unit_price": 100}
                    for line in case.body["lines"]
                ]
            shipping = case.body.get("shipping")
            if isinstance(shipping, (int, float)) and not isinstance(shipping, bool):
                case.body["shipping"] = min(int(shipping), 1000)
        if case.path == "/api/v1/coupons/{id}/issue":
            # Which customers and segments exist is the server's state.
            chatter = _chatter()
            case.body.pop("segment_id", None)
            case.body["customer_ids"] = [chatter] if chatter else []
        if case.path == "/api/v1/deals" and case.method == "POST":
            # A deal is for a customer and in a pipeline that exist: the server's state.
            made = requests.post(BASE + "/api/v1/customers", headers=AUTH, json={"name": "Fuzz deal buyer"}, timeout=10)
            if made.status_code == 201:
                case.body["customer_id"] = made.json()["id"]
            pipeline = requests.post(BASE + "/api/v1/pipelines", headers=AUTH, timeout=10, json={
                "name": "Fuzz pipeline " + uuid.uuid4().hex, "stages": [{"name": "Open", "probability": 10}]})
            if pipeline.status_code == 201:
                case.body["pipeline_id"] = pipeline.json()["id"]
            case.body.pop("stage_id", None)
        if case.path.startswith("/api/v1/sla-policies") and isinstance(case.body.get("business_hours"), dict):
            # A working day ends after it starts and names each day once: rules across items
            # and properties.
            hours = case.body["business_hours"]
            if isinstance(hours.get("days"), list):
                hours["days"] = list(dict.fromkeys(hours["days"]))
            if isinstance(hours.get("start"), str) and isinstance(hours.get("end"), str) and hours["start"] >= hours["end"]:
                hours["start"], hours["end"] = "09:00", "18:00"
        if case.path == "/api/v1/settings/return-visits" and isinstance(case.body.get("rules"), list):
            # A rule names a ticket type exactly when it follows tickets, and one rule follows
            # each occasion: rules across properties and items.
            rules, seen = [], set()
            for rule in case.body["rules"]:
                if not isinstance(rule, dict):
                    continue
                if rule.get("occasion") == "ticket_resolved" and rule.get("ticket_type") is None:
                    rule["ticket_type"] = "complaint"
                if rule.get("occasion") == "order_delivered":
                    rule.pop("ticket_type", None)
                key = (rule.get("occasion"), rule.get("ticket_type"))
                if key not in seen:
                    seen.add(key)
                    rules.append(rule)
            case.body["rules"] = rules
        if case.path in ("/api/v1/conversations", "/api/v1/conversations/{id}") and case.method in ("POST", "PATCH"):
            # A conversation is for a customer that exists, assigned to staff that exist: the
            # server's state.
            if case.method == "POST":
                chatter = _chatter()
                if chatter is not None:
                    case.body["customer_id"] = chatter
            if isinstance(case.body.get("assignee_id"), str):
                case.body["assignee_id"] = ADMIN_ID
        if case.path == "/api/v1/conversations/{id}/messages" and case.method == "POST":
            # Staff write as agents: who may write as whom is the caller, not the schema.
            if case.body.get("sender") not in (None, "agent"):
                del case.body["sender"]
        if case.path == "/api/v1/conversations/{id}/ticket" and isinstance(case.body.get("custom_fields"), dict):
            # Which custom fields tickets have is the server's state.
            case.body["custom_fields"] = {}
        if case.path in ("/api/v1/tickets", "/api/v1/tickets/{id}") and case.method in ("POST", "PATCH"):
            # A ticket is for a customer that exists, about one of their orders, assigned to
            # staff that exist: the server's state, and a rule across two records.
            if case.method == "POST":
                served = _chatter()
                if served is not None:
                    case.body["customer_id"] = served
            if "order_id" in case.body:
                case.body["order_id"] = None
            if isinstance(case.body.get("assignee_id"), str):
                case.body["assignee_id"] = ADMIN_ID
        if case.path == "/api/v1/deals/{id}" and case.method == "PATCH":
            # Which stages the deal's pipeline has is the server's state; a lost deal says why,
            # and only a lost one, a rule across two properties and the stored status.
            case.body.pop("stage_id", None)
            if case.body.get("status") == "lost":
                case.body["lost_reason"] = "Fuzz reason"
            else:
                case.body.pop("lost_reason", None)
        if case.path == "/api/v1/leads/{id}" and case.method == "PATCH" and case.body.get("status") != "disqualified":
            # Only a disqualified lead has a reason, a rule across two properties and the stored
            # status.
            case.body.pop("disqualified_reason", None)
        if case.path == "/api/v1/leads/{id}/convert" and case.method == "POST":
            # A conversion makes a customer or links one, not both, and which customers and
            # pipelines exist is the server's state: the customer is made, from the body or the
            # lead, and the deal goes into a pipeline that exists.
            case.body.pop("customer_id", None)
            if isinstance(case.body.get("customer"), dict):
                case.body["customer"] = _batch_item(case.body["customer"])
            deal = case.body.get("deal")
            if isinstance(deal, dict):
                pipeline = requests.post(BASE + "/api/v1/pipelines", headers=AUTH, timeout=10, json={
                    "name": "Fuzz pipeline " + uuid.uuid4().hex, "stages": [{"name": "Open", "probability": 10}]})
                if pipeline.status_code == 201:
                    deal["pipeline_id"] = pipeline.json()["id"]
                deal.pop("stage_id", None)
                if isinstance(deal.get("owner_id"), str):
                    deal["owner_id"] = ADMIN_ID
        if case.path in ("/api/v1/care-plans", "/api/v1/care-plans/{id}"):
            # Which segments and staff exist is the server's state; a plan makes a task, emits
            # care.due, or both, a rule across two properties and the stored plan.
            if isinstance(case.body.get("segment_id"), str):
                case.body["segment_id"] = None
            if isinstance(case.body.get("assignee_id"), str):
                case.body["assignee_id"] = ADMIN_ID
            if case.body.get("makes_task") is False:
                case.body["emits_event"] = True
            if case.body.get("emits_event") is False:
                case.body["makes_task"] = True
            case.body["schedule"] = _care_schedule(case.body.get("schedule"))
            if case.body["schedule"] is None and case.method == "PATCH":
                del case.body["schedule"]
        if case.path == "/api/v1/pipelines/{id}" and case.method == "PATCH" and isinstance(case.body.get("stages"), list):
            # Which stage ids a pipeline has is the server's state: every stage sent is new.
            for s in case.body["stages"]:
                if isinstance(s, dict):
                    s.pop("id", None)
            names = [s.get("name") for s in case.body["stages"] if isinstance(s, dict)]
            if len({str(n).strip().lower() for n in names}) != len(names):
                for i, s in enumerate(case.body["stages"]):
                    if isinstance(s, dict):
                        s["name"] = "Stage %d" % i
        if case.path == "/api/v1/pipelines" and case.method == "POST" and isinstance(case.body.get("stages"), list):
            # Stage names are unique within a pipeline, which no schema can state across items.
            for i, s in enumerate(case.body["stages"]):
                if isinstance(s, dict):
                    s["name"] = "Stage %d" % i
        following = case.path in ("/api/v1/activities", "/api/v1/tasks") and case.method == "POST"
        following_up = case.path in ("/api/v1/activities/{id}", "/api/v1/tasks/{id}") and case.method == "PATCH"
        if following or following_up:
            # Activities and tasks name a customer, an order, a deal and staff that exist: the
            # server's state. An order or a deal would have to be the customer's, a rule across
            # two records.
            if "customer_id" in case.body and (following or case.body["customer_id"] is not None):
                made = requests.post(BASE + "/api/v1/customers", headers=AUTH, json={"name": "Fuzz follow-up"}, timeout=10)
                if made.status_code == 201:
                    case.body["customer_id"] = made.json()["id"]
            for link in ("order_id", "deal_id"):
                if link in case.body:
                    case.body[link] = None
            for person in ("author_id", "assignee_id"):
                if isinstance(case.body.get(person), str):
                    case.body[person] = ADMIN_ID
        if case.path == "/api/v1/orders/{id}/refund" and isinstance(case.body.get("restock"), list):
            # Which lines an order has, and how many units each can still put back, is the
            # server's state.
            case.body["restock"] = []
        if case.method == "PATCH" and case.path == "/api/v1/customer-levels/{id}":
            # A level keeps at least one threshold, and which ones it has is the server's state.
            for threshold in ("min_total_spent", "min_orders_count"):
                if threshold in case.body and case.body[threshold] is None:
                    del case.body[threshold]
        for reference in ("category_id", "brand_id"):
            if isinstance(case.body.get(reference), str):
                # Which categories and brands exist is the server's state.
                case.body[reference] = None
        if isinstance(case.body.get("parent_id"), str):
            # Which categories exist, and where a move would close a loop, is the server's state.
            case.body["parent_id"] = None
        if isinstance(case.body.get("password"), str) and case.path.startswith("/api/v1/users"):
            # A new password must not be on the list of common ones, which no schema can state.
            case.body["password"] = "fuzz " + uuid.uuid4().hex
        if isinstance(case.body.get("role"), str):
            case.body["role"] = EXISTING_ROLE
        for owner in (case.body, case.body.get("deal")):
            if isinstance(owner, dict) and isinstance(owner.get("custom_fields"), dict):
                # Only defined keys take values (a lead's deal's too), and which keys are
                # defined is the server's state.
                owner["custom_fields"] = {}
        if case.path.startswith("/api/v1/custom-fields") and case.body.get("required") is True:
            # A required field would make every later valid customer without it invalid.
            case.body["required"] = False
        if case.method == "PATCH" and case.path == "/api/v1/segments/{id}" and case.body.get("filter") is not None:
            # Only a dynamic segment has a filter, and the stored segment's kind is the server's state.
            current = _current(case)
            if current is not None and current.get("kind") != "dynamic":
                del case.body["filter"]
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
    if case.headers and "If-Match" in case.headers and case.method in ("PATCH", "DELETE", "POST"):
        case.headers["If-Match"] = _current_etag(case) or "*"
