//! Reading customers, always inside the caller's data scope.

use chrono::{DateTime, Utc};
use rapport_domain::customers::{Customer, CustomerKind, LifecycleStage};
use rapport_domain::sort::SortOrder;
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Select};
use uuid::Uuid;

use super::entity::{customer, customer_tag};
use crate::page::{self, CursorValue, KeyColumn, Page, PageRequest};
use crate::{Error, Result};

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

/// The customer with this id, if the scope reaches it.
pub async fn get(conn: &impl ConnectionTrait, owner: Option<Uuid>, id: Uuid) -> Result<Customer> {
    scoped(owner)
        .filter(customer::Column::Id.eq(id))
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?
        .try_into()
}

fn like_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// One page of customers within the scope, filtered and sorted.
pub async fn list(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    filter: &CustomerFilter,
    order: &SortOrder,
    request: &PageRequest,
) -> Result<Page<Customer>> {
    use customer::Column;
    let mut select = scoped(owner);
    if let Some(stage) = filter.lifecycle_stage {
        select = select.filter(Column::LifecycleStage.eq(stage.as_str()));
    }
    if let Some(owner_id) = filter.owner_id {
        select = select.filter(Column::OwnerId.eq(owner_id));
    }
    if let Some(kind) = filter.kind {
        select = select.filter(Column::Kind.eq(kind.as_str()));
    }
    if let Some(from) = filter.created_from {
        select = select.filter(Column::CreatedAt.gte(from));
    }
    if let Some(to) = filter.created_to {
        select = select.filter(Column::CreatedAt.lt(to));
    }
    if let Some(tag) = &filter.tag {
        let tagged = Query::select()
            .column(customer_tag::Column::CustomerId)
            .from(customer_tag::Entity)
            .and_where(Expr::col(customer_tag::Column::Tag).eq(tag.clone()))
            .to_owned();
        select = select.filter(Column::Id.in_subquery(tagged));
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        select = select.filter(
            Expr::col(Column::SearchText).like(LikeExpr::new(like_pattern(q)).escape('\\')),
        );
    }
    let mut keys: Vec<KeyColumn<Column>> = order
        .0
        .iter()
        .map(|key| KeyColumn {
            column: match key.field {
                "updated_at" => Column::UpdatedAt,
                "name" => Column::Name,
                _ => Column::CreatedAt,
            },
            descending: key.descending,
        })
        .collect();
    let last_descending = keys.last().is_some_and(|k| k.descending);
    keys.push(KeyColumn {
        column: Column::Id,
        descending: last_descending,
    });
    let fields: Vec<&str> = order.0.iter().map(|k| k.field).collect();
    let values_of = |m: &customer::Model| {
        let mut values: Vec<CursorValue> = fields
            .iter()
            .map(|field| match *field {
                "updated_at" => CursorValue::T(m.updated_at),
                "name" => CursorValue::S(m.name.clone()),
                _ => CursorValue::T(m.created_at),
            })
            .collect();
        values.push(CursorValue::U(m.id));
        values
    };
    let page = page::fetch(conn, select, &order.canonical(), &keys, values_of, request).await?;
    page.try_map(Customer::try_from)
}

#[cfg(test)]
mod tests {
    use super::like_pattern;

    #[test]
    fn like_wildcards_in_the_search_text_are_escaped() {
        assert_eq!(like_pattern("50%_A"), "%50\\%\\_a%");
    }
}
