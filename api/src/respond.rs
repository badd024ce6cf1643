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

/// 200 with the record an action changed and its `ETag`; a replayed idempotent request says so.
pub fn acted<T: Serialize>(body: &T, version: i64, replayed: bool) -> HttpResponse {
    let mut response = replayable(replayed);
    response.insert_header((header::ETAG, etag(version)));
    response.json(body)
}

/// 200 with what an action made of several records (no one version to name); a replayed
/// idempotent request says so.
pub fn answered<T: Serialize>(body: &T, replayed: bool) -> HttpResponse {
    replayable(replayed).json(body)
}

fn replayable(replayed: bool) -> actix_web::HttpResponseBuilder {
    let mut response = HttpResponse::Ok();
    if replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    response
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

/// Serialises a time as chrono does (RFC 3339 in UTC, `Z`, with 0, 3, 6 or 9 digits of fraction,
/// as few as show it exactly), without chrono's formatter, which writes it a character at a time:
/// a page of 50 customers holds 150 times, and that was a fortieth of the server's work on it.
/// For `#[serde(serialize_with = "…")]` on the fields of views that come in pages.
pub fn timestamp<S: serde::Serializer>(
    time: &chrono::DateTime<chrono::Utc>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut buffer = [0u8; 30];
    match rfc3339(time, &mut buffer) {
        Some(text) => serializer.serialize_str(text),
        None => time.serialize(serializer),
    }
}

/// [`timestamp`] for a time that may be absent.
pub fn optional_timestamp<S: serde::Serializer>(
    time: &Option<chrono::DateTime<chrono::Utc>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match time {
        Some(time) => timestamp(time, serializer),
        None => serializer.serialize_none(),
    }
}

/// `time` written into `buffer`, or `None` for what only chrono writes right (years outside
/// 0–9999, leap seconds).
fn rfc3339<'b>(time: &chrono::DateTime<chrono::Utc>, buffer: &'b mut [u8; 30]) -> Option<&'b str> {
    use chrono::{Datelike, Timelike};
    let year = u32::try_from(time.year()).ok().filter(|y| *y <= 9999)?;
    let nanos = time.nanosecond();
    if nanos >= 1_000_000_000 {
        return None;
    }
    put_digits(&mut buffer[0..4], year);
    for (at, separator, value) in [
        (4, b'-', time.month()),
        (7, b'-', time.day()),
        (10, b'T', time.hour()),
        (13, b':', time.minute()),
        (16, b':', time.second()),
    ] {
        buffer[at] = separator;
        put_digits(&mut buffer[at + 1..at + 3], value);
    }
    let fraction = match nanos {
        0 => None,
        n if n % 1_000_000 == 0 => Some((n / 1_000_000, 3)),
        n if n % 1_000 == 0 => Some((n / 1_000, 6)),
        n => Some((n, 9)),
    };
    let mut end = 19;
    if let Some((value, width)) = fraction {
        buffer[end] = b'.';
        put_digits(&mut buffer[end + 1..end + 1 + width], value);
        end += 1 + width;
    }
    buffer[end] = b'Z';
    std::str::from_utf8(&buffer[..=end]).ok()
}

/// Writes `value` as decimal digits filling `into`, with leading zeros.
fn put_digits(into: &mut [u8], mut value: u32) {
    for digit in into.iter_mut().rev() {
        *digit = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

#[cfg(test)]
mod timestamp_tests {
    use chrono::{DateTime, TimeZone, Utc};

    fn ours(time: DateTime<Utc>) -> String {
        let mut out = Vec::new();
        super::timestamp(&time, &mut serde_json::Serializer::new(&mut out)).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn times_read_exactly_as_chrono_writes_them() {
        let mut seconds: i64 = -62_135_596_800; // 0001-01-01
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for i in 0..20_000u32 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            seconds = (seconds + (state % 400_000_000) as i64) % 253_402_300_799;
            let nanos = match i % 5 {
                0 => 0,
                1 => (state % 1000) as u32 * 1_000_000,
                2 => (state % 1_000_000) as u32 * 1_000,
                3 => (state % 1_000_000_000) as u32,
                _ => 1_000_000_000 + (state % 1000) as u32, // a leap second
            };
            let Some(time) = Utc.timestamp_opt(seconds, nanos).single() else {
                continue;
            };
            assert_eq!(
                ours(time),
                serde_json::to_string(&time).unwrap(),
                "{time:?}"
            );
        }
        let far = Utc.with_ymd_and_hms(12_000, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(ours(far), serde_json::to_string(&far).unwrap());
    }
}
