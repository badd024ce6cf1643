//! Return visits: the occasions the rules call on (tickets resolved, orders delivered some days
//! ago), each followed once by a task or a ticket. The `return_visits` row of an occasion is
//! inserted first in the transaction that makes the visit, under a unique index on the occasion:
//! of two nodes that reach one occasion at once, the second waits for the first and finds it
//! taken, so no occasion is followed twice however often and wherever the job runs.

use chrono::{DateTime, Duration, Utc};
use rapport_domain::return_visits::{CATCH_UP_DAYS, Occasion, ReturnVisitRule, Served, VisitForm};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Order, Query, SelectStatement};
use uuid::Uuid;

use crate::{Db, Result, audit, tasks, tickets};

/// The most occasions followed in one transaction.
const PER_STEP: u64 = 200;

fn col(table: &str, name: &str) -> Expr {
    Expr::col((Alias::new(table), Alias::new(name)))
}

/// Up to `limit` occasions `rule` calls on at `now` that were not followed yet, oldest first:
/// those whose visit fell due in the last [`CATCH_UP_DAYS`] days.
fn due(rule: &ReturnVisitRule, now: DateTime<Utc>, limit: u64) -> SelectStatement {
    let (table, staff, about, at) = match rule.occasion {
        Occasion::TicketResolved => ("tickets", "assignee_id", "subject", "resolved_at"),
        Occasion::OrderDelivered => ("orders", "sales_user_id", "number", "delivered_at"),
    };
    let due_by = now - Duration::days(rule.after_days);
    let followed = Query::select()
        .expr(Expr::val(1))
        .from(Alias::new("return_visits"))
        .and_where(col("return_visits", "occasion").eq(rule.occasion.as_str()))
        .and_where(col("return_visits", "record_id").equals((Alias::new(table), Alias::new("id"))))
        .and_where(col("return_visits", "occasion_at").equals((Alias::new(table), Alias::new(at))))
        .to_owned();
    let mut select = Query::select();
    select
        .expr(col(table, "id"))
        .expr(col(table, "customer_id"))
        .expr(col(table, staff))
        .expr(col(table, about))
        .expr(col(table, at))
        .from(Alias::new(table))
        .and_where(col(table, at).is_not_null())
        .and_where(col(table, at).lte(Expr::val(due_by)))
        .and_where(col(table, at).gt(Expr::val(due_by - Duration::days(CATCH_UP_DAYS))))
        .and_where(Expr::exists(followed).not());
    match (rule.occasion, rule.ticket_type) {
        (Occasion::TicketResolved, Some(ticket_type)) => {
            select.and_where(col(table, "type").eq(ticket_type.as_str()));
        }
        (Occasion::OrderDelivered, _) => {
            // Delivered and not taken back since.
            select.and_where(col(table, "status").is_in(["delivered", "completed"]));
        }
        (Occasion::TicketResolved, None) => {}
    }
    select
        .order_by_expr(col(table, at), Order::Asc)
        .order_by_expr(col(table, "id"), Order::Asc)
        .limit(limit)
        .to_owned()
}

/// Claims an occasion for its visit by `made_id`: false when it was followed already.
async fn claim(
    conn: &impl ConnectionTrait,
    served: &Served,
    form: VisitForm,
    made_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool> {
    let insert = Query::insert()
        .into_table(Alias::new("return_visits"))
        .columns(
            [
                "id",
                "occasion",
                "record_id",
                "occasion_at",
                "form",
                "made_id",
                "created_at",
            ]
            .map(Alias::new),
        )
        .values_panic([
            Expr::val(Uuid::now_v7()),
            Expr::val(served.occasion.as_str()),
            Expr::val(served.record_id),
            Expr::val(served.at),
            Expr::val(form.as_str()),
            Expr::val(made_id),
            Expr::val(now),
        ])
        .on_conflict(
            OnConflict::columns(["occasion", "record_id", "occasion_at"].map(Alias::new))
                .do_nothing()
                .to_owned(),
        )
        .to_owned();
    let backend = conn.get_database_backend();
    let done = conn.execute_raw(backend.build(&insert)).await?;
    Ok(done.rows_affected() == 1)
}

/// Makes every return visit `rules` call for at `now`, each occasion once; how many it made.
pub async fn make_due(db: &Db, rules: &[ReturnVisitRule], now: DateTime<Utc>) -> Result<u64> {
    let mut made = 0;
    for rule in rules {
        loop {
            let txn = db.begin_write().await?;
            let backend = txn.get_database_backend();
            let rows = txn
                .query_all_raw(backend.build(&due(rule, now, PER_STEP)))
                .await?;
            let step = rows.len() as u64;
            for row in rows {
                let served = Served {
                    occasion: rule.occasion,
                    record_id: row.try_get_by_index(0)?,
                    customer_id: row.try_get_by_index(1)?,
                    staff_id: row.try_get_by_index(2)?,
                    about: row.try_get_by_index(3)?,
                    at: row.try_get_by_index(4)?,
                };
                let made_id = Uuid::now_v7();
                if !claim(&*txn, &served, rule.create, made_id, now).await? {
                    continue;
                }
                match rule.create {
                    VisitForm::Task => {
                        tasks::insert_by_system(&*txn, made_id, served.task(rule), now).await?;
                    }
                    VisitForm::Ticket => {
                        tickets::open(
                            &*txn,
                            made_id,
                            audit::By::System,
                            None,
                            tickets::Reach::default(),
                            served.ticket(rule),
                            now,
                        )
                        .await?;
                    }
                }
                made += 1;
            }
            txn.commit().await?;
            if step < PER_STEP {
                break;
            }
        }
    }
    Ok(made)
}
