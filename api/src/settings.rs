//! The workspace's settings over HTTP: `GET` and `PATCH` of `/settings/workspace`,
//! `/settings/commerce`, `/settings/retention`, `/settings/deal-reminders` and
//! `/settings/ticket-assignment`.

use actix_web::web::Data;
use actix_web::{HttpResponse, get, patch};
use chrono::{DateTime, Utc};
use rapport_domain::settings::{
    CommerceChanges, CommerceSettings, DealReminderChanges, DealReminderSettings, RetentionChanges,
    RetentionSettings, TicketAssignmentChanges, TicketAssignmentSettings, WorkspaceChanges,
    WorkspaceSettings,
};
use rapport_persistence::settings;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Auth;
use crate::extract::{IfMatch, ValidJson};
use crate::problem::ApiError;
use crate::respond::ok_versioned;
use crate::state::AppState;

/// How the workspace sells.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "refund_window_days": 30,
    "updated_at": "2026-12-05T08:00:00Z",
    "version": 2
}))]
pub struct CommerceSettingsView {
    /// Days after payment within which a refund can be requested (0 to 3650; default 30).
    pub refund_window_days: i64,
    /// When they last changed; `null` while they hold their defaults.
    pub updated_at: Option<DateTime<Utc>>,
    /// Version, for `If-Match`.
    pub version: i64,
}

impl From<CommerceSettings> for CommerceSettingsView {
    fn from(s: CommerceSettings) -> Self {
        CommerceSettingsView {
            refund_window_days: s.refund_window_days,
            updated_at: s.updated_at,
            version: s.version,
        }
    }
}

/// Changes to the commerce settings: absent parts stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"refund_window_days": 7}))]
pub struct UpdateCommerceSettings {
    /// Days after payment within which a refund can be requested, 0 to 3650.
    #[serde(default, deserialize_with = "crate::extract::optional_whole")]
    #[schema(minimum = 0, maximum = 3650)]
    pub refund_window_days: Option<i64>,
}

/// Get the commerce settings.
///
/// The policies every order follows, such as the refund window.
#[utoipa::path(
    tag = "settings",
    operation_id = "get_commerce_settings",
    responses(
        (status = 200, description = "The commerce settings", body = CommerceSettingsView,
            headers(("ETag" = String, description = "The version, for If-Match"))),
    ),
    security(("bearer" = []))
)]
#[get("/settings/commerce")]
pub async fn get_commerce_settings(
    state: Data<AppState>,
    _auth: Auth,
) -> Result<HttpResponse, ApiError> {
    let current: CommerceSettings = settings::load(state.db.conn()).await?;
    let version = current.version;
    Ok(ok_versioned(&CommerceSettingsView::from(current), version))
}

/// Change the commerce settings.
///
/// A new refund window applies to refund requests from now on, counted from each order's
/// payment. With `If-Match: "<version>"` the change applies only to that version.
#[utoipa::path(
    tag = "settings",
    operation_id = "update_commerce_settings",
    request_body = UpdateCommerceSettings,
    params(("If-Match" = Option<String>, Header)),
    responses(
        (status = 200, description = "The changed settings", body = CommerceSettingsView,
            headers(("ETag" = String, description = "The new version"))),
    ),
    security(("bearer" = []))
)]
#[patch("/settings/commerce")]
pub async fn update_commerce_settings(
    state: Data<AppState>,
    auth: Auth,
    if_match: IfMatch,
    body: ValidJson<UpdateCommerceSettings>,
) -> Result<HttpResponse, ApiError> {
    let changes = body.checked(|dto| {
        CommerceChanges {
            refund_window_days: dto.refund_window_days,
        }
        .check()
    })?;
    let changed: CommerceSettings =
        settings::change(&state.db, &auth.actor, &changes, if_match.0).await?;
    let version = changed.version;
    Ok(ok_versioned(&CommerceSettingsView::from(changed), version))
}

/// How long finished work is kept before the hourly housekeeping job forgets it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "sessions_days": 30, "import_files_days": 30, "jobs_days": 30,
    "updated_at": "2026-12-05T08:00:00Z", "version": 2
}))]
pub struct RetentionSettingsView {
    /// Days an ended sign-in (every refresh token of it expired or revoked) is kept (0 to 3650;
    /// default 30).
    pub sessions_days: i64,
    /// Days the file and refused rows of a finished import are kept; the import's record stays,
    /// with `file_purged_at` (0 to 3650; default 30).
    pub import_files_days: i64,
    /// Days a finished job is kept in `GET /api/v1/jobs` (0 to 3650; default 30).
    pub jobs_days: i64,
    /// When they last changed; `null` while they hold their defaults.
    pub updated_at: Option<DateTime<Utc>>,
    /// Version, for `If-Match`.
    pub version: i64,
}

impl From<RetentionSettings> for RetentionSettingsView {
    fn from(s: RetentionSettings) -> Self {
        RetentionSettingsView {
            sessions_days: s.sessions_days,
            import_files_days: s.import_files_days,
            jobs_days: s.jobs_days,
            updated_at: s.updated_at,
            version: s.version,
        }
    }
}

/// Changes to the retention settings: absent parts stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"import_files_days": 7}))]
pub struct UpdateRetentionSettings {
    /// Days an ended sign-in is kept, 0 to 3650.
    #[serde(default, deserialize_with = "crate::extract::optional_whole")]
    #[schema(minimum = 0, maximum = 3650)]
    pub sessions_days: Option<i64>,
    /// Days a finished import's file and refused rows are kept, 0 to 3650.
    #[serde(default, deserialize_with = "crate::extract::optional_whole")]
    #[schema(minimum = 0, maximum = 3650)]
    pub import_files_days: Option<i64>,
    /// Days a finished job is kept, 0 to 3650.
    #[serde(default, deserialize_with = "crate::extract::optional_whole")]
    #[schema(minimum = 0, maximum = 3650)]
    pub jobs_days: Option<i64>,
}

/// Get the retention settings.
///
/// How long ended sign-ins, finished import files and finished jobs are kept. Idempotency
/// records are kept for their 24-hour replay window.
#[utoipa::path(
    tag = "settings",
    operation_id = "get_retention_settings",
    responses(
        (status = 200, description = "The retention settings", body = RetentionSettingsView,
            headers(("ETag" = String, description = "The version, for If-Match"))),
    ),
    security(("bearer" = []))
)]
#[get("/settings/retention")]
pub async fn get_retention_settings(
    state: Data<AppState>,
    _auth: Auth,
) -> Result<HttpResponse, ApiError> {
    let current: RetentionSettings = settings::load(state.db.conn()).await?;
    let version = current.version;
    Ok(ok_versioned(&RetentionSettingsView::from(current), version))
}

/// Change the retention settings.
///
/// The next housekeeping run (hourly, or `POST /api/v1/jobs` with `housekeeping`) forgets what
/// is older than the new periods. With `If-Match: "<version>"` the change applies only to that
/// version.
#[utoipa::path(
    tag = "settings",
    operation_id = "update_retention_settings",
    request_body = UpdateRetentionSettings,
    params(("If-Match" = Option<String>, Header)),
    responses(
        (status = 200, description = "The changed settings", body = RetentionSettingsView,
            headers(("ETag" = String, description = "The new version"))),
    ),
    security(("bearer" = []))
)]
#[patch("/settings/retention")]
pub async fn update_retention_settings(
    state: Data<AppState>,
    auth: Auth,
    if_match: IfMatch,
    body: ValidJson<UpdateRetentionSettings>,
) -> Result<HttpResponse, ApiError> {
    let changes = body.checked(|dto| {
        RetentionChanges {
            sessions_days: dto.sessions_days,
            import_files_days: dto.import_files_days,
            jobs_days: dto.jobs_days,
        }
        .check()
    })?;
    let changed: RetentionSettings =
        settings::change(&state.db, &auth.actor, &changes, if_match.0).await?;
    let version = changed.version;
    Ok(ok_versioned(&RetentionSettingsView::from(changed), version))
}

/// The code of the workspace's default currency: what a new order, product variant, coupon or
/// deal that names no currency is in.
pub async fn default_currency(state: &AppState) -> Result<String, ApiError> {
    let workspace: WorkspaceSettings = settings::load(state.db.conn()).await?;
    Ok(workspace.default_currency)
}

/// How the workspace keeps time and money.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "time_zone": "Asia/Shanghai", "default_currency": "CNY",
    "updated_at": "2026-12-05T08:00:00Z", "version": 2
}))]
pub struct WorkspaceSettingsView {
    /// The IANA time zone in which "today" and "overdue" are read (default `UTC`).
    pub time_zone: String,
    /// The currency a new order, product variant, coupon or deal is in when it names none
    /// (default `CNY`).
    pub default_currency: String,
    /// When they last changed; `null` while they hold their defaults.
    pub updated_at: Option<DateTime<Utc>>,
    /// Version, for `If-Match`.
    pub version: i64,
}

impl From<WorkspaceSettings> for WorkspaceSettingsView {
    fn from(s: WorkspaceSettings) -> Self {
        WorkspaceSettingsView {
            time_zone: s.time_zone,
            default_currency: s.default_currency,
            updated_at: s.updated_at,
            version: s.version,
        }
    }
}

/// Changes to the workspace settings: absent parts stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"time_zone": "Asia/Shanghai", "default_currency": "CNY"}))]
pub struct UpdateWorkspaceSettings {
    /// An IANA time zone name, such as `Asia/Shanghai` or `UTC` (422 `unknown_time_zone`
    /// otherwise).
    #[schema(min_length = 1, max_length = 64)]
    pub time_zone: Option<String>,
    /// The ISO 4217 code of the default currency (records made before keep theirs).
    pub default_currency: Option<String>,
}

/// Get the workspace settings.
///
/// The time zone in which tasks are "due today" or "overdue", and the currency new records are
/// in when they name none.
#[utoipa::path(
    tag = "settings",
    operation_id = "get_workspace_settings",
    responses(
        (status = 200, description = "The workspace settings", body = WorkspaceSettingsView,
            headers(("ETag" = String, description = "The version, for If-Match"))),
    ),
    security(("bearer" = []))
)]
#[get("/settings/workspace")]
pub async fn get_workspace_settings(
    state: Data<AppState>,
    _auth: Auth,
) -> Result<HttpResponse, ApiError> {
    let current: WorkspaceSettings = settings::load(state.db.conn()).await?;
    let version = current.version;
    Ok(ok_versioned(&WorkspaceSettingsView::from(current), version))
}

/// Change the workspace settings.
///
/// A new time zone applies to the next task list asked for, a new default currency to the next
/// record made without one. With `If-Match: "<version>"` the
/// change applies only to that version.
#[utoipa::path(
    tag = "settings",
    operation_id = "update_workspace_settings",
    request_body = UpdateWorkspaceSettings,
    params(("If-Match" = Option<String>, Header)),
    responses(
        (status = 200, description = "The changed settings", body = WorkspaceSettingsView,
            headers(("ETag" = String, description = "The new version"))),
    ),
    security(("bearer" = []))
)]
#[patch("/settings/workspace")]
pub async fn update_workspace_settings(
    state: Data<AppState>,
    auth: Auth,
    if_match: IfMatch,
    body: ValidJson<UpdateWorkspaceSettings>,
) -> Result<HttpResponse, ApiError> {
    let changes = body.checked(|dto| {
        WorkspaceChanges {
            time_zone: dto.time_zone,
            default_currency: dto.default_currency,
        }
        .check()
    })?;
    let changed: WorkspaceSettings =
        settings::change(&state.db, &auth.actor, &changes, if_match.0).await?;
    let version = changed.version;
    Ok(ok_versioned(&WorkspaceSettingsView::from(changed), version))
}

/// When the owners of open deals get a task about them; each rule is off while `null`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "close_date_days": 3, "stage_days": 14, "updated_at": "2026-12-05T08:00:00Z", "version": 2
}))]
pub struct DealReminderSettingsView {
    /// Days before a deal's expected close date (0: on the day) that its owner gets a task to
    /// close it, once per close date (`null`: never; the default).
    pub close_date_days: Option<i64>,
    /// Days a deal may sit in one stage before its owner gets a task to move it on, once per
    /// stay in a stage (`null`: never; the default).
    pub stage_days: Option<i64>,
    /// When they last changed; `null` while they hold their defaults.
    pub updated_at: Option<DateTime<Utc>>,
    /// Version, for `If-Match`.
    pub version: i64,
}

impl From<DealReminderSettings> for DealReminderSettingsView {
    fn from(s: DealReminderSettings) -> Self {
        DealReminderSettingsView {
            close_date_days: s.close_date_days,
            stage_days: s.stage_days,
            updated_at: s.updated_at,
            version: s.version,
        }
    }
}

/// Changes to the deal reminder settings: absent parts stay, `null` turns a rule off.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"close_date_days": 3, "stage_days": 14}))]
pub struct UpdateDealReminderSettings {
    /// Days before the close date, 0 to 365, or `null`.
    #[serde(default, deserialize_with = "crate::extract::nullable_whole")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 365)]
    pub close_date_days: Option<Option<i64>>,
    /// Days in one stage, 1 to 365, or `null`.
    #[serde(default, deserialize_with = "crate::extract::nullable_whole")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 365)]
    pub stage_days: Option<Option<i64>>,
}

/// Get the deal reminder settings.
///
/// When the owner of an open deal gets a task: a number of days before its expected close date,
/// and after a number of days in one stage. The `deal_reminders` job applies them every quarter
/// hour.
#[utoipa::path(
    tag = "settings",
    operation_id = "get_deal_reminder_settings",
    responses(
        (status = 200, description = "The deal reminder settings", body = DealReminderSettingsView,
            headers(("ETag" = String, description = "The version, for If-Match"))),
    ),
    security(("bearer" = []))
)]
#[get("/settings/deal-reminders")]
pub async fn get_deal_reminder_settings(
    state: Data<AppState>,
    _auth: Auth,
) -> Result<HttpResponse, ApiError> {
    let current: DealReminderSettings = settings::load(state.db.conn()).await?;
    let version = current.version;
    Ok(ok_versioned(
        &DealReminderSettingsView::from(current),
        version,
    ))
}

/// Change the deal reminder settings.
///
/// The next `deal_reminders` run (every quarter hour, or `POST /api/v1/jobs` with
/// `deal_reminders`) applies them. With `If-Match: "<version>"` the change applies only to
/// that version.
#[utoipa::path(
    tag = "settings",
    operation_id = "update_deal_reminder_settings",
    request_body = UpdateDealReminderSettings,
    params(("If-Match" = Option<String>, Header)),
    responses(
        (status = 200, description = "The changed settings", body = DealReminderSettingsView,
            headers(("ETag" = String, description = "The new version"))),
    ),
    security(("bearer" = []))
)]
#[patch("/settings/deal-reminders")]
pub async fn update_deal_reminder_settings(
    state: Data<AppState>,
    auth: Auth,
    if_match: IfMatch,
    body: ValidJson<UpdateDealReminderSettings>,
) -> Result<HttpResponse, ApiError> {
    let changes = body.checked(|dto| {
        DealReminderChanges {
            close_date_days: dto.close_date_days,
            stage_days: dto.stage_days,
        }
        .check()
    })?;
    let changed: DealReminderSettings =
        settings::change(&state.db, &auth.actor, &changes, if_match.0).await?;
    let version = changed.version;
    Ok(ok_versioned(
        &DealReminderSettingsView::from(changed),
        version,
    ))
}

/// How new tickets find their agent.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"automatic": true, "updated_at": "2026-12-06T08:00:00Z", "version": 2}))]
pub struct TicketAssignmentSettingsView {
    /// Whether a ticket opened with no assignee goes to the active service agent (a staff member
    /// whose role works its own tickets, such as `support`) with the fewest tickets not yet
    /// resolved; never to a disabled one (`false`: the default).
    pub automatic: bool,
    /// When they last changed; `null` while they hold their defaults.
    pub updated_at: Option<DateTime<Utc>>,
    /// Version, for `If-Match`.
    pub version: i64,
}

impl From<TicketAssignmentSettings> for TicketAssignmentSettingsView {
    fn from(s: TicketAssignmentSettings) -> Self {
        TicketAssignmentSettingsView {
            automatic: s.automatic,
            updated_at: s.updated_at,
            version: s.version,
        }
    }
}

/// Changes to the ticket assignment settings: absent parts stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"automatic": true}))]
pub struct UpdateTicketAssignmentSettings {
    /// Automatic assignment on or off.
    pub automatic: Option<bool>,
}

/// Get the ticket assignment settings.
///
/// Whether tickets opened with no assignee go to the least-loaded service agent.
#[utoipa::path(
    tag = "settings",
    operation_id = "get_ticket_assignment_settings",
    responses(
        (status = 200, description = "The ticket assignment settings", body = TicketAssignmentSettingsView,
            headers(("ETag" = String, description = "The version, for If-Match"))),
    ),
    security(("bearer" = []))
)]
#[get("/settings/ticket-assignment")]
pub async fn get_ticket_assignment_settings(
    state: Data<AppState>,
    _auth: Auth,
) -> Result<HttpResponse, ApiError> {
    let current: TicketAssignmentSettings = settings::load(state.db.conn()).await?;
    let version = current.version;
    Ok(ok_versioned(
        &TicketAssignmentSettingsView::from(current),
        version,
    ))
}

/// Change the ticket assignment settings.
///
/// Tickets opened from now on follow them. With `If-Match: "<version>"` the change applies only
/// to that version.
#[utoipa::path(
    tag = "settings",
    operation_id = "update_ticket_assignment_settings",
    request_body = UpdateTicketAssignmentSettings,
    params(("If-Match" = Option<String>, Header)),
    responses(
        (status = 200, description = "The changed settings", body = TicketAssignmentSettingsView,
            headers(("ETag" = String, description = "The new version"))),
    ),
    security(("bearer" = []))
)]
#[patch("/settings/ticket-assignment")]
pub async fn update_ticket_assignment_settings(
    state: Data<AppState>,
    auth: Auth,
    if_match: IfMatch,
    body: ValidJson<UpdateTicketAssignmentSettings>,
) -> Result<HttpResponse, ApiError> {
    let changes = body.value()?;
    let changes = TicketAssignmentChanges {
        automatic: changes.automatic,
    };
    let changed: TicketAssignmentSettings =
        settings::change(&state.db, &auth.actor, &changes, if_match.0).await?;
    let version = changed.version;
    Ok(ok_versioned(
        &TicketAssignmentSettingsView::from(changed),
        version,
    ))
}
