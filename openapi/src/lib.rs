//! The OpenAPI document's frame (info, servers, security scheme, tags), the Swagger UI served from
//! the binary, and the path of the committed copy of the generated document.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

/// Where the committed document lives, relative to the workspace root.
pub const COMMITTED_PATH: &str = "openapi/openapi.json";

/// The committed document's absolute path on the machine that built this crate.
pub fn committed_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json")
}

/// Where the document is served.
pub const SPEC_URL: &str = "/api-docs/openapi.json";

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("An access token from `POST /api/v1/auth/login`."))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Rapport",
        version = env!("CARGO_PKG_VERSION"),
        description = "Rapport is a headless CRM: customers and their contacts, staff and roles, an audit trail \
and an event feed, as one documented JSON API.\n\n\
**Conventions.** JSON in and out, `snake_case` fields, UUID v7 ids, RFC 3339 UTC timestamps. Lists return \
`{data, next_cursor, has_more}` with keyset paging (`limit` 1–200, default 25; pass `next_cursor` back as \
`cursor`). Every error is `application/problem+json` with a stable `code` and, for field errors, every \
problem at once in `errors`. Single records carry `ETag: \"<version>\"`; send it back as `If-Match` on \
PATCH and DELETE to get 412 instead of overwriting someone else's change. Every POST that creates a \
record accepts `Idempotency-Key`: a retry with the same key and body within 24 hours replays the first \
answer (with `Idempotent-Replayed: true`), the same key with another body is 422 `idempotency_key_reused`.\n\n\
**Authentication.** `POST /api/v1/auth/login` returns a bearer token; click *Authorize* and paste it. \
Each operation states the permission it needs; records outside the caller's data scope answer 404.\n\n\
**Languages.** Problem titles and field messages follow `Accept-Language` (English, or `zh-CN`).",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
        contact(name = "Rapport")
    ),
    servers((url = "/", description = "This server")),
    tags(
        (name = "auth", description = "Sign in, rotate and revoke tokens, and the caller's own account."),
        (name = "customers", description = "Customers: people and companies the business serves."),
        (name = "contacts", description = "The people behind a company customer; at most one is primary."),
        (name = "imports", description = "Loading customers, products or order history from a CSV or JSON-lines file as a background job, with progress and every refused row."),
        (name = "privacy", description = "Marketing consent with its history, and customers' requests to see or erase their data."),
        (name = "segments", description = "Saved groups of customers: dynamic (a filter) or static (a list), with their members, counts and previews."),
        (name = "tags", description = "Tags in use with their counts, and tagging or untagging many customers at once."),
        (name = "catalogue", description = "What is sold: the category tree, brands, products with their variants, and each variant's stock ledger."),
        (name = "orders", description = "What customers bought or consumed: placing orders with variant and free lines, paying (which takes the stock of every line at once), shipping with a status history, delivering, completing, cancelling, and refunds in part or in whole."),
        (name = "activities", description = "Every interaction with a customer: calls, visits, meetings, messages, notes and care occasions attended to. Each customer keeps the time of their latest (`last_activity_at`), to filter on."),
        (name = "deals", description = "Sales pipelines with their ordered stages and win probabilities, deals moving through them until won or lost, each deal's stage history, and what each stage holds."),
        (name = "leads", description = "People who may become customers, rated and scored, worked from new to qualified, and converted into a customer (made or linked) and perhaps a deal in one step, or disqualified."),
        (name = "care", description = "Care plans: birthdays, dates of the year and anniversaries, regular return visits and customers gone quiet, for the customers of a segment, each occasion turned once into a task and/or a `care.due` event, run daily by the scheduler; and what came of each occasion, recorded as a `care` activity."),
        (name = "tickets", description = "The service desk: customers' requests and complaints received, assigned to an agent, worked from new to closed with public answers and internal notes, and rated by the customer once resolved."),
        (name = "conversations", description = "Live chat: customers' conversations with the service desk on the web, WeChat, a mini program, the phone or e-mail, their messages from the customer (relayed by an integration), agents and the system, a Server-Sent Events stream that carries each new message to the agents who may see it, resumable without loss, and a conversation turned into a ticket with its transcript."),
        (name = "sla", description = "Service level agreements: how soon tickets are first answered and resolved, by priority, around the clock or in business hours in the workspace's time zone; the active policy sets each new ticket's due times, and the scheduler records each breach once."),
        (name = "coupons", description = "Coupons of every common kind (a sum off, a percentage with a cap, spend X get Y off, a gift), with a window, limits in all and per customer, and the products or categories they apply to; issued into customers' wallets by list or segment, tried on a draft order, taken by an order with its code and redeemed when it is paid, never past a limit, and given back by a refund when asked."),
        (name = "campaigns", description = "Marketing campaigns from draft to completed: aimed at a segment whose customers freeze into its members when it is published, started and completed by the scheduler at `starts_at` and `ends_at`; tracking events ingested in batches (sent, delivered, opened, clicked, converted; once per the sender's event id) and shown on each customer's timeline; orders credited by `campaign_id` or the campaign's coupon; and its results: reach, response and conversion rates, orders, revenue, cost and return."),
        (name = "promotions", description = "Promotions without codes: a time-limited sum or percentage off, spend X get Y off, or a gift, on products or categories, above a minimum, within a window; every order they fit is priced with the one that takes the most off, shown as its own line of the totals and by `POST /coupons/validate`, before any coupon and the member's tier discount. `GET /promotions?active=true` is what a storefront shows."),
        (name = "loyalty", description = "Customers' points: a ledger whose sum is the balance, never below zero; earned when an order is paid (by the rule in `/settings/loyalty`), taken back in proportion when it is refunded, adjusted and redeemed by staff, and expired by the scheduler after the set time, the points that expire first spent first."),
        (name = "rewards", description = "The rewards catalogue: gifts and coupons, each with a points cost and, when counted, stock; a customer exchanges points for one in one transaction (stock, points and the coupon in the wallet together, never below zero however many come at once), and gifts still to hand over are listed and marked fulfilled."),
        (name = "tasks", description = "What staff have to do and by when, with a reminder: a staff member's overdue tasks and those due today, in the workspace's time zone."),
        (name = "membership-tiers", description = "The loyalty programme's members and tiers: a customer enrols (a member number, when and where they joined) and holds the highest-ranked tier their points earned or money spent within the tier window (`/settings/loyalty`) reaches; a tier's discount is a line of the member's order totals and its multiplier scales the points they earn."),
        (name = "customer-levels", description = "Grades the business sets by what customers spend and how often they buy; every customer holds the highest-ranked level their figures reach."),
        (name = "settings", description = "The workspace's settings: how long after payment a refund can be requested, how long finished work is kept, its time zone, and when deal owners are reminded of their deals."),
        (name = "custom-fields", description = "The workspace's own fields on customers, contacts, products and orders: key, label, type, options, required."),
        (name = "users", description = "Staff accounts (administrators)."),
        (name = "roles", description = "Roles and their permissions with data scope `own` or `all`."),
        (name = "api-keys", description = "Keys for integrators, bound to a role; shown once, stored hashed."),
        (name = "audit", description = "Who changed what, when (administrators)."),
        (name = "events", description = "The ordered feed of domain events for integrators who pull."),
        (name = "jobs", description = "Every node's background and timed work in one table (imports, hourly housekeeping): what ran, when, on which node, how often and how it ended (administrators)."),
        (name = "health", description = "Liveness and readiness for load balancers and orchestrators."),
    ),
    modifiers(&BearerScheme)
)]
struct Frame;

/// The document's frame; the API crate adds the paths.
pub fn frame() -> utoipa::openapi::OpenApi {
    Frame::openapi()
}

/// The Swagger UI at `/swagger-ui/`, showing `spec`; its assets are compiled into the binary.
pub fn swagger_ui(spec: serde_json::Value) -> SwaggerUi {
    SwaggerUi::new("/swagger-ui/{_:.*}").external_url_unchecked(SPEC_URL, spec)
}
