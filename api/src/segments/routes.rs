//! Segment handlers: parse, authorise (the `Auth` extractor), call one use case, map the result.

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post};
use rapport_domain::FieldErrors;
use rapport_domain::access::{Action, Resource};
use rapport_domain::custom_fields::{Definition, FieldOwner};
use rapport_domain::customers::Disclosure;
use rapport_domain::customers::fields::{self, default_sort, sortable_fields};
use rapport_domain::filter::{Catalogue, Filter};
use rapport_domain::segments::{NewSegment, Segment, SegmentChanges, SegmentKind};
use rapport_domain::sort::SortOrder;
use rapport_persistence::customers::{self, CustomerSearch};
use rapport_persistence::page::PageRequest;
use rapport_persistence::segments;
use std::sync::Arc;
use uuid::Uuid;

use super::dto::{
    CreateSegment, PreviewSegment, SegmentCustomerListQuery, SegmentCustomers, SegmentListQuery,
    SegmentPreview, SegmentView, UpdateSegment,
};
use crate::auth::Auth;
use crate::customers::{
    BulkResult, CustomerView, ParsedSelection, check_stored_filter, filter_catalogue, parse_filter,
};
use crate::extract::{IdempotencyHeader, IfMatch, ValidJson, ValidQuery, page_request};
use crate::problem::{ApiError, ErrorCode, Problem};
use crate::respond::{PageOf, created, ok_versioned, page};
use crate::state::AppState;

/// The owner the caller's customer reads are limited to: segments hold customers, and a caller
/// sees of them only what `customers:read` lets them see (none at all without it).
fn customer_scope(auth: &Auth) -> Result<Option<Uuid>, ApiError> {
    let scope = auth.also(Resource::Customers, Action::Read)?;
    Ok(auth.actor.owner_filter(scope))
}

/// The workspace's customer fields now, and those of them the caller may filter by.
async fn catalogue(
    state: &AppState,
    auth: &Auth,
) -> Result<(Arc<Vec<Definition>>, Catalogue), ApiError> {
    let definitions = crate::custom_fields::definitions(state, FieldOwner::Customer).await?;
    let catalogue = filter_catalogue(&definitions, auth.disclosure());
    Ok((definitions, catalogue))
}

/// Who belongs to `segment`: a dynamic segment's stored filter, read against today's fields (409
/// when a field it names is gone; 403 when it tests what the caller sees masked), or a static
/// segment's members.
pub fn membership(
    segment: &Segment,
    definitions: &[Definition],
    disclosure: Disclosure,
) -> Result<(Option<Filter>, Option<Uuid>), ApiError> {
    match (&segment.kind, &segment.filter) {
        (SegmentKind::Dynamic, Some(raw)) => {
            let filter = Filter::parse(raw, &fields::catalogue(definitions), "filter").map_err(
                |errors| ApiError {
                    errors,
                    ..ApiError::new(
                        ErrorCode::SegmentFilterOutdated,
                        "the segment's filter names fields or options that no longer exist; give it a new filter",
                    )
                },
            )?;
            check_stored_filter(&filter, disclosure)?;
            Ok((Some(filter), None))
        }
        _ => Ok((None, Some(segment.id))),
    }
}

/// A filter sent at `filter`, or none.
fn optional_filter(
    raw: Option<serde_json::Value>,
    catalogue: &Catalogue,
) -> Result<Option<Filter>, ApiError> {
    raw.filter(|f| !f.is_null())
        .map(|raw| parse_filter(&raw, catalogue, "filter"))
        .transpose()
}

/// List segments.
///
/// Newest first. Member counts are on each segment's own `GET`.
#[utoipa::path(
    tag = "segments",
    operation_id = "list_segments",
    params(SegmentListQuery),
    responses((status = 200, description = "One page of segments", body = PageOf<SegmentView>)),
    security(("bearer" = []))
)]
#[get("/segments")]
pub async fn list_segments(
    state: Data<AppState>,
    auth: Auth,
    query: ValidQuery<SegmentListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let list = segments::list(state.db.conn(), &request).await?;
    let disclosure = auth.disclosure();
    Ok(page(&PageOf::from_page(list, |s| {
        SegmentView::from(s).seen_by(disclosure)
    })))
}

/// Create a segment.
///
/// A dynamic segment with its filter (checked like a search's: a 400 names every mistake), or an
/// empty static segment to add customers to. Names are unique (409 `segment_name_taken`).
#[utoipa::path(
    tag = "segments",
    operation_id = "create_segment",
    request_body = CreateSegment,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses(
        (status = 201, description = "Created", body = SegmentView,
            headers(("Location" = String, description = "The segment's URL"), ("ETag" = String, description = "The version"))),
        (status = 409, description = "`segment_name_taken`: another segment has this name", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/segments")]
pub async fn create_segment(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    idempotency: IdempotencyHeader,
    body: ValidJson<CreateSegment>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency.scoped(&auth.actor, &req, &body.raw);
    let body = body.value()?;
    let (_, catalogue) = catalogue(&state, &auth).await?;
    let filter = optional_filter(body.filter, &catalogue)?;
    let new = NewSegment {
        name: body.name,
        description: body.description,
        kind: body.kind.into(),
        filter,
    }
    .parse()
    .map_err(|errors| ApiError::validation(FieldErrors(errors)))?;
    let outcome = segments::create(&state.db, &auth.actor, new, key.as_ref()).await?;
    let replayed = outcome.is_replay();
    let segment = outcome.into_inner();
    let location = format!("/api/v1/segments/{}", segment.id);
    let version = segment.version;
    Ok(created(
        &SegmentView::from(segment).seen_by(auth.disclosure()),
        location,
        version,
        replayed,
    ))
}

/// Get a segment.
///
/// With `customer_count`: the members the caller may see, counted now.
#[utoipa::path(
    tag = "segments",
    operation_id = "get_segment",
    params(("id" = Uuid, Path, description = "Segment id")),
    responses(
        (status = 200, description = "The segment", body = SegmentView,
            headers(("ETag" = String, description = "The version, for If-Match"))),
        (status = 409, description = "`segment_filter_outdated`: the filter names a field or option that no longer exists", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/segments/{id:[0-9a-fA-F-]+}")]
pub async fn get_segment(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let owner = customer_scope(&auth)?;
    let segment = segments::get(state.db.conn(), id.into_inner()).await?;
    let (definitions, catalogue) = catalogue(&state, &auth).await?;
    let count = match membership(&segment, &definitions, auth.disclosure()) {
        Ok((filter, members_of)) => {
            let order = SortOrder(vec![default_sort()]);
            let query = CustomerSearch {
                filter: filter.as_ref(),
                q: None,
                within: members_of.map(segments::members),
                order: &order,
                catalogue: &catalogue,
            };
            Some(customers::count(state.db.conn(), owner, &query).await?)
        }
        // A caller who may not learn who matches the filter sees the segment without its count.
        Err(refused) if refused.code == ErrorCode::Forbidden => None,
        Err(outdated) => return Err(outdated),
    };
    let version = segment.version;
    Ok(ok_versioned(
        &SegmentView::new(segment, count).seen_by(auth.disclosure()),
        version,
    ))
}

/// Change a segment.
///
/// Name, description and (dynamic segments) filter; the kind cannot change. With `If-Match:
/// "<version>"` the change applies only to that version.
#[utoipa::path(
    tag = "segments",
    operation_id = "update_segment",
    request_body = UpdateSegment,
    params(
        ("id" = Uuid, Path, description = "Segment id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses(
        (status = 200, description = "The changed segment", body = SegmentView,
            headers(("ETag" = String, description = "The new version"))),
        (status = 409, description = "`segment_name_taken`: another segment has this name", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/segments/{id:[0-9a-fA-F-]+}")]
pub async fn update_segment(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
    body: ValidJson<UpdateSegment>,
) -> Result<HttpResponse, ApiError> {
    let body = body.value()?;
    let (_, catalogue) = catalogue(&state, &auth).await?;
    let changes = SegmentChanges {
        name: body.name,
        description: body.description,
        filter: optional_filter(body.filter, &catalogue)?,
    }
    .parse()
    .map_err(|errors| ApiError::validation(FieldErrors(errors)))?;
    let segment =
        segments::update(&state.db, &auth.actor, id.into_inner(), changes, if_match.0).await?;
    let version = segment.version;
    Ok(ok_versioned(
        &SegmentView::from(segment).seen_by(auth.disclosure()),
        version,
    ))
}

/// Delete a segment.
///
/// The customers stay; only the segment and its list of members go. A segment that care plans
/// are for stays (409 `segment_in_use`).
#[utoipa::path(
    tag = "segments",
    operation_id = "delete_segment",
    params(
        ("id" = Uuid, Path, description = "Segment id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "`segment_in_use`: care plans are for the segment", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/segments/{id:[0-9a-fA-F-]+}")]
pub async fn delete_segment(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    segments::delete(&state.db, &auth.actor, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// List a segment's customers.
///
/// A dynamic segment's are whoever its filter selects now; a static segment's are those added to
/// it. Only customers the caller may see are listed; `sort` as on `GET /api/v1/customers`.
#[utoipa::path(
    tag = "segments",
    operation_id = "list_segment_customers",
    params(("id" = Uuid, Path, description = "Segment id"), SegmentCustomerListQuery),
    responses(
        (status = 200, description = "One page of the segment's customers", body = PageOf<CustomerView>),
        (status = 403, description = "`forbidden`: the segment's filter tests email or phone, which your role sees masked", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`segment_filter_outdated`: the filter names a field or option that no longer exists", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/segments/{id}/customers")]
pub async fn list_segment_customers(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    query: ValidQuery<SegmentCustomerListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let owner = customer_scope(&auth)?;
    let (definitions, catalogue) = catalogue(&state, &auth).await?;
    let order = SortOrder::parse(
        q.sort.as_deref(),
        &sortable_fields(&definitions),
        default_sort(),
    )
    .map_err(|e| ApiError::bad_parameter("sort", "invalid_sort", e.to_string()))?;
    let segment = segments::get(state.db.conn(), id.into_inner()).await?;
    let (filter, members_of) = membership(&segment, &definitions, auth.disclosure())?;
    let query = CustomerSearch {
        filter: filter.as_ref(),
        q: None,
        within: members_of.map(segments::members),
        order: &order,
        catalogue: &catalogue,
    };
    let list = customers::search(state.db.conn(), owner, &query, &request).await?;
    Ok(page(&PageOf::from_page(list, |c| {
        CustomerView::new(c, auth.disclosure())
    })))
}

/// The most customers a preview shows.
const SAMPLE: u64 = 10;

/// Preview a segment's filter.
///
/// How many customers the filter selects now, and the newest ten of them, before saving it.
#[utoipa::path(
    tag = "segments",
    operation_id = "preview_segment",
    request_body = PreviewSegment,
    responses((status = 200, description = "Who the filter selects", body = SegmentPreview)),
    security(("bearer" = []))
)]
#[post("/segments/preview")]
pub async fn preview_segment(
    state: Data<AppState>,
    auth: Auth,
    body: ValidJson<PreviewSegment>,
) -> Result<HttpResponse, ApiError> {
    let owner = customer_scope(&auth)?;
    let body = body.value()?;
    let (_, catalogue) = catalogue(&state, &auth).await?;
    let filter = parse_filter(&body.filter, &catalogue, "filter")?;
    let order = SortOrder(vec![default_sort()]);
    let query = CustomerSearch {
        filter: Some(&filter),
        q: None,
        within: None,
        order: &order,
        catalogue: &catalogue,
    };
    let request = PageRequest {
        limit: SAMPLE,
        cursor: None,
        include_total: true,
    };
    let found = customers::search(state.db.conn(), owner, &query, &request).await?;
    Ok(HttpResponse::Ok().json(SegmentPreview {
        customer_count: found.total.unwrap_or_default(),
        sample: found
            .items
            .into_iter()
            .map(|c| CustomerView::new(c, auth.disclosure()))
            .collect(),
    }))
}

/// Add customers to a static segment.
///
/// By id (up to 1,000) or by filter (up to 5,000, else 409 `too_many_matches`), of the customers
/// the caller may see; those already members stay. A dynamic segment has no list to add to (409 `segment_is_dynamic`).
#[utoipa::path(
    tag = "segments",
    operation_id = "add_segment_customers",
    request_body = SegmentCustomers,
    params(("id" = Uuid, Path, description = "Segment id")),
    responses(
        (status = 200, description = "What changed", body = BulkResult),
        (status = 409, description = "`segment_is_dynamic`: the segment's members come from its filter; `too_many_matches`: the filter selects more than 5,000 customers", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/segments/{id}/add-customers")]
pub async fn add_segment_customers(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    body: ValidJson<SegmentCustomers>,
) -> Result<HttpResponse, ApiError> {
    let owner = customer_scope(&auth)?;
    let body = body.value()?;
    let chosen = ParsedSelection::read(&state, &auth, body.customer_ids, body.filter).await?;
    let outcome = segments::add_customers(
        &state.db,
        &auth.actor,
        owner,
        id.into_inner(),
        chosen.as_selection(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(BulkResult::from(outcome)))
}

/// Remove customers from a static segment.
///
/// By id or by filter, as for adding; customers that were not members are left alone.
#[utoipa::path(
    tag = "segments",
    operation_id = "remove_segment_customers",
    request_body = SegmentCustomers,
    params(("id" = Uuid, Path, description = "Segment id")),
    responses(
        (status = 200, description = "What changed", body = BulkResult),
        (status = 409, description = "`segment_is_dynamic`: the segment's members come from its filter; `too_many_matches`: the filter selects more than 5,000 customers", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/segments/{id}/remove-customers")]
pub async fn remove_segment_customers(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    body: ValidJson<SegmentCustomers>,
) -> Result<HttpResponse, ApiError> {
    let owner = customer_scope(&auth)?;
    let body = body.value()?;
    let chosen = ParsedSelection::read(&state, &auth, body.customer_ids, body.filter).await?;
    let outcome = segments::remove_customers(
        &state.db,
        &auth.actor,
        owner,
        id.into_inner(),
        chosen.as_selection(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(BulkResult::from(outcome)))
}
