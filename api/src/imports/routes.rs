//! Import handlers and their wire types: create a job, upload its file, follow it, read the rows
//! it refused, run a failed one again.

use std::collections::BTreeMap;

use actix_web::web::{Data, Path, Payload};
use actix_web::{HttpRequest, HttpResponse, get, post, put};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use rapport_domain::FieldErrors;
use rapport_domain::access::{Action, Resource};
use rapport_domain::imports::{
    ImportFormat, ImportJob, ImportMode, ImportResource as DomainResource, ImportStatus, Mapping,
    NewImport,
};
use rapport_persistence::imports::{self, RowError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Auth;
use crate::extract::{IdempotencyHeader, ValidJson, ValidQuery, page_request};
use crate::problem::{ApiError, ErrorCode, Problem};
use crate::respond::{PageOf, created, ok_versioned, page};
use crate::state::AppState;

/// What is imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportResource {
    /// Customers, as `POST /api/v1/customers` creates them.
    Customers,
    /// Products: each row (or JSON line) one variant of a product, the product's fields
    /// repeated on each of its rows, written as an item of `POST /api/v1/products/batch`: a
    /// product is named by `external_id` (or, without one, by its sku), created or changed, and
    /// its variant added or changed, a `stock` of an existing variant being a count. Needs
    /// `products:write` as well.
    Products,
    /// Order history: each row (or JSON line) one line of an order, the order's fields repeated
    /// on each of its rows as the order export writes them (`created_at` read as `placed_at`,
    /// `line.name` as a free line's `line.description`); the consecutive rows of an order
    /// (named by `external_id`) are written together as an item of `POST /api/v1/orders/batch`.
    /// Needs `orders:write` as well.
    Orders,
}

/// How the file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportFormatDto {
    /// CSV with a header row: each column fills the field it is mapped to, or the field of its
    /// own name (customers: `name`, `email`, `address.city`, `tags`, `custom_fields.<key>`…;
    /// products: `external_id`, `name`, `sku`, `price`, `currency`, `stock`, `options.<name>`…;
    /// orders: `external_id`, `status`, `customer_id`, `payment.method`, `line.sku`,
    /// `line.quantity`…).
    /// Tags, multi-choice values and image URLs are separated by `|` or `;`; yes/no columns
    /// take `true`/`false`, `yes`/`no` or `1`/`0`.
    Csv,
    /// One JSON object per line: the body of `POST /api/v1/customers`, or for products and
    /// orders the fields of a CSV row (`options`, `line`, `payment` … objects).
    Ndjson,
}

/// What a refused row does to the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportModeDto {
    /// One refused row refuses the file: nothing is written, every refused row is listed.
    AllOrNothing,
    /// Refused rows are listed; the others are written.
    SkipInvalid,
}

/// Where an import stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatusDto {
    /// Waiting for its file (`PUT /api/v1/imports/{id}/file`).
    AwaitingFile,
    /// Its file is in; a worker will take it.
    Queued,
    /// A worker is reading it.
    Running,
    /// Every row was written or listed as refused.
    Completed,
    /// Stopped: see `error` and the refused rows.
    Failed,
}

mirror!(ImportResource <=> DomainResource { Customers, Products, Orders });
mirror!(ImportFormatDto <=> ImportFormat { Csv, Ndjson });
mirror!(ImportModeDto <=> ImportMode { AllOrNothing, SkipInvalid });

impl From<ImportStatus> for ImportStatusDto {
    fn from(s: ImportStatus) -> Self {
        match s {
            ImportStatus::AwaitingFile => ImportStatusDto::AwaitingFile,
            ImportStatus::Queued => ImportStatusDto::Queued,
            ImportStatus::Running => ImportStatusDto::Running,
            ImportStatus::Completed => ImportStatusDto::Completed,
            ImportStatus::Failed => ImportStatusDto::Failed,
        }
    }
}

/// A new import.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "resource_type": "customers", "format": "csv", "mode": "skip_invalid",
    "mapping": {"客户名称": "name", "手机": "phone", "城市": "address.city", "内部编号": null}
}))]
pub struct CreateImport {
    /// What the file holds.
    pub resource_type: ImportResource,
    /// How it is written.
    pub format: ImportFormatDto,
    /// `all_or_nothing` (default) or `skip_invalid`.
    pub mode: Option<ImportModeDto>,
    /// Which field each column (CSV) or key (JSON lines) fills; `null` leaves it out. Columns not
    /// named fill the field of their own name; `id`, `created_at` and `updated_at` (as an export
    /// writes them) are left out. At most 200.
    #[schema(value_type = Option<Object>)]
    pub mapping: Option<BTreeMap<String, Option<String>>>,
}

/// An import job.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5c8-4444-7000-8000-000000000006", "resource_type": "customers", "format": "csv",
    "mode": "skip_invalid", "mapping": {"客户名称": "name"}, "status": "running",
    "file_bytes": 18234112, "processed_rows": 52000, "created_rows": 51987, "failed_rows": 13,
    "total_rows": null, "attempts": 1, "error": null,
    "upload_url": "/api/v1/imports/0193a5c8-4444-7000-8000-000000000006/file",
    "created_at": "2026-11-22T08:30:00Z", "started_at": "2026-11-22T08:30:05Z", "finished_at": null,
    "file_purged_at": null, "updated_at": "2026-11-22T08:31:00Z", "version": 3
}))]
pub struct ImportView {
    /// Identifier.
    pub id: Uuid,
    /// What the file holds.
    pub resource_type: ImportResource,
    /// How it is written.
    pub format: ImportFormatDto,
    /// What a refused row does.
    pub mode: ImportModeDto,
    /// Which field each column fills.
    #[schema(value_type = Object)]
    pub mapping: BTreeMap<String, Option<String>>,
    /// Where it stands.
    pub status: ImportStatusDto,
    /// The file's size.
    pub file_bytes: i64,
    /// Rows read so far.
    pub processed_rows: i64,
    /// Rows written: customers created, or product rows that created or changed a product.
    pub created_rows: i64,
    /// Rows refused (`GET /api/v1/imports/{id}/errors` says why).
    pub failed_rows: i64,
    /// Rows in the file, once read to the end.
    pub total_rows: Option<i64>,
    /// Times a worker took it up.
    pub attempts: i32,
    /// Why it failed.
    pub error: Option<String>,
    /// Where its file goes.
    pub upload_url: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// When a worker first took it.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// When its file and refused rows were forgotten, after their retention
    /// (`import_files_days` of `/api/v1/settings/retention`); the record stays.
    pub file_purged_at: Option<DateTime<Utc>>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version.
    pub version: i64,
}

impl From<ImportJob> for ImportView {
    fn from(j: ImportJob) -> Self {
        ImportView {
            id: j.id,
            resource_type: j.resource.into(),
            format: j.format.into(),
            mode: j.mode.into(),
            mapping: j.mapping.0,
            status: j.status.into(),
            file_bytes: j.file_bytes,
            processed_rows: j.processed_rows,
            created_rows: j.created_rows,
            failed_rows: j.failed_rows,
            total_rows: j.total_rows,
            attempts: j.attempts,
            error: j.error,
            upload_url: format!("/api/v1/imports/{}/file", j.id),
            created_at: j.created_at,
            started_at: j.started_at,
            finished_at: j.finished_at,
            file_purged_at: j.file_purged_at,
            updated_at: j.updated_at,
            version: j.version,
        }
    }
}

/// A refused row's mistake.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"row": 18, "field": "手机", "code": "phone_taken", "message": "another customer has this phone number"}))]
pub struct ImportRowErrorView {
    /// The row: 1 for the first data row; 0 for the file as a whole.
    pub row: i64,
    /// The column (CSV) or field it is about, `""` for the row as a whole.
    pub field: String,
    /// The rule that broke.
    pub code: String,
    /// Why.
    pub message: String,
}

impl From<RowError> for ImportRowErrorView {
    fn from(e: RowError) -> Self {
        ImportRowErrorView {
            row: e.row,
            field: e.field,
            code: e.code,
            message: e.message,
        }
    }
}

/// Paging of a list of imports or refused rows.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportListQuery {
    /// Rows per page, 1 to 200 (default 25).
    #[param(minimum = 1, maximum = 200, example = 25)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Add `total`.
    pub include_total: Option<bool>,
}

/// Create an import.
///
/// A job for a file of customers, products or orders, waiting for the file: send it next with
/// `PUT` to `upload_url`. A customer row is checked as `POST /api/v1/customers` would check it;
/// email, phone and (source, external id) must be new, in the file too. Customers imported by a
/// caller limited to their own customers are theirs. A product row is one variant, written as an
/// item of `POST /api/v1/products/batch` (403 `forbidden` without `products:write`). An order
/// row is one line of an order; the rows of an order are written together as an item of `POST
/// /api/v1/orders/batch`, for customers the caller reaches (403 `forbidden` without
/// `orders:write`); a refused row refuses its whole order.
#[utoipa::path(
    tag = "imports",
    operation_id = "create_import",
    request_body = CreateImport,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses(
        (status = 201, description = "The job, waiting for its file", body = ImportView,
            headers(("Location" = String, description = "The job's URL"), ("ETag" = String, description = "The version"))),
        (status = 403, description = "`forbidden`: the file holds products or orders and your role lacks `products:write` or `orders:write`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/imports")]
pub async fn create_import(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    idempotency: IdempotencyHeader,
    body: ValidJson<CreateImport>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency.scoped(&auth.actor, &req, &body.raw);
    let body = body.value()?;
    let resource: DomainResource = body.resource_type.into();
    match resource {
        DomainResource::Customers => {}
        DomainResource::Products => {
            auth.also(Resource::Products, Action::Write)?;
        }
        DomainResource::Orders => {
            auth.also(Resource::Orders, Action::Write)?;
        }
    }
    let mapping = Mapping(body.mapping.unwrap_or_default())
        .parse(resource)
        .map_err(|errors| ApiError::validation(FieldErrors(errors)))?;
    let outcome = imports::create(
        &state.db,
        &auth.actor,
        auth.scope,
        NewImport {
            resource,
            format: body.format.into(),
            mode: body.mode.unwrap_or(ImportModeDto::AllOrNothing).into(),
            mapping,
        },
        key.as_ref(),
    )
    .await?;
    let replayed = outcome.is_replay();
    let job = outcome.into_inner();
    let location = format!("/api/v1/imports/{}", job.id);
    let version = job.version;
    Ok(created(&ImportView::from(job), location, version, replayed))
}

/// The size of the pieces a file is kept in.
const PIECE: usize = 1024 * 1024;

/// Upload an import's file.
///
/// The whole file as the body (`text/csv` or `application/x-ndjson`; the job's `format` decides
/// how it is read), at most the configured limit (512 MiB by default, 413 above). The file is
/// kept in the database, so any node's worker can read it; the job is then queued. A job takes
/// one file (409 `invalid_transition` after that).
#[utoipa::path(
    tag = "imports",
    operation_id = "upload_import_file",
    params(("id" = Uuid, Path, description = "Import id")),
    request_body(content(
        (String = "text/csv", example = json!("name,email,address.city\n王芳,wang.fang@example.cn,上海市\n")),
        (String = "application/x-ndjson", example = json!("{\"name\":\"王芳\",\"email\":\"wang.fang@example.cn\"}\n"))
    )),
    responses(
        (status = 202, description = "Queued", body = ImportView),
        (status = 409, description = "`invalid_transition`: the job has its file already", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/imports/{id}/file")]
pub async fn upload_import_file(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: Path<Uuid>,
    mut payload: Payload,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let content_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if !matches!(content_type.as_str(), "text/csv" | "application/x-ndjson") {
        return Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "send the file as text/csv or application/x-ndjson",
        ));
    }
    imports::expect_file(state.db.conn(), auth.owner(), id).await?;
    let limit = state.config.import_limit;
    let mut buffer: Vec<u8> = Vec::with_capacity(PIECE);
    let mut pieces = 0;
    let mut bytes: u64 = 0;
    while let Some(part) = payload.next().await {
        let part = match part {
            Ok(part) => part,
            Err(e) => {
                imports::drop_file(&state.db, id).await?;
                if crate::slow_bodies::is_too_slow(&e) {
                    return Err(crate::slow_bodies::timed_out());
                }
                return Err(ApiError::new(
                    ErrorCode::BadRequest,
                    format!("the file could not be read: {e}"),
                ));
            }
        };
        bytes += part.len() as u64;
        if bytes > limit {
            imports::drop_file(&state.db, id).await?;
            return Err(ApiError::new(
                ErrorCode::PayloadTooLarge,
                format!("the file is larger than {limit} bytes"),
            ));
        }
        buffer.extend_from_slice(&part);
        while buffer.len() >= PIECE {
            let rest = buffer.split_off(PIECE);
            imports::store_chunk(&state.db, id, pieces, std::mem::replace(&mut buffer, rest))
                .await?;
            pieces += 1;
        }
    }
    if !buffer.is_empty() {
        imports::store_chunk(&state.db, id, pieces, buffer).await?;
        pieces += 1;
    }
    let job = imports::finish_upload(
        &state.db,
        &auth.actor,
        auth.owner(),
        id,
        pieces,
        i64::try_from(bytes).unwrap_or(i64::MAX),
    )
    .await?;
    Ok(HttpResponse::Accepted().json(ImportView::from(job)))
}

/// List imports.
///
/// Newest first; a caller limited to their own customers sees their own imports.
#[utoipa::path(
    tag = "imports",
    operation_id = "list_imports",
    params(ImportListQuery),
    responses((status = 200, description = "One page of imports", body = PageOf<ImportView>)),
    security(("bearer" = []))
)]
#[get("/imports")]
pub async fn list_imports(
    state: Data<AppState>,
    auth: Auth,
    query: ValidQuery<ImportListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let list = imports::list(state.db.conn(), auth.owner(), &request).await?;
    Ok(page(&PageOf::from_page(list, ImportView::from)))
}

/// Get an import.
///
/// Its status and progress: rows read, customers created, rows refused.
#[utoipa::path(
    tag = "imports",
    operation_id = "get_import",
    params(("id" = Uuid, Path, description = "Import id")),
    responses((status = 200, description = "The import", body = ImportView,
        headers(("ETag" = String, description = "The version")))),
    security(("bearer" = []))
)]
#[get("/imports/{id}")]
pub async fn get_import(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let job = imports::get(state.db.conn(), auth.owner(), id.into_inner()).await?;
    let version = job.version;
    Ok(ok_versioned(&ImportView::from(job), version))
}

/// List an import's refused rows.
///
/// In file order: each refused row with every field that broke a rule, named by its column.
#[utoipa::path(
    tag = "imports",
    operation_id = "list_import_errors",
    params(("id" = Uuid, Path, description = "Import id"), ImportListQuery),
    responses((status = 200, description = "One page of refused rows", body = PageOf<ImportRowErrorView>)),
    security(("bearer" = []))
)]
#[get("/imports/{id}/errors")]
pub async fn list_import_errors(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    query: ValidQuery<ImportListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let list =
        imports::row_errors(state.db.conn(), auth.owner(), id.into_inner(), &request).await?;
    Ok(page(&PageOf::from_page(list, ImportRowErrorView::from)))
}

/// Run a failed import again.
///
/// Queues it to read its file from the start; its refused rows are forgotten. Only a failed
/// import runs again (409 `invalid_transition` otherwise).
#[utoipa::path(
    tag = "imports",
    operation_id = "retry_import",
    params(("id" = Uuid, Path, description = "Import id")),
    responses(
        (status = 202, description = "Queued", body = ImportView),
        (status = 409, description = "`invalid_transition`: the import has not failed; `file_purged`: its file was forgotten after its retention (`GET /api/v1/settings/retention`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/imports/{id}/retry")]
pub async fn retry_import(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let job = imports::retry(&state.db, &auth.actor, auth.owner(), id.into_inner()).await?;
    Ok(HttpResponse::Accepted().json(ImportView::from(job)))
}
