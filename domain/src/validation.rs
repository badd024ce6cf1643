//! Field-level rule violations, collected so a caller learns every mistake at once.

use serde::Serialize;

/// One broken rule on one field: where (`address.city`), which rule (`too_long`), and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's path in the request body, dotted for nested objects.
    pub field: String,
    /// A stable machine-readable code, such as `invalid_email`.
    pub code: &'static str,
    /// A human-readable explanation in English.
    pub message: String,
}

impl FieldError {
    /// A violation of `code` on `field`, explained by `message`.
    pub fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code,
            message: message.into(),
        }
    }
}

/// Every rule a request broke.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    /// No errors yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one violation.
    pub fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }

    /// Records the error of a parse, if it failed, and passes the value on.
    pub fn take<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.push(error);
                None
            }
        }
    }

    /// Records every error of a check that reports several, if it failed, and passes the
    /// value on.
    pub fn take_all<T>(&mut self, result: Result<T, Vec<FieldError>>) -> Option<T> {
        result.map_err(|list| self.0.extend(list)).ok()
    }

    /// True when nothing was broken.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// These errors, then those of `checked` (a check that reports several); its value when there
    /// are none.
    pub fn then<T>(mut self, checked: Result<T, FieldErrors>) -> Result<T, FieldErrors> {
        match checked {
            Ok(value) if self.is_empty() => Ok(value),
            Ok(_) => Err(self),
            Err(more) => {
                self.0.extend(more.0);
                Err(self)
            }
        }
    }

    /// The same errors, of a part of a larger body: each field under `prefix` (`customer`
    /// makes `name` into `customer.name`).
    pub fn under(self, prefix: &str) -> Self {
        Self(
            self.0
                .into_iter()
                .map(|mut e| {
                    e.field = if e.field.is_empty() {
                        prefix.to_owned()
                    } else {
                        format!("{prefix}.{}", e.field)
                    };
                    e
                })
                .collect(),
        )
    }

    /// `Ok(value)` when nothing was broken, otherwise every error.
    pub fn into_result<T>(self, value: impl FnOnce() -> T) -> Result<T, FieldErrors> {
        if self.0.is_empty() {
            Ok(value())
        } else {
            Err(self)
        }
    }
}

impl From<FieldError> for FieldErrors {
    fn from(error: FieldError) -> Self {
        Self(vec![error])
    }
}

/// Characters no text field takes: the control characters but tab and newline.
const NOT_TEXT: &str = r"\x00-\x08\x0B-\x1F\x7F-\x9F";
/// Whitespace (what `str::trim` removes) and control characters.
pub const WHITESPACE_OR_CONTROL: &str =
    r"\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";

/// The OpenAPI pattern of text that [`optional_text`] accepts (with its `maxLength`).
pub fn optional_text_pattern() -> String {
    format!("^[^{NOT_TEXT}]*$")
}

/// The OpenAPI pattern of text that [`text`] accepts with `min` 1 (with its `maxLength`).
pub fn required_text_pattern() -> String {
    format!("^[^{NOT_TEXT}]*[^{WHITESPACE_OR_CONTROL}][^{NOT_TEXT}]*$")
}

/// Characters that reorder the text around them: the bidirectional embeddings, overrides and
/// isolates. A name holding one can show as something it is not (U+202E before `gnp.exe`
/// shows it as `exe.png`), so names refuse them.
const BIDI_CONTROLS: &str = r"\u202A-\u202E\u2066-\u2069";

/// Whether `c` is one of the bidirectional controls names refuse.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The OpenAPI pattern of a name that [`name`] accepts (with its `maxLength`).
pub fn name_pattern() -> String {
    format!(
        "^[^{NOT_TEXT}{BIDI_CONTROLS}]*[^{WHITESPACE_OR_CONTROL}{BIDI_CONTROLS}][^{NOT_TEXT}{BIDI_CONTROLS}]*$"
    )
}

/// The OpenAPI pattern of a name that may be empty (a change that leaves it out).
pub fn optional_name_pattern() -> String {
    format!("^[^{NOT_TEXT}{BIDI_CONTROLS}]*$")
}

/// Checks a name (of a customer, a contact, a colleague, a segment, a field): the rules of
/// [`text`], and no bidirectional controls.
pub fn name(field: &str, value: &str, min: usize, max: usize) -> Result<String, FieldError> {
    let checked = text(field, value, min, max)?;
    if checked.chars().any(is_bidi_control) {
        return Err(FieldError::new(
            field,
            "invalid_characters",
            "must not contain characters that reorder text (U+202A to U+202E, U+2066 to U+2069)",
        ));
    }
    Ok(checked)
}

/// Whether `c` may appear in free text: anything but control characters, except tab and newline.
pub fn is_text_char(c: char) -> bool {
    !c.is_control() || c == '\n' || c == '\t'
}

/// Checks a free-text field: no control characters but tab and newline, at most `max` characters
/// as sent (not bytes), and at least `min` once surrounding whitespace is trimmed. Returns the
/// trimmed text. These are exactly the rules the OpenAPI document states for text fields.
pub fn text(field: &str, value: &str, min: usize, max: usize) -> Result<String, FieldError> {
    // The length first, counting no further than the limit: a long value costs no more than a
    // short one.
    if value.len() > max && value.chars().nth(max).is_some() {
        return Err(FieldError::new(
            field,
            "too_long",
            format!("must be at most {max} characters"),
        ));
    }
    if !value.chars().all(is_text_char) {
        return Err(FieldError::new(
            field,
            "invalid_characters",
            "must not contain control characters",
        ));
    }
    let trimmed = value.trim();
    if trimmed.chars().count() < min {
        return Err(if min == 1 {
            FieldError::new(field, "blank", "must not be blank")
        } else {
            FieldError::new(
                field,
                "too_short",
                format!("must be at least {min} characters"),
            )
        });
    }
    Ok(trimmed.to_owned())
}

/// Like [`text`], but empty or blank means "none".
pub fn optional_text(
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, FieldError> {
    match value {
        None => Ok(None),
        Some(value) => {
            text(field, value, 0, max).map(|t| if t.is_empty() { None } else { Some(t) })
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn text_counts_characters_not_bytes() {
        assert_eq!(text("name", " 张伟 ", 1, 4), Ok("张伟".to_owned()));
        assert_eq!(text("name", "张伟明", 1, 2).unwrap_err().code, "too_long");
    }

    #[test]
    fn the_length_limit_counts_the_text_as_sent() {
        assert_eq!(text("name", "  张伟  ", 1, 5).unwrap_err().code, "too_long");
    }

    #[test]
    fn blank_text_is_reported_as_blank() {
        assert_eq!(text("name", "   ", 1, 10).unwrap_err().code, "blank");
    }

    #[test]
    fn control_characters_are_refused() {
        assert_eq!(
            text("name", "a\u{0}b", 1, 10).unwrap_err().code,
            "invalid_characters"
        );
        // Even where trimming would have removed them.
        assert_eq!(
            text("name", "ab\r", 1, 10).unwrap_err().code,
            "invalid_characters"
        );
        assert_eq!(text("notes", "a\n\tb", 1, 10), Ok("a\n\tb".to_owned()));
    }

    /// Strings made of the characters where the rules and a careless pattern could differ.
    pub(crate) fn tricky_text() -> impl proptest::strategy::Strategy<Value = String> {
        proptest::collection::vec(
            proptest::sample::select(vec![
                'a', '张', ' ', '\t', '\n', '\r', '\u{0}', '\u{1f}', '\u{7f}', '\u{85}', '\u{a0}',
                '\u{1680}', '\u{2003}', '\u{3000}', '\u{200b}', '@', '.', '+', '-', '(', '1', '9',
            ]),
            0..12,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    use proptest::strategy::Strategy;

    proptest::proptest! {
        #[test]
        fn text_accepts_exactly_what_its_pattern_matches(raw in tricky_text()) {
            let required = regex_lite::Regex::new(&required_text_pattern()).unwrap();
            let optional = regex_lite::Regex::new(&optional_text_pattern()).unwrap();
            proptest::prop_assert_eq!(text("f", &raw, 1, 20).is_ok(), required.is_match(&raw));
            proptest::prop_assert_eq!(optional_text("f", Some(&raw), 20).is_ok(), optional.is_match(&raw));
        }
    }

    #[test]
    fn empty_optional_text_is_none() {
        assert_eq!(optional_text("notes", Some("  "), 10), Ok(None));
    }
}
