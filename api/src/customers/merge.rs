//! `GET /customers/{id}/duplicates` and `POST /customers/{id}/merge`.

use actix_web::web::{Data, Path};
use actix_web::{HttpResponse, get, post};
use rapport_persistence::customers::merge::{self, Duplicate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::dto::CustomerView;
use crate::auth::Auth;
use crate::extract::{IfMatch, ValidJson};
use crate::problem::{ApiError, Problem};
use crate::respond::ok_versioned;
use crate::state::AppState;
use rapport_domain::customers::Disclosure;

/// Why a customer looks like another.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateReasonDto {
    /// The same email.
    Email,
    /// The same phone number.
    Phone,
    /// The same id in a source system.
    ExternalId,
    /// The same name written differently at most: case, spacing, punctuation, a company form
    /// such as 有限公司 or GmbH.
    Name,
}

impl From<rapport_domain::customers::merge::DuplicateReason> for DuplicateReasonDto {
    fn from(r: rapport_domain::customers::merge::DuplicateReason) -> Self {
        use rapport_domain::customers::merge::DuplicateReason::*;
        match r {
            Email => DuplicateReasonDto::Email,
            Phone => DuplicateReasonDto::Phone,
            ExternalId => DuplicateReasonDto::ExternalId,
            Name => DuplicateReasonDto::Name,
        }
    }
}

/// A customer that looks like the one asked about.
#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicateView {
    /// The other customer.
    pub customer: CustomerView,
    /// Why, strongest first.
    pub reasons: Vec<DuplicateReasonDto>,
    /// 0 to 100: an email or phone counts 40, an external id 30, the name 20.
    pub score: u32,
}

impl DuplicateView {
    fn new(d: Duplicate, disclosure: Disclosure) -> Self {
        DuplicateView {
            customer: CustomerView::new(d.customer, disclosure),
            reasons: d.reasons.into_iter().map(Into::into).collect(),
            score: d.score,
        }
    }
}

/// The likely duplicates of a customer.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"data": []}))]
pub struct DuplicateList {
    /// At most 50, best matches first.
    pub data: Vec<DuplicateView>,
}

/// Find a customer's duplicates.
///
/// Customers the caller may see with the same email, phone or external id (in any source), or
/// the same name written differently at most (case, spacing, punctuation, a company form), best
/// matches first, at most 50. Callers who see email and phone masked find duplicates by
/// external id and name only.
#[utoipa::path(
    tag = "customers",
    operation_id = "find_customer_duplicates",
    params(("id" = Uuid, Path, description = "Customer id")),
    responses((status = 200, description = "The likely duplicates", body = DuplicateList)),
    security(("bearer" = []))
)]
#[get("/customers/{id}/duplicates")]
pub async fn find_customer_duplicates(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let disclosure = auth.disclosure();
    let by_contact_details = disclosure == Disclosure::Full;
    let found = merge::duplicates(
        state.db.conn(),
        auth.owner(),
        id.into_inner(),
        by_contact_details,
    )
    .await?;
    Ok(HttpResponse::Ok().json(DuplicateList {
        data: found
            .into_iter()
            .map(|d| DuplicateView::new(d, disclosure))
            .collect(),
    }))
}

/// Which customer to merge into this one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"duplicate_id": "0193a5c4-7f0e-7c1a-9d2e-5b8f7e6a1c21"}))]
pub struct MergeCustomers {
    /// The other record of the same customer; it is deleted once merged.
    pub duplicate_id: Uuid,
}

/// Merge a duplicate into a customer.
///
/// The customer (the one in the path) keeps its values and takes from the duplicate what it
/// lacks: email, phone, gender, birthday, address parts, source and external id, owner, notes,
/// custom values; tags are joined. Everything the duplicate owns moves over (contacts, consent
/// decisions, segment memberships), then the duplicate is deleted, in one transaction. The audit
/// trail keeps both records; the feed gets `customer.deleted` for the duplicate and
/// `customer.merged` (with `merged_customer_id`) for the customer.
#[utoipa::path(
    tag = "customers",
    operation_id = "merge_customers",
    request_body = MergeCustomers,
    params(("id" = Uuid, Path, description = "The customer that stays"), ("If-Match" = Option<String>, Header)),
    responses(
        (status = 200, description = "The customer after the merge", body = CustomerView,
            headers(("ETag" = String, description = "The new version"))),
        (status = 409, description = "`contacts_require_company`: the duplicate has contacts and the customer is not a company", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/customers/{id}/merge")]
pub async fn merge_customers(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
    body: ValidJson<MergeCustomers>,
) -> Result<HttpResponse, ApiError> {
    let body = body.value()?;
    let customer = merge::merge(
        &state.db,
        &auth.actor,
        auth.scope,
        id.into_inner(),
        body.duplicate_id,
        if_match.0,
    )
    .await?;
    let version = customer.version;
    Ok(ok_versioned(
        &CustomerView::new(customer, auth.disclosure()),
        version,
    ))
}
