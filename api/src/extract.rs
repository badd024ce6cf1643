//! Extractors for the conventions every resource shares: strict JSON bodies, strict query
//! strings, `If-Match`, `Idempotency-Key` and list paging.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest};
use rapport_domain::access::Actor;
use rapport_domain::{FieldError, FieldErrors};
use rapport_persistence::idempotency::IdempotencyKey;
use rapport_persistence::page::PageRequest;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::problem::{ApiError, ErrorCode};

/// A JSON body, parsed strictly by [`ValidJson::value`]: 415 unless it is JSON, 400 when it is
/// malformed, 422 naming the field when a value has the wrong type, a required field is missing or
/// an unknown field is sent. Parsing waits for the handler, so authentication and permission
/// failures always come first.
pub struct ValidJson<T> {
    /// The raw body, for the idempotency fingerprint.
    pub raw: Bytes,
    is_json: bool,
    _body: std::marker::PhantomData<T>,
}

impl<T: DeserializeOwned> ValidJson<T> {
    /// The parsed body.
    pub fn value(&self) -> Result<T, ApiError> {
        self.check_media_type()?;
        self.check_object()?;
        parse_json(&self.raw)
    }

    /// The body made into what the handler needs by `check` (the request's own rules), with
    /// every mistake at once (see [`read_checked`]).
    pub fn checked<U>(
        &self,
        check: impl FnOnce(T) -> Result<U, FieldErrors>,
    ) -> Result<U, ApiError> {
        self.check_media_type()?;
        self.check_object()?;
        if let Some(dto) = read_direct::<T>(&self.raw)? {
            return check(dto).map_err(ApiError::validation);
        }
        read_checked(json_document(&self.raw)?, check)
            .map_err(|errors| ApiError::validation(FieldErrors(errors)))
    }

    /// Every request body is a JSON object. A list is refused here, before it is read: serde
    /// would read one into a request whose fields all have defaults, as if it were `{}`. (Any
    /// other kind of value is refused by the reading itself.)
    fn check_object(&self) -> Result<(), ApiError> {
        match self.raw.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'[') => Err(ApiError::validation(FieldErrors::from(FieldError::new(
                "",
                "invalid_type",
                "invalid type: sequence, expected a JSON object",
            )))),
            _ => Ok(()),
        }
    }

    fn check_media_type(&self) -> Result<(), ApiError> {
        if self.is_json {
            Ok(())
        } else {
            Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "send the body as application/json",
            ))
        }
    }
}

fn field_error_of(err: &serde_path_to_error::Error<serde_json::Error>) -> FieldError {
    let path = err.path().to_string();
    let message = err.inner().to_string();
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(&message)
        .to_owned();
    let join = |name: &str| {
        if path == "." || path.is_empty() {
            name.to_owned()
        } else if path == name || path.ends_with(&format!(".{name}")) {
            path.clone()
        } else {
            format!("{path}.{name}")
        }
    };
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let name = rest.split('`').next().unwrap_or_default();
        return FieldError::new(
            join(name),
            "unknown_field",
            "is not a field of this request; read-only fields cannot be sent",
        );
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or_default();
        return FieldError::new(join(name), "required", "is required");
    }
    let field = if path == "." { String::new() } else { path };
    FieldError::new(field, "invalid_type", without_value(&message))
}

/// A type error's message without the value that broke it (`invalid type: integer, expected a
/// string`): messages are stored with an import's refused rows and read by whoever may read the
/// job, who may not be allowed to read the value (a phone number sent as a number, say).
fn without_value(message: &str) -> String {
    let Some(at) = message.find(", expected") else {
        return message.to_owned();
    };
    let (head, tail) = message.split_at(at);
    let head = match head.find(['`', '"']) {
        Some(quote) => head[..quote].trim_end(),
        None => head,
    };
    format!("{head}{tail}")
}

/// An optional whole number in a JSON body, as JSON Schema counts them: `119` and `119.0` alike.
pub fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    use serde::Deserialize;
    use serde::de::Error;
    let Some(number) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    if let Some(whole) = number.as_u64() {
        return Ok(Some(whole));
    }
    match number.as_f64() {
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "a whole, non-negative number below 2^53 converts exactly"
        )]
        Some(f) if f.fract() == 0.0 && (0.0..9_007_199_254_740_992.0).contains(&f) => {
            Ok(Some(f as u64))
        }
        _ => Err(D::Error::custom(format!(
            "invalid value: {number}, expected a whole number of 0 or more"
        ))),
    }
}

/// Parses a JSON document into `T`, classifying the failure: 400 when it is not JSON, 422 naming
/// every field that does not fit.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if let Some(value) = read_direct(bytes)? {
        return Ok(value);
    }
    let document = json_document(bytes)?;
    parse_value(document).map_err(|errors| ApiError::validation(FieldErrors(errors)))
}

/// `bytes` read straight into `T`, in one pass over the text: what almost every body takes.
/// `None` when a field does not fit, to be read again field by field for every mistake; 400 when
/// the text is not JSON.
fn read_direct<T: DeserializeOwned>(bytes: &[u8]) -> Result<Option<T>, ApiError> {
    match serde_json::from_slice::<T>(bytes) {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.is_data() => Ok(None),
        Err(e) => Err(ApiError::new(
            ErrorCode::BadRequest,
            format!("the body is not valid JSON: {e}"),
        )),
    }
}

fn json_document(bytes: &[u8]) -> Result<serde_json::Value, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::new(
            ErrorCode::BadRequest,
            format!("the body is not valid JSON: {e}"),
        )
    })
}

/// Reads a JSON value (a whole body, or one item of a batch) into `T`: every field that does not
/// fit, named by its path.
pub fn parse_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, Vec<FieldError>> {
    match read_all::<T>(value) {
        Read::Whole(value) => Ok(value),
        Read::StandIns { errors, .. } | Read::Broken(errors) => Err(errors),
    }
}

/// `document` read into `T` and made into `U` by `check` (the request's own rules), with every
/// mistake at once: fields of the wrong type are given stand-ins so that `check` still sees the
/// rest, and what it says of the stand-ins is left out.
pub fn read_checked<T: DeserializeOwned, U>(
    document: serde_json::Value,
    check: impl FnOnce(T) -> Result<U, FieldErrors>,
) -> Result<U, Vec<FieldError>> {
    let (value, mut errors) = match read_all::<T>(document) {
        Read::Whole(value) => return check(value).map_err(|e| e.0),
        Read::StandIns { value, errors } => (value, errors),
        Read::Broken(errors) => return Err(errors),
    };
    if let Err(FieldErrors(found)) = check(value) {
        let stood_in: Vec<String> = errors.iter().map(|e| e.field.clone()).collect();
        errors.extend(found.into_iter().filter(|e| {
            !stood_in.iter().any(|field| {
                e.field == *field
                    || e.field.starts_with(&format!("{field}."))
                    || e.field.starts_with(&format!("{field}["))
            })
        }));
    }
    Err(errors)
}

/// What reading a document found: the value; or the fields that do not fit, with the value read
/// with stand-ins for them (so that the rest can still be checked); or only the fields.
pub enum Read<T> {
    /// Every field fits.
    Whole(T),
    /// These fields do not fit; `value` holds stand-ins in their place.
    StandIns {
        /// The value, with a stand-in for each field that does not fit.
        value: T,
        /// Why each does not fit.
        errors: Vec<FieldError>,
    },
    /// These fields do not fit, and no stand-ins made the rest readable.
    Broken(Vec<FieldError>),
}

/// The most fields [`read_all`] reports, and the most times it reads a small document: a body
/// full of mistakes costs a bounded number of passes over it.
const MOST_MISTAKES: usize = 32;
const MOST_PASSES: usize = 96;
/// How much document all the passes together may read: a large body gets fewer passes.
const READING_BUDGET: usize = 4 * 1024 * 1024;

/// How many times [`read_all`] may read `document`: [`MOST_PASSES`], fewer for a large one,
/// never fewer than four. Its size is estimated from its number of nodes, without writing it.
fn passes_for(document: &serde_json::Value) -> usize {
    fn nodes(value: &serde_json::Value) -> usize {
        match value {
            serde_json::Value::Array(items) => 1 + items.iter().map(nodes).sum::<usize>(),
            serde_json::Value::Object(object) => {
                1 + object.values().map(nodes).sum::<usize>() + object.len()
            }
            serde_json::Value::String(text) => 1 + text.len() / 8,
            _ => 1,
        }
    }
    // A node is some eight bytes of JSON at the least.
    let size = nodes(document) * 8;
    (READING_BUDGET / size.max(1)).clamp(4, MOST_PASSES)
}

/// Values tried in place of a field that does not fit, one of each JSON type, until one reads.
const STAND_INS: usize = 6;

fn stand_in(attempt: usize) -> Option<serde_json::Value> {
    use serde_json::{Map, Value};
    Some(match attempt {
        0 => Value::Null,
        1 => Value::String(String::new()),
        2 => Value::from(0),
        3 => Value::Bool(false),
        4 => Value::Array(Vec::new()),
        5 => Value::Object(Map::new()),
        _ => return None,
    })
}

/// Reads `document` into `T`, going past each field that does not fit: a wrong type, a missing
/// required field or an unknown one is recorded, the field is given a stand-in (or, if unknown,
/// taken out), and the document is read again. One mistake thus never hides another.
pub fn read_all<T: DeserializeOwned>(mut document: serde_json::Value) -> Read<T> {
    let mut errors: Vec<FieldError> = Vec::new();
    let mut attempts: Vec<(String, usize)> = Vec::new();
    for _ in 0..passes_for(&document) {
        let err = match serde_path_to_error::deserialize::<_, T>(&document) {
            Ok(value) if errors.is_empty() => return Read::Whole(value),
            Ok(value) => return Read::StandIns { value, errors },
            Err(err) => err,
        };
        let error = field_error_of(&err);
        let mut at: Vec<String> = err
            .path()
            .iter()
            .filter_map(|segment| match segment {
                serde_path_to_error::Segment::Map { key } => Some(key.clone()),
                serde_path_to_error::Segment::Seq { index } => Some(index.to_string()),
                _ => None,
            })
            .collect();
        let unknown = error.code == "unknown_field";
        let missing = error.code == "required";
        // For an unknown or missing field the path names its object; the field is the last part
        // of the error's own path.
        let name = error
            .field
            .rsplit(['.', '['])
            .next()
            .unwrap_or_default()
            .trim_end_matches(']')
            .to_owned();
        if (unknown || missing) && at.last() != Some(&name) {
            at.push(name);
        }
        let key = error.field.clone();
        let tried = match attempts.iter_mut().find(|(field, _)| *field == key) {
            Some((_, tried)) => {
                *tried += 1;
                *tried
            }
            None => {
                if errors.len() == MOST_MISTAKES {
                    break;
                }
                errors.push(error);
                attempts.push((key, 0));
                0
            }
        };
        let placed = if unknown {
            take_out(&mut document, &at)
        } else {
            match stand_in(tried) {
                Some(value) => put(&mut document, &at, value),
                None => tried == STAND_INS && take_out(&mut document, &at),
            }
        };
        if !placed {
            break;
        }
    }
    Read::Broken(errors)
}

/// The value at `path` inside `document`, creating nothing.
fn parent_of<'a>(
    document: &'a mut serde_json::Value,
    path: &'a [String],
) -> Option<(&'a mut serde_json::Value, &'a str)> {
    let (last, parents) = path.split_last()?;
    let mut node = document;
    for part in parents {
        node = match node {
            serde_json::Value::Object(object) => object.get_mut(part)?,
            serde_json::Value::Array(items) => items.get_mut(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some((node, last.as_str()))
}

fn put(document: &mut serde_json::Value, path: &[String], value: serde_json::Value) -> bool {
    match parent_of(document, path) {
        Some((serde_json::Value::Object(object), key)) => {
            object.insert(key.to_owned(), value);
            true
        }
        Some((serde_json::Value::Array(items), index)) => {
            match index.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                Some(item) => {
                    *item = value;
                    true
                }
                None => false,
            }
        }
        _ => false,
    }
}

fn take_out(document: &mut serde_json::Value, path: &[String]) -> bool {
    match parent_of(document, path) {
        Some((serde_json::Value::Object(object), key)) => object.remove(key).is_some(),
        _ => false,
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for ValidJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .is_some_and(|v| {
                v == "application/json" || (v.starts_with("application/") && v.ends_with("+json"))
            });
        let bytes = Bytes::from_request(req, payload);
        Box::pin(async move {
            let raw = bytes.await.map_err(|e| {
                let status = e.as_response_error().status_code();
                if e.as_error::<actix_web::error::PayloadError>()
                    .is_some_and(crate::slow_bodies::is_too_slow)
                {
                    crate::slow_bodies::timed_out()
                } else if status == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        ErrorCode::PayloadTooLarge,
                        "the body is larger than the configured limit",
                    )
                } else {
                    ApiError::new(
                        ErrorCode::BadRequest,
                        format!("the body could not be read: {e}"),
                    )
                }
            })?;
            Ok(ValidJson {
                raw,
                is_json,
                _body: std::marker::PhantomData,
            })
        })
    }
}

/// A query string parsed strictly: an unknown parameter or a bad value is a 400 naming it.
pub struct ValidQuery<T>(pub T);

impl<T: DeserializeOwned> FromRequest for ValidQuery<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(
            req.query_string().as_bytes(),
        ));
        let result = serde_path_to_error::deserialize(deserializer)
            .map(ValidQuery)
            .map_err(|err| {
                let message = err.inner().to_string();
                if let Some(rest) = message.strip_prefix("unknown field `") {
                    let name = rest.split('`').next().unwrap_or_default();
                    return ApiError::bad_parameter(
                        name,
                        "unknown_parameter",
                        "is not a parameter of this operation",
                    );
                }
                let name = err.path().to_string();
                ApiError::bad_parameter(&name, "invalid_value", message)
            });
        std::future::ready(result)
    }
}

/// `If-Match`: the version the caller last saw (`"3"`); absent or `*` means any. A weak tag
/// (`W/"3"`) is well-formed but never matches, as If-Match compares strongly (RFC 9110 13.1.1):
/// it is a 412 like a stale version. Anything else is a 400 naming the header.
pub struct IfMatch(pub Option<i64>);

/// The entity tags `If-Match` takes: `*`, or one `"<version>"` (or weak `W/"<version>"`).
pub const IF_MATCH_PATTERN: &str = r#"^(\*|(W/)?"[0-9]{1,18}")$"#;

/// No record has this version, so a precondition carrying it always fails.
const NEVER_MATCHES: i64 = -1;

fn parse_if_match(raw: &str) -> Option<Option<i64>> {
    if raw == "*" {
        return Some(None);
    }
    let (weak, tag) = match raw.strip_prefix("W/") {
        Some(tag) => (true, tag),
        None => (false, raw),
    };
    let digits = tag.strip_prefix('"')?.strip_suffix('"')?;
    if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let version: i64 = digits.parse().ok()?;
    Some(Some(if weak { NEVER_MATCHES } else { version }))
}

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(raw) = req.headers().get(header::IF_MATCH) else {
            return std::future::ready(Ok(IfMatch(None)));
        };
        std::future::ready(
            raw.to_str()
                .ok()
                .and_then(parse_if_match)
                .map(IfMatch)
                .ok_or_else(|| {
                    ApiError::bad_header(
                        "If-Match",
                        "must be one entity tag as ETag gives it (\"3\"), or *",
                    )
                }),
        )
    }
}

/// The keys `Idempotency-Key` accepts: 1 to 255 visible ASCII characters.
pub const IDEMPOTENCY_KEY_PATTERN: &str = "^[!-~]{1,255}$";

fn is_idempotency_key(key: &str) -> bool {
    (1..=255).contains(&key.len()) && key.chars().all(|c| c.is_ascii_graphic())
}

/// The `Idempotency-Key` header, 1 to 255 visible ASCII characters.
pub struct IdempotencyHeader(pub Option<String>);

impl FromRequest for IdempotencyHeader {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let result = match req.headers().get("idempotency-key") {
            None => Ok(IdempotencyHeader(None)),
            Some(value) => match value.to_str() {
                Ok(key) if is_idempotency_key(key) => Ok(IdempotencyHeader(Some(key.to_owned()))),
                _ => Err(ApiError::bad_header(
                    "Idempotency-Key",
                    "must be 1 to 255 visible ASCII characters",
                )),
            },
        };
        std::future::ready(result)
    }
}

impl IdempotencyHeader {
    /// The key scoped to the caller, with a fingerprint of this exact request.
    pub fn scoped(&self, actor: &Actor, req: &HttpRequest, body: &[u8]) -> Option<IdempotencyKey> {
        let key = self.0.clone()?;
        let mut hash = Sha256::new();
        hash.update(req.method().as_str().as_bytes());
        hash.update(b" ");
        hash.update(req.path().as_bytes());
        hash.update(b"\n");
        hash.update(body);
        let principal = actor.principal;
        Some(IdempotencyKey {
            principal: format!("{}:{}", principal.kind(), principal.id()),
            key,
            request_hash: hex(&hash.finalize()),
        })
    }
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Paging of a list.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Rows per page, 1 to 200 (default 25).
    #[param(minimum = 1, maximum = 200, example = 25)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Add `total`.
    pub include_total: Option<bool>,
}

/// A body field that may be cleared: absent stays `None`; `null` becomes `Some(None)`.
pub fn nullable<'de, T: serde::Deserialize<'de>, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    use serde::Deserialize as _;
    Option::<T>::deserialize(d).map(Some)
}

/// A nested object written as one: absent or `null` is `None`. Serde alone would also read a
/// struct from a list of its fields in order (`[null, null]`), which the document does not allow.
pub fn object<'de, T: DeserializeOwned, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    use serde::Deserialize as _;
    use serde::de::Error as _;
    match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(value @ serde_json::Value::Object(_)) => {
            T::deserialize(value).map(Some).map_err(D::Error::custom)
        }
        Some(_) => Err(D::Error::custom("must be an object")),
    }
}

/// Reads an integer the way JSON Schema counts one (the document's `integer`): `3` or `3.0`,
/// within the range of `i64`.
pub fn whole<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    use serde::Deserialize as _;
    let number = serde_json::Number::deserialize(d)?;
    whole_of(&number)
}

/// [`whole`] for an optional field: absent or `null` is `None`.
pub fn optional_whole<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    use serde::Deserialize as _;
    Option::<serde_json::Number>::deserialize(d)?
        .map(|number| whole_of(&number))
        .transpose()
}

/// [`whole`] for a small number: beyond the range of `i16` it is refused as out of range.
pub fn whole_i16<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i16, D::Error> {
    use serde::de::Error as _;
    let number = whole(d)?;
    i16::try_from(number).map_err(|_| D::Error::custom("out of range"))
}

/// [`whole`] for a field that may be cleared: absent stays `None` (with `#[serde(default)]`);
/// `null` becomes `Some(None)`.
pub fn nullable_whole<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<i64>>, D::Error> {
    optional_whole(d).map(Some)
}

fn whole_of<E: serde::de::Error>(number: &serde_json::Number) -> Result<i64, E> {
    // 2^63 as a float: every whole float below it in magnitude fits an i64.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    number
        .as_i64()
        .or_else(|| {
            number
                .as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < LIMIT)
                // Whole and within range: the cast is exact.
                .map(
                    #[allow(clippy::cast_possible_truncation)]
                    |f| f as i64,
                )
        })
        .ok_or_else(|| E::custom(format!("invalid value: {number}, expected a whole number")))
}

/// The most rows a page may hold, and the default.
pub const MAX_LIMIT: u64 = 200;
/// Rows per page when `limit` is absent.
pub const DEFAULT_LIMIT: u64 = 25;

/// Checks `limit` and builds the page request.
pub fn page_request(
    limit: Option<u64>,
    cursor: Option<String>,
    include_total: Option<bool>,
) -> Result<PageRequest, ApiError> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_parameter(
            "limit",
            "out_of_range",
            format!("must be between 1 and {MAX_LIMIT}"),
        ));
    }
    if cursor
        .as_ref()
        .is_some_and(|c| c.is_empty() || c.len() > 1024)
    {
        return Err(ApiError::bad_parameter(
            "cursor",
            "invalid_cursor",
            "not a cursor from this list",
        ));
    }
    Ok(PageRequest {
        limit,
        cursor,
        include_total: include_total.unwrap_or(false),
    })
}

/// The longest value of each free-text query parameter, by name; the OpenAPI document states the
/// same limits (see `openapi::input_rules`).
pub const TEXT_PARAMETERS: &[(&str, usize)] = &[
    ("q", 100),
    ("tag", 50),
    ("prefix", 50),
    ("types", 1000),
    ("resource_type", 50),
    ("action", 64),
    ("source", 100),
];

/// The length limit of a free-text query parameter, if `name` is one.
pub fn text_parameter_limit(name: &str) -> Option<usize> {
    TEXT_PARAMETERS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, max)| *max)
}

/// Checks a free-text query parameter (one of [`TEXT_PARAMETERS`]) by the rules of text fields:
/// no control characters but tab and newline, at most its limit in characters. 400 naming the
/// parameter otherwise, so such text never reaches a database that cannot store it.
pub fn text_parameter(name: &str, value: Option<String>) -> Result<Option<String>, ApiError> {
    let Some(value) = value else {
        return Ok(None);
    };
    let max = text_parameter_limit(name)
        .ok_or_else(|| ApiError::new(ErrorCode::Internal, format!("`{name}` has no limit")))?;
    rapport_domain::validation::text(name, &value, 0, max)
        .map_err(|e| ApiError::bad_parameter(name, e.code, e.message))?;
    Ok(Some(value))
}

/// Collects field errors into a 422.
pub fn invalid(errors: FieldErrors) -> ApiError {
    ApiError::validation(errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn if_match_accepts_exactly_what_its_pattern_matches(
            raw in r#"(\*|W/|"|[0-9]|a| ){0,8}"#
        ) {
            let pattern = regex_lite::Regex::new(IF_MATCH_PATTERN).unwrap();
            proptest::prop_assert_eq!(parse_if_match(&raw).is_some(), pattern.is_match(&raw), "{:?}", raw);
        }

        #[test]
        fn idempotency_keys_are_exactly_what_their_pattern_matches(
            raw in "[ -~\t\u{e9}]{0,8}|[!-~]{250,260}"
        ) {
            let pattern = regex_lite::Regex::new(IDEMPOTENCY_KEY_PATTERN).unwrap();
            proptest::prop_assert_eq!(is_idempotency_key(&raw), pattern.is_match(&raw), "{:?}", raw);
        }
    }

    #[test]
    fn a_type_error_does_not_repeat_the_value() {
        assert_eq!(
            without_value("invalid type: integer `13800138000`, expected a string"),
            "invalid type: integer, expected a string"
        );
        assert_eq!(
            without_value("unknown variant `fmale`, expected one of `female`, `male`, `other`"),
            "unknown variant, expected one of `female`, `male`, `other`"
        );
        assert_eq!(
            without_value("invalid value: string \"x\", expected a date"),
            "invalid value: string, expected a date"
        );
        assert_eq!(without_value("trailing characters"), "trailing characters");
    }

    #[test]
    fn a_weak_tag_is_well_formed_but_matches_no_version() {
        assert_eq!(parse_if_match("\"3\""), Some(Some(3)));
        assert_eq!(parse_if_match("W/\"3\""), Some(Some(NEVER_MATCHES)));
        assert_eq!(parse_if_match("*"), Some(None));
        assert_eq!(parse_if_match("3"), None);
    }
}
