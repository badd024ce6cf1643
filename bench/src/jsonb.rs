//! JSON text as PostgreSQL prints a `jsonb` value.
//!
//! The API binds JSON as `jsonb` (sqlx's encoding), and PostgreSQL casts it into the `json`
//! columns, so the stored text is jsonb's rendering: keys ordered by length and then bytes,
//! `", "` and `": "` between items. COPY writes the columns' text directly, so it must write the
//! same text for a seeded row to equal one the API stored.

use serde_json::Value;

/// `value` as PostgreSQL's `jsonb` output function writes it.
pub fn render(value: &Value) -> String {
    let mut out = String::new();
    write(&mut out, value);
    out
}

fn write(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| {
                a.0.len()
                    .cmp(&b.0.len())
                    .then_with(|| a.0.as_bytes().cmp(b.0.as_bytes()))
            });
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                string(out, key);
                out.push_str(": ");
                write(out, item);
            }
            out.push('}');
        }
    }
}

/// PostgreSQL's `escape_json`.
fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_sort_by_length_then_bytes_with_spaced_separators() {
        let v = json!({"wechat_id": "wx", "membership_level": "gold", "a": [1, "新客", null]});
        assert_eq!(
            render(&v),
            r#"{"a": [1, "新客", null], "wechat_id": "wx", "membership_level": "gold"}"#
        );
        assert_eq!(render(&json!("a\"b\\c\n")), r#""a\"b\\c\n""#);
        assert_eq!(render(&json!([])), "[]");
        assert_eq!(render(&json!({})), "{}");
    }
}
