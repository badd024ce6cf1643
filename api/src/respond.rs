//! Response shapes shared by every resource: single records with `ETag`, created records with
//! `Location`, and list pages.

use actix_web::HttpResponse;
use actix_web::http::header;
use rapport_persistence::page::Page;
use serde::Serialize;
use utoipa::ToSchema;

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageOf<T: ToSchema> {
    /// The records on this page.
    pub data: Vec<T>,
    /// Pass as `cursor` to get the next page; null on the last page.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
    /// True when another page follows.
    pub has_more: bool,
    /// Every matching record, present when `include_total=true` was asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
}

impl<T: ToSchema> PageOf<T> {
    /// Converts a store page into the wire page.
    pub fn from_page<U>(page: Page<U>, view: impl FnMut(U) -> T) -> Self {
        PageOf {
            data: page.items.into_iter().map(view).collect(),
            next_cursor: page.next_cursor,
            has_more: page.has_more,
            total: page.total,
        }
    }
}

/// `ETag` value for a version.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// 200 with the record and its `ETag`.
pub fn ok_versioned<T: Serialize>(body: &T, version: i64) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag(version)))
        .json(body)
}

/// 201 with the record, its `Location` and `ETag`; a replayed idempotent request says so.
pub fn created<T: Serialize>(
    body: &T,
    location: String,
    version: i64,
    replayed: bool,
) -> HttpResponse {
    let mut response = HttpResponse::Created();
    response
        .insert_header((header::LOCATION, location))
        .insert_header((header::ETAG, etag(version)));
    if replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    response.json(body)
}

/// Room for one record of a page in its JSON body, so that writing a page rarely grows the
/// buffer (a customer is about 700 bytes).
const RECORD_BYTES: usize = 1024;

/// 200 with a list page.
pub fn page<T: Serialize + ToSchema>(page: &PageOf<T>) -> HttpResponse {
    let mut body = Vec::with_capacity(256 + page.data.len() * RECORD_BYTES);
    match serde_json::to_writer(&mut body, page) {
        Ok(()) => HttpResponse::Ok()
            .content_type("application/json")
            .body(body),
        // What `HttpResponse::json` answers when a value does not serialise.
        Err(e) => HttpResponse::from_error(actix_web::error::JsonPayloadError::Serialize(e)),
    }
}
