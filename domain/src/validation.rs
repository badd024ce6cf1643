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

    /// True when nothing was broken.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
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

/// Checks a free-text field's length in characters (not bytes) after trimming.
pub fn text(field: &str, value: &str, min: usize, max: usize) -> Result<String, FieldError> {
    let trimmed = value.trim();
    let length = trimmed.chars().count();
    if length < min {
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
    if length > max {
        return Err(FieldError::new(
            field,
            "too_long",
            format!("must be at most {max} characters"),
        ));
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(FieldError::new(
            field,
            "invalid_characters",
            "must not contain control characters",
        ));
    }
    Ok(trimmed.to_owned())
}

/// Like [`text`], but an empty value means "none".
pub fn optional_text(
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, FieldError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(value) => text(field, value, 1, max).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_counts_characters_not_bytes() {
        assert_eq!(text("name", "  张伟  ", 1, 2), Ok("张伟".to_owned()));
        assert_eq!(text("name", "张伟明", 1, 2).unwrap_err().code, "too_long");
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
    }

    #[test]
    fn empty_optional_text_is_none() {
        assert_eq!(optional_text("notes", Some("  "), 10), Ok(None));
    }
}
