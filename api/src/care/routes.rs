//! Care plan handlers and what goes over the wire for them: plans with their schedule, manner
//! and action, run now or daily, their participations, and what came of each.

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post};
use chrono::{DateTime, NaiveDate, Utc};
use rapport_domain::FieldErrors;
use rapport_domain::care::{
    CareAction, CareManner, CarePlan, DateField, Every, NewPlan, Outcome, Participation,
    ParticipationStatus, PlanChanges, PlanStatus, Schedule,
};
use rapport_persistence::care::{self as store, ParticipationFilter, RunCounts};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Auth;
use crate::extract::{IdempotencyHeader, IfMatch, ValidJson, ValidQuery, nullable, page_request};
use crate::problem::{ApiError, Problem};
use crate::respond::{PageOf, created, ok_versioned, page};
use crate::state::AppState;

/// How staff attend to the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CareMannerDto {
    /// A phone call.
    Call,
    /// A text message.
    Sms,
    /// An e-mail.
    Email,
    /// A visit.
    Visit,
    /// A gift.
    Gift,
    /// A WeChat message.
    Wechat,
}

mirror!(CareMannerDto <=> CareManner { Call, Sms, Email, Visit, Gift, Wechat });

/// Whether a plan runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatusDto {
    /// Runs daily.
    Active,
    /// Does not run; `POST /care-plans/{id}/run` still runs it.
    Paused,
}

mirror!(PlanStatusDto <=> PlanStatus { Active, Paused });

/// What came of a participation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ParticipationStatusDto {
    /// Not yet attended to.
    Pending,
    /// Attended to.
    Done,
    /// The customer declined.
    Declined,
    /// The customer did not answer.
    NoAnswer,
}

mirror!(ParticipationStatusDto <=> ParticipationStatus { Pending, Done, Declined, NoAnswer });

/// What came of an occasion, as staff record it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeStatusDto {
    /// Attended to.
    Done,
    /// The customer declined.
    Declined,
    /// The customer did not answer.
    NoAnswer,
}

/// The unit of a recurring plan's interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IntervalUnitDto {
    /// Days (1 to 3650).
    Days,
    /// Months (1 to 120).
    Months,
}

/// When a plan's occasions fall, by `kind`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ScheduleDto {
    /// The customer's birthday (29 February falls on the 28th in other years).
    Birthday {
        /// Days before it that the customer is attended to, 0 to 60 (default 0).
        #[serde(default, deserialize_with = "crate::extract::whole_i16")]
        #[schema(minimum = 0, maximum = 60, value_type = i64)]
        days_before: i16,
    },
    /// A date of the year (`on` is `MM-DD`: `12-25`, `01-01`), or the anniversaries of one of
    /// the customer's dates (`on` names it: `created_at`, `first_order_at`, or
    /// `custom_fields.<key>` of a date field).
    FixedDate {
        /// `MM-DD`, or the customer's date whose anniversaries count.
        #[schema(
            example = "12-25",
            max_length = 80,
            pattern = r"^((0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])|created_at|first_order_at|custom_fields\.[a-z][a-z0-9_]{0,63})$"
        )]
        on: String,
        /// Days before each that the customer is attended to, 0 to 60 (default 0).
        #[serde(default, deserialize_with = "crate::extract::whole_i16")]
        #[schema(minimum = 0, maximum = 60, value_type = i64)]
        days_before: i16,
    },
    /// Every `every` days or months from the customer's first order (or from when they were
    /// created, before any order): regular return visits.
    Recurring {
        /// How many units between occasions.
        #[serde(deserialize_with = "crate::extract::whole_i16")]
        #[schema(minimum = 1, maximum = 3650, value_type = i64)]
        every: i16,
        /// Days or months.
        unit: IntervalUnitDto,
        /// Days before each that the customer is attended to, 0 to 60 (default 0).
        #[serde(default, deserialize_with = "crate::extract::whole_i16")]
        #[schema(minimum = 0, maximum = 60, value_type = i64)]
        days_before: i16,
    },
    /// No paid order and no activity for `days` (counted from when the customer was created,
    /// before either): one occasion per stretch of quiet.
    Inactivity {
        /// Days of quiet, 1 to 3650.
        #[serde(deserialize_with = "crate::extract::whole_i16")]
        #[schema(minimum = 1, maximum = 3650, value_type = i64)]
        days: i16,
    },
}

impl ScheduleDto {
    /// The domain's schedule; `on` is read here, its numbers are checked by the domain.
    fn into_domain(self) -> Result<Schedule, FieldErrors> {
        Ok(match self {
            ScheduleDto::Birthday { days_before } => Schedule::Birthday { days_before },
            ScheduleDto::FixedDate { on, days_before } => match month_day(&on) {
                Some((month, day)) => Schedule::DateOfYear {
                    month,
                    day,
                    days_before,
                },
                None => Schedule::Anniversary {
                    field: DateField::parse("schedule.on", &on).map_err(FieldErrors::from)?,
                    days_before,
                },
            },
            ScheduleDto::Recurring {
                every,
                unit,
                days_before,
            } => Schedule::Recurring {
                every: match unit {
                    IntervalUnitDto::Days => Every::Days(every),
                    IntervalUnitDto::Months => Every::Months(every),
                },
                days_before,
            },
            ScheduleDto::Inactivity { days } => Schedule::Inactivity { days },
        })
    }

    fn of(schedule: &Schedule) -> ScheduleDto {
        match schedule {
            Schedule::Birthday { days_before } => ScheduleDto::Birthday {
                days_before: *days_before,
            },
            Schedule::DateOfYear {
                month,
                day,
                days_before,
            } => ScheduleDto::FixedDate {
                on: format!("{month:02}-{day:02}"),
                days_before: *days_before,
            },
            Schedule::Anniversary { field, days_before } => ScheduleDto::FixedDate {
                on: field.as_string(),
                days_before: *days_before,
            },
            Schedule::Recurring { every, days_before } => {
                let (every, unit) = match every {
                    Every::Days(d) => (*d, IntervalUnitDto::Days),
                    Every::Months(m) => (*m, IntervalUnitDto::Months),
                };
                ScheduleDto::Recurring {
                    every,
                    unit,
                    days_before: *days_before,
                }
            }
            Schedule::Inactivity { days } => ScheduleDto::Inactivity { days: *days },
        }
    }
}

/// `MM-DD` as a month and a day, when `on` is written so.
fn month_day(on: &str) -> Option<(u32, u32)> {
    let (month, day) = on.split_once('-')?;
    let digits = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
    (digits(month) && digits(day)).then(|| Some((month.parse().ok()?, day.parse().ok()?)))?
}

/// Moves a schedule's field mistakes under `schedule.`.
fn schedule_errors(errors: FieldErrors) -> FieldErrors {
    FieldErrors(
        errors
            .0
            .into_iter()
            .map(|mut e| {
                if [
                    "days_before",
                    "month",
                    "day",
                    "every_days",
                    "every_months",
                    "inactive_days",
                ]
                .contains(&e.field.as_str())
                {
                    e.field = match e.field.as_str() {
                        "month" | "day" => "schedule.on".into(),
                        "every_days" | "every_months" => "schedule.every".into(),
                        "inactive_days" => "schedule.days".into(),
                        other => format!("schedule.{other}"),
                    };
                }
                e
            })
            .collect(),
    )
}

/// A new care plan.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "生日关怀", "schedule": {"kind": "birthday", "days_before": 3},
    "segment_id": "0193a5c6-2222-7000-8000-000000000003", "manner": "call",
    "makes_task": true, "emits_event": true
}))]
pub struct CreateCarePlan {
    /// 1 to 100 characters, unique (409 `care_plan_name_taken`).
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// When its occasions fall.
    pub schedule: ScheduleDto,
    /// Whose occasions: the segment's customers (422 `not_found` when there is no such
    /// segment); every customer when absent.
    pub segment_id: Option<Uuid>,
    /// How staff attend to the customer.
    pub manner: CareMannerDto,
    /// Make a task for each occasion (default true).
    pub makes_task: Option<bool>,
    /// Who gets the tasks; the customer's owner when absent.
    pub assignee_id: Option<Uuid>,
    /// Emit `care.due` for each occasion, for an SMS or e-mail sender reading the feed (default
    /// false). A plan makes a task, emits the event, or both (422 `no_action`).
    pub emits_event: Option<bool>,
    /// `active` (default) or `paused`.
    pub status: Option<PlanStatusDto>,
}

/// Changes to a care plan: absent parts stay; the schedule changes whole.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"schedule": {"kind": "birthday", "days_before": 7}, "status": "paused"}))]
pub struct UpdateCarePlan {
    /// 1 to 100 characters, unique.
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// When its occasions fall.
    pub schedule: Option<ScheduleDto>,
    /// The segment, or `null` for every customer.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub segment_id: Option<Option<Uuid>>,
    /// How staff attend to the customer.
    pub manner: Option<CareMannerDto>,
    /// Make a task for each occasion.
    pub makes_task: Option<bool>,
    /// Who gets the tasks, or `null` for the customer's owner.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub assignee_id: Option<Option<Uuid>>,
    /// Emit `care.due` for each occasion.
    pub emits_event: Option<bool>,
    /// `active` or `paused`.
    pub status: Option<PlanStatusDto>,
}

/// A care plan.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5cb-1111-7000-8000-000000000001", "name": "生日关怀",
    "schedule": {"kind": "birthday", "days_before": 3},
    "segment_id": "0193a5c6-2222-7000-8000-000000000003", "manner": "call",
    "makes_task": true, "assignee_id": null, "emits_event": true, "status": "active",
    "last_run_on": "2026-12-05", "created_at": "2026-12-01T09:00:00Z",
    "updated_at": "2026-12-01T09:00:00Z", "version": 1
}))]
pub struct CarePlanView {
    /// Identifier.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// When its occasions fall.
    pub schedule: ScheduleDto,
    /// Whose occasions: the segment's customers, or every customer when `null`.
    pub segment_id: Option<Uuid>,
    /// How staff attend to the customer.
    pub manner: CareMannerDto,
    /// Makes a task for each occasion.
    pub makes_task: bool,
    /// Who gets the tasks; the customer's owner when `null`.
    pub assignee_id: Option<Uuid>,
    /// Emits `care.due` for each occasion.
    pub emits_event: bool,
    /// Whether it runs daily.
    pub status: PlanStatusDto,
    /// The last day (in the workspace's time zone) it ran.
    pub last_run_on: Option<NaiveDate>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version, for `If-Match`.
    pub version: i64,
}

impl From<CarePlan> for CarePlanView {
    fn from(p: CarePlan) -> Self {
        CarePlanView {
            id: p.id,
            name: p.name,
            schedule: ScheduleDto::of(&p.schedule),
            segment_id: p.segment_id,
            manner: p.manner.into(),
            makes_task: p.action.makes_task,
            assignee_id: p.action.assignee_id,
            emits_event: p.action.emits_event,
            status: p.status.into(),
            last_run_on: p.last_run_on,
            created_at: p.created_at,
            updated_at: p.updated_at,
            version: p.version,
        }
    }
}

/// Which plans, and which page.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CarePlanListQuery {
    /// In this status.
    pub status: Option<PlanStatusDto>,
    /// Rows per page, 1 to 200 (default 25).
    #[param(minimum = 1, maximum = 200, example = 25)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Add `total`.
    pub include_total: Option<bool>,
}

/// List care plans.
///
/// Oldest first.
#[utoipa::path(
    tag = "care",
    operation_id = "list_care_plans",
    params(CarePlanListQuery),
    responses((status = 200, description = "One page of care plans", body = PageOf<CarePlanView>)),
    security(("bearer" = []))
)]
#[get("/care-plans")]
pub async fn list_care_plans(
    state: Data<AppState>,
    _auth: Auth,
    query: ValidQuery<CarePlanListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let list = store::list(state.db.conn(), q.status.map(Into::into), &request).await?;
    Ok(page(&PageOf::from_page(list, CarePlanView::from)))
}

/// Create a care plan.
///
/// Active unless it says otherwise: the scheduler runs it daily. Emits `care_plan.created`.
#[utoipa::path(
    tag = "care",
    operation_id = "create_care_plan",
    request_body = CreateCarePlan,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses(
        (status = 201, description = "Created", body = CarePlanView,
            headers(("Location" = String, description = "The plan's URL"), ("ETag" = String, description = "The version"))),
        (status = 409, description = "`care_plan_name_taken`: another plan has this name", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/care-plans")]
pub async fn create_care_plan(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    idempotency: IdempotencyHeader,
    body: ValidJson<CreateCarePlan>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency.scoped(&auth.actor, &req, &body.raw);
    let new = body.checked(|dto| {
        NewPlan {
            name: dto.name,
            schedule: dto.schedule.into_domain()?,
            segment_id: dto.segment_id,
            manner: dto.manner.into(),
            action: CareAction {
                makes_task: dto.makes_task.unwrap_or(true),
                assignee_id: dto.assignee_id,
                emits_event: dto.emits_event.unwrap_or(false),
            },
            status: dto.status.map(Into::into),
        }
        .check()
        .map_err(schedule_errors)
    })?;
    let outcome =
        store::create(&state.db, &auth.actor, new, state.clock.now(), key.as_ref()).await?;
    let replayed = outcome.is_replay();
    let p = outcome.into_inner();
    let location = format!("/api/v1/care-plans/{}", p.id);
    let version = p.version;
    Ok(created(&CarePlanView::from(p), location, version, replayed))
}

/// Get a care plan.
#[utoipa::path(
    tag = "care",
    operation_id = "get_care_plan",
    params(("id" = Uuid, Path, description = "Care plan id")),
    responses((status = 200, description = "The care plan", body = CarePlanView,
        headers(("ETag" = String, description = "The version, for If-Match")))),
    security(("bearer" = []))
)]
#[get("/care-plans/{id:[0-9a-fA-F-]+}")]
pub async fn get_care_plan(
    state: Data<AppState>,
    _auth: Auth,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let p = store::get(state.db.conn(), id.into_inner()).await?;
    let version = p.version;
    Ok(ok_versioned(&CarePlanView::from(p), version))
}

/// Change a care plan.
///
/// A new schedule applies from the next run; occasions recorded already stay. With
/// `If-Match: "<version>"` the change applies only to that version.
#[utoipa::path(
    tag = "care",
    operation_id = "update_care_plan",
    request_body = UpdateCarePlan,
    params(
        ("id" = Uuid, Path, description = "Care plan id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses(
        (status = 200, description = "The changed plan", body = CarePlanView,
            headers(("ETag" = String, description = "The new version"))),
        (status = 409, description = "`care_plan_name_taken`: another plan has this name", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/care-plans/{id:[0-9a-fA-F-]+}")]
pub async fn update_care_plan(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
    body: ValidJson<UpdateCarePlan>,
) -> Result<HttpResponse, ApiError> {
    let changes = body.checked(|dto| {
        PlanChanges {
            name: dto.name,
            schedule: dto.schedule.map(ScheduleDto::into_domain).transpose()?,
            segment_id: dto.segment_id,
            manner: dto.manner.map(Into::into),
            makes_task: dto.makes_task,
            assignee_id: dto.assignee_id,
            emits_event: dto.emits_event,
            status: dto.status.map(Into::into),
        }
        .check()
        .map_err(schedule_errors)
    })?;
    let p = store::update(&state.db, &auth.actor, id.into_inner(), changes, if_match.0).await?;
    let version = p.version;
    Ok(ok_versioned(&CarePlanView::from(p), version))
}

/// Delete a care plan.
///
/// Its participations go with it; the tasks and activities they made stay.
#[utoipa::path(
    tag = "care",
    operation_id = "delete_care_plan",
    params(
        ("id" = Uuid, Path, description = "Care plan id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses((status = 204, description = "Deleted")),
    security(("bearer" = []))
)]
#[delete("/care-plans/{id:[0-9a-fA-F-]+}")]
pub async fn delete_care_plan(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    store::delete(&state.db, &auth.actor, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// What a run made.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"due": 12, "participations": 3, "tasks": 3, "events": 3}))]
pub struct CarePlanRunView {
    /// Customers whose occasion is due today.
    pub due: u64,
    /// Participations made now; an occasion recorded before is not made again.
    pub participations: u64,
    /// Tasks made.
    pub tasks: u64,
    /// `care.due` events emitted.
    pub events: u64,
}

impl From<RunCounts> for CarePlanRunView {
    fn from(c: RunCounts) -> Self {
        CarePlanRunView {
            due: c.due,
            participations: c.participations,
            tasks: c.tasks,
            events: c.events,
        }
    }
}

/// Run a care plan now.
///
/// Records the occasions due today (in the workspace's time zone) of the customers it is for,
/// as the daily run does, paused or not: each customer and occasion once, with its task and
/// `care.due` event, however often it runs and on however many nodes. 409
/// `segment_filter_outdated` when its segment's filter names fields that are gone.
#[utoipa::path(
    tag = "care",
    operation_id = "run_care_plan",
    params(("id" = Uuid, Path, description = "Care plan id")),
    responses(
        (status = 200, description = "What the run made", body = CarePlanRunView),
        (status = 409, description = "`segment_filter_outdated`: the segment's filter names fields or options that no longer exist", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/care-plans/{id:[0-9a-fA-F-]+}/run")]
pub async fn run_care_plan(
    state: Data<AppState>,
    _auth: Auth,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let p = store::get(state.db.conn(), id.into_inner()).await?;
    let counts = super::run::run_plan(&state, &p, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(CarePlanRunView::from(counts)))
}

/// One customer's participation in one occasion of a plan.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5cb-2222-7000-8000-000000000001", "plan_id": "0193a5cb-1111-7000-8000-000000000001",
    "customer_id": "0193a5c7-1111-7000-8000-000000000001", "occasion": "2026-12-08",
    "status": "done", "task_id": "0193a5c8-7777-7000-8000-000000000002",
    "activity_id": "0193a5c8-6666-7000-8000-000000000003", "feedback": "很开心，下周来店里",
    "created_at": "2026-12-05T00:05:00Z", "updated_at": "2026-12-06T10:00:00Z", "version": 2
}))]
pub struct ParticipationView {
    /// Identifier.
    pub id: Uuid,
    /// The plan.
    pub plan_id: Uuid,
    /// The customer.
    pub customer_id: Uuid,
    /// The occasion's date.
    pub occasion: NaiveDate,
    /// What came of it.
    pub status: ParticipationStatusDto,
    /// The task that attends to it.
    pub task_id: Option<Uuid>,
    /// The `care` activity that recorded what came of it.
    pub activity_id: Option<Uuid>,
    /// What the customer said.
    pub feedback: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version, for `If-Match`.
    pub version: i64,
}

impl From<Participation> for ParticipationView {
    fn from(p: Participation) -> Self {
        ParticipationView {
            id: p.id,
            plan_id: p.plan_id,
            customer_id: p.customer_id,
            occasion: p.occasion,
            status: p.status.into(),
            task_id: p.task_id,
            activity_id: p.activity_id,
            feedback: p.feedback,
            created_at: p.created_at,
            updated_at: p.updated_at,
            version: p.version,
        }
    }
}

/// Which participations, and which page.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ParticipationListQuery {
    /// In this status.
    pub status: Option<ParticipationStatusDto>,
    /// Of this customer.
    pub customer_id: Option<Uuid>,
    /// Rows per page, 1 to 200 (default 25).
    #[param(minimum = 1, maximum = 200, example = 25)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Add `total`.
    pub include_total: Option<bool>,
}

/// List a care plan's participations.
///
/// Newest first: who was attended to on which occasion, and what came of it.
#[utoipa::path(
    tag = "care",
    operation_id = "list_care_participations",
    params(("id" = Uuid, Path, description = "Care plan id"), ParticipationListQuery),
    responses((status = 200, description = "One page of participations", body = PageOf<ParticipationView>)),
    security(("bearer" = []))
)]
#[get("/care-plans/{id:[0-9a-fA-F-]+}/participations")]
pub async fn list_care_participations(
    state: Data<AppState>,
    _auth: Auth,
    id: Path<Uuid>,
    query: ValidQuery<ParticipationListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let filter = ParticipationFilter {
        status: q.status.map(Into::into),
        customer_id: q.customer_id,
    };
    let list = store::participations(state.db.conn(), id.into_inner(), &filter, &request).await?;
    Ok(page(&PageOf::from_page(list, ParticipationView::from)))
}

/// What came of an occasion.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "done", "feedback": "很开心，下周来店里"}))]
pub struct RecordOutcome {
    /// Done, declined or no answer.
    pub status: OutcomeStatusDto,
    /// What the customer said, at most 10000 characters.
    #[schema(max_length = 10000)]
    pub feedback: Option<String>,
}

/// Record what came of an occasion.
///
/// Closes a pending participation: its status and the customer's feedback, a `care` activity
/// with the customer (their `last_activity_at` moves), and its task completed, in one
/// transaction. Completing the task itself (`PATCH /tasks/{id}` to `done`) closes it as `done`
/// with the task's outcome. 409 `participation_closed` once closed. Callers whose role reaches
/// only their own customers record the occasions of those.
#[utoipa::path(
    tag = "care",
    operation_id = "record_care_outcome",
    request_body = RecordOutcome,
    params(
        ("id" = Uuid, Path, description = "Participation id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses(
        (status = 200, description = "The closed participation", body = ParticipationView,
            headers(("ETag" = String, description = "The new version"))),
        (status = 409, description = "`participation_closed`: what came of it was recorded already", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/care-participations/{id:[0-9a-fA-F-]+}/outcome")]
pub async fn record_care_outcome(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
    body: ValidJson<RecordOutcome>,
) -> Result<HttpResponse, ApiError> {
    let outcome = body.checked(|dto| {
        Outcome {
            status: match dto.status {
                OutcomeStatusDto::Done => ParticipationStatus::Done,
                OutcomeStatusDto::Declined => ParticipationStatus::Declined,
                OutcomeStatusDto::NoAnswer => ParticipationStatus::NoAnswer,
            },
            feedback: dto.feedback,
        }
        .check()
    })?;
    let p = store::record_outcome(
        &state.db,
        &auth.actor,
        auth.owner(),
        id.into_inner(),
        outcome,
        state.clock.now(),
        if_match.0,
    )
    .await?;
    let version = p.version;
    Ok(ok_versioned(&ParticipationView::from(p), version))
}
