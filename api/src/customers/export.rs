//! `GET /customers/export`: every customer a list's filters (or a segment) select, streamed as CSV
//! or JSON lines in constant memory, a page of rows at a time.

use std::rc::Rc;

use actix_web::http::header;
use actix_web::rt::spawn;
use actix_web::rt::task::{JoinHandle, yield_now};
use actix_web::web::{Bytes, Data};
use actix_web::{HttpResponse, get};
use chrono::{DateTime, Utc};
use futures_util::stream;
use rapport_domain::custom_fields::{Definition, FieldOwner};
use rapport_domain::customers::Customer;
use rapport_domain::customers::fields::{self, ADDRESS_PARTS};
use rapport_domain::filter::{Catalogue, Filter};
use rapport_domain::sort::{SortKey, SortOrder};
use rapport_persistence::customers::{self, CustomerFilter, CustomerSearch};
use rapport_persistence::page::{Page, PageRequest};
use rapport_persistence::segments;
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::dto::{CustomerView, Kind, Stage};
use super::masking;
use crate::auth::Auth;
use crate::extract::{ValidQuery, text_parameter};
use crate::problem::{ApiError, ErrorCode, Problem};
use crate::spreadsheet::neutralise;
use crate::state::AppState;
use rapport_domain::customers::Disclosure;

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

impl ExportFormat {
    /// The format's name, as the `format` parameter takes it.
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Ndjson => "ndjson",
        }
    }
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
    /// Text found in the name, email or phone, ignoring case (1 to 100 characters); in the name
    /// only for callers who see email and phone masked.
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
    columns.extend(
        [
            "orders_count",
            "total_spent",
            "average_order_value",
            "first_order_at",
            "last_order_at",
            "created_at",
            "updated_at",
        ]
        .map(String::from),
    );
    columns
}

/// A custom value as one CSV cell: text as it is, a choice list joined with `|`.
fn write_custom_cell(
    w: &mut csv::Writer<&mut Vec<u8>>,
    scratch: &mut String,
    value: Option<&Value>,
) -> csv::Result<()> {
    use std::fmt::Write as _;
    match value {
        None | Some(Value::Null) => w.write_field([]),
        Some(Value::String(s)) => w.write_field(neutralise(s).as_bytes()),
        Some(Value::Array(items)) => {
            scratch.clear();
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    scratch.push('|');
                }
                match item.as_str() {
                    Some(text) => scratch.push_str(text),
                    None => {
                        let _ = write!(scratch, "{item}");
                    }
                }
            }
            w.write_field(neutralise(scratch).as_bytes())
        }
        // Numbers and yes/no, written as such: never a formula.
        Some(other) => {
            scratch.clear();
            let _ = write!(scratch, "{other}");
            w.write_field(scratch.as_bytes())
        }
    }
}

/// Writes one customer as a CSV record, in the order of [`csv_header`], without building the
/// record's cells as separate strings.
fn write_csv_row(
    w: &mut csv::Writer<&mut Vec<u8>>,
    scratch: &mut String,
    mut c: Customer,
    disclosure: Disclosure,
    definitions: &[Definition],
) -> csv::Result<()> {
    fn optional(w: &mut csv::Writer<&mut Vec<u8>>, text: &Option<String>) -> csv::Result<()> {
        w.write_field(neutralise(text.as_deref().unwrap_or_default()).as_bytes())
    }
    fn uuid(w: &mut csv::Writer<&mut Vec<u8>>, id: Option<Uuid>) -> csv::Result<()> {
        let mut buffer = Uuid::encode_buffer();
        match id {
            Some(id) => w.write_field(id.hyphenated().encode_lower(&mut buffer)),
            None => w.write_field([]),
        }
    }
    fn timestamp(w: &mut csv::Writer<&mut Vec<u8>>, at: DateTime<Utc>) -> csv::Result<()> {
        w.write_field(at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
    }
    uuid(w, Some(c.id))?;
    w.write_field(c.kind.as_str())?;
    w.write_field(neutralise(&c.name).as_bytes())?;
    optional(w, &disclosure.email(c.email.take()))?;
    optional(w, &disclosure.phone(c.phone.take()))?;
    w.write_field(c.gender.map(|g| g.as_str()).unwrap_or_default())?;
    match c.birthday {
        Some(day) => {
            use std::fmt::Write as _;
            scratch.clear();
            let _ = write!(scratch, "{day}");
            w.write_field(scratch.as_bytes())?;
        }
        None => w.write_field([])?,
    }
    for part in c.address.parts() {
        optional(w, part)?;
    }
    optional(w, &c.source)?;
    w.write_field(c.lifecycle_stage.as_str())?;
    scratch.clear();
    for (i, tag) in c.tags.iter().enumerate() {
        if i > 0 {
            scratch.push('|');
        }
        scratch.push_str(tag);
    }
    w.write_field(neutralise(scratch).as_bytes())?;
    uuid(w, c.owner_id)?;
    optional(w, &c.external_id)?;
    w.write_field(if c.marketing_consent.opted_in {
        "true"
    } else {
        "false"
    })?;
    optional(w, &c.marketing_consent.channel)?;
    optional(w, &c.notes)?;
    for definition in definitions {
        write_custom_cell(w, scratch, c.custom_fields.get(&definition.key))?;
    }
    let figures = &c.purchases;
    for figure in [
        figures.orders_count,
        figures.total_spent,
        figures.average_order_value,
    ] {
        w.write_field(figure.to_string())?;
    }
    for at in [figures.first_order_at, figures.last_order_at] {
        match at {
            Some(at) => timestamp(w, at)?,
            None => w.write_field([])?,
        }
    }
    timestamp(w, c.created_at)?;
    timestamp(w, c.updated_at)?;
    w.write_record(None::<&[u8]>)
}

/// Writes CSV records into `out`, each through `write_row`.
fn csv_records<T>(
    out: &mut Vec<u8>,
    records: impl IntoIterator<Item = T>,
    mut write_row: impl FnMut(&mut csv::Writer<&mut Vec<u8>>, T) -> csv::Result<()>,
) -> Result<(), std::io::Error> {
    let mut writer = csv::WriterBuilder::new().from_writer(out);
    for record in records {
        write_row(&mut writer, record).map_err(std::io::Error::other)?;
    }
    writer.flush()
}

/// Which customers an export selects, owned, so that a task of its own can fetch the next page
/// while the current one is written.
struct ExportSelection {
    state: Data<AppState>,
    owner: Option<Uuid>,
    catalogue: Catalogue,
    filter: Option<Filter>,
    q: Option<String>,
    within: Option<rapport_persistence::Subset>,
    order: SortOrder,
}

type Fetched = rapport_persistence::Result<Page<Customer>>;

impl ExportSelection {
    /// The batch that starts at `cursor`.
    async fn page(self: Rc<Self>, cursor: Option<String>) -> Fetched {
        let query = CustomerSearch {
            filter: self.filter.as_ref(),
            q: self.q.as_deref(),
            within: self.within.clone(),
            order: &self.order,
            catalogue: &self.catalogue,
        };
        let request = PageRequest {
            limit: BATCH,
            cursor,
            include_total: false,
        };
        customers::search(self.state.db.conn(), self.owner, &query, &request).await
    }
}

/// Everything one export needs while it streams.
struct Export {
    selection: Rc<ExportSelection>,
    disclosure: Disclosure,
    format: ExportFormat,
    definitions: std::sync::Arc<Vec<Definition>>,
    /// The next batch, being fetched while the current one is written.
    prefetch: Option<JoinHandle<Fetched>>,
    header_sent: bool,
    done: bool,
}

impl Drop for Export {
    /// A client that goes away stops the fetch of the batch it will not read.
    fn drop(&mut self) {
        if let Some(fetch) = self.prefetch.take() {
            fetch.abort();
        }
    }
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
                && let Err(e) = csv_records(
                    &mut out,
                    std::iter::once(csv_header(&self.definitions)),
                    |w, header| w.write_record(&header),
                )
            {
                return Some(Err(e));
            }
        }
        let fetched = match self.prefetch.take() {
            Some(fetch) => fetch.await.unwrap_or_else(|e| {
                Err(rapport_persistence::Error::Internal(format!(
                    "the export's fetch task ended: {e}"
                )))
            }),
            None => self.selection.clone().page(None).await,
        };
        let page = match fetched {
            Ok(page) => page,
            Err(e) => {
                tracing::error!(error = %e, "export stopped: the database failed");
                self.done = true;
                return Some(Err(std::io::Error::other("the export stopped")));
            }
        };
        match page.next_cursor {
            Some(cursor) => {
                // Started now and given one turn, the next query runs in the database while
                // this batch is formatted.
                self.prefetch = Some(spawn(self.selection.clone().page(Some(cursor))));
                yield_now().await;
            }
            None => self.done = true,
        }
        let disclosure = self.disclosure;
        let written = match self.format {
            ExportFormat::Csv => {
                let definitions = &self.definitions;
                let mut scratch = String::new();
                csv_records(&mut out, page.items, |w, c| {
                    write_csv_row(w, &mut scratch, c, disclosure, definitions)
                })
            }
            ExportFormat::Ndjson => page.items.into_iter().try_for_each(|c| {
                serde_json::to_writer(&mut out, &CustomerView::new(c, disclosure))
                    .map_err(std::io::Error::other)?;
                out.push(b'\n');
                Ok(())
            }),
        };
        if let Err(e) = written {
            self.done = true;
            return Some(Err(e));
        }
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
///
/// Safe to open in a spreadsheet: a CSV text cell that would start a formula (`=`, `+`, `-`, `@`,
/// a tab or a carriage return) gets a `'` in front, as OWASP's CSV-injection guidance says, so
/// `+86 138…` is written `'+86 138…`; numbers stay numbers. Imports take the `'` off again, and
/// JSON lines carry every value as stored. Every export is recorded in the audit trail
/// (`customers.exported`).
#[utoipa::path(
    tag = "customers",
    operation_id = "export_customers",
    params(ExportQuery),
    responses((status = 200, description = "The customers, as a file",
        content(
            (String = "text/csv", example = json!("id,kind,name,email\n0193a5c4-7f0e-7c1a-9d2e-5b8f7e6a1c20,individual,王芳,wang.fang@example.cn\n")),
            (String = "application/x-ndjson", example = json!("{\"id\":\"0193a5c4-7f0e-7c1a-9d2e-5b8f7e6a1c20\",\"name\":\"王芳\"}\n"))
        ),
        headers(("Content-Disposition" = String, description = "`attachment; filename=\"customers.csv\"` (or `.ndjson`)"))),
        (status = 403, description = "`forbidden`: `segment_id` names a segment whose filter tests email or phone, which your role sees masked", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/customers/export")]
pub async fn export_customers(
    state: Data<AppState>,
    auth: Auth,
    query: ValidQuery<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let definitions = crate::custom_fields::definitions(&state, FieldOwner::Customer).await?;
    let disclosure = auth.disclosure();
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
    parts.extend(masking::text_condition(text.as_deref(), disclosure));
    let mut within = None;
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
            Some(raw) => {
                let stored = Filter::parse(raw, &fields::catalogue(&definitions), "filter")
                    .map_err(|errors| ApiError {
                        errors,
                        ..ApiError::new(
                            ErrorCode::SegmentFilterOutdated,
                            "the segment's filter names fields or options that no longer exist",
                        )
                    })?;
                masking::check_stored_filter(&stored, disclosure)?;
                parts.push(stored);
            }
            None => within = Some(segments::members(segment.id)),
        }
    }
    let filter = masking::all_of(parts);
    let catalogue = fields::catalogue(&definitions);
    let format = q.format.unwrap_or_default();
    // What was asked for, without the search text (it may hold a name).
    let detail = serde_json::json!({
        "format": format.as_str(),
        "contact_details": disclosure.as_str(),
        "lifecycle_stage": q.lifecycle_stage,
        "owner_id": q.owner_id,
        "tag": plain.tag,
        "kind": q.kind,
        "created_from": q.created_from,
        "created_to": q.created_to,
        "segment_id": q.segment_id,
        "q": text.is_some(),
        "scope": if auth.owner().is_some() { "own" } else { "all" },
    });
    auth.note(&state, "customers.exported", "customer", None, detail)
        .await?;
    let export = Export {
        selection: Rc::new(ExportSelection {
            state: state.clone(),
            owner: auth.owner(),
            catalogue,
            filter,
            q: text,
            within,
            order: SortOrder(vec![SortKey::ascending("created_at")]),
        }),
        disclosure,
        format,
        definitions,
        prefetch: None,
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
