//! Imports: loading many customers or products from a file, as a job that runs in the
//! background.
//!
//! A job is created with its format, mode and column mapping (`awaiting_file`), receives its
//! file (`queued`), is claimed by a worker (`running`), and ends `completed` or `failed`. A
//! failed job can be queued again. In `all_or_nothing` mode one refused row refuses the file and
//! nothing is written; in `skip_invalid` mode refused rows are listed and the rest is written.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::FieldError;
use crate::custom_fields::is_key;
use crate::customers::fields::{ADDRESS_PARTS, CUSTOM_FIELD_PREFIX};

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportResource {
    /// Customers, each row a new customer.
    Customers,
    /// Products, each row one variant of a product, written as a product batch item.
    Products,
    /// Order history, each row one line of an order, the rows of an order written together as
    /// an order batch item.
    Orders,
}

/// How the file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportFormat {
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON object per line.
    Ndjson,
}

/// What a refused row does to the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    /// One refused row refuses the file: nothing is written.
    AllOrNothing,
    /// Refused rows are listed; the others are written.
    SkipInvalid,
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// Created; its file has not been uploaded.
    AwaitingFile,
    /// Its file is in; a worker will take it.
    Queued,
    /// A worker is reading it.
    Running,
    /// Done: every row written or listed as refused.
    Completed,
    /// Stopped: the file was refused, or the job could not finish.
    Failed,
}

names!(ImportResource { Customers => "customers", Products => "products", Orders => "orders" });
names!(ImportFormat { Csv => "csv", Ndjson => "ndjson" });
names!(ImportMode { AllOrNothing => "all_or_nothing", SkipInvalid => "skip_invalid" });
names!(ImportStatus {
    AwaitingFile => "awaiting_file", Queued => "queued", Running => "running",
    Completed => "completed", Failed => "failed",
});

impl ImportStatus {
    /// Whether a job may go from this status to `next`: awaiting_file → queued (the file came),
    /// queued → running (a worker took it), running → running (a worker took it over after the
    /// last one stopped answering), running → completed | failed | queued (given back), and
    /// failed → queued (run again).
    pub fn can_become(self, next: ImportStatus) -> bool {
        use ImportStatus::*;
        matches!(
            (self, next),
            (AwaitingFile, Queued)
                | (Queued, Running)
                | (Running, Running | Completed | Failed | Queued)
                | (Failed, Queued)
        )
    }
}

/// The customer fields a column can be mapped to, besides `custom_fields.<key>`.
pub fn target_fields() -> Vec<String> {
    let mut fields: Vec<String> = ["kind", "name", "email", "phone", "gender", "birthday"]
        .map(String::from)
        .to_vec();
    fields.extend(ADDRESS_PARTS.iter().map(|p| format!("address.{p}")));
    fields.extend(
        [
            "source",
            "lifecycle_stage",
            "tags",
            "owner_id",
            "external_id",
            "marketing_consent.opted_in",
            "marketing_consent.channel",
            "notes",
        ]
        .map(String::from),
    );
    fields
}

/// The product fields a column can be mapped to, besides `options.<name>` and
/// `custom_fields.<key>`: a row is one variant
/// of a product, with the product's fields repeated on each of its rows. `options` holds them
/// all, written `colour=红|size=42` as an export writes them.
pub const PRODUCT_TARGETS: &[&str] = &[
    "external_id",
    "name",
    "description",
    "category_id",
    "brand_id",
    "status",
    "images",
    "sku",
    "options",
    "price",
    "currency",
    "stock",
    "low_stock_threshold",
];

/// The order fields a column can be mapped to, besides `custom_fields.<key>`: a row is one line
/// of an order (`line.*`), with the order's fields repeated on each of its rows, as the order
/// export writes them. A line names a variant by `line.variant_id` or `line.sku`, or is a free
/// line with its `line.description` and `line.unit_price`.
pub const ORDER_TARGETS: &[&str] = &[
    "external_id",
    "status",
    "customer_id",
    "sales_user_id",
    "currency",
    "shipping",
    "channel",
    "note",
    "recipient.name",
    "recipient.phone",
    "ship_to.country",
    "ship_to.province",
    "ship_to.city",
    "ship_to.district",
    "ship_to.street",
    "ship_to.postal_code",
    "payment.method",
    "payment.reference",
    "payment.paid_at",
    "shipment.carrier",
    "shipment.tracking_number",
    "shipment.shipped_at",
    "shipment.delivered_at",
    "completed_at",
    "cancelled_at",
    "placed_at",
    "line.variant_id",
    "line.sku",
    "line.description",
    "line.quantity",
    "line.unit_price",
];

/// Columns of the order export that an order import reads under another name: when the order
/// was placed, and what a line is.
const ORDER_RENAMED: &[(&str, &str)] = &[
    ("created_at", "placed_at"),
    ("line.name", "line.description"),
];

/// Columns of the order export that an order import leaves alone: what the server works out
/// (the number, the totals, what was refunded and restocked) and the product a variant belongs
/// to.
const ORDER_WORKED_OUT: &[&str] = &[
    "number",
    "subtotal",
    "total",
    "refunded_total",
    "line.product_id",
    "line.line_total",
    "line.restocked",
];

/// The prefix of a column holding one option of a product's variant (`options.colour`).
pub const OPTION_PREFIX: &str = "options.";

/// The most characters of an option's name.
const MAX_OPTION_NAME: usize = 50;

impl ImportResource {
    /// Whether `target` is a field a column of this resource's file can fill.
    pub fn is_target(self, target: &str) -> bool {
        match self {
            ImportResource::Customers => is_target(target),
            ImportResource::Orders => {
                ORDER_TARGETS.contains(&target)
                    || target.strip_prefix(CUSTOM_FIELD_PREFIX).is_some_and(is_key)
            }
            ImportResource::Products => {
                PRODUCT_TARGETS.contains(&target)
                    || target.strip_prefix(CUSTOM_FIELD_PREFIX).is_some_and(is_key)
                    || target.strip_prefix(OPTION_PREFIX).is_some_and(|name| {
                        !name.trim().is_empty()
                            && name.chars().count() <= MAX_OPTION_NAME
                            && !name.chars().any(char::is_control)
                    })
            }
        }
    }

    /// What the fields are called in messages.
    fn fields(self) -> String {
        match self {
            ImportResource::Customers => {
                format!("{} or custom_fields.<key>", target_fields().join(", "))
            }
            ImportResource::Products => format!(
                "{}, options.<name> or custom_fields.<key>",
                PRODUCT_TARGETS.join(", ")
            ),
            ImportResource::Orders => {
                format!("{} or custom_fields.<key>", ORDER_TARGETS.join(", "))
            }
        }
    }

    /// The field a column of this resource's export fills under another name, if any.
    fn renamed(self, column: &str) -> Option<&'static str> {
        match self {
            ImportResource::Orders => ORDER_RENAMED
                .iter()
                .find(|(from, _)| *from == column)
                .map(|(_, to)| *to),
            _ => None,
        }
    }

    /// Whether a column an export writes is left alone by an import of this resource.
    pub fn ignores(self, column: &str) -> bool {
        IGNORED_COLUMNS.contains(&column)
            || (self == ImportResource::Orders && ORDER_WORKED_OUT.contains(&column))
    }

    /// The resource's name in messages.
    fn noun(self) -> &'static str {
        match self {
            ImportResource::Customers => "customer",
            ImportResource::Products => "product",
            ImportResource::Orders => "order",
        }
    }
}

/// Columns an export writes that an import leaves alone: the record's own bookkeeping, and the
/// purchase figures and level its orders give it.
pub const IGNORED_COLUMNS: &[&str] = &[
    "id",
    "created_at",
    "updated_at",
    "version",
    "anonymised_at",
    "orders_count",
    "total_spent",
    "average_order_value",
    "first_order_at",
    "last_order_at",
    "last_activity_at",
    "level_id",
    "tier_id",
    "member_number",
    "member_since",
];

/// The most columns a mapping names.
pub const MAX_COLUMNS: usize = 200;

/// The most characters of a column name.
pub const MAX_COLUMN_LEN: usize = 200;

/// The OpenAPI pattern of a column name: no control characters (`char::is_control`), with 1 to
/// [`MAX_COLUMN_LEN`] characters.
pub const COLUMN_PATTERN: &str = r"^[^\x00-\x1F\x7F-\x9F]*$";

/// Which field each column of the file fills: `None` leaves a column out. Columns the mapping
/// does not name fill the field of their own name.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Mapping(pub BTreeMap<String, Option<String>>);

/// Whether `target` is a field a column can fill.
pub fn is_target(target: &str) -> bool {
    target_fields().iter().any(|f| f == target)
        || target.strip_prefix(CUSTOM_FIELD_PREFIX).is_some_and(is_key)
}

impl Mapping {
    /// Checks every target against the fields of `resource`, naming each mistake at
    /// `mapping.<column>`.
    pub fn parse(self, resource: ImportResource) -> Result<Mapping, Vec<FieldError>> {
        if self.0.len() > MAX_COLUMNS {
            return Err(vec![FieldError::new(
                "mapping",
                "too_many",
                format!("at most {MAX_COLUMNS} columns"),
            )]);
        }
        let mut errors = Vec::new();
        for (column, target) in &self.0 {
            if column.is_empty()
                || column.chars().count() > MAX_COLUMN_LEN
                || column.chars().any(char::is_control)
            {
                // A name that is not a column's is not repeated back: it may be any size.
                errors.push(FieldError::new(
                    "mapping",
                    "invalid_column",
                    format!(
                        "a column name is 1 to {MAX_COLUMN_LEN} characters, none of them control characters"
                    ),
                ));
            } else if let Some(target) = target
                && !resource.is_target(target)
            {
                errors.push(FieldError::new(
                    format!("mapping.{column}"),
                    "unknown_field",
                    format!(
                        "not a {} field; use one of {}",
                        resource.noun(),
                        resource.fields()
                    ),
                ));
            }
        }
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(errors)
        }
    }

    /// The field `column` fills: its mapping, else its own name when that is a field; `None` for
    /// a column left out (mapped to `null`, or bookkeeping such as `id`). `Err` for a column that
    /// is neither mapped nor a field.
    pub fn target(
        &self,
        resource: ImportResource,
        column: &str,
    ) -> Result<Option<String>, FieldError> {
        match self.0.get(column) {
            Some(target) => Ok(target.clone()),
            None if resource.is_target(column) => Ok(Some(column.to_owned())),
            None => match resource.renamed(column) {
                Some(target) => Ok(Some(target.to_owned())),
                None if resource.ignores(column) => Ok(None),
                None => Err(FieldError::new(
                    "file",
                    "unknown_column",
                    format!(
                        "the column `{column}` is not a {} field; map it, or map it to null to leave it out",
                        resource.noun()
                    ),
                )),
            },
        }
    }
}

/// What a new job is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewImport {
    /// What the file holds.
    pub resource: ImportResource,
    /// How it is written.
    pub format: ImportFormat,
    /// What a refused row does.
    pub mode: ImportMode,
    /// Which field each column fills, checked against the resource's fields.
    pub mapping: Mapping,
}

/// An import job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportJob {
    /// Identifier.
    pub id: Uuid,
    /// What the file holds.
    pub resource: ImportResource,
    /// How the file is written.
    pub format: ImportFormat,
    /// What a refused row does.
    pub mode: ImportMode,
    /// Which field each column fills.
    pub mapping: Mapping,
    /// Where it stands.
    pub status: ImportStatus,
    /// The file's size.
    pub file_bytes: i64,
    /// Rows read so far (written or refused).
    pub processed_rows: i64,
    /// Rows written: customers created, or product rows that created or changed a product.
    pub created_rows: i64,
    /// Rows refused.
    pub failed_rows: i64,
    /// Rows in the file, once read to the end.
    pub total_rows: Option<i64>,
    /// Times a worker took it.
    pub attempts: i32,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// The user whose customers the imported ones become, and whose job it is.
    pub owner_id: Uuid,
    /// Whether the creator may give customers to others (`all`) or only to themselves (`own`).
    pub scope_all: bool,
    /// Who created it: `user` or `api_key`, and which.
    pub created_by: (String, Option<Uuid>),
    /// The request that created it.
    pub request_id: String,
    /// When a worker first took it.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// When housekeeping forgot its file and refused rows, after their retention.
    pub file_purged_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Grows with every change.
    pub version: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_moves_only_along_its_life() {
        use ImportStatus::*;
        assert!(AwaitingFile.can_become(Queued));
        assert!(Queued.can_become(Running));
        assert!(Running.can_become(Completed));
        assert!(Failed.can_become(Queued));
        assert!(!Completed.can_become(Queued));
        assert!(!AwaitingFile.can_become(Running));
        assert!(!Queued.can_become(Completed));
    }

    #[test]
    fn columns_fill_their_mapped_field_or_their_own() {
        let mapping = Mapping(BTreeMap::from([
            ("Full name".to_owned(), Some("name".to_owned())),
            ("Internal".to_owned(), None),
            ("Tier".to_owned(), Some("custom_fields.tier".to_owned())),
        ]))
        .parse(ImportResource::Customers)
        .unwrap();
        assert_eq!(
            mapping
                .target(ImportResource::Customers, "Full name")
                .unwrap()
                .as_deref(),
            Some("name")
        );
        assert_eq!(
            mapping
                .target(ImportResource::Customers, "Internal")
                .unwrap(),
            None
        );
        assert_eq!(
            mapping
                .target(ImportResource::Customers, "address.city")
                .unwrap()
                .as_deref(),
            Some("address.city")
        );
        assert_eq!(
            mapping.target(ImportResource::Customers, "id").unwrap(),
            None,
            "an export's own columns are left out"
        );
        assert_eq!(
            mapping
                .target(ImportResource::Customers, "Mystery")
                .unwrap_err()
                .code,
            "unknown_column"
        );
        let bad = Mapping(BTreeMap::from([("A".to_owned(), Some("nmae".to_owned()))]))
            .parse(ImportResource::Customers);
        assert_eq!(bad.unwrap_err()[0].field, "mapping.A");
        let control =
            Mapping(BTreeMap::from([("A\u{0}".to_owned(), None)])).parse(ImportResource::Customers);
        assert_eq!(control.unwrap_err()[0].code, "invalid_column");
    }
}
