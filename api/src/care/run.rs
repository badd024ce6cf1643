//! Running a care plan: its segment's customers (every customer for a plan without one), read
//! page by page, and each one's occasion that is due today recorded. The same plan run twice, or
//! by two nodes at once, records each customer's occasion once.

use chrono::{DateTime, Utc};
use rapport_domain::care::{CarePlan, CustomerDates};
use rapport_domain::custom_fields::FieldOwner;
use rapport_domain::customers::Disclosure;
use rapport_domain::settings::WorkspaceSettings;
use rapport_domain::sort::{SortKey, SortOrder};
use rapport_persistence::care::{self as store, RunCounts};
use rapport_persistence::customers::{self, CustomerSearch};
use rapport_persistence::page::PageRequest;
use rapport_persistence::{segments, settings};

use crate::customers::filter_catalogue;
use crate::problem::ApiError;
use crate::state::AppState;

/// Customers read per page, and per transaction of recorded occasions.
const PAGE: u64 = 200;

/// Runs `plan` at `now`: records the occasions due today (in the workspace's time zone) of the
/// customers it is for, and notes that it ran today. A segment whose filter no longer fits the
/// fields is refused (409 `segment_filter_outdated`), and nothing is recorded.
pub async fn run_plan(
    state: &AppState,
    plan: &CarePlan,
    now: DateTime<Utc>,
) -> Result<RunCounts, ApiError> {
    let conn = state.db.conn();
    let zone = settings::load::<WorkspaceSettings>(conn).await?.zone();
    let today = now.with_timezone(&zone).date_naive();
    let definitions = crate::custom_fields::definitions(state, FieldOwner::Customer).await?;
    let catalogue = filter_catalogue(&definitions, Disclosure::Full);
    let (filter, within) = match plan.segment_id {
        Some(id) => {
            let segment = segments::get(conn, id).await?;
            crate::segments::membership(&segment, &definitions, Disclosure::Full)?
        }
        None => (None, None),
    };
    let order = SortOrder(vec![SortKey::ascending("created_at")]);
    let query = CustomerSearch {
        filter: filter.as_ref(),
        q: None,
        within: within.map(segments::members),
        order: &order,
        catalogue: &catalogue,
    };
    let mut counts = RunCounts::default();
    let mut cursor = None;
    loop {
        let request = PageRequest {
            limit: PAGE,
            cursor,
            include_total: false,
        };
        let page = customers::search(conn, None, &query, &request).await?;
        let due: Vec<_> = page
            .items
            .into_iter()
            .filter(|c| c.anonymised_at.is_none())
            .filter_map(|c| {
                let occasion = plan
                    .schedule
                    .occasion(&CustomerDates::of(&c, zone), today)?;
                Some((c, occasion))
            })
            .collect();
        if !due.is_empty() {
            counts += store::record_occasions(&state.db, plan, &due, now, zone).await?;
        }
        match page.next_cursor {
            Some(next) if page.has_more => cursor = Some(next),
            _ => break,
        }
    }
    store::ran(conn, plan.id, today).await?;
    Ok(counts)
}

/// Runs every active plan that has not run today: the daily work of the `care_plans` job. A plan
/// whose segment cannot be read is left for the next run; what the others made is counted.
pub async fn run_due(state: &AppState, now: DateTime<Utc>) -> Result<RunCounts, ApiError> {
    let conn = state.db.conn();
    let zone = settings::load::<WorkspaceSettings>(conn).await?.zone();
    let today = now.with_timezone(&zone).date_naive();
    let mut counts = RunCounts::default();
    for plan in store::due_today(conn, today).await? {
        match run_plan(state, &plan, now).await {
            Ok(made) => counts += made,
            Err(refused) if refused.code.status().is_client_error() => {
                tracing::warn!(plan = %plan.id, code = refused.code.as_str(), "a care plan could not run");
            }
            Err(other) => return Err(other),
        }
    }
    Ok(counts)
}
