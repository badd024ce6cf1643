//! Task handlers and what goes over the wire for them: what staff have to do and by when, with a
//! reminder, and the lists "my overdue tasks" and "due today" in the workspace's time zone.

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post};
use chrono::{DateTime, Utc};
use rapport_domain::settings::WorkspaceSettings;
use rapport_domain::sort::{SortKey, SortOrder};
use rapport_domain::tasks::{
    self as rules, Due, NewTask, Task, TaskChanges, TaskPriority, TaskStatus,
};
use rapport_persistence::settings;
use rapport_persistence::tasks::{self as store, TaskFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Auth;
use crate::extract::{IdempotencyHeader, IfMatch, ValidJson, ValidQuery, nullable, page_request};
use crate::problem::{ApiError, Problem};
use crate::respond::{PageOf, created, ok_versioned, page};
use crate::state::AppState;

/// How urgent a task is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskPriorityDto {
    /// When there is time.
    Low,
    /// As usual (the default).
    Normal,
    /// Before the usual.
    High,
    /// Before anything else.
    Urgent,
}

/// Where a task stands: `open` becomes `done` or `cancelled`, and either is reopened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatusDto {
    /// To do.
    Open,
    /// Done: `completed_at` says when.
    Done,
    /// No longer to do.
    Cancelled,
}

/// Open tasks by their due time, in the workspace's time zone (`/api/v1/settings/workspace`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DueDto {
    /// Due before now.
    Overdue,
    /// Due during today's date.
    Today,
    /// Due after today.
    Later,
}

mirror!(TaskPriorityDto <=> TaskPriority { Low, Normal, High, Urgent });
mirror!(TaskStatusDto <=> TaskStatus { Open, Done, Cancelled });

impl From<DueDto> for Due {
    fn from(d: DueDto) -> Self {
        match d {
            DueDto::Overdue => Due::Overdue,
            DueDto::Today => Due::Today,
            DueDto::Later => Due::Later,
        }
    }
}

/// A new task.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "给王女士回电：确认尺码", "due_at": "2026-12-06T10:00:00Z",
    "remind_at": "2026-12-06T09:30:00Z", "priority": "high",
    "customer_id": "0193a5c7-1111-7000-8000-000000000001"
}))]
pub struct CreateTask {
    /// What is to be done, 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    /// How, or why, at most 20000 characters.
    #[schema(max_length = 20000)]
    pub description: Option<String>,
    /// By when.
    pub due_at: Option<DateTime<Utc>>,
    /// When to remind the assignee: a `task.reminder_due` event goes out then, once.
    pub remind_at: Option<DateTime<Utc>>,
    /// How urgent (default `normal`).
    pub priority: Option<TaskPriorityDto>,
    /// Who is to do it; the caller when absent. Callers whose role reaches only their own tasks
    /// assign to themselves only (422 `not_yours`).
    pub assignee_id: Option<Uuid>,
    /// The customer it is for, one the caller may reach.
    pub customer_id: Option<Uuid>,
    /// The order it is about (the customer's, when both are named).
    pub order_id: Option<Uuid>,
    /// The deal it is about, one the caller may reach (the customer's, when both are named).
    pub deal_id: Option<Uuid>,
}

/// Changes to a task: absent parts stay, `null` clears.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "done", "outcome": "已确认 42 码，周六到店。"}))]
pub struct UpdateTask {
    /// What is to be done, 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    /// How, or why, or `null`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 20000)]
    pub description: Option<Option<String>>,
    /// By when, or `null`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub due_at: Option<Option<DateTime<Utc>>>,
    /// When to remind, or `null`; a new time is reminded of anew.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub remind_at: Option<Option<DateTime<Utc>>>,
    /// How urgent.
    pub priority: Option<TaskPriorityDto>,
    /// `done` or `cancelled` from `open`, `open` from either (409 `invalid_transition`
    /// otherwise).
    pub status: Option<TaskStatusDto>,
    /// Who is to do it, or `null`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub assignee_id: Option<Option<Uuid>>,
    /// The customer, or `null`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub customer_id: Option<Option<Uuid>>,
    /// The order, or `null`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub order_id: Option<Option<Uuid>>,
    /// The deal, or `null`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub deal_id: Option<Option<Uuid>>,
    /// What came of it, at most 20000 characters, or `null`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 20000)]
    pub outcome: Option<Option<String>>,
}

/// A task.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5c8-7777-7000-8000-000000000001", "title": "给王女士回电：确认尺码",
    "description": null, "due_at": "2026-12-06T10:00:00Z", "remind_at": "2026-12-06T09:30:00Z",
    "reminded_at": null, "priority": "high", "status": "open",
    "assignee_id": "0193a5c6-0000-7000-8000-000000000002",
    "customer_id": "0193a5c7-1111-7000-8000-000000000001", "order_id": null, "deal_id": null,
    "outcome": null, "completed_at": null, "created_by": "0193a5c6-0000-7000-8000-000000000002",
    "created_at": "2026-12-05T10:31:00Z", "updated_at": "2026-12-05T10:31:00Z", "version": 1
}))]
pub struct TaskView {
    /// Identifier.
    pub id: Uuid,
    /// What is to be done.
    pub title: String,
    /// How, or why.
    pub description: Option<String>,
    /// By when.
    pub due_at: Option<DateTime<Utc>>,
    /// When the assignee is reminded.
    pub remind_at: Option<DateTime<Utc>>,
    /// When the reminder went out.
    pub reminded_at: Option<DateTime<Utc>>,
    /// How urgent.
    pub priority: TaskPriorityDto,
    /// Where it stands.
    pub status: TaskStatusDto,
    /// Who is to do it.
    pub assignee_id: Option<Uuid>,
    /// The customer it is for.
    pub customer_id: Option<Uuid>,
    /// The order it is about.
    pub order_id: Option<Uuid>,
    /// The deal it is about (a deal reminder's task names its deal).
    pub deal_id: Option<Uuid>,
    /// What came of it.
    pub outcome: Option<String>,
    /// When it was done or cancelled.
    pub completed_at: Option<DateTime<Utc>>,
    /// The staff member who created it.
    pub created_by: Option<Uuid>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version, for `If-Match`.
    pub version: i64,
}

impl From<Task> for TaskView {
    fn from(t: Task) -> Self {
        TaskView {
            id: t.id,
            title: t.title,
            description: t.description,
            due_at: t.due_at,
            remind_at: t.remind_at,
            reminded_at: t.reminded_at,
            priority: t.priority.into(),
            status: t.status.into(),
            assignee_id: t.assignee_id,
            customer_id: t.customer_id,
            order_id: t.order_id,
            deal_id: t.deal_id,
            outcome: t.outcome,
            completed_at: t.completed_at,
            created_by: t.created_by,
            created_at: t.created_at,
            updated_at: t.updated_at,
            version: t.version,
        }
    }
}

/// Which tasks, in which order, and which page.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TaskListQuery {
    /// `me`, or a staff member's id.
    #[param(
        pattern = "^(me|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$",
        example = "me"
    )]
    pub assignee: Option<String>,
    /// Open tasks due before now (`overdue`), during today (`today`) or after it (`later`), in
    /// the workspace's time zone.
    #[param(inline)]
    pub due: Option<DueDto>,
    /// In this status (`open` when `due` is given).
    pub status: Option<TaskStatusDto>,
    /// Of this priority.
    pub priority: Option<TaskPriorityDto>,
    /// For this customer.
    pub customer_id: Option<Uuid>,
    /// About this order.
    pub order_id: Option<Uuid>,
    /// About this deal.
    pub deal_id: Option<Uuid>,
    /// Comma-separated keys, `-` for descending: `due_at`, `created_at`, `priority` (default
    /// `due_at`, tasks without one last).
    #[param(example = "due_at")]
    pub sort: Option<String>,
    /// Rows per page, 1 to 200 (default 25).
    #[param(minimum = 1, maximum = 200, example = 25)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Add `total`.
    pub include_total: Option<bool>,
}

/// List tasks.
///
/// By due time unless `sort` says otherwise. `assignee=me&due=overdue` is the caller's overdue
/// tasks; `due=today` those due during today's date in the workspace's time zone. Callers
/// whose role reaches only their own tasks see those assigned to them.
#[utoipa::path(
    tag = "tasks",
    operation_id = "list_tasks",
    params(TaskListQuery),
    responses((status = 200, description = "One page of tasks", body = PageOf<TaskView>)),
    security(("bearer" = []))
)]
#[get("/tasks")]
pub async fn list_tasks(
    state: Data<AppState>,
    auth: Auth,
    query: ValidQuery<TaskListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let order = SortOrder::parse(
        q.sort.as_deref(),
        rules::SORTABLE,
        SortKey::ascending("due_at"),
    )
    .map_err(|e| ApiError::bad_parameter("sort", "invalid_sort", e.to_string()))?;
    let assignee_id = match q.assignee.as_deref() {
        None => None,
        Some("me") => Some(
            auth.actor
                .principal
                .user_id()
                .unwrap_or(auth.actor.owner_id),
        ),
        Some(raw) => Some(raw.parse::<Uuid>().map_err(|_| {
            ApiError::bad_parameter(
                "assignee",
                "invalid_assignee",
                "must be `me` or a staff member's id",
            )
        })?),
    };
    let (mut due_from, mut due_to, mut status) = (None, None, q.status.map(Into::into));
    if let Some(due) = q.due {
        let workspace: WorkspaceSettings = settings::load(state.db.conn()).await?;
        (due_from, due_to) = Due::from(due).window(state.clock.now(), workspace.zone());
        status = status.or(Some(TaskStatus::Open));
    }
    let filter = TaskFilter {
        assignee_id,
        status,
        priority: q.priority.map(Into::into),
        customer_id: q.customer_id,
        order_id: q.order_id,
        deal_id: q.deal_id,
        due_from,
        due_to,
    };
    let list = store::list(state.db.conn(), auth.owner(), &filter, &order, &request).await?;
    Ok(page(&PageOf::from_page(list, TaskView::from)))
}

/// Create a task.
///
/// Assigned to the caller unless it names someone. Emits `task.created`; at `remind_at` the
/// scheduler emits `task.reminder_due`, once.
#[utoipa::path(
    tag = "tasks",
    operation_id = "create_task",
    request_body = CreateTask,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses(
        (status = 201, description = "Created", body = TaskView,
            headers(("Location" = String, description = "The task's URL"), ("ETag" = String, description = "The version"))),
    ),
    security(("bearer" = []))
)]
#[post("/tasks")]
pub async fn create_task(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    idempotency: IdempotencyHeader,
    body: ValidJson<CreateTask>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency.scoped(&auth.actor, &req, &body.raw);
    let new = body.checked(|dto| {
        NewTask {
            title: dto.title,
            description: dto.description,
            due_at: dto.due_at,
            remind_at: dto.remind_at,
            priority: dto.priority.map(Into::into),
            assignee_id: dto.assignee_id,
            customer_id: dto.customer_id,
            order_id: dto.order_id,
            deal_id: dto.deal_id,
        }
        .check()
    })?;
    let outcome = store::create(
        &state.db,
        &auth.actor,
        auth.owner(),
        new,
        state.clock.now(),
        key.as_ref(),
    )
    .await?;
    let replayed = outcome.is_replay();
    let task = outcome.into_inner();
    let location = format!("/api/v1/tasks/{}", task.id);
    let version = task.version;
    Ok(created(&TaskView::from(task), location, version, replayed))
}

/// Get a task.
#[utoipa::path(
    tag = "tasks",
    operation_id = "get_task",
    params(("id" = Uuid, Path, description = "Task id")),
    responses((status = 200, description = "The task", body = TaskView,
        headers(("ETag" = String, description = "The version, for If-Match")))),
    security(("bearer" = []))
)]
#[get("/tasks/{id:[0-9a-fA-F-]+}")]
pub async fn get_task(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let task = store::get(state.db.conn(), auth.owner(), id.into_inner()).await?;
    let version = task.version;
    Ok(ok_versioned(&TaskView::from(task), version))
}

/// Change a task.
///
/// `status` completes (`done`), cancels or reopens it: `completed_at` follows, and the change
/// emits `task.completed`, `task.cancelled` or `task.reopened` (any other change
/// `task.updated`). With `If-Match: "<version>"` the change applies only to that version.
#[utoipa::path(
    tag = "tasks",
    operation_id = "update_task",
    request_body = UpdateTask,
    params(
        ("id" = Uuid, Path, description = "Task id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses(
        (status = 200, description = "The changed task", body = TaskView,
            headers(("ETag" = String, description = "The new version"))),
        (status = 409, description = "`invalid_transition`: the task cannot move to that status", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/tasks/{id:[0-9a-fA-F-]+}")]
pub async fn update_task(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
    body: ValidJson<UpdateTask>,
) -> Result<HttpResponse, ApiError> {
    let changes = body.checked(|dto| {
        TaskChanges {
            title: dto.title,
            description: dto.description,
            due_at: dto.due_at,
            remind_at: dto.remind_at,
            priority: dto.priority.map(Into::into),
            status: dto.status.map(Into::into),
            assignee_id: dto.assignee_id,
            customer_id: dto.customer_id,
            order_id: dto.order_id,
            deal_id: dto.deal_id,
            outcome: dto.outcome,
        }
        .check()
    })?;
    // A task that attends to a care occasion closes it when done.
    let task = rapport_persistence::care::change_task(
        &state.db,
        &auth.actor,
        auth.owner(),
        id.into_inner(),
        changes,
        state.clock.now(),
        if_match.0,
    )
    .await?;
    let version = task.version;
    Ok(ok_versioned(&TaskView::from(task), version))
}

/// Delete a task.
#[utoipa::path(
    tag = "tasks",
    operation_id = "delete_task",
    params(
        ("id" = Uuid, Path, description = "Task id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses((status = 204, description = "Deleted")),
    security(("bearer" = []))
)]
#[delete("/tasks/{id:[0-9a-fA-F-]+}")]
pub async fn delete_task(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    store::delete(
        &state.db,
        &auth.actor,
        auth.owner(),
        id.into_inner(),
        if_match.0,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
