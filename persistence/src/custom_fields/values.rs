//! Custom field values inside a record's `custom_fields` JSON, as SQL: the expression that reads
//! one field's value (null when it is absent or not of the field's type, so a value left behind by
//! a deleted definition never matches the new one), list membership for multi-choice fields, and
//! the index behind each defined field. PostgreSQL (`json` operators) and SQLite (`json_extract`)
//! spell them differently; this is the one place that knows both.
//!
//! # Index strategy
//!
//! Every definition gets an index on exactly the expression its filters and sorts use, created
//! with the definition and dropped with it (`cf_<definition id>`): a btree on the typed value for
//! text, number, boolean, date and enum fields on both databases, and a GIN index over the list for
//! multi-choice fields on PostgreSQL (SQLite scans those). Because filters write the same
//! expression, both query planners match it to the index. `ensure_indexes` (in the definitions)
//! re-creates any index that is missing, at start-up, so a database upgraded from before indexes
//! existed gets them too.

use rapport_domain::custom_fields::{CUSTOM_FIELD_PREFIX, Definition, FieldOwner, FieldType};
use rapport_domain::filter::FieldKind;
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::Expr;
use uuid::Uuid;

use crate::filter::FieldSql;
use crate::{Backend, Result};

/// The table holding the records of a kind.
pub(crate) fn table(owner: FieldOwner) -> &'static str {
    match owner {
        FieldOwner::Customer => "customers",
        FieldOwner::Contact => "contacts",
        FieldOwner::Product => "products",
        FieldOwner::Order => "orders",
        FieldOwner::Deal => "deals",
        FieldOwner::Ticket => "tickets",
    }
}

/// A key as written into SQL. Keys are `^[a-z][a-z0-9_]{0,63}$` by definition; anything else is
/// refused here too, so no text from outside ever reaches a statement unbound.
fn checked_key(key: &str) -> Option<&str> {
    rapport_domain::custom_fields::is_key(key).then_some(key)
}

/// What a custom field holds, as far as SQL is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueType {
    /// Text, or one option of a choice field.
    Text,
    /// A number.
    Number,
    /// A boolean.
    Boolean,
    /// A date written `YYYY-MM-DD`.
    Date,
    /// A list of options.
    List,
}

impl From<FieldType> for ValueType {
    fn from(field_type: FieldType) -> Self {
        match field_type {
            FieldType::Text | FieldType::Enum => ValueType::Text,
            FieldType::Number => ValueType::Number,
            FieldType::Boolean => ValueType::Boolean,
            FieldType::Date => ValueType::Date,
            FieldType::MultiEnum => ValueType::List,
        }
    }
}

/// The SQL text of one field's typed value; `None` for lists and for a key that is not a key.
pub(crate) fn value_sql(backend: Backend, value_type: ValueType, key: &str) -> Option<String> {
    let key = checked_key(key)?;
    Some(match backend {
        Backend::Postgres => {
            let is = |json_type: &str| {
                format!("json_typeof(\"custom_fields\" -> '{key}') = '{json_type}'")
            };
            let text = format!("(\"custom_fields\" ->> '{key}')");
            match value_type {
                ValueType::Text => format!("(CASE WHEN {} THEN {text} END)", is("string")),
                ValueType::Number => {
                    format!(
                        "(CASE WHEN {} THEN CAST({text} AS double precision) END)",
                        is("number")
                    )
                }
                ValueType::Boolean => {
                    format!(
                        "(CASE WHEN {} THEN CAST({text} AS boolean) END)",
                        is("boolean")
                    )
                }
                ValueType::Date => format!(
                    "(CASE WHEN {} AND {text} ~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$' THEN {text} END)",
                    is("string")
                ),
                ValueType::List => return None,
            }
        }
        Backend::Sqlite => {
            let json_type = format!("json_type(\"custom_fields\", '$.{key}')");
            let value = format!("json_extract(\"custom_fields\", '$.{key}')");
            match value_type {
                ValueType::Text => format!("(CASE WHEN {json_type} = 'text' THEN {value} END)"),
                ValueType::Number => {
                    format!("(CASE WHEN {json_type} IN ('integer', 'real') THEN {value} END)")
                }
                ValueType::Boolean => {
                    format!("(CASE WHEN {json_type} IN ('true', 'false') THEN {value} END)")
                }
                ValueType::Date => format!(
                    "(CASE WHEN {json_type} = 'text' AND {value} GLOB \
                     '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' THEN {value} END)"
                ),
                ValueType::List => return None,
            }
        }
    })
}

/// One field's typed value as an expression.
pub(crate) fn value(backend: Backend, value_type: ValueType, key: &str) -> Option<Expr> {
    value_sql(backend, value_type, key).map(Expr::cust)
}

/// A multi-choice field as a list: "holds this option" (a list of texts with an element equal
/// to it) and "is absent, not a list, or empty".
pub(crate) fn list_field(backend: Backend, key: &str) -> Option<FieldSql> {
    let key = checked_key(key)?.to_owned();
    let empty = Expr::cust(match backend {
        Backend::Postgres => format!(
            "(COALESCE(CASE WHEN json_typeof(\"custom_fields\" -> '{key}') = 'array' \
             THEN json_array_length(\"custom_fields\" -> '{key}') END, 0) = 0)"
        ),
        Backend::Sqlite => format!(
            "(COALESCE(CASE WHEN json_type(\"custom_fields\", '$.{key}') = 'array' \
             THEN json_array_length(\"custom_fields\", '$.{key}') END, 0) = 0)"
        ),
    });
    let member = move |option: sea_orm::Value| match backend {
        // A scalar or an object never contains an array, so no type test is needed, and the
        // expression is the one the GIN index holds.
        Backend::Postgres => Expr::cust_with_values(
            format!(
                "(CAST(\"custom_fields\" -> '{key}' AS jsonb) @> jsonb_build_array(CAST($1 AS text)))"
            ),
            [option],
        ),
        Backend::Sqlite => Expr::cust_with_values(
            format!(
                "EXISTS (SELECT 1 FROM json_each(\"custom_fields\", '$.{key}') \
                 WHERE json_type(\"custom_fields\", '$.{key}') = 'array' AND type = 'text' AND value = ?)"
            ),
            [option],
        ),
    };
    Some(FieldSql::List {
        member: Box::new(member),
        empty,
    })
}

/// Where the custom field a filter names (`custom_fields.<key>`, of the `kind` its definition
/// gives) lives in the record's `custom_fields` JSON; `None` for any other field. `folded` is
/// the lower-cased text that `contains` compares with, where the record keeps one.
pub(crate) fn field_sql(
    backend: Backend,
    field: &str,
    kind: &FieldKind,
    folded: Option<Expr>,
) -> Option<FieldSql> {
    let key = field.strip_prefix(CUSTOM_FIELD_PREFIX)?;
    let value_type = match kind {
        FieldKind::EnumList(_) => return list_field(backend, key),
        FieldKind::Text | FieldKind::Keyword | FieldKind::Enum(_) => ValueType::Text,
        FieldKind::Number => ValueType::Number,
        FieldKind::Boolean => ValueType::Boolean,
        FieldKind::Date => ValueType::Date,
        _ => return None,
    };
    Some(FieldSql::Scalar {
        value: value(backend, value_type, key)?,
        folded,
        dates_as_text: true,
    })
}

/// The lower-cased text of `field` kept in the record's `folded` column (see
/// [`rapport_domain::customers::fields::folded_text`]). Field names are the catalogue's, made
/// of `a-z`, `0-9`, `_` and `.`.
pub(crate) fn folded(backend: Backend, field: &str) -> Option<Expr> {
    let safe = field
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.');
    safe.then(|| {
        Expr::cust(match backend {
            Backend::Postgres => format!("(\"folded\" ->> '{field}')"),
            Backend::Sqlite => format!("json_extract(\"folded\", '$.\"{field}\"')"),
        })
    })
}

fn index_name(id: Uuid) -> String {
    format!("cf_{}", id.simple())
}

fn create_index_sql(backend: Backend, definition: &Definition) -> Option<String> {
    let name = index_name(definition.id);
    let table = table(definition.owner);
    let value_type = ValueType::from(definition.field_type);
    match (backend, value_type) {
        (Backend::Postgres, ValueType::List) => {
            let key = checked_key(&definition.key)?;
            Some(format!(
                "CREATE INDEX IF NOT EXISTS {name} ON {table} \
                 USING gin ((CAST(\"custom_fields\" -> '{key}' AS jsonb)))"
            ))
        }
        (Backend::Sqlite, ValueType::List) => None,
        _ => {
            let value = value_sql(backend, value_type, &definition.key)?;
            Some(format!(
                "CREATE INDEX IF NOT EXISTS {name} ON {table} ({value}, \"id\")"
            ))
        }
    }
}

/// Creates the index behind `definition` unless it exists.
pub(crate) async fn create_index(
    conn: &impl ConnectionTrait,
    backend: Backend,
    definition: &Definition,
) -> Result<()> {
    if let Some(sql) = create_index_sql(backend, definition) {
        crate::db::execute(conn, &sql).await?;
    }
    Ok(())
}

/// Drops the index behind the definition `id`, if there is one.
pub(crate) async fn drop_index(conn: &impl ConnectionTrait, id: Uuid) -> Result<()> {
    crate::db::execute(conn, &format!("DROP INDEX IF EXISTS {}", index_name(id))).await
}
