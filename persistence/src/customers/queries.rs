//! Reading customers, always inside the caller's data scope.

use chrono::{DateTime, Utc};
use rapport_domain::customers::fields::CUSTOM_FIELD_PREFIX;
use rapport_domain::customers::{Customer, CustomerKind, LifecycleStage};
use rapport_domain::filter::{Catalogue, FieldKind, Filter, FilterValue, Operator};
use rapport_domain::sort::SortOrder;
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PartialModelTrait, QueryFilter, QuerySelect,
    QueryTrait, Select,
};
use uuid::Uuid;

use super::columns::CustomerColumns;
use super::entity::{CustomerRow, customer};
use crate::filter::like_escaped;
use crate::page::{self, CursorValue, Page, PageRequest, Pin, SortExpr};
use crate::{Backend, Error, Result, Subset};

/// The plain filters of `GET /customers`.
#[derive(Debug, Clone, Default)]
pub struct CustomerFilter {
    /// Stage equals.
    pub lifecycle_stage: Option<LifecycleStage>,
    /// Owner equals.
    pub owner_id: Option<Uuid>,
    /// Carries this tag.
    pub tag: Option<String>,
    /// Kind equals.
    pub kind: Option<CustomerKind>,
    /// Created at or after.
    pub created_from: Option<DateTime<Utc>>,
    /// Created before.
    pub created_to: Option<DateTime<Utc>>,
    /// Name, email or phone contains this text, ignoring case.
    pub q: Option<String>,
}

/// Customers the scope reaches: all of them, or those of one owner.
pub(crate) fn scoped(owner: Option<Uuid>) -> Select<customer::Entity> {
    let select = customer::Entity::find();
    match owner {
        Some(owner) => select.filter(customer::Column::OwnerId.eq(owner)),
        None => select,
    }
}

/// The customers `owner` owns, for a list of their records (orders) to be limited to.
pub fn owned_by(owner: Uuid) -> Subset {
    use sea_orm::sea_query::{Expr, ExprTrait, Query};
    Subset(
        Query::select()
            .column(customer::Column::Id)
            .from(customer::Entity)
            .and_where(Expr::col(customer::Column::OwnerId).eq(owner))
            .to_owned(),
    )
}

/// The customer a new record names in `customer_id`: one the scope reaches, or a 422 at
/// `customer_id` (a record cannot be made for a customer the caller may not see).
pub async fn linked(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    id: Uuid,
) -> Result<Customer> {
    get(conn, owner, id).await.map_err(|e| match e {
        crate::Error::NotFound | crate::Error::BeyondScope { .. } => crate::Error::field(
            "customer_id",
            "not_found",
            "no customer you can reach has this id",
        ),
        other => other,
    })
}

/// The customer with this id, if the scope reaches it.
pub async fn get(conn: &impl ConnectionTrait, owner: Option<Uuid>, id: Uuid) -> Result<Customer> {
    match scoped(owner)
        .filter(customer::Column::Id.eq(id))
        .into_partial_model::<CustomerRow>()
        .one(conn)
        .await?
    {
        Some(row) => row.try_into(),
        None => Err(unreached(conn, owner, id).await),
    }
}

/// Why the customer `id` was not found within `owner`'s scope: it is missing, or beyond it.
pub(crate) async fn unreached(conn: &impl ConnectionTrait, owner: Option<Uuid>, id: Uuid) -> Error {
    let unscoped = customer::Entity::find().filter(customer::Column::Id.eq(id));
    crate::db::unreached(conn, owner, unscoped, "customer", id).await
}

/// What a customer search asks for: a filter in the filter language, free text, and an order.
#[derive(Debug, Clone)]
pub struct CustomerSearch<'a> {
    /// Which customers; all when absent.
    pub filter: Option<&'a Filter>,
    /// Name, email or phone contains this text, ignoring case.
    pub q: Option<&'a str>,
    /// Only these customers (a static segment's members).
    pub within: Option<Subset>,
    /// The order, validated against [`rapport_domain::customers::fields::sortable_fields`].
    pub order: &'a SortOrder,
    /// The catalogue the filter and order were checked against, which types custom fields.
    pub catalogue: &'a Catalogue,
}

impl CustomerFilter {
    /// The plain filters (all but `q`) as one filter of the filter language, so every list
    /// shares one query.
    pub fn to_filter(&self) -> Option<Filter> {
        let text = |s: &str| FilterValue::Text(s.to_owned());
        let mut parts = Vec::new();
        if let Some(stage) = self.lifecycle_stage {
            let kind = FieldKind::Enum(Vec::new());
            parts.push(Filter::condition(
                "lifecycle_stage",
                kind,
                Operator::Eq,
                text(stage.as_str()),
            ));
        }
        if let Some(owner_id) = self.owner_id {
            parts.push(Filter::condition(
                "owner_id",
                FieldKind::Uuid,
                Operator::Eq,
                FilterValue::Uuid(owner_id),
            ));
        }
        if let Some(kind) = self.kind {
            parts.push(Filter::condition(
                "kind",
                FieldKind::Enum(Vec::new()),
                Operator::Eq,
                text(kind.as_str()),
            ));
        }
        if let Some(from) = self.created_from {
            parts.push(Filter::condition(
                "created_at",
                FieldKind::DateTime,
                Operator::Gte,
                FilterValue::DateTime(from),
            ));
        }
        if let Some(to) = self.created_to {
            parts.push(Filter::condition(
                "created_at",
                FieldKind::DateTime,
                Operator::Lt,
                FilterValue::DateTime(to),
            ));
        }
        if let Some(tag) = &self.tag {
            parts.push(Filter::condition(
                "tags",
                FieldKind::TextList,
                Operator::Contains,
                text(tag),
            ));
        }
        (!parts.is_empty()).then_some(Filter::And(parts))
    }
}

/// One page of customers within the scope, filtered and sorted.
pub async fn list(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    filter: &CustomerFilter,
    order: &SortOrder,
    catalogue: &Catalogue,
    request: &PageRequest,
) -> Result<Page<Customer>> {
    let plain = filter.to_filter();
    let query = CustomerSearch {
        filter: plain.as_ref(),
        q: filter.q.as_deref(),
        within: None,
        order,
        catalogue,
    };
    search(conn, owner, &query, request).await
}

/// The customers within the scope that `query` selects, as one page.
pub async fn search(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    query: &CustomerSearch<'_>,
    request: &PageRequest,
) -> Result<Page<Customer>> {
    let plan = Plan::new(Backend::of(conn), owner, query)?;
    let values_of = |m: &CustomerRow| plan.cursor_values(m);
    let page = page::fetch_sorted(
        conn,
        plan.select.clone(),
        &query.order.canonical(),
        &plan.keys,
        values_of,
        request,
    )
    .await?;
    page.try_map(Customer::try_from)
}

/// How many customers within the scope `query` selects.
pub async fn count(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    query: &CustomerSearch<'_>,
) -> Result<u64> {
    use sea_orm::PaginatorTrait;
    let plan = Plan::new(Backend::of(conn), owner, query)?;
    Ok(plan.select.count(conn).await?)
}

/// The statement one page of a search runs, as `backend` receives it: for `EXPLAIN` and for
/// benchmarks that run the same SQL without the API.
pub fn search_statement(
    backend: Backend,
    owner: Option<Uuid>,
    query: &CustomerSearch<'_>,
    request: &PageRequest,
) -> Result<sea_orm::Statement> {
    let plan = Plan::new(backend, owner, query)?;
    let select = page::page_select(plan.select, &query.order.canonical(), &plan.keys, request)?;
    Ok(select.build(backend.into()))
}

/// A search made SQL: the selection, its sort keys (the id last), and how each key's value is
/// read back from a row for the next cursor.
struct Plan {
    select: Select<customer::Entity>,
    keys: Vec<SortExpr>,
    readers: Vec<SortValue>,
}

/// The fields that lead an index `(field, created_at, id)`: a list ordered by creation and
/// filtered on one of them by equality reads that index (see [`Pin`]).
const PINNABLE: [&str; 7] = [
    "owner_id",
    "lifecycle_stage",
    "kind",
    "address.city",
    "address.province",
    "level_id",
    "tier_id",
];

/// The equality a list ordered by creation is pinned to, and the filter without it: the owner of
/// scope `own` first, else the first equality of the filter (or of its top `and`) on a
/// [`PINNABLE`] field. `None` for any other order, or without such an equality.
fn pin_of(
    columns: &CustomerColumns,
    owner: Option<Uuid>,
    filter: Option<&Filter>,
    order: &SortOrder,
) -> (Option<Pin>, Option<Uuid>, Option<Filter>) {
    let unpinned = (None, owner, filter.cloned());
    if order.0.first().is_none_or(|key| key.field != "created_at") {
        return unpinned;
    }
    if let Some(owner) = owner {
        let pin = Pin::new(customer::Column::OwnerId.into_expr(), owner);
        return (Some(pin), None, filter.cloned());
    }
    let pinnable = |part: &Filter| match part {
        Filter::Condition(c) if c.op == Operator::Eq && PINNABLE.contains(&c.field.as_str()) => {
            let value: sea_orm::Value = match &c.value {
                FilterValue::Text(text) => text.clone().into(),
                FilterValue::Uuid(id) => (*id).into(),
                _ => return None,
            };
            Some(Pin::new(columns.value(&c.field, &c.kind)?, value))
        }
        _ => None,
    };
    match filter {
        Some(whole @ Filter::Condition(_)) => match pinnable(whole) {
            Some(pin) => (Some(pin), None, None),
            None => unpinned,
        },
        Some(Filter::And(parts)) => {
            let Some((at, pin)) = parts
                .iter()
                .enumerate()
                .find_map(|(i, part)| pinnable(part).map(|pin| (i, pin)))
            else {
                return unpinned;
            };
            let mut rest = parts.clone();
            rest.remove(at);
            let rest = match rest.len() {
                0 => None,
                1 => rest.pop(),
                _ => Some(Filter::And(rest)),
            };
            (Some(pin), None, rest)
        }
        _ => unpinned,
    }
}

impl Plan {
    fn new(backend: Backend, owner: Option<Uuid>, query: &CustomerSearch<'_>) -> Result<Self> {
        let columns = CustomerColumns { backend };
        let (pin, owner, filter) = pin_of(&columns, owner, query.filter, query.order);
        let mut keys = Vec::with_capacity(query.order.0.len() + 1);
        let mut readers = Vec::with_capacity(query.order.0.len());
        for key in &query.order.0 {
            let unknown = || Error::Internal(format!("sort field {} is not sortable", key.field));
            let kind = query
                .catalogue
                .get(&key.field)
                .map(|spec| spec.kind.clone())
                .ok_or_else(unknown)?;
            let expr = columns.value(&key.field, &kind).ok_or_else(unknown)?;
            let reader = SortValue::of(&key.field, &kind).ok_or_else(unknown)?;
            keys.push(SortExpr {
                expr,
                descending: key.descending,
                nullable: reader.nullable(),
            });
            readers.push(reader);
        }
        keys.push(SortExpr {
            expr: customer::Column::Id.into_expr(),
            descending: keys.last().is_some_and(|k| k.descending),
            nullable: false,
        });
        let mut select = selection(backend, owner, filter.as_ref(), query.q)?;
        if let Some(pin) = &pin {
            select = pin.narrow(select, &keys);
        }
        let select = match &query.within {
            Some(subset) => select.filter(customer::Column::Id.in_subquery(subset.0.clone())),
            None => select,
        };
        let select = CustomerRow::select_cols(select.select_only());
        Ok(Plan {
            select,
            keys,
            readers,
        })
    }

    fn cursor_values(&self, m: &CustomerRow) -> Vec<CursorValue> {
        let mut values: Vec<CursorValue> = self.readers.iter().map(|r| r.read(m)).collect();
        values.push(CursorValue::U(m.id));
        values
    }
}

/// The customers within the scope that the filter and free text select, unordered.
pub(crate) fn selection(
    backend: Backend,
    owner: Option<Uuid>,
    filter: Option<&Filter>,
    q: Option<&str>,
) -> Result<Select<customer::Entity>> {
    let mut select = scoped(owner);
    if let Some(filter) = filter {
        let columns = CustomerColumns { backend };
        select = select.filter(crate::filter::compile(filter, &columns)?);
    }
    if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = format!("%{}%", like_escaped(&q.to_lowercase()));
        select = select.filter(
            Expr::col(customer::Column::SearchText).like(LikeExpr::new(pattern).escape('\\')),
        );
    }
    Ok(select)
}

/// How a sort key's value is read from a stored row, for the cursor: exactly what the SQL
/// expression of the key gives.
enum SortValue {
    CreatedAt,
    UpdatedAt,
    Name,
    OrdersCount,
    TotalSpent,
    AverageOrderValue,
    FirstOrderAt,
    LastOrderAt,
    LastActivityAt,
    Custom { key: String, kind: FieldKind },
}

impl SortValue {
    fn of(field: &str, kind: &FieldKind) -> Option<Self> {
        Some(match field {
            "created_at" => SortValue::CreatedAt,
            "updated_at" => SortValue::UpdatedAt,
            "name" => SortValue::Name,
            "orders_count" => SortValue::OrdersCount,
            "total_spent" => SortValue::TotalSpent,
            "average_order_value" => SortValue::AverageOrderValue,
            "first_order_at" => SortValue::FirstOrderAt,
            "last_order_at" => SortValue::LastOrderAt,
            "last_activity_at" => SortValue::LastActivityAt,
            _ => SortValue::Custom {
                key: field.strip_prefix(CUSTOM_FIELD_PREFIX)?.to_owned(),
                kind: kind.clone(),
            },
        })
    }

    fn nullable(&self) -> bool {
        matches!(
            self,
            SortValue::Custom { .. }
                | SortValue::FirstOrderAt
                | SortValue::LastOrderAt
                | SortValue::LastActivityAt
        )
    }

    fn read(&self, m: &CustomerRow) -> CursorValue {
        match self {
            SortValue::CreatedAt => CursorValue::T(m.created_at),
            SortValue::UpdatedAt => CursorValue::T(m.updated_at),
            SortValue::Name => CursorValue::S(m.name.clone()),
            SortValue::OrdersCount => CursorValue::I(m.orders_count),
            SortValue::TotalSpent => CursorValue::I(m.total_spent),
            SortValue::AverageOrderValue => CursorValue::I(m.average_order_value),
            SortValue::FirstOrderAt => m.first_order_at.map_or(CursorValue::N, CursorValue::T),
            SortValue::LastOrderAt => m.last_order_at.map_or(CursorValue::N, CursorValue::T),
            SortValue::LastActivityAt => m.last_activity_at.map_or(CursorValue::N, CursorValue::T),
            SortValue::Custom { key, kind } => custom_sort_value(m.custom_fields.0.get(key), kind),
        }
    }
}

/// A custom field's value as its typed SQL expression reads it: null when absent or not of the
/// field's type (see the custom fields' `value_sql`).
fn custom_sort_value(value: Option<&serde_json::Value>, kind: &FieldKind) -> CursorValue {
    use serde_json::Value as Json;
    match (kind, value) {
        (FieldKind::Text | FieldKind::Enum(_), Some(Json::String(s))) => CursorValue::S(s.clone()),
        (FieldKind::Date, Some(Json::String(s))) if is_date_shaped(s) => CursorValue::S(s.clone()),
        (FieldKind::Number, Some(Json::Number(n))) => {
            n.as_f64().map_or(CursorValue::N, CursorValue::F)
        }
        (FieldKind::Boolean, Some(Json::Bool(b))) => CursorValue::B(*b),
        _ => CursorValue::N,
    }
}

/// `YYYY-MM-DD` in shape (digits and dashes), as the date expressions test.
fn is_date_shaped(s: &str) -> bool {
    s.len() == 10
        && s.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        })
}
