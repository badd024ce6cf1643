//! `GET /customers/export`: every customer a list's filters (or a segment) select, streamed as CSV
//! or JSON lines in constant memory, a page of rows at a time.

use actix_web::http::header;
use actix_web::web::{Bytes, Data};
use actix_web::{HttpResponse, get};
use chrono::{DateTime, Utc};
use futures_util::stream;
use rapport_domain::custom_fields::{Definition, FieldOwner};
use rapport_domain::customers::fields::{self, ADDRESS_PARTS};
use rapport_domain::filter::{Catalogue, Filter};
use rapport_domain::sort::{SortKey, SortOrder};
use rapport_persistence::customers::{self, CustomerFilter, CustomerSearch};
use rapport_persistence::page::PageRequest;
use rapport_persistence::segments;
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::dto::{CustomerView, Disclosure, Kind, Stage};
use crate::auth::Auth;
use crate::extract::{ValidQuery, text_parameter};
use crate::problem::{ApiError, ErrorCode};
use crate::state::AppState;

/// How exported customers are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// Comma-separated values with a header row; the columns `POST /api/v1/imports` reads back.
    #[default]
    Csv,
    /// One customer JSON object per line, as `GET /api/v1/customers/{id}` answers it.
    Ndjson,
}

/// Which customers to export, and how.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `csv` (default) or `ndjson`.
    #[param(inline)]
    pub format: Option<ExportFormat>,
    /// Only the customers of this segment (its filter, or its list).
    pub segment_id: Option<Uuid>,
    /// Only this stage.
    pub lifecycle_stage: Option<Stage>,
    /// Only this owner's customers.
    pub owner_id: Option<Uuid>,
    /// Only customers with this tag (at most 50 characters).
    #[param(example = "vip")]
    pub tag: Option<String>,
    /// Only this kind.
    pub kind: Option<Kind>,
    /// Created at or after this time.
    pub created_from: Option<DateTime<Utc>>,
    /// Created before this time.
    pub created_to: Option<DateTime<Utc>>,
    /// Text found in the name, email or phone, ignoring case (1 to 100 characters).
    #[param(example = "wang")]
    pub q: Option<String>,
}

/// Rows fetched from the database at a time: the memory an export holds.
const BATCH: u64 = 2_000;
/// Room for one batch of CSV lines, so the buffer rarely grows.
const BATCH_BYTES: usize = 2_000 * 256;

/// The CSV header: the customer's own fields, then each custom field as `custom_fields.<key>`.
fn csv_header(definitions: &[Definition]) -> Vec<String> {
    let mut columns: Vec<String> = ["id", "kind", "name", "email", "phone", "gender", "birthday"]
        .map(String::from)
        .to_vec();
    columns.extend(ADDRESS_PARTS.iter().map(|p| format!("address.{p}")));
    columns.extend(
        [
            "source",
            "lifecycle_stage",
            "tags",
            "owner_id",
            "external_id",
            "marketing_consent.opted_in",
            "marketing_consent.channel",
            "notes",
        ]
        .map(String::from),
    );
    columns.extend(
        definitions
            .iter()
            .map(|d| format!("{}{}", fields::CUSTOM_FIELD_PREFIX, d.key)),
    );
    columns.extend(["created_at", "updated_at"].map(String::from));
    columns
}

/// A custom value as one CSV cell: text as it is, a choice list joined with `|`.
fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join("|"),
        Some(other) => other.to_string(),
    }
}

fn csv_row(view: &CustomerView, definitions: &[Definition]) -> Vec<String> {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let json_text = |v: Value| match v {
        Value::String(s) => s,
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let mut row = vec![
        view.id.to_string(),
        json_text(serde_json::to_value(view.kind).unwrap_or_default()),
        view.name.clone(),
        text(&view.email),
        text(&view.phone),
        json_text(serde_json::to_value(view.gender).unwrap_or_default()),
        view.birthday.map(|d| d.to_string()).unwrap_or_default(),
    ];
    let address = &view.address;
    row.extend(
        [
            &address.country,
            &address.province,
            &address.city,
            &address.district,
            &address.street,
            &address.postal_code,
        ]
        .into_iter()
        .map(text),
    );
    row.extend([
        text(&view.source),
        json_text(serde_json::to_value(view.lifecycle_stage).unwrap_or_default()),
        view.tags.join("|"),
        view.owner_id.map(|o| o.to_string()).unwrap_or_default(),
        text(&view.external_id),
        view.marketing_consent.opted_in.to_string(),
        text(&view.marketing_consent.channel),
        text(&view.notes),
    ]);
    row.extend(
        definitions
            .iter()
            .map(|d| cell(view.custom_fields.get(&d.key))),
    );
    row.extend([
        view.created_at
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        view.updated_at
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
    ]);
    row
}

/// Writes CSV records into `out`.
fn csv_records<'a>(
    out: &mut Vec<u8>,
    records: impl Iterator<Item = Vec<String>> + 'a,
) -> Result<(), std::io::Error> {
    let mut writer = csv::WriterBuilder::new().from_writer(out);
    for record in records {
        writer
            .write_record(&record)
            .map_err(std::io::Error::other)?;
    }
    writer.flush()
}

/// Everything one export needs while it streams.
struct Export {
    state: Data<AppState>,
    owner: Option<Uuid>,
    disclosure: Disclosure,
    format: ExportFormat,
    definitions: std::sync::Arc<Vec<Definition>>,
    catalogue: Catalogue,
    filter: Option<Filter>,
    q: Option<String>,
    members_of: Option<Uuid>,
    order: SortOrder,
    cursor: Option<String>,
    header_sent: bool,
    done: bool,
}

impl Export {
    /// The next piece of the file: the header first, then one batch of rows; `None` at the end.
    async fn next(&mut self) -> Option<Result<Bytes, std::io::Error>> {
        if self.done {
            return None;
        }
        let mut out: Vec<u8> = Vec::with_capacity(BATCH_BYTES);
        if !self.header_sent {
            self.header_sent = true;
            if self.format == ExportFormat::Csv
                && let Err(e) =
                    csv_records(&mut out, std::iter::once(csv_header(&self.definitions)))
            {
                return Some(Err(e));
            }
        }
        let query = CustomerSearch {
            filter: self.filter.as_ref(),
            q: self.q.as_deref(),
            members_of: self.members_of,
            order: &self.order,
            catalogue: &self.catalogue,
        };
        let request = PageRequest {
            limit: BATCH,
            cursor: self.cursor.take(),
            include_total: false,
        };
        let page = match customers::search(self.state.db.conn(), self.owner, &query, &request).await
        {
            Ok(page) => page,
            Err(e) => {
                tracing::error!(error = %e, "export stopped: the database failed");
                self.done = true;
                return Some(Err(std::io::Error::other("the export stopped")));
            }
        };
        let disclosure = self.disclosure;
        let views = page
            .items
            .into_iter()
            .map(|c| CustomerView::new(c, disclosure));
        let written = match self.format {
            ExportFormat::Csv => {
                let definitions = &self.definitions;
                csv_records(&mut out, views.map(|view| csv_row(&view, definitions)))
            }
            ExportFormat::Ndjson => views.into_iter().try_for_each(|view| {
                serde_json::to_writer(&mut out, &view).map_err(std::io::Error::other)?;
                out.push(b'\n');
                Ok(())
            }),
        };
        if let Err(e) = written {
            self.done = true;
            return Some(Err(e));
        }
        self.cursor = page.next_cursor;
        self.done = self.cursor.is_none();
        Some(Ok(Bytes::from(out)))
    }
}

/// Export customers.
///
/// Every customer the caller may see that the filters select (those of `GET
/// /api/v1/customers`, or a segment's members), oldest first, streamed as CSV (default) or JSON
/// lines: memory stays constant however many there are. The CSV has a header row; tags and
/// choice lists are joined with `|`; its columns are the ones `POST /api/v1/imports` maps by
/// default. Email and phone are masked for callers without `contact_details:read`. Should the
/// database fail midway, the stream ends early and the file is incomplete.
#[utoipa::path(
    tag = "customers",
    operation_id = "export_customers",
    params(ExportQuery),
    responses((status = 200, description = "The customers, as a file",
        content(
            (String = "text/csv", example = json!("id,kind,name,email\n0193a5c4-7f0e-7c1a-9d2e-5b8f7e6a1c20,individual,王芳,wang.fang@example.cn\n")),
            (String = "application/x-ndjson", example = json!("{\"id\":\"0193a5c4-7f0e-7c1a-9d2e-5b8f7e6a1c20\",\"name\":\"王芳\"}\n"))
        ),
        headers(("Content-Disposition" = String, description = "`attachment; filename=\"customers.csv\"` (or `.ndjson`)")))),
    security(("bearer" = []))
)]
#[get("/customers/export")]
pub async fn export_customers(
    state: Data<AppState>,
    auth: Auth,
    query: ValidQuery<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let definitions = state
        .definitions
        .of(&state.db, FieldOwner::Customer)
        .await?;
    let catalogue = fields::catalogue(&definitions);
    let plain = CustomerFilter {
        lifecycle_stage: q.lifecycle_stage.map(Into::into),
        owner_id: q.owner_id,
        tag: text_parameter("tag", q.tag)?,
        kind: q.kind.map(Into::into),
        created_from: q.created_from,
        created_to: q.created_to,
        q: None,
    };
    let text = text_parameter("q", q.q)?;
    let mut parts: Vec<Filter> = plain.to_filter().into_iter().collect();
    let mut members_of = None;
    if let Some(segment_id) = q.segment_id {
        let segment = segments::get(state.db.conn(), segment_id)
            .await
            .map_err(|e| match e {
                rapport_persistence::Error::NotFound => ApiError::bad_parameter(
                    "segment_id",
                    "unknown_segment",
                    "no segment has this id",
                ),
                other => other.into(),
            })?;
        match &segment.filter {
            Some(raw) => parts.push(Filter::parse(raw, &catalogue, "filter").map_err(
                |errors| ApiError {
                    errors,
                    ..ApiError::new(
                        ErrorCode::SegmentFilterOutdated,
                        "the segment's filter names fields or options that no longer exist",
                    )
                },
            )?),
            None => members_of = Some(segment.id),
        }
    }
    let filter = match parts.len() {
        0 => None,
        1 => parts.pop(),
        _ => Some(Filter::And(parts)),
    };
    let format = q.format.unwrap_or_default();
    let export = Export {
        state: state.clone(),
        owner: auth.owner(),
        disclosure: auth.disclosure(),
        format,
        definitions,
        catalogue,
        filter,
        q: text,
        members_of,
        order: SortOrder(vec![SortKey::ascending("created_at")]),
        cursor: None,
        header_sent: false,
        done: false,
    };
    let (content_type, extension) = match format {
        ExportFormat::Csv => ("text/csv; charset=utf-8", "csv"),
        ExportFormat::Ndjson => ("application/x-ndjson", "ndjson"),
    };
    let body = stream::unfold(export, |mut export| async move {
        export.next().await.map(|piece| (piece, export))
    });
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"customers.{extension}\""),
        ))
        .streaming(body))
}
