//! `GET /customers/export`: every customer a list's filters (or a segment) select, streamed as CSV
//! or JSON lines in constant memory, a page of rows at a time.

use std::rc::Rc;

use actix_web::web::Data;
use actix_web::{HttpResponse, get};
use chrono::{DateTime, Utc};
use rapport_domain::custom_fields::{Definition, FieldOwner};
use rapport_domain::customers::fields::{self, ADDRESS_PARTS};
use rapport_domain::customers::{Customer, Disclosure};
use rapport_domain::filter::{Catalogue, Filter};
use rapport_domain::sort::{SortKey, SortOrder};
use rapport_persistence::customers::{self, CustomerFilter, CustomerSearch};
use rapport_persistence::page::PageRequest;
use rapport_persistence::segments;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::dto::{CustomerView, Kind, Stage};
use super::masking;
use crate::auth::Auth;
use crate::export::{
    BATCH, CsvWriter, ExportFormat, Fetched, Source, custom_cell, format_of, list_cell,
    number_cell, text_cell, time_cell, uuid_cell,
};
use crate::extract::{ValidQuery, text_parameter};
use crate::problem::{ApiError, ErrorCode, Problem};
use crate::state::AppState;

/// Which customers to export, and how.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `csv` (default) or `ndjson`.
    #[param(inline)]
    pub format: Option<ExportFormat>,
    /// Start a CSV with the UTF-8 byte-order mark, so spreadsheet programs show Chinese (or any
    /// non-Latin) text as written; CSV only. Default `false`.
    pub bom: Option<bool>,
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
            "last_activity_at",
            "tier_id",
            "member_number",
            "member_since",
            "created_at",
            "updated_at",
        ]
        .map(String::from),
    );
    columns
}

/// Writes one customer as a CSV record, in the order of [`csv_header`], without building the
/// record's cells as separate strings.
fn write_csv_row(
    w: &mut CsvWriter<'_>,
    scratch: &mut String,
    mut c: Customer,
    disclosure: Disclosure,
    definitions: &[Definition],
) -> csv::Result<()> {
    uuid_cell(w, Some(c.id))?;
    w.write_field(c.kind.as_str())?;
    text_cell(w, Some(&c.name))?;
    text_cell(w, disclosure.email(c.email.take()).as_deref())?;
    text_cell(w, disclosure.phone(c.phone.take()).as_deref())?;
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
        text_cell(w, part.as_deref())?;
    }
    text_cell(w, c.source.as_deref())?;
    w.write_field(c.lifecycle_stage.as_str())?;
    list_cell(w, scratch, c.tags.iter().map(String::as_str))?;
    uuid_cell(w, c.owner_id)?;
    text_cell(w, c.external_id.as_deref())?;
    w.write_field(if c.marketing_consent.opted_in {
        "true"
    } else {
        "false"
    })?;
    text_cell(w, c.marketing_consent.channel.as_deref())?;
    text_cell(w, c.notes.as_deref())?;
    for definition in definitions {
        custom_cell(w, scratch, c.custom_fields.get(&definition.key))?;
    }
    let figures = &c.purchases;
    for figure in [
        figures.orders_count,
        figures.total_spent,
        figures.average_order_value,
    ] {
        number_cell(w, scratch, figure)?;
    }
    time_cell(w, figures.first_order_at)?;
    time_cell(w, figures.last_order_at)?;
    time_cell(w, c.last_activity_at)?;
    uuid_cell(w, c.tier_id)?;
    text_cell(w, c.member_number.as_deref())?;
    time_cell(w, c.member_since)?;
    time_cell(w, Some(c.created_at))?;
    time_cell(w, Some(c.updated_at))?;
    w.write_record(None::<&[u8]>)
}

/// Which customers an export selects and how it writes them, owned, so that a task of its own
/// can fetch the next batch while the current one is written.
struct CustomerExport {
    state: Data<AppState>,
    owner: Option<Uuid>,
    catalogue: Catalogue,
    filter: Option<Filter>,
    q: Option<String>,
    within: Option<rapport_persistence::Subset>,
    order: SortOrder,
    disclosure: Disclosure,
    definitions: std::sync::Arc<Vec<Definition>>,
}

impl Source for CustomerExport {
    type Record = Customer;

    async fn batch(self: Rc<Self>, cursor: Option<String>) -> Fetched<Customer> {
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

    fn csv_header(&self) -> Vec<String> {
        csv_header(&self.definitions)
    }

    fn csv_record(
        &self,
        w: &mut CsvWriter<'_>,
        scratch: &mut String,
        customer: Customer,
    ) -> csv::Result<()> {
        write_csv_row(w, scratch, customer, self.disclosure, &self.definitions)
    }

    fn json_record(&self, out: &mut Vec<u8>, customer: Customer) -> serde_json::Result<()> {
        serde_json::to_writer(out, &CustomerView::new(customer, self.disclosure))
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
    let layout = format_of(q.format, q.bom)?;
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
    // What was asked for, without the search text (it may hold a name).
    let detail = serde_json::json!({
        "format": layout.format.as_str(),
        "bom": layout.bom,
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
    let export = CustomerExport {
        state: state.clone(),
        owner: auth.owner(),
        catalogue,
        filter,
        q: text,
        within,
        order: SortOrder(vec![SortKey::ascending("created_at")]),
        disclosure,
        definitions,
    };
    Ok(crate::export::respond(export, layout, "customers"))
}
