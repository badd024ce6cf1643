//! A customer's timeline: their activities and campaigns' tracking events (at the time they
//! happened), orders (at the time they were placed), deals, tickets and conversations (at the
//! time they were opened), newest first, keyset paged over all of them at once. Each kind's rows come
//! from its own `(customer_id, time, id)` index, at most a page of each, and are merged by time;
//! then the page's records are read whole from their areas.

use chrono::{DateTime, Utc};
use rapport_domain::activities::Activity;
use rapport_domain::conversations::Conversation;
use rapport_domain::deals::Deal;
use rapport_domain::orders::Order;
use rapport_domain::tickets::Ticket;
use rapport_domain::timeline::TimelineKind;
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{
    Alias, Expr, ExprTrait, Order as Direction, Query, SelectStatement, UnionType,
};
use uuid::Uuid;

use crate::marketing::{self, CampaignTouch};
use crate::page::{self, CursorValue, Page, PageRequest};
use crate::{Error, Result, activities, conversations, customers, deals, orders, tickets};

/// One thing that happened with a customer.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    /// An activity.
    Activity(Activity),
    /// An order (boxed: it carries its lines, refunds and shipment).
    Order(Box<Order>),
    /// A deal.
    Deal(Deal),
    /// A ticket.
    Ticket(Ticket),
    /// A conversation.
    Conversation(Conversation),
    /// A campaign's tracking event.
    CampaignTouch(CampaignTouch),
}

impl Entry {
    /// When it happened, as the timeline orders it.
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            Entry::Activity(a) => a.occurred_at,
            Entry::Order(o) => o.created_at,
            Entry::Deal(d) => d.created_at,
            Entry::Ticket(t) => t.created_at,
            Entry::Conversation(c) => c.created_at,
            Entry::CampaignTouch(t) => t.occurred_at,
        }
    }

    /// The record's id.
    pub fn id(&self) -> Uuid {
        match self {
            Entry::Activity(a) => a.id,
            Entry::Order(o) => o.id,
            Entry::Deal(d) => d.id,
            Entry::Ticket(t) => t.id,
            Entry::Conversation(c) => c.id,
            Entry::CampaignTouch(t) => t.id,
        }
    }
}

/// The sort order a timeline cursor belongs to.
const SORT: &str = "timeline:-at";

/// Where each kind lives: its table and the column of its time.
fn source(kind: TimelineKind) -> (&'static str, &'static str) {
    match kind {
        TimelineKind::Activity => ("activities", "occurred_at"),
        TimelineKind::Order => ("orders", "created_at"),
        TimelineKind::Deal => ("deals", "created_at"),
        TimelineKind::Ticket => ("tickets", "created_at"),
        TimelineKind::Conversation => ("conversations", "created_at"),
        TimelineKind::CampaignTouch => ("campaign_events", "occurred_at"),
    }
}

/// At most `limit` of one kind's rows for the customer, past the cursor, newest first, as
/// `(kind, id, at)`.
fn branch(
    kind: TimelineKind,
    customer_id: Uuid,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: u64,
) -> SelectStatement {
    let (table, time) = source(kind);
    let column = |name: &str| Expr::col((Alias::new(table), Alias::new(name)));
    let mut select = Query::select();
    select
        .expr_as(Expr::val(kind.as_str()), Alias::new("kind"))
        .expr_as(column("id"), Alias::new("id"))
        .expr_as(column(time), Alias::new("at"))
        .from(Alias::new(table))
        .and_where(column("customer_id").eq(customer_id));
    if let Some((at, id)) = after {
        select.and_where(
            column(time)
                .lt(at)
                .or(column(time).eq(at).and(column("id").lt(id))),
        );
    }
    select
        .order_by_expr(column(time), Direction::Desc)
        .order_by_expr(column("id"), Direction::Desc)
        .limit(limit);
    // Wrapped, so that its own order and limit hold inside a UNION on SQLite too.
    Query::select()
        .columns([Alias::new("kind"), Alias::new("id"), Alias::new("at")])
        .from_subquery(select, Alias::new(format!("{table}_page")))
        .to_owned()
}

/// One page of `customer_id`'s timeline, of `kinds` only (none: an empty page), if `owner`'s
/// scope reaches the customer.
pub async fn page(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    customer_id: Uuid,
    kinds: &[TimelineKind],
    request: &PageRequest,
) -> Result<Page<Entry>> {
    customers::get(conn, owner, customer_id).await?;
    let kinds: Vec<TimelineKind> = TimelineKind::ALL
        .iter()
        .copied()
        .filter(|k| kinds.contains(k))
        .collect();
    if kinds.is_empty() {
        return Ok(Page {
            items: Vec::new(),
            next_cursor: None,
            has_more: false,
            total: request.include_total.then_some(0),
        });
    }
    let after = match &request.cursor {
        Some(raw) => match page::decode(raw, SORT, 2)?.as_slice() {
            [CursorValue::T(at), CursorValue::U(id)] => Some((*at, *id)),
            _ => return Err(Error::BadCursor),
        },
        None => None,
    };
    let limit = request.limit + 1;
    let mut branches = kinds.iter().map(|&k| branch(k, customer_id, after, limit));
    let mut merged = branches
        .next()
        .ok_or_else(|| Error::Internal("a timeline of no kind".into()))?;
    for next in branches {
        merged.union(UnionType::All, next);
    }
    let newest = Query::select()
        .columns([Alias::new("kind"), Alias::new("id"), Alias::new("at")])
        .from_subquery(merged, Alias::new("timeline"))
        .order_by(Alias::new("at"), Direction::Desc)
        .order_by(Alias::new("id"), Direction::Desc)
        .limit(limit)
        .to_owned();
    let mut rows: Vec<(TimelineKind, Uuid)> = Vec::new();
    for row in conn.query_all(&newest).await? {
        let kind: String = row.try_get("", "kind")?;
        let kind = TimelineKind::from_name(&kind)
            .ok_or_else(|| Error::Internal("a timeline row of no known kind".into()))?;
        rows.push((kind, row.try_get("", "id")?));
    }
    let has_more = rows.len() as u64 > request.limit;
    rows.truncate(usize::try_from(request.limit).unwrap_or(usize::MAX));

    let ids_of = |kind| -> Vec<Uuid> {
        rows.iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, id)| *id)
            .collect()
    };
    let mut found: std::collections::HashMap<Uuid, Entry> = std::collections::HashMap::new();
    for a in activities::with_ids(conn, &ids_of(TimelineKind::Activity)).await? {
        found.insert(a.id, Entry::Activity(a));
    }
    for o in orders::with_ids(conn, &ids_of(TimelineKind::Order)).await? {
        found.insert(o.id, Entry::Order(Box::new(o)));
    }
    for d in deals::with_ids(conn, &ids_of(TimelineKind::Deal)).await? {
        found.insert(d.id, Entry::Deal(d));
    }
    for t in tickets::with_ids(conn, &ids_of(TimelineKind::Ticket)).await? {
        found.insert(t.id, Entry::Ticket(t));
    }
    for c in conversations::with_ids(conn, &ids_of(TimelineKind::Conversation)).await? {
        found.insert(c.id, Entry::Conversation(c));
    }
    for t in marketing::campaign_touches(conn, &ids_of(TimelineKind::CampaignTouch)).await? {
        found.insert(t.id, Entry::CampaignTouch(t));
    }
    let items: Vec<Entry> = rows.iter().filter_map(|(_, id)| found.remove(id)).collect();
    let next_cursor = match (has_more, items.last()) {
        (true, Some(last)) => Some(page::encode(
            SORT,
            vec![CursorValue::T(last.at()), CursorValue::U(last.id())],
        )),
        _ => None,
    };
    let total = if request.include_total {
        let mut total = 0;
        for &kind in &kinds {
            let (table, _) = source(kind);
            let count = Query::select()
                .expr(Expr::col(Alias::new("id")).count())
                .from(Alias::new(table))
                .and_where(Expr::col(Alias::new("customer_id")).eq(customer_id))
                .to_owned();
            if let Some(row) = conn.query_one(&count).await? {
                total += u64::try_from(row.try_get_by_index::<i64>(0)?).unwrap_or(0);
            }
        }
        Some(total)
    } else {
        None
    };
    Ok(Page {
        items,
        next_cursor,
        has_more,
        total,
    })
}
