//! CSV cells that are safe to open in a spreadsheet, following OWASP's CSV-injection guidance: a
//! text cell that a spreadsheet would run as a formula (one starting with `=`, `+`, `-`, `@`, a
//! tab or a carriage return) is written with a `'` in front, which spreadsheets show as text and
//! do not evaluate. Imports take the `'` off again, so an export imports back unchanged; NDJSON
//! exports carry every value as stored.

use std::borrow::Cow;

/// The characters a spreadsheet reads as the start of a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether `text`, past any leading `'`, starts like a formula. Counting the quotes makes the
/// rule reversible: a value that itself starts with `'=` gets one more `'`, and loses only that.
fn starts_like_formula(text: &str) -> bool {
    text.trim_start_matches('\'').starts_with(FORMULA_STARTS)
}

/// The cell for a text value: `'` in front when it would start a formula.
pub fn neutralise(text: &str) -> Cow<'_, str> {
    if starts_like_formula(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// The value a cell written by [`neutralise`] holds.
pub fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if starts_like_formula(rest) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_other_text_left_alone() {
        for (value, cell) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+86 138 0013 8000", "'+86 138 0013 8000"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tindented", "'\tindented"),
            ("\r=1", "'\r=1"),
            ("'=1", "''=1"),
            ("王芳", "王芳"),
            ("a=b", "a=b"),
            ("'tis", "'tis"),
            ("", ""),
        ] {
            assert_eq!(neutralise(value), cell, "{value:?}");
            assert_eq!(restore(cell), value, "{cell:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn restoring_a_neutralised_cell_gives_the_value_back(value in "['=+@a-]{0,4}.{0,4}") {
            let cell = neutralise(&value);
            proptest::prop_assert_eq!(restore(&cell), value.as_str());
            proptest::prop_assert!(!cell.starts_with(FORMULA_STARTS));
        }
    }
}
