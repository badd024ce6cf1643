//! A customer's privacy requests and consent: `/customers/{id}/consent` (the only way consent
//! changes, each decision kept with its time and channel) and `/customers/{id}/anonymize`. The
//! data export, which holds their orders too, is `crate::data_export`.

use actix_web::web::{Data, Path};
use actix_web::{HttpResponse, get, post};
use chrono::{DateTime, Duration, Utc};
use rapport_domain::validation::text;
use rapport_domain::{FieldError, FieldErrors};
use rapport_persistence::customers::privacy::{self, ConsentRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::dto::{CustomerView, ListQuery};
use crate::auth::Auth;
use crate::extract::{IfMatch, ValidJson, ValidQuery, page_request};
use crate::problem::ApiError;
use crate::respond::{PageOf, ok_versioned, page};
use crate::state::AppState;

/// A marketing-consent decision to record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"opted_in": true, "channel": "wechat", "occurred_at": "2026-11-22T08:30:00Z"}))]
pub struct RecordConsent {
    /// True when the customer agrees to receive marketing, false when they withdraw.
    pub opted_in: bool,
    /// Where they decided (`web`, `store`, `wechat`, `phone`…), 1 to 50 characters.
    #[schema(min_length = 1, max_length = 50)]
    pub channel: String,
    /// When they decided; now when absent. Not in the future.
    pub occurred_at: Option<DateTime<Utc>>,
}

/// One recorded consent decision.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5c7-3333-7000-8000-000000000004",
    "opted_in": true, "channel": "wechat",
    "occurred_at": "2026-11-22T08:30:00Z", "recorded_at": "2026-11-22T08:30:01Z",
    "recorded_by": {"type": "user", "id": "0193a5c4-0000-7000-8000-000000000001"},
    "request_id": "0193a5c7-3333-7000-8000-000000000005"
}))]
pub struct ConsentRecordView {
    /// Identifier.
    pub id: Uuid,
    /// Opted in or out.
    pub opted_in: bool,
    /// Where the customer decided.
    pub channel: String,
    /// When the customer decided.
    pub occurred_at: DateTime<Utc>,
    /// When Rapport was told.
    pub recorded_at: DateTime<Utc>,
    /// Who recorded it.
    pub recorded_by: RecordedBy,
    /// The request that recorded it.
    pub request_id: String,
}

/// Who recorded a decision.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordedBy {
    /// `user`, `api_key` or `system`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The user or key.
    pub id: Option<Uuid>,
}

impl From<ConsentRecord> for ConsentRecordView {
    fn from(r: ConsentRecord) -> Self {
        ConsentRecordView {
            id: r.id,
            opted_in: r.opted_in,
            channel: r.channel,
            occurred_at: r.occurred_at,
            recorded_at: r.recorded_at,
            recorded_by: RecordedBy {
                kind: r.actor_type,
                id: r.actor_id,
            },
            request_id: r.request_id,
        }
    }
}

/// How far ahead of the server's clock a decision's time may be (clocks differ a little).
const CLOCK_SKEW_SECONDS: i64 = 300;

impl RecordConsent {
    fn parse(self, now: DateTime<Utc>) -> Result<(bool, String, DateTime<Utc>), FieldErrors> {
        let mut errors = FieldErrors::new();
        let channel = errors.take(text("channel", &self.channel, 1, 50));
        let at = self
            .occurred_at
            .map_or(now, |at| chrono::SubsecRound::trunc_subsecs(at, 6));
        if at > now + Duration::seconds(CLOCK_SKEW_SECONDS) {
            errors.push(FieldError::new(
                "occurred_at",
                "in_future",
                "must not be in the future",
            ));
        }
        match channel {
            Some(channel) if errors.is_empty() => Ok((self.opted_in, channel, at)),
            _ => Err(errors),
        }
    }
}

/// Record a consent decision.
///
/// The only way a customer's marketing consent changes: the decision becomes the customer's
/// consent and is kept, with its time, channel and who recorded it, in the consent history. With
/// `If-Match` it applies only to that version of the customer.
#[utoipa::path(
    tag = "privacy",
    operation_id = "record_customer_consent",
    request_body = RecordConsent,
    params(("id" = Uuid, Path, description = "Customer id"), ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "The customer with the decision as its consent", body = CustomerView,
        headers(("ETag" = String, description = "The new version")))),
    security(("bearer" = []))
)]
#[post("/customers/{id}/consent")]
pub async fn record_customer_consent(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
    body: ValidJson<RecordConsent>,
) -> Result<HttpResponse, ApiError> {
    let (opted_in, channel, at) = body.value()?.parse(rapport_persistence::now())?;
    let customer = privacy::record_consent(
        &state.db,
        &auth.actor,
        auth.scope,
        id.into_inner(),
        privacy::ConsentDecision {
            opted_in,
            channel,
            occurred_at: at,
        },
        if_match.0,
    )
    .await?;
    let version = customer.version;
    Ok(ok_versioned(
        &CustomerView::new(customer, auth.disclosure()),
        version,
    ))
}

/// List a customer's consent decisions.
///
/// Newest first: every opt-in and opt-out with its time, channel and who recorded it.
#[utoipa::path(
    tag = "privacy",
    operation_id = "list_customer_consent",
    params(("id" = Uuid, Path, description = "Customer id"), ListQuery),
    responses((status = 200, description = "One page of decisions", body = PageOf<ConsentRecordView>)),
    security(("bearer" = []))
)]
#[get("/customers/{id}/consent")]
pub async fn list_customer_consent(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    query: ValidQuery<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let list =
        privacy::consent_history(state.db.conn(), auth.owner(), id.into_inner(), &request).await?;
    Ok(page(&PageOf::from_page(list, ConsentRecordView::from)))
}

/// Anonymise a customer.
///
/// For a customer who asks to be forgotten: their personal data (name, email, phone, gender,
/// birthday, address, notes, external id, custom fields, consent) and their contacts' are wiped
/// everywhere they were copied, the audit trail and the event feed included, in one transaction.
/// What is not personal stays (kind, stage, tags, owner, segments, consent history, and orders
/// and aggregates), so reports stay true. Emits `customer.anonymized`. Cannot be undone.
#[utoipa::path(
    tag = "privacy",
    operation_id = "anonymize_customer",
    params(("id" = Uuid, Path, description = "Customer id"), ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "The customer as it is now", body = CustomerView,
        headers(("ETag" = String, description = "The new version")))),
    security(("bearer" = []))
)]
#[post("/customers/{id}/anonymize")]
pub async fn anonymize_customer(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let customer = privacy::anonymise(
        &state.db,
        &auth.actor,
        auth.scope,
        id.into_inner(),
        if_match.0,
    )
    .await?;
    let version = customer.version;
    Ok(ok_versioned(
        &CustomerView::new(customer, auth.disclosure()),
        version,
    ))
}
