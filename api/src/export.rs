//! Streamed exports: the records a selection names, fetched a batch at a time and written as CSV
//! or JSON lines while the next batch is fetched, so memory stays constant however many records
//! there are. Each area says how to fetch a batch and how to write one record ([`Source`]); this
//! module does the rest, for customers and orders alike.

use std::fmt::Write as _;
use std::future::Future;
use std::rc::Rc;

use actix_web::HttpResponse;
use actix_web::http::header;
use actix_web::rt::spawn;
use actix_web::rt::task::{JoinHandle, yield_now};
use actix_web::web::Bytes;
use chrono::{DateTime, Utc};
use futures_util::stream;
use rapport_persistence::page::Page;
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::problem::ApiError;
use crate::spreadsheet::neutralise;

/// How exported records are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// Comma-separated values with a header row; the columns `POST /api/v1/imports` reads back.
    #[default]
    Csv,
    /// One JSON object per line, as the record's `GET` answers it.
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

/// The format asked for, and whether a CSV starts with a byte-order mark: 400 for a mark on JSON
/// lines, which have no use for one.
pub fn format_of(format: Option<ExportFormat>, bom: Option<bool>) -> Result<Layout, ApiError> {
    let format = format.unwrap_or_default();
    let bom = bom.unwrap_or(false);
    if bom && format != ExportFormat::Csv {
        return Err(ApiError::bad_parameter(
            "bom",
            "invalid_parameter",
            "a byte-order mark is written only at the start of a CSV file",
        ));
    }
    Ok(Layout { format, bom })
}

/// How one export's file is laid out.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    /// CSV or JSON lines.
    pub format: ExportFormat,
    /// Start the CSV with the UTF-8 byte-order mark, by which spreadsheet programs know the file
    /// is UTF-8 and show Chinese (or any non-Latin) text as written.
    pub bom: bool,
}

/// The UTF-8 byte-order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";
/// Rows fetched from the database at a time: the memory an export holds.
pub const BATCH: u64 = 2_000;
/// Room for one batch of CSV lines, so the buffer rarely grows.
const BATCH_BYTES: usize = 2_000 * 256;

/// One batch as the database answered it.
pub type Fetched<T> = rapport_persistence::Result<Page<T>>;

/// The writer of a batch's CSV lines.
pub type CsvWriter<'a> = csv::Writer<&'a mut Vec<u8>>;

/// What one export selects and how it writes a record: the part each area supplies.
pub trait Source: 'static {
    /// One record as fetched.
    type Record: 'static;
    /// The batch of at most [`BATCH`] records that starts at `cursor` (the first when `None`).
    fn batch(
        self: Rc<Self>,
        cursor: Option<String>,
    ) -> impl Future<Output = Fetched<Self::Record>> + 'static;
    /// The CSV header row.
    fn csv_header(&self) -> Vec<String>;
    /// Writes one record as CSV, one or more rows; `scratch` is a buffer to reuse.
    fn csv_record(
        &self,
        w: &mut CsvWriter<'_>,
        scratch: &mut String,
        record: Self::Record,
    ) -> csv::Result<()>;
    /// Writes one record as a JSON object, without the newline.
    fn json_record(&self, out: &mut Vec<u8>, record: Self::Record) -> serde_json::Result<()>;
}

/// The response streaming `source`'s records as `file_stem.csv` or `file_stem.ndjson`.
pub fn respond<S: Source>(source: S, layout: Layout, file_stem: &str) -> HttpResponse {
    let export = Export {
        source: Rc::new(source),
        layout,
        prefetch: None,
        header_sent: false,
        done: false,
    };
    let (content_type, extension) = match layout.format {
        ExportFormat::Csv => ("text/csv; charset=utf-8", "csv"),
        ExportFormat::Ndjson => ("application/x-ndjson", "ndjson"),
    };
    let body = stream::unfold(export, |mut export| async move {
        export.next().await.map(|piece| (piece, export))
    });
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file_stem}.{extension}\""),
        ))
        .streaming(body)
}

/// Everything one export needs while it streams.
struct Export<S: Source> {
    source: Rc<S>,
    layout: Layout,
    /// The next batch, being fetched while the current one is written.
    prefetch: Option<JoinHandle<Fetched<S::Record>>>,
    header_sent: bool,
    done: bool,
}

impl<S: Source> Drop for Export<S> {
    /// A client that goes away stops the fetch of the batch it will not read.
    fn drop(&mut self) {
        if let Some(fetch) = self.prefetch.take() {
            fetch.abort();
        }
    }
}

/// Writes CSV records into `out`, each through `write`.
fn csv_records<T>(
    out: &mut Vec<u8>,
    records: impl IntoIterator<Item = T>,
    mut write: impl FnMut(&mut CsvWriter<'_>, T) -> csv::Result<()>,
) -> Result<(), std::io::Error> {
    let mut writer = csv::WriterBuilder::new().from_writer(out);
    for record in records {
        write(&mut writer, record).map_err(std::io::Error::other)?;
    }
    writer.flush()
}

impl<S: Source> Export<S> {
    /// The next piece of the file: the header first, then one batch of records; `None` at the
    /// end.
    async fn next(&mut self) -> Option<Result<Bytes, std::io::Error>> {
        if self.done {
            return None;
        }
        let mut out: Vec<u8> = Vec::with_capacity(BATCH_BYTES);
        if !self.header_sent {
            self.header_sent = true;
            if self.layout.format == ExportFormat::Csv {
                if self.layout.bom {
                    out.extend_from_slice(BOM);
                }
                let header = self.source.csv_header();
                if let Err(e) = csv_records(&mut out, std::iter::once(header), |w, header| {
                    w.write_record(&header)
                }) {
                    return Some(Err(e));
                }
            }
        }
        let fetched = match self.prefetch.take() {
            Some(fetch) => fetch.await.unwrap_or_else(|e| {
                Err(rapport_persistence::Error::Internal(format!(
                    "the export's fetch task ended: {e}"
                )))
            }),
            None => self.source.clone().batch(None).await,
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
                self.prefetch = Some(spawn(self.source.clone().batch(Some(cursor))));
                yield_now().await;
            }
            None => self.done = true,
        }
        let source = &self.source;
        let written = match self.layout.format {
            ExportFormat::Csv => {
                let mut scratch = String::new();
                csv_records(&mut out, page.items, |w, record| {
                    source.csv_record(w, &mut scratch, record)
                })
            }
            ExportFormat::Ndjson => page.items.into_iter().try_for_each(|record| {
                source
                    .json_record(&mut out, record)
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

/// A text cell, neutralised for spreadsheets; empty for `None`.
pub fn text_cell(w: &mut CsvWriter<'_>, text: Option<&str>) -> csv::Result<()> {
    w.write_field(neutralise(text.unwrap_or_default()).as_bytes())
}

/// An identifier cell; empty for `None`.
pub fn uuid_cell(w: &mut CsvWriter<'_>, id: Option<Uuid>) -> csv::Result<()> {
    let mut buffer = Uuid::encode_buffer();
    match id {
        Some(id) => w.write_field(id.hyphenated().encode_lower(&mut buffer)),
        None => w.write_field([]),
    }
}

/// A time cell in RFC 3339 with microseconds; empty for `None`.
pub fn time_cell(w: &mut CsvWriter<'_>, at: Option<DateTime<Utc>>) -> csv::Result<()> {
    match at {
        Some(at) => w.write_field(at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
        None => w.write_field([]),
    }
}

/// A whole-number cell.
pub fn number_cell(w: &mut CsvWriter<'_>, scratch: &mut String, n: i64) -> csv::Result<()> {
    scratch.clear();
    let _ = write!(scratch, "{n}");
    w.write_field(scratch.as_bytes())
}

/// A list of texts as one cell, joined with `|`.
pub fn list_cell<'a>(
    w: &mut CsvWriter<'_>,
    scratch: &mut String,
    items: impl IntoIterator<Item = &'a str>,
) -> csv::Result<()> {
    scratch.clear();
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            scratch.push('|');
        }
        scratch.push_str(item);
    }
    w.write_field(neutralise(scratch).as_bytes())
}

/// A custom field's value as one cell: text as it is, a choice list joined with `|`, numbers and
/// yes/no as written (never a formula).
pub fn custom_cell(
    w: &mut CsvWriter<'_>,
    scratch: &mut String,
    value: Option<&Value>,
) -> csv::Result<()> {
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
        Some(other) => {
            scratch.clear();
            let _ = write!(scratch, "{other}");
            w.write_field(scratch.as_bytes())
        }
    }
}
