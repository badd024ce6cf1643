//! Reading an import file: its records, each turned into the body the resource's own route takes
//! (`POST /api/v1/customers`, an item of `POST /api/v1/products/batch` or of `POST
//! /api/v1/orders/batch`) and checked by the same rules, so an imported record is exactly one
//! made by hand.

use std::collections::HashMap;
use std::io::Read;

use chrono::NaiveDate;
use rapport_domain::FieldError;
use rapport_domain::catalogue::batch::CheckedItem;
use rapport_domain::custom_fields::{CUSTOM_FIELD_PREFIX, Definition, FieldType};
use rapport_domain::customers::NewCustomer;
use rapport_domain::imports::{ImportFormat, ImportResource, Mapping};
use serde_json::{Map, Value};

use crate::catalogue::ProductItemDto;
use crate::customers::CreateCustomer;
use crate::extract::read_checked;
use crate::orders::OrderItemDto;

/// Which column of the file fills each field, to name a field's mistakes as the file does.
pub type Columns = std::sync::Arc<HashMap<String, String>>;

/// One record of the file, read.
#[derive(Debug)]
pub struct Row<T> {
    /// Its number, the first record being 1.
    pub number: i64,
    /// The record it describes, or every rule it broke (fields named as the file names them).
    pub record: Result<T, Vec<FieldError>>,
    /// The file's column for each field.
    pub columns: Columns,
    /// The record its row belongs to, when rows add up to one (an order's lines): such rows
    /// arrive in one piece.
    pub group: Option<String>,
}

/// The file's name for `field`: its column, when one fills it.
pub fn column_of(columns: &Columns, field: String) -> String {
    columns.get(&field).cloned().unwrap_or(field)
}

/// What reading a file yields, piece by piece.
#[derive(Debug)]
pub enum Piece<T> {
    /// Some records.
    Rows(Vec<Row<T>>),
    /// The file as a whole cannot be read (a bad header, broken CSV); nothing past it is.
    FileError(FieldError),
}

/// How the records of one resource are read: what a cell holds, and the record a body makes.
pub trait Records: Send + 'static {
    /// A record, checked.
    type Record: Send + 'static;
    /// What the file holds.
    fn resource(&self) -> ImportResource;
    /// A non-empty CSV cell for `target` as JSON: lists split, yes/no and numbers read as such
    /// where the field takes them.
    fn cell(&self, target: &str, cell: &str) -> Value;
    /// The record a body describes, checked; errors named as the fields (`address.city`).
    fn check(&self, body: Map<String, Value>) -> Result<Self::Record, Vec<FieldError>>;
    /// A JSON line's body before it is checked: what an export adds that a record does not take.
    fn tidy(&self, _body: &mut Map<String, Value>) {}
    /// The record a row's body belongs to, when several rows add up to one record.
    fn group(&self, _body: &Map<String, Value>) -> Option<String> {
        None
    }
}

/// Rows of one group beyond which a piece ends anyway: more than an order has lines.
const MAX_GROUP_ROWS: usize = rapport_domain::orders::MAX_LINES + 1;

/// Whether a piece of `rows` is full and may end before a row of `group`: the rows of one
/// group stay together, up to [`MAX_GROUP_ROWS`] past a full piece.
fn piece_ends<T>(rows: &[Row<T>], batch: usize, group: Option<&String>) -> bool {
    let together = group.is_some() && rows.last().and_then(|r| r.group.as_ref()) == group;
    rows.len() >= batch && (!together || rows.len() >= batch + MAX_GROUP_ROWS)
}

/// Turns records into checked records of one resource, for one job.
pub struct RowReader<R> {
    format: ImportFormat,
    mapping: Mapping,
    records: R,
}

/// The custom fields of one kind of record, as a file's cells fill them.
struct CustomFieldCells {
    types: HashMap<String, FieldType>,
    definitions: Vec<Definition>,
}

impl CustomFieldCells {
    fn new(definitions: &[Definition]) -> Self {
        CustomFieldCells {
            types: definitions
                .iter()
                .map(|d| (d.key.clone(), d.field_type))
                .collect(),
            definitions: definitions.to_vec(),
        }
    }

    /// A cell for `custom_fields.<key>` as its definition's type reads it; `None` for any other
    /// target.
    fn cell(&self, target: &str, cell: &str) -> Option<Value> {
        let key = target.strip_prefix(CUSTOM_FIELD_PREFIX)?;
        Some(match self.types.get(key) {
            Some(FieldType::Number) => number(cell),
            Some(FieldType::Boolean) => boolean(cell),
            Some(FieldType::MultiEnum) => list(cell),
            _ => Value::from(cell),
        })
    }
}

/// Customers, as `POST /customers` takes them.
pub struct CustomerRecords {
    custom_fields: CustomFieldCells,
    today: NaiveDate,
}

impl CustomerRecords {
    /// Customers checked against the customer `definitions`, on `today`.
    pub fn new(definitions: &[Definition], today: NaiveDate) -> Self {
        CustomerRecords {
            custom_fields: CustomFieldCells::new(definitions),
            today,
        }
    }
}

impl Records for CustomerRecords {
    type Record = NewCustomer;

    fn resource(&self) -> ImportResource {
        ImportResource::Customers
    }

    fn cell(&self, target: &str, cell: &str) -> Value {
        match target {
            "tags" => list(cell),
            "marketing_consent.opted_in" => boolean(cell),
            _ => self
                .custom_fields
                .cell(target, cell)
                .unwrap_or_else(|| Value::from(cell)),
        }
    }

    fn check(&self, mut body: Map<String, Value>) -> Result<NewCustomer, Vec<FieldError>> {
        // An empty name is checked with the rest, so a row learns all its mistakes at once.
        body.entry("name").or_insert_with(|| Value::from(""));
        read_checked(Value::Object(body), |dto: CreateCustomer| {
            dto.into_domain(self.today, &self.custom_fields.definitions)
        })
    }

    fn tidy(&self, body: &mut Map<String, Value>) {
        // An exported customer's consent carries the time it was last decided, which a new
        // customer's does not take.
        if let Some(Value::Object(consent)) = body.get_mut("marketing_consent") {
            consent.remove("updated_at");
        }
    }
}

/// The fields of a product row that belong to its variant.
const VARIANT_FIELDS: [&str; 6] = [
    "sku",
    "options",
    "price",
    "currency",
    "stock",
    "low_stock_threshold",
];

/// Products, one variant a row, as items of `POST /products/batch`.
pub struct ProductRecords {
    custom_fields: CustomFieldCells,
}

impl ProductRecords {
    /// Products checked against the product `definitions`.
    pub fn new(definitions: &[Definition]) -> Self {
        ProductRecords {
            custom_fields: CustomFieldCells::new(definitions),
        }
    }
}

impl Records for ProductRecords {
    type Record = CheckedItem;

    fn resource(&self) -> ImportResource {
        ImportResource::Products
    }

    fn cell(&self, target: &str, cell: &str) -> Value {
        match target {
            "images" => list(cell),
            "options" => options(cell),
            "price" | "stock" | "low_stock_threshold" => number(cell),
            _ => self
                .custom_fields
                .cell(target, cell)
                .unwrap_or_else(|| Value::from(cell)),
        }
    }

    fn check(&self, body: Map<String, Value>) -> Result<CheckedItem, Vec<FieldError>> {
        let mut item = Map::new();
        let mut variant = Map::new();
        for (field, value) in body {
            if VARIANT_FIELDS.contains(&field.as_str()) {
                variant.insert(field, value);
            } else {
                item.insert(field, value);
            }
        }
        item.insert(
            "variants".into(),
            Value::Array(vec![Value::Object(variant)]),
        );
        read_checked(Value::Object(item), |dto: ProductItemDto| {
            dto.into_domain()
                .check(&self.custom_fields.definitions)
                .and_then(|item| {
                    // A file's row is refused for any mistake, its custom fields' included.
                    if item.refused.is_empty() {
                        Ok(item)
                    } else {
                        Err(rapport_domain::FieldErrors(item.refused.clone()))
                    }
                })
        })
        .map_err(|errors| {
            errors
                .into_iter()
                .map(|mut e| {
                    // The row's variant is the row: its fields are the row's own.
                    if let Some(field) = e.field.strip_prefix("variants[0].") {
                        e.field = field.to_owned();
                    } else if e.field == "variants[0]" {
                        e.field = String::new();
                    }
                    e
                })
                .collect()
        })
    }
}

/// Orders, one line a row, as the order export writes them: the rows of an order (consecutive,
/// with its `external_id`) are written together as an item of `POST /orders/batch`.
pub struct OrderRecords {
    custom_fields: CustomFieldCells,
}

impl OrderRecords {
    /// Orders whose custom fields are typed by the order `definitions`.
    pub fn new(definitions: &[Definition]) -> Self {
        OrderRecords {
            custom_fields: CustomFieldCells::new(definitions),
        }
    }
}

impl Records for OrderRecords {
    type Record = OrderItemDto;

    fn resource(&self) -> ImportResource {
        ImportResource::Orders
    }

    fn cell(&self, target: &str, cell: &str) -> Value {
        match target {
            "shipping" | "line.quantity" | "line.unit_price" => number(cell),
            _ => self
                .custom_fields
                .cell(target, cell)
                .unwrap_or_else(|| Value::from(cell)),
        }
    }

    /// The row as an order with its one line; the order is checked once all its rows are in.
    fn check(&self, mut body: Map<String, Value>) -> Result<OrderItemDto, Vec<FieldError>> {
        if let Some(Value::Object(mut line)) = body.remove("line") {
            // An exported variant line carries its id, sku and name: the id names it.
            if line.contains_key("variant_id") {
                line.remove("sku");
            }
            if line.contains_key("variant_id") || line.contains_key("sku") {
                line.remove("description");
            }
            body.insert("lines".into(), Value::Array(vec![Value::Object(line)]));
        }
        read_checked(Value::Object(body), |dto: OrderItemDto| Ok(dto)).map_err(|errors| {
            errors
                .into_iter()
                .map(|mut e| {
                    // The row's line is the row's `line.*` columns.
                    if let Some(field) = e.field.strip_prefix("lines[0].") {
                        e.field = format!("line.{field}");
                    } else if e.field == "lines[0]" || e.field == "lines" {
                        e.field = "line".into();
                    }
                    e
                })
                .collect()
        })
    }

    fn group(&self, body: &Map<String, Value>) -> Option<String> {
        body.get("external_id")
            .and_then(Value::as_str)
            .map(str::to_owned)
    }
}

/// Splits a list cell (tags, a multi-choice field) on `|` or `;`.
fn list(cell: &str) -> Value {
    Value::Array(
        cell.split(['|', ';'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(Value::from)
            .collect(),
    )
}

/// An options cell, `colour=红|size=42` (or `;` between them), as an object; a part without `=`
/// leaves the cell as text, for the rules to refuse by name.
fn options(cell: &str) -> Value {
    let mut options = Map::new();
    for part in cell
        .split(['|', ';'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        match part.split_once('=') {
            Some((name, value)) => {
                options.insert(name.trim().to_owned(), Value::from(value.trim()));
            }
            None => return Value::from(cell),
        }
    }
    Value::Object(options)
}

/// A yes/no cell: `true`/`false`, `yes`/`no`, `1`/`0` (any case); anything else as text, for the
/// rules to refuse by name.
fn boolean(cell: &str) -> Value {
    match cell.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" | "y" => Value::Bool(true),
        "false" | "no" | "0" | "n" => Value::Bool(false),
        _ => Value::from(cell),
    }
}

/// A number cell: whole or with a fraction; anything else as text, for the rules to refuse by
/// name.
fn number(cell: &str) -> Value {
    let trimmed = cell.trim();
    match (trimmed.parse::<i64>(), trimmed.parse::<f64>()) {
        (Ok(whole), _) => Value::from(whole),
        (_, Ok(number)) => {
            serde_json::Number::from_f64(number).map_or_else(|| Value::from(cell), Value::Number)
        }
        _ => Value::from(cell),
    }
}

/// Puts `value` at a dotted `path` (`address.city`) into `object`.
fn put(object: &mut Map<String, Value>, path: &str, value: Value) {
    match path.split_once('.') {
        Some((head, rest)) => {
            let inner = object
                .entry(head.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(inner) = inner {
                put(inner, rest, value);
            }
        }
        None => {
            object.insert(path.to_owned(), value);
        }
    }
}

impl<R: Records> RowReader<R> {
    /// A reader for a job of `format` with `mapping`, of `records`.
    pub fn new(format: ImportFormat, mapping: Mapping, records: R) -> Self {
        RowReader {
            format,
            mapping,
            records,
        }
    }

    /// A CSV cell for `target` as JSON: empty cells are absent.
    fn cell(&self, target: &str, cell: &str) -> Option<Value> {
        if cell.is_empty() {
            return None;
        }
        // A cell an export made safe for spreadsheets holds the value without its `'`.
        let cell = crate::spreadsheet::restore(cell);
        Some(self.records.cell(target, cell))
    }

    /// The record a body describes, checked; errors renamed back to the file's columns.
    fn check(
        &self,
        body: Map<String, Value>,
        columns_of: &HashMap<String, String>,
    ) -> Result<R::Record, Vec<FieldError>> {
        let renamed = |mut e: FieldError| {
            if let Some(column) = columns_of.get(&e.field) {
                e.field = column.clone();
            }
            e
        };
        self.records
            .check(body)
            .map_err(|errors| errors.into_iter().map(renamed).collect())
    }

    /// Reads every record of `file` after the first `skip`, handing them on `batch` at a time.
    /// Stops at the first file error or when `send` says the receiver is gone.
    pub fn read(
        &self,
        file: impl Read,
        skip: i64,
        batch: usize,
        mut send: impl FnMut(Piece<R::Record>) -> bool,
    ) -> i64 {
        match self.format {
            ImportFormat::Csv => self.read_csv(file, skip, batch, &mut send),
            ImportFormat::Ndjson => self.read_ndjson(file, skip, batch, &mut send),
        }
    }

    fn read_csv(
        &self,
        file: impl Read,
        skip: i64,
        batch: usize,
        send: &mut impl FnMut(Piece<R::Record>) -> bool,
    ) -> i64 {
        let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(file);
        let header: Vec<String> = match reader.headers() {
            Ok(header) => header
                .iter()
                .map(|h| h.trim_start_matches('\u{feff}').to_owned())
                .collect(),
            Err(e) => {
                send(Piece::FileError(FieldError::new(
                    "file",
                    "invalid_csv",
                    format!("the header cannot be read: {e}"),
                )));
                return 0;
            }
        };
        let mut targets: Vec<Option<String>> = Vec::with_capacity(header.len());
        for column in &header {
            match self.mapping.target(self.records.resource(), column) {
                Ok(target) => targets.push(target),
                Err(e) => {
                    send(Piece::FileError(e));
                    return 0;
                }
            }
        }
        let columns_of: Columns = std::sync::Arc::new(
            header
                .iter()
                .zip(&targets)
                .filter_map(|(column, target)| target.clone().map(|t| (t, column.clone())))
                .collect(),
        );
        let mut number = 0;
        let mut rows = Vec::with_capacity(batch);
        for record in reader.records() {
            number += 1;
            let record = match record {
                Ok(record) => record,
                Err(e) => {
                    send(Piece::FileError(FieldError::new(
                        "file",
                        "invalid_csv",
                        format!("record {number} cannot be read: {e}"),
                    )));
                    return number;
                }
            };
            if number <= skip {
                continue;
            }
            let mut body = Map::new();
            for (target, cell) in targets.iter().zip(record.iter()) {
                if let Some(target) = target
                    && let Some(value) = self.cell(target, cell)
                {
                    put(&mut body, target, value);
                }
            }
            let group = self.records.group(&body);
            if piece_ends(&rows, batch, group.as_ref())
                && !send(Piece::Rows(std::mem::replace(
                    &mut rows,
                    Vec::with_capacity(batch),
                )))
            {
                return number;
            }
            rows.push(Row {
                number,
                record: self.check(body, &columns_of),
                columns: columns_of.clone(),
                group,
            });
        }
        if !rows.is_empty() {
            send(Piece::Rows(rows));
        }
        number
    }

    fn read_ndjson(
        &self,
        file: impl Read,
        skip: i64,
        batch: usize,
        send: &mut impl FnMut(Piece<R::Record>) -> bool,
    ) -> i64 {
        use std::io::BufRead;
        let mut number = 0;
        let mut rows = Vec::with_capacity(batch);
        let none: Columns = std::sync::Arc::new(HashMap::new());
        for line in std::io::BufReader::new(file).lines() {
            let line = match line {
                Ok(line) => line,
                Err(e) => {
                    send(Piece::FileError(FieldError::new(
                        "file",
                        "invalid_text",
                        format!("line {} is not UTF-8 text: {e}", number + 1),
                    )));
                    return number;
                }
            };
            if line.trim().is_empty() {
                continue;
            }
            number += 1;
            if number <= skip {
                continue;
            }
            let body = match serde_json::from_str::<Value>(&line) {
                Ok(Value::Object(object)) => self.mapped(object),
                Ok(_) => Err(vec![FieldError::new(
                    "",
                    "invalid_type",
                    "a line must be a JSON object",
                )]),
                Err(e) => Err(vec![FieldError::new(
                    "",
                    "invalid_json",
                    format!("not JSON: {e}"),
                )]),
            };
            let group = body.as_ref().ok().and_then(|b| self.records.group(b));
            if piece_ends(&rows, batch, group.as_ref())
                && !send(Piece::Rows(std::mem::replace(
                    &mut rows,
                    Vec::with_capacity(batch),
                )))
            {
                return number;
            }
            rows.push(Row {
                number,
                record: body.and_then(|body| self.check(body, &none)),
                columns: none.clone(),
                group,
            });
        }
        if !rows.is_empty() {
            send(Piece::Rows(rows));
        }
        number
    }

    /// A JSON line with the mapping applied to its keys and an export's own bookkeeping left out.
    fn mapped(&self, object: Map<String, Value>) -> Result<Map<String, Value>, Vec<FieldError>> {
        let mut body = Map::new();
        for (key, value) in object {
            if self.records.resource().ignores(&key) && !self.mapping.0.contains_key(&key) {
                continue;
            }
            let target = match self.mapping.0.get(&key) {
                Some(None) => continue,
                Some(Some(target)) => target.clone(),
                None => key,
            };
            put(&mut body, &target, value);
        }
        self.records.tidy(&mut body);
        Ok(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn reader(
        format: ImportFormat,
        mapping: &[(&str, Option<&str>)],
    ) -> RowReader<CustomerRecords> {
        let mapping = Mapping(
            mapping
                .iter()
                .map(|(c, t)| ((*c).to_owned(), t.map(str::to_owned)))
                .collect::<BTreeMap<_, _>>(),
        );
        RowReader::new(
            format,
            mapping,
            CustomerRecords::new(&[], NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()),
        )
    }

    fn all<R: Records>(
        reader: &RowReader<R>,
        text: &str,
    ) -> (Vec<Row<R::Record>>, Vec<FieldError>) {
        let mut rows = Vec::new();
        let mut errors = Vec::new();
        reader.read(text.as_bytes(), 0, 2, |read| {
            match read {
                Piece::Rows(r) => rows.extend(r),
                Piece::FileError(e) => errors.push(e),
            }
            true
        });
        (rows, errors)
    }

    #[test]
    fn csv_rows_become_customers_under_the_mapping() {
        let reader = reader(
            ImportFormat::Csv,
            &[("Full name", Some("name")), ("Skip", None)],
        );
        let (rows, errors) = all(
            &reader,
            "Full name,email,address.city,tags,Skip,id\n王芳,w@x.cn,上海市,vip|b2b,x,1\n,bad,,,,\nBo,,,,,\n",
        );
        assert!(errors.is_empty());
        assert_eq!(rows.len(), 3);
        let first = rows[0].record.as_ref().unwrap();
        assert_eq!(first.name, "王芳");
        assert_eq!(first.address.city.as_deref(), Some("上海市"));
        assert_eq!(first.tags, ["vip", "b2b"]);
        let refused: Vec<(&str, &str)> = rows[1]
            .record
            .as_ref()
            .unwrap_err()
            .iter()
            .map(|e| (e.field.as_str(), e.code))
            .collect();
        assert!(refused.contains(&("email", "invalid_email")), "{refused:?}");
        assert!(
            refused.contains(&("Full name", "blank")),
            "named by the file's column: {refused:?}"
        );
        assert_eq!(rows[2].number, 3);
    }

    #[test]
    fn an_unknown_column_refuses_the_file() {
        let (_, errors) = all(&reader(ImportFormat::Csv, &[]), "name,shoe size\nBo,42\n");
        assert_eq!(errors[0].code, "unknown_column");
    }

    #[test]
    fn json_lines_take_the_fields_of_a_create() {
        let (rows, _) = all(
            &reader(ImportFormat::Ndjson, &[]),
            "{\"name\":\"Bo\",\"id\":\"x\",\"marketing_consent\":{\"opted_in\":true,\"channel\":\"web\",\"updated_at\":\"2026-01-01T00:00:00Z\"}}\n\n[1]\n{\"nme\":\"x\"}\n",
        );
        assert_eq!(rows.len(), 3);
        assert!(rows[0].record.is_ok());
        assert_eq!(rows[1].record.as_ref().unwrap_err()[0].code, "invalid_type");
        assert_eq!(
            rows[2].record.as_ref().unwrap_err()[0].code,
            "unknown_field"
        );
    }
}
