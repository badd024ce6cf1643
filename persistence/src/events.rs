//! The transactional outbox: every change writes its domain event in the same transaction, and
//! `/events` reads them back in commit order, so integrators never miss or see an invented event.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ConnectionTrait, QueryFilter,
};
use serde_json::Value;

use crate::Result;
use crate::db::Serial;
use crate::page::{self, CursorValue, KeyColumn, Page, PageRequest};

/// The `events` table.
pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "events")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub seq: i64,
        #[sea_orm(unique)]
        pub id: Uuid,
        pub r#type: String,
        pub resource_type: String,
        pub resource_id: Uuid,
        pub occurred_at: DateTimeUtc,
        #[sea_orm(column_type = "Json")]
        pub data: Json,
        #[sea_orm(column_type = "Json", nullable)]
        pub previous: Option<Json>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A domain event as integrators see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Position in the feed; grows with commit order.
    pub seq: i64,
    /// Identifier, for de-duplication on the receiving side.
    pub id: Uuid,
    /// `customer.created`, `contact.deleted`…
    pub r#type: String,
    /// What kind of record.
    pub resource_type: String,
    /// Which record.
    pub resource_id: Uuid,
    /// When.
    pub occurred_at: DateTime<Utc>,
    /// The record after the change (before it, for deletions).
    pub data: Value,
    /// The changed fields' values before the change.
    pub previous: Option<Value>,
}

/// Appends an event in the caller's transaction.
///
/// On PostgreSQL a transaction-scoped advisory lock is taken first and held until commit, so
/// sequence numbers become visible in the order they were given out: a reader that has seen
/// event N can never later find an event below N appear. SQLite has one writer at a time anyway.
pub async fn emit(
    conn: &impl ConnectionTrait,
    r#type: &str,
    resource_type: &str,
    resource_id: Uuid,
    data: Value,
    previous: Option<Value>,
) -> Result<()> {
    crate::db::serialise(conn, Serial::EventFeed).await?;
    entity::ActiveModel {
        seq: NotSet,
        id: Set(Uuid::now_v7()),
        r#type: Set(r#type.to_owned()),
        resource_type: Set(resource_type.to_owned()),
        resource_id: Set(resource_id),
        occurred_at: Set(crate::now()),
        data: Set(data),
        previous: Set(previous),
    }
    .insert(conn)
    .await?;
    Ok(())
}

impl From<entity::Model> for Event {
    fn from(m: entity::Model) -> Self {
        Event {
            seq: m.seq,
            id: m.id,
            r#type: m.r#type,
            resource_type: m.resource_type,
            resource_id: m.resource_id,
            occurred_at: m.occurred_at,
            data: m.data,
            previous: m.previous,
        }
    }
}

/// Every event about one of `records`, in feed order.
pub async fn about(conn: &impl ConnectionTrait, records: &[Uuid]) -> Result<Vec<Event>> {
    use sea_orm::QueryOrder;
    Ok(entity::Entity::find()
        .filter(entity::Column::ResourceId.is_in(records.iter().copied()))
        .order_by_asc(entity::Column::Seq)
        .all(conn)
        .await?
        .into_iter()
        .map(Event::from)
        .collect())
}

/// Appends one event of `type` per `(resource id, data, previous)` in the caller's transaction,
/// in order, under the same ordering lock as [`emit`].
pub async fn emit_many(
    conn: &impl ConnectionTrait,
    r#type: &str,
    resource_type: &str,
    items: Vec<(Uuid, Value, Option<Value>)>,
) -> Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    crate::db::serialise(conn, Serial::EventFeed).await?;
    let occurred_at = crate::now();
    let rows: Vec<entity::ActiveModel> = items
        .into_iter()
        .map(|(resource_id, data, previous)| entity::ActiveModel {
            seq: NotSet,
            id: Set(Uuid::now_v7()),
            r#type: Set(r#type.to_owned()),
            resource_type: Set(resource_type.to_owned()),
            resource_id: Set(resource_id),
            occurred_at: Set(occurred_at),
            data: Set(data),
            previous: Set(previous),
        })
        .collect();
    crate::db::insert_rows(conn, crate::Backend::of(conn), rows).await
}

/// Events in feed order, optionally of some types only.
pub async fn feed(
    conn: &impl ConnectionTrait,
    types: &[String],
    request: &PageRequest,
) -> Result<Page<Event>> {
    use entity::Column;
    let keys = [KeyColumn {
        column: Column::Seq,
        descending: false,
    }];
    // One type is pinned, so that the feed reads `(type, seq)`; several are read in `seq` order.
    let select = match types {
        [] => entity::Entity::find(),
        [one] => page::Pin::new(Column::Type.into_expr(), one.clone())
            .narrow(entity::Entity::find(), &keys),
        _ => entity::Entity::find().filter(Column::Type.is_in(types.iter().cloned())),
    };
    let page = page::fetch(
        conn,
        select,
        "seq",
        &keys,
        |m| vec![CursorValue::I(m.seq)],
        request,
    )
    .await?;
    page.try_map(|m| Ok(Event::from(m)))
}
