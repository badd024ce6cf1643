//! `/tags` (the tags in use, with counts) and the bulk actions `POST /customers/tag` and
//! `POST /customers/untag` over a list of customers or a filter.

use actix_web::web::Data;
use actix_web::{HttpResponse, get, post};
use rapport_domain::customers::{self as domain};
use rapport_domain::{FieldError, FieldErrors};
use rapport_persistence::customers::tags::{self, TagCount};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Auth;
use crate::customers::{BulkResult, ParsedSelection};
use crate::extract::nullable;
use crate::extract::{ValidJson, ValidQuery, page_request, text_parameter};
use crate::problem::{ApiError, Problem};
use crate::respond::{PageOf, page};
use crate::state::AppState;

/// A tag in use and how many customers carry it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"tag": "vip", "customer_count": 1342}))]
pub struct TagView {
    /// The tag.
    pub tag: String,
    /// Customers carrying it, of those the caller may see.
    pub customer_count: u64,
}

impl From<TagCount> for TagView {
    fn from(t: TagCount) -> Self {
        TagView {
            tag: t.tag,
            customer_count: t.customers,
        }
    }
}

/// Paging and prefix of the tag list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TagListQuery {
    /// Rows per page, 1 to 200 (default 25).
    #[param(minimum = 1, maximum = 200, example = 25)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Add `total`, the number of distinct tags.
    pub include_total: Option<bool>,
    /// Only tags that begin with this text, case included (1 to 50 characters).
    #[param(example = "vi")]
    pub prefix: Option<String>,
}

/// List the tags in use.
///
/// Most used first, then by tag. Counts cover the customers the caller may see: a role limited to
/// its own customers counts only those.
#[utoipa::path(
    tag = "tags",
    operation_id = "list_tags",
    params(TagListQuery),
    responses((status = 200, description = "One page of tags", body = PageOf<TagView>)),
    security(("bearer" = []))
)]
#[get("/tags")]
pub async fn list_tags(
    state: Data<AppState>,
    auth: Auth,
    query: ValidQuery<TagListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let prefix = text_parameter("prefix", q.prefix)?;
    let list = tags::counts(state.db.conn(), auth.owner(), prefix.as_deref(), &request).await?;
    Ok(page(&PageOf::from_page(list, TagView::from)))
}

/// Tags to add to or remove from customers: the customers by id, or every customer a filter
/// selects (exactly one of the two).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "tags": ["vip", "双十一"],
    "filter": {"and": [
        {"field": "lifecycle_stage", "op": "eq", "value": "customer"},
        {"field": "address.city", "op": "eq", "value": "上海市"}
    ]}
}))]
pub struct BulkTags {
    /// The tags, 1 to 50, each 1 to 50 characters.
    #[schema(min_items = 1, max_items = 50)]
    pub tags: Vec<String>,
    /// The customers, 1 to 1,000 ids; those the caller may not see, or that do not exist, are not
    /// matched.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Vec<Uuid>>, min_items = 1, max_items = 1000)]
    pub customer_ids: Option<Option<Vec<Uuid>>>,
    /// Every customer this filter selects (the filter language of `POST
    /// /api/v1/customers/search`), at most 1,000.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Object>)]
    pub filter: Option<Option<Value>>,
}

impl BulkTags {
    async fn parse(
        self,
        state: &AppState,
        auth: &Auth,
    ) -> Result<(Vec<String>, ParsedSelection), ApiError> {
        let mut errors = FieldErrors::new();
        let tags = match domain::tags("tags", self.tags) {
            Ok(tags) if tags.is_empty() => {
                errors.push(FieldError::new(
                    "tags",
                    "invalid_count",
                    "name 1 to 50 tags",
                ));
                None
            }
            Ok(tags) => Some(tags),
            Err(list) => {
                list.into_iter().for_each(|e| errors.push(e));
                None
            }
        };
        let selection = ParsedSelection::read(state, auth, self.customer_ids, self.filter).await;
        match (tags, selection) {
            (Some(tags), Ok(selection)) if errors.is_empty() => Ok((tags, selection)),
            (_, Err(e)) if errors.is_empty() => Err(e),
            _ => Err(errors.into()),
        }
    }
}

/// Tag customers.
///
/// Adds the tags to every selected customer in one transaction: each changed customer gets a new
/// version, an audit event and a `customer.updated` event, as if changed by hand. A customer that
/// would carry more than 50 tags refuses the whole request (409 `too_many_tags`, nothing
/// changes); a filter that selects more than 1,000 customers is refused too (409
/// `too_many_matches`).
#[utoipa::path(
    tag = "tags",
    operation_id = "tag_customers",
    request_body = BulkTags,
    responses(
        (status = 200, description = "What changed", body = BulkResult),
        (status = 409, description = "`too_many_tags`: a selected customer would carry more than 50 tags; `too_many_matches`: the filter selects more than 1,000 customers", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/customers/tag")]
pub async fn tag_customers(
    state: Data<AppState>,
    auth: Auth,
    body: ValidJson<BulkTags>,
) -> Result<HttpResponse, ApiError> {
    let (tags, selection) = body.value()?.parse(&state, &auth).await?;
    let outcome = tags::tag(
        &state.db,
        &auth.actor,
        auth.scope,
        selection.as_selection(),
        &tags,
    )
    .await?;
    Ok(HttpResponse::Ok().json(BulkResult::from(outcome)))
}

/// Untag customers.
///
/// Removes the tags from every selected customer in one transaction, each change recorded as if
/// made by hand. A filter that selects more than 1,000 customers is refused (409
/// `too_many_matches`).
#[utoipa::path(
    tag = "tags",
    operation_id = "untag_customers",
    request_body = BulkTags,
    responses(
        (status = 200, description = "What changed", body = BulkResult),
        (status = 409, description = "`too_many_matches`: the filter selects more than 1,000 customers", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/customers/untag")]
pub async fn untag_customers(
    state: Data<AppState>,
    auth: Auth,
    body: ValidJson<BulkTags>,
) -> Result<HttpResponse, ApiError> {
    let (tags, selection) = body.value()?.parse(&state, &auth).await?;
    let outcome = tags::untag(
        &state.db,
        &auth.actor,
        auth.scope,
        selection.as_selection(),
        &tags,
    )
    .await?;
    Ok(HttpResponse::Ok().json(BulkResult::from(outcome)))
}
