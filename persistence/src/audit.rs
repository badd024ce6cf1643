//! The audit trail: who changed what, when, from which request; and, beside the changes, what
//! else an auditor must see (reads of personal data in bulk, refused requests, sign-ins), each
//! without the secret involved. Append-only.

use chrono::{DateTime, Utc};
use rapport_domain::access::{Actor, Principal};
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, ConnectionTrait, QueryFilter, QueryTrait};
use serde_json::{Map, Value};

use crate::Result;
use crate::page::{self, CursorValue, KeyColumn, Page, PageRequest};

/// The `audit_events` table.
pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub occurred_at: DateTimeUtc,
        pub actor_type: String,
        pub actor_id: Option<Uuid>,
        pub action: String,
        pub resource_type: String,
        pub resource_id: Option<Uuid>,
        #[sea_orm(column_type = "Json")]
        pub changes: Json,
        pub request_id: String,
        pub ip: Option<String>,
        #[sea_orm(column_type = "Json", nullable)]
        pub detail: Option<Json>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// One recorded change.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    /// Identifier.
    pub id: Uuid,
    /// When.
    pub occurred_at: DateTime<Utc>,
    /// `user`, `api_key` or `system`.
    pub actor_type: String,
    /// The user or key, when there was one.
    pub actor_id: Option<Uuid>,
    /// What was done (`customer.updated`).
    pub action: String,
    /// What kind of record.
    pub resource_type: String,
    /// Which record, when the event is about one.
    pub resource_id: Option<Uuid>,
    /// `{field: {before, after}}` for every changed field.
    pub changes: Value,
    /// The request that made the change.
    pub request_id: String,
    /// The caller's address.
    pub ip: Option<String>,
    /// For events that change nothing: what was attempted or read.
    pub detail: Option<Value>,
}

/// Who made a change: an actor, or the system itself (start-up, the command line).
#[derive(Debug, Clone, Copy)]
pub enum By<'a> {
    /// A caller of the API.
    Actor(&'a Actor),
    /// A caller known by their request only: a refused request, a sign-in, a token refresh.
    /// `principal` is who the request proved to be, once it did.
    Caller {
        /// The user or key, when the request proved it.
        principal: Option<Principal>,
        /// The request's id.
        request_id: &'a str,
        /// The caller's address.
        ip: Option<&'a str>,
    },
    /// Rapport itself.
    System,
}

impl<'a> From<&'a Actor> for By<'a> {
    fn from(actor: &'a Actor) -> Self {
        By::Actor(actor)
    }
}

/// The fields that differ between two JSON objects, as `{field: {before, after}}`; `version`,
/// `updated_at` and `search_text` are left out as noise, and so are fields that are empty on both
/// sides (a new record's unset fields).
pub fn diff(before: Option<&Value>, after: Option<&Value>) -> Value {
    let empty = Map::new();
    let before = before.and_then(Value::as_object).unwrap_or(&empty);
    let after = after.and_then(Value::as_object).unwrap_or(&empty);
    let mut changes = Map::new();
    let keys = before
        .keys()
        .chain(after.keys().filter(|k| !before.contains_key(*k)));
    for key in keys {
        if matches!(key.as_str(), "version" | "updated_at" | "created_at" | "id") {
            continue;
        }
        // A field that is absent and one that is null hold the same nothing.
        let (b, a) = (
            before.get(key).unwrap_or(&Value::Null),
            after.get(key).unwrap_or(&Value::Null),
        );
        if b != a {
            let mut change = Map::new();
            change.insert("before".into(), b.clone());
            change.insert("after".into(), a.clone());
            changes.insert(key.clone(), Value::Object(change));
        }
    }
    Value::Object(changes)
}

/// The row that records a change, for the caller to insert (alone, or with others).
pub fn entry(
    by: By<'_>,
    action: &str,
    resource_type: &str,
    resource_id: Uuid,
    before: Option<&Value>,
    after: Option<&Value>,
) -> entity::ActiveModel {
    let (actor_type, actor_id, request_id, ip) = match by {
        By::Actor(actor) => (
            actor.principal.kind(),
            Some(actor.principal.id()),
            actor.request_id.clone(),
            actor.ip.clone(),
        ),
        By::Caller {
            principal,
            request_id,
            ip,
        } => (
            principal.map_or("anonymous", Principal::kind),
            principal.map(Principal::id),
            request_id.to_owned(),
            ip.map(str::to_owned),
        ),
        By::System => ("system", None, String::from("system"), None),
    };
    entity::ActiveModel {
        id: Set(Uuid::now_v7()),
        occurred_at: Set(crate::now()),
        actor_type: Set(actor_type.to_owned()),
        actor_id: Set(actor_id),
        action: Set(action.to_owned()),
        resource_type: Set(resource_type.to_owned()),
        resource_id: Set(Some(resource_id)),
        changes: Set(diff(before, after)),
        request_id: Set(request_id),
        ip: Set(ip),
        detail: Set(None),
    }
}

/// Something an auditor must see that changed nothing: a read of personal data in bulk, a
/// refused request, a sign-in.
#[derive(Debug, Clone)]
pub struct Notice<'a> {
    /// What happened (`customers.exported`, `access.denied`, `auth.sign_in_failed`).
    pub action: &'a str,
    /// What kind of record it is about.
    pub resource_type: &'a str,
    /// Which record, when it is about one.
    pub resource_id: Option<Uuid>,
    /// What was attempted or read; never a secret.
    pub detail: Value,
}

/// Records a notice on its own, outside any transaction of the request (which, for a refusal,
/// has been rolled back).
pub async fn note(db: &crate::Db, by: By<'_>, notice: Notice<'_>) -> Result<()> {
    let txn = db.begin_write().await?;
    note_in(&*txn, by, notice).await?;
    txn.commit().await
}

/// Records a notice in the caller's transaction, with the change it comes with.
pub async fn note_in(conn: &impl ConnectionTrait, by: By<'_>, notice: Notice<'_>) -> Result<()> {
    let mut row = entry(
        by,
        notice.action,
        notice.resource_type,
        Uuid::nil(),
        None,
        None,
    );
    row.resource_id = Set(notice.resource_id);
    row.detail = Set(Some(notice.detail));
    row.insert(conn).await?;
    Ok(())
}

/// Records a change to one record in the caller's transaction, twice: in the audit trail (what it
/// was before and is after) and in the event feed (what it is after, or was before a deletion).
pub async fn record_change<'a>(
    conn: &impl ConnectionTrait,
    by: impl Into<By<'a>>,
    action: &str,
    resource_type: &str,
    resource_id: Uuid,
    before: Option<&Value>,
    after: Option<&Value>,
) -> Result<()> {
    record(
        conn,
        by.into(),
        action,
        resource_type,
        resource_id,
        before,
        after,
    )
    .await?;
    let data = after.or(before).cloned().unwrap_or_default();
    crate::events::emit(conn, action, resource_type, resource_id, data, None).await
}

/// Removes one record in the caller's transaction and records its removal: `select` (the caller's
/// scope, narrowed to `id`) finds it, locked and at `expected_version` when one is given (404 or
/// 412 otherwise), and `<kind>.deleted` goes to the audit trail and the event feed with what it
/// was. The record as it was.
pub async fn delete_recorded<E, T>(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    select: sea_orm::Select<E>,
    id: Uuid,
    expected_version: Option<i64>,
    version: impl Fn(&E::Model) -> i64,
    kind: &str,
) -> Result<T>
where
    E: EntityTrait,
    Uuid: Into<<E::PrimaryKey as PrimaryKeyTrait>::ValueType>,
    T: TryFrom<E::Model, Error = crate::Error> + serde::Serialize,
{
    let row = crate::db::lock_for_change(conn, select, expected_version, version).await?;
    let before = T::try_from(row)?;
    E::delete_by_id(id).exec(conn).await?;
    let b = serde_json::to_value(&before)?;
    let action = format!("{kind}.deleted");
    record_change(conn, actor, &action, kind, id, Some(&b), None).await?;
    Ok(before)
}

/// Records a change in the caller's transaction.
pub async fn record(
    conn: &impl ConnectionTrait,
    by: By<'_>,
    action: &str,
    resource_type: &str,
    resource_id: Uuid,
    before: Option<&Value>,
    after: Option<&Value>,
) -> Result<()> {
    entry(by, action, resource_type, resource_id, before, after)
        .insert(conn)
        .await?;
    Ok(())
}

impl From<entity::Model> for AuditEvent {
    fn from(m: entity::Model) -> Self {
        AuditEvent {
            id: m.id,
            occurred_at: m.occurred_at,
            actor_type: m.actor_type,
            actor_id: m.actor_id,
            action: m.action,
            resource_type: m.resource_type,
            resource_id: m.resource_id,
            changes: m.changes,
            request_id: m.request_id,
            ip: m.ip,
            detail: m.detail,
        }
    }
}

/// Every audit event about one of `records`, oldest first.
pub async fn about(conn: &impl ConnectionTrait, records: &[Uuid]) -> Result<Vec<AuditEvent>> {
    use sea_orm::QueryOrder;
    Ok(entity::Entity::find()
        .filter(entity::Column::ResourceId.is_in(records.iter().copied()))
        .order_by_asc(entity::Column::OccurredAt)
        .order_by_asc(entity::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(AuditEvent::from)
        .collect())
}

/// Which audit events to list.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only this user's or key's changes.
    pub actor_id: Option<Uuid>,
    /// Only changes to this kind of record.
    pub resource_type: Option<String>,
    /// Only changes to this record.
    pub resource_id: Option<Uuid>,
    /// Only events of this action (`auth.sign_in_failed`).
    pub action: Option<String>,
    /// From this time on (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Before this time (exclusive).
    pub to: Option<DateTime<Utc>>,
}

/// Audit events, newest first.
pub async fn list(
    conn: &impl ConnectionTrait,
    filter: &AuditFilter,
    request: &PageRequest,
) -> Result<Page<AuditEvent>> {
    let page = page::fetch(
        conn,
        selection(filter),
        SORT,
        &KEYS,
        |m| vec![CursorValue::T(m.occurred_at), CursorValue::U(m.id)],
        request,
    )
    .await?;
    page.try_map(|m| Ok(AuditEvent::from(m)))
}

/// The statement one page of [`list`] runs, as `backend` receives it: for `EXPLAIN`.
pub fn list_statement(
    backend: crate::Backend,
    filter: &AuditFilter,
    request: &PageRequest,
) -> Result<sea_orm::Statement> {
    let keys: Vec<_> = KEYS.iter().map(page::SortExpr::from).collect();
    let select = page::page_select(selection(filter), SORT, &keys, request)?;
    Ok(select.build(backend.into()))
}

/// The order of the trail: newest first.
const SORT: &str = "-occurred_at";
const KEYS: [KeyColumn<entity::Column>; 2] = [
    KeyColumn {
        column: entity::Column::OccurredAt,
        descending: true,
    },
    KeyColumn {
        column: entity::Column::Id,
        descending: true,
    },
];

/// The events `filter` selects, [`page::Pin`]ned to the index that serves it: of one resource
/// `(resource_type, resource_id, occurred_at, id)`, else of one actor `(actor_id, occurred_at,
/// id)`.
fn selection(filter: &AuditFilter) -> Select<entity::Entity> {
    use entity::Column;
    let mut select = entity::Entity::find();
    let mut pins = Vec::new();
    match (&filter.resource_type, filter.resource_id) {
        (Some(kind), Some(id)) => {
            pins.push(page::Pin::new(
                Column::ResourceType.into_expr(),
                kind.clone(),
            ));
            pins.push(page::Pin::new(Column::ResourceId.into_expr(), id));
        }
        (kind, id) => {
            if let Some(kind) = kind {
                select = select.filter(Column::ResourceType.eq(kind.clone()));
            }
            if let Some(id) = id {
                select = select.filter(Column::ResourceId.eq(id));
            }
        }
    }
    if let Some(actor) = filter.actor_id {
        if pins.is_empty() {
            pins.push(page::Pin::new(Column::ActorId.into_expr(), actor));
        } else {
            select = select.filter(Column::ActorId.eq(actor));
        }
    }
    if let Some(action) = &filter.action {
        select = select.filter(Column::Action.eq(action.clone()));
    }
    if let Some(from) = filter.from {
        select = select.filter(Column::OccurredAt.gte(from));
    }
    if let Some(to) = filter.to {
        select = select.filter(Column::OccurredAt.lt(to));
    }
    pins.iter()
        .fold(select, |select, pin| pin.narrow(select, &KEYS))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn diff_lists_changed_fields_only() {
        let before = json!({"name": "a", "email": "x@y.cn", "version": 1});
        let after = json!({"name": "b", "email": "x@y.cn", "version": 2});
        assert_eq!(
            diff(Some(&before), Some(&after)),
            json!({"name": {"before": "a", "after": "b"}})
        );
    }

    #[test]
    fn diff_of_a_creation_lists_every_field_as_new() {
        let after = json!({"name": "b"});
        assert_eq!(
            diff(None, Some(&after)),
            json!({"name": {"before": null, "after": "b"}})
        );
    }
}
