//! What a resource lets a filter test: its fields, their kinds, and the operators each kind takes.

use serde::Serialize;

/// The filterable fields of one resource, custom fields included, so built at run time.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Catalogue {
    /// The fields, in the order the resource publishes them; names are unique.
    pub fields: Vec<FieldSpec>,
}

impl Catalogue {
    /// A catalogue of `fields`.
    pub fn new(fields: Vec<FieldSpec>) -> Self {
        Self { fields }
    }

    /// The field called `name`, if the resource can be filtered by it.
    pub fn get(&self, name: &str) -> Option<&FieldSpec> {
        self.fields.iter().find(|spec| spec.name == name)
    }

    /// The names of all fields, in published order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|spec| spec.name.as_str())
    }
}

/// One filterable field: its name, what it holds, and whether it can be empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldSpec {
    /// The name used in filters, dotted for nested values (`address.city`, `custom_fields.industry`).
    pub name: String,
    /// What the field holds.
    pub kind: FieldKind,
    /// True when the field may be null or absent, which allows `is_null`.
    pub nullable: bool,
}

impl FieldSpec {
    /// A field called `name` holding `kind`, `nullable` or not.
    pub fn new(name: impl Into<String>, kind: FieldKind, nullable: bool) -> Self {
        Self {
            name: name.into(),
            kind,
            nullable,
        }
    }

    /// Whether a filter may apply `op` to this field.
    pub fn accepts(&self, op: Operator) -> bool {
        self.kind.operators().contains(&op) || (op == Operator::IsNull && self.nullable)
    }

    /// The operators this field takes, in [`Operator::ALL`] order: its kind's, plus `is_null`
    /// when it is nullable.
    pub fn operators(&self) -> Vec<Operator> {
        Operator::ALL
            .into_iter()
            .filter(|op| self.accepts(*op))
            .collect()
    }
}

/// What a field holds, which decides the operators and values a condition on it takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldKind {
    /// Free text.
    Text,
    /// A code or identifier written as text (an order number, a currency, a carrier), compared
    /// exactly only.
    Keyword,
    /// A number.
    Number,
    /// True or false.
    Boolean,
    /// A calendar day, `YYYY-MM-DD`.
    Date,
    /// An instant, RFC 3339, held in UTC.
    DateTime,
    /// An identifier, such as an owner's.
    Uuid,
    /// One of a fixed set of names (a lifecycle stage).
    Enum(Vec<String>),
    /// A list of texts (tags).
    TextList,
    /// A list of names from a fixed set (a multi-choice custom field).
    EnumList(Vec<String>),
    /// A customer's purchases: the lines of their paid orders, tested with `exists` or
    /// `not_exists` and a [`PurchaseTest`](super::PurchaseTest).
    Purchases,
}

impl FieldKind {
    /// The kind's name as the API publishes it.
    pub fn name(&self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::Keyword => "keyword",
            FieldKind::Number => "number",
            FieldKind::Boolean => "boolean",
            FieldKind::Date => "date",
            FieldKind::DateTime => "date_time",
            FieldKind::Uuid => "uuid",
            FieldKind::Enum(_) => "enum",
            FieldKind::TextList => "text_list",
            FieldKind::EnumList(_) => "enum_list",
            FieldKind::Purchases => "purchases",
        }
    }

    /// The operators every field of this kind takes, in [`Operator::ALL`] order; a nullable field
    /// also takes `is_null` (see [`FieldSpec::operators`]).
    pub fn operators(&self) -> &'static [Operator] {
        use Operator::*;
        match self {
            FieldKind::Text => &[Eq, Ne, In, NotIn, Contains, StartsWith],
            FieldKind::Number | FieldKind::Date => &[Eq, Ne, Lt, Lte, Gt, Gte, In, NotIn],
            FieldKind::DateTime => &[Eq, Ne, Lt, Lte, Gt, Gte],
            FieldKind::Boolean => &[Eq, Ne],
            FieldKind::Keyword | FieldKind::Uuid | FieldKind::Enum(_) => &[Eq, Ne, In, NotIn],
            FieldKind::TextList | FieldKind::EnumList(_) => &[Contains, IsNull],
            FieldKind::Purchases => &[Exists, NotExists],
        }
    }

    /// The options of an `enum` or `enum_list` field.
    pub fn options(&self) -> Option<&[String]> {
        match self {
            FieldKind::Enum(options) | FieldKind::EnumList(options) => Some(options),
            _ => None,
        }
    }
}

/// What a condition tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    /// Equal to.
    Eq,
    /// Not equal to, or null.
    Ne,
    /// Less than.
    Lt,
    /// Less than or equal to.
    Lte,
    /// Greater than.
    Gt,
    /// Greater than or equal to.
    Gte,
    /// Equal to one of the values.
    In,
    /// Equal to none of the values, or null.
    NotIn,
    /// Holds the text (case-insensitive), or the list holds the value.
    Contains,
    /// Begins with the text, case-insensitive.
    StartsWith,
    /// Null, absent or an empty list (`true`), or not (`false`).
    IsNull,
    /// At least one related record matches.
    Exists,
    /// No related record matches.
    NotExists,
}

impl Operator {
    /// Every operator, in the order the API documents them.
    pub const ALL: [Operator; 13] = [
        Operator::Eq,
        Operator::Ne,
        Operator::Lt,
        Operator::Lte,
        Operator::Gt,
        Operator::Gte,
        Operator::In,
        Operator::NotIn,
        Operator::Contains,
        Operator::StartsWith,
        Operator::IsNull,
        Operator::Exists,
        Operator::NotExists,
    ];

    /// The operator's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::Eq => "eq",
            Operator::Ne => "ne",
            Operator::Lt => "lt",
            Operator::Lte => "lte",
            Operator::Gt => "gt",
            Operator::Gte => "gte",
            Operator::In => "in",
            Operator::NotIn => "not_in",
            Operator::Contains => "contains",
            Operator::StartsWith => "starts_with",
            Operator::IsNull => "is_null",
            Operator::Exists => "exists",
            Operator::NotExists => "not_exists",
        }
    }

    /// The operator of this wire name, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.as_str() == name)
    }
}
