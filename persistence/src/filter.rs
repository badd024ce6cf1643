//! The filter language compiled to a parameterised SQL condition with exactly the meaning
//! [`rapport_domain::filter`] documents, on PostgreSQL and SQLite alike.
//!
//! A resource says where each of its filterable fields lives ([`FieldSql`]); this module turns
//! operators into SQL over those places. Values are always bound as parameters; only field
//! locations, which come from the resource's own code and the custom-field key pattern, are
//! written into the statement.

use rapport_domain::filter::{
    Condition as FilterCondition, FieldKind, Filter, FilterValue, Operator,
};
use sea_orm::sea_query::{Expr, ExprTrait, IntoCondition, LikeExpr, SelectStatement};
use sea_orm::{Condition, Value};

use crate::{Error, Result};

/// The ids of the records a list is limited to, selected by the area that groups them (a static
/// segment's members): a subquery the list's statement holds, never a list read into memory.
#[derive(Debug, Clone)]
pub struct Subset(pub(crate) SelectStatement);

/// Where a filterable field's value is found.
pub(crate) enum FieldSql {
    /// One value per record, null when absent.
    Scalar {
        /// The value, typed so it compares with the bound filter value.
        value: Expr,
        /// The lower-cased text that `contains` and `starts_with` compare with, for text fields.
        folded: Option<Expr>,
        /// How a date value is bound: as a date (a `date` column), or as `YYYY-MM-DD` text (a
        /// date inside JSON).
        dates_as_text: bool,
    },
    /// Related records of each record, tested with `exists` and `not_exists`.
    Related {
        /// The condition "a related record passes this test", for the test a condition holds.
        exists: fn(&FilterValue) -> Option<Expr>,
    },
    /// A value of each of the record's related rows (a product's variants): the record passes
    /// when one of its rows does.
    AnyRow {
        /// The record's related rows, `SELECT 1 FROM … WHERE <row belongs to the record>`.
        rows: Box<SelectStatement>,
        /// The row's value, typed so it compares with the bound filter value.
        value: Expr,
    },
    /// A list of texts per record.
    List {
        /// The condition "the list holds this value".
        member: Box<dyn Fn(Value) -> Expr>,
        /// The condition "the list is absent or empty".
        empty: Expr,
    },
}

/// A resource's filterable fields, by the name the filter language uses.
pub(crate) trait FieldMap {
    /// Where `field`, of `kind` in the resource's catalogue, lives; `None` for a field the
    /// catalogue should not have offered.
    fn locate(&self, field: &str, kind: &FieldKind) -> Option<FieldSql>;
}

/// The SQL condition selecting exactly the records `filter` selects.
pub(crate) fn compile(filter: &Filter, fields: &impl FieldMap) -> Result<Condition> {
    Ok(match filter {
        Filter::And(parts) => parts.iter().try_fold(Condition::all(), |all, part| {
            Ok::<_, Error>(all.add(compile(part, fields)?))
        })?,
        Filter::Or(parts) => parts.iter().try_fold(Condition::any(), |any, part| {
            Ok::<_, Error>(any.add(compile(part, fields)?))
        })?,
        Filter::Condition(condition) => {
            let sql = fields
                .locate(&condition.field, &condition.kind)
                .ok_or_else(|| {
                    Error::Internal(format!("filter field {} has no column", condition.field))
                })?;
            test(condition, sql)?.into_condition()
        }
    })
}

fn unsupported(condition: &FilterCondition) -> Error {
    Error::Internal(format!(
        "filter operator {} reached the database for {}",
        condition.op.as_str(),
        condition.field
    ))
}

/// `%` and `_` are ordinary characters in the filter language; `\` escapes them for LIKE.
pub(crate) fn like_escaped(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

fn test(condition: &FilterCondition, sql: FieldSql) -> Result<Expr> {
    use Operator::*;
    let op = condition.op;
    match sql {
        FieldSql::Related { exists } => {
            let related = exists(&condition.value).ok_or_else(|| unsupported(condition))?;
            match op {
                Exists => Ok(related),
                NotExists => Ok(related.not()),
                _ => Err(unsupported(condition)),
            }
        }
        FieldSql::AnyRow { mut rows, value } => {
            let passes = test(
                condition,
                FieldSql::Scalar {
                    value,
                    folded: None,
                    dates_as_text: false,
                },
            )?;
            Ok(Expr::exists(rows.and_where(passes).to_owned()))
        }
        FieldSql::List { member, empty } => match (op, &condition.value) {
            (Contains, FilterValue::Text(text)) => Ok(member(Value::from(text.clone()))),
            (IsNull, FilterValue::Boolean(true)) => Ok(empty),
            (IsNull, FilterValue::Boolean(false)) => Ok(empty.not()),
            _ => Err(unsupported(condition)),
        },
        FieldSql::Scalar {
            value: column,
            folded,
            dates_as_text,
        } => {
            let bind = |v: &FilterValue| bound(v, dates_as_text);
            let one = || bind(&condition.value).ok_or_else(|| unsupported(condition));
            let many = || match &condition.value {
                FilterValue::List(values) => values
                    .iter()
                    .map(|v| bind(v).ok_or_else(|| unsupported(condition)))
                    .collect::<Result<Vec<Value>>>(),
                _ => Err(unsupported(condition)),
            };
            let pattern = |prefix: &str| match (&condition.value, &folded) {
                (FilterValue::Text(text), Some(folded)) => Ok(folded.clone().like(
                    LikeExpr::new(format!("{prefix}{}%", like_escaped(&text.to_lowercase())))
                        .escape('\\'),
                )),
                _ => Err(unsupported(condition)),
            };
            Ok(match op {
                Eq => column.eq(one()?),
                Ne => column.clone().is_null().or(column.ne(one()?)),
                Lt => column.lt(one()?),
                Lte => column.lte(one()?),
                Gt => column.gt(one()?),
                Gte => column.gte(one()?),
                In => column.is_in(many()?),
                NotIn => column.clone().is_null().or(column.is_not_in(many()?)),
                Contains => pattern("%")?,
                StartsWith => pattern("")?,
                IsNull => match condition.value {
                    FilterValue::Boolean(true) => column.is_null(),
                    FilterValue::Boolean(false) => column.is_not_null(),
                    _ => return Err(unsupported(condition)),
                },
                Exists | NotExists => return Err(unsupported(condition)),
            })
        }
    }
}

/// A filter value as a bound parameter; `None` for a list or a purchase test, which are not one
/// value.
fn bound(value: &FilterValue, dates_as_text: bool) -> Option<Value> {
    Some(match value {
        FilterValue::Text(text) => Value::from(text.clone()),
        FilterValue::Number(number) => Value::from(*number),
        FilterValue::Boolean(boolean) => Value::from(*boolean),
        FilterValue::Date(date) if dates_as_text => {
            Value::from(date.format("%Y-%m-%d").to_string())
        }
        FilterValue::Date(date) => Value::from(*date),
        FilterValue::DateTime(instant) => Value::from(*instant),
        FilterValue::Uuid(id) => Value::from(*id),
        FilterValue::List(_) | FilterValue::Purchase(_) => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::like_escaped;

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(like_escaped("50%_a\\"), "50\\%\\_a\\\\");
    }
}
