//! What goes over the wire for segments.

use chrono::{DateTime, Utc};
use rapport_domain::segments::{Segment, SegmentKind};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use rapport_domain::customers::{Disclosure, mask_contact_details};

use crate::customers::CustomerView;
use crate::extract::nullable;

/// How a segment decides who belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SegmentKindDto {
    /// Whoever its filter selects at the time of asking.
    Dynamic,
    /// The customers added to it, until removed.
    Static,
}

impl From<SegmentKindDto> for SegmentKind {
    fn from(k: SegmentKindDto) -> Self {
        match k {
            SegmentKindDto::Dynamic => SegmentKind::Dynamic,
            SegmentKindDto::Static => SegmentKind::Static,
        }
    }
}

impl From<SegmentKind> for SegmentKindDto {
    fn from(k: SegmentKind) -> Self {
        match k {
            SegmentKind::Dynamic => SegmentKindDto::Dynamic,
            SegmentKind::Static => SegmentKindDto::Static,
        }
    }
}

/// A new segment: a dynamic one with its filter, or an empty static one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "上海 VIP",
    "description": "VIP customers in Shanghai, for the spring campaign",
    "kind": "dynamic",
    "filter": {"and": [
        {"field": "tags", "op": "contains", "value": "vip"},
        {"field": "address.city", "op": "eq", "value": "上海市"}
    ]}
}))]
pub struct CreateSegment {
    /// Name, 1 to 100 characters, unique.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// What it is for, at most 500 characters.
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// Dynamic or static; fixed once created.
    pub kind: SegmentKindDto,
    /// The filter of a dynamic segment (the filter language of `POST
    /// /api/v1/customers/search`); a static segment takes none.
    #[schema(value_type = Option<Object>)]
    pub filter: Option<Value>,
}

/// Changes to a segment: absent parts stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "上海 VIP (spring)", "filter": {"field": "tags", "op": "contains", "value": "vip"}}))]
pub struct UpdateSegment {
    /// Name, 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// Description, or `null` to clear.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 500)]
    pub description: Option<Option<String>>,
    /// A new filter, for a dynamic segment only.
    #[schema(value_type = Option<Object>)]
    pub filter: Option<Value>,
}

/// A segment.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5c6-2222-7000-8000-000000000003",
    "name": "上海 VIP",
    "description": "VIP customers in Shanghai, for the spring campaign",
    "kind": "dynamic",
    "filter": {"and": [
        {"field": "tags", "op": "contains", "value": "vip"},
        {"field": "address.city", "op": "eq", "value": "上海市"}
    ]},
    "customer_count": 1342,
    "created_at": "2026-11-22T08:30:00Z",
    "updated_at": "2026-11-22T08:30:00Z",
    "version": 1
}))]
pub struct SegmentView {
    /// Identifier.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Dynamic or static.
    pub kind: SegmentKindDto,
    /// A dynamic segment's filter; `null` for a static one. Emails and phones in it are masked
    /// for callers who see them masked.
    #[schema(value_type = Option<Object>)]
    pub filter: Option<Value>,
    /// Members the caller may see, counted now: present on `GET /api/v1/segments/{id}`, unless
    /// the filter tests email or phone and the caller sees those masked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_count: Option<u64>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version, for `If-Match`.
    pub version: i64,
}

impl SegmentView {
    /// The view of `s`, with its member count when known.
    pub fn new(s: Segment, customer_count: Option<u64>) -> Self {
        SegmentView {
            id: s.id,
            name: s.name,
            description: s.description,
            kind: s.kind.into(),
            filter: s.filter,
            customer_count,
            created_at: s.created_at,
            updated_at: s.updated_at,
            version: s.version,
        }
    }
}

impl SegmentView {
    /// The view as `disclosure` lets the caller see it: emails and phones in the filter masked.
    pub fn seen_by(mut self, disclosure: Disclosure) -> Self {
        if disclosure == Disclosure::Masked
            && let Some(filter) = self.filter.as_mut()
        {
            mask_contact_details(filter);
        }
        self
    }
}

impl From<Segment> for SegmentView {
    fn from(s: Segment) -> Self {
        SegmentView::new(s, None)
    }
}

/// Paging of the segment list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SegmentListQuery {
    /// Rows per page, 1 to 200 (default 25).
    #[param(minimum = 1, maximum = 200, example = 25)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Add `total`.
    pub include_total: Option<bool>,
}

/// Paging and order of a segment's customers.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SegmentCustomerListQuery {
    /// Rows per page, 1 to 200 (default 25).
    #[param(minimum = 1, maximum = 200, example = 25)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Add `total`, the number of members the caller may see.
    pub include_total: Option<bool>,
    /// Comma-separated keys, `-` for descending: `created_at`, `updated_at`, `name` or a custom
    /// field (default `-created_at`).
    #[param(example = "-created_at")]
    pub sort: Option<String>,
}

/// A filter to try before saving it as a segment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"filter": {"and": [
    {"field": "lifecycle_stage", "op": "eq", "value": "customer"},
    {"field": "tags", "op": "contains", "value": "vip"}
]}}))]
pub struct PreviewSegment {
    /// The filter.
    #[schema(value_type = Object)]
    pub filter: Value,
}

/// Who a filter selects now.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"customer_count": 1342, "sample": []}))]
pub struct SegmentPreview {
    /// Customers the caller may see that the filter selects.
    pub customer_count: u64,
    /// The newest of them, at most 10.
    pub sample: Vec<CustomerView>,
}

/// Customers to add to or remove from a static segment: by id, or every customer a filter selects
/// (exactly one of the two).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"customer_ids": ["0193a5c4-7f0e-7c1a-9d2e-5b8f7e6a1c20"]}))]
pub struct SegmentCustomers {
    /// The customers, 1 to 1,000 ids; those the caller may not see, or that do not exist, are not
    /// matched.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Vec<Uuid>>, min_items = 1, max_items = 1000)]
    pub customer_ids: Option<Option<Vec<Uuid>>>,
    /// Every customer this filter selects, at most 5,000.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Object>)]
    pub filter: Option<Option<Value>>,
}
