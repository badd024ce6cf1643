//! `GET /orders/export`: every order a list's filters select, streamed as CSV (one row per line)
//! or JSON lines (one order per line) in constant memory.

use std::rc::Rc;
use std::sync::Arc;

use actix_web::web::Data;
use actix_web::{HttpResponse, get};
use chrono::{DateTime, Utc};
use rapport_domain::custom_fields::{CUSTOM_FIELD_PREFIX, Definition, FieldOwner};
use rapport_domain::customers::Disclosure;
use rapport_domain::customers::fields::ADDRESS_PARTS;
use rapport_domain::filter::{FieldKind, Filter, FilterValue, Operator};
use rapport_domain::orders::{Order, OrderLine};
use rapport_domain::sort::{SortKey, SortOrder};
use rapport_domain::values::Phone;
use rapport_persistence::orders::{self as store, OrderFilter};
use rapport_persistence::page::PageRequest;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::dto::{OrderStatusDto, OrderView};
use crate::auth::Auth;
use crate::export::{
    BATCH, CsvWriter, ExportFormat, Fetched, Source, custom_cell, format_of, number_cell,
    text_cell, time_cell, uuid_cell,
};
use crate::extract::ValidQuery;
use crate::problem::ApiError;
use crate::state::AppState;

/// Which orders to export, and how.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OrderExportQuery {
    /// `csv` (default: one row per order line, the order's columns repeated on each) or `ndjson`
    /// (one order per line, as `GET /api/v1/orders/{id}` answers it).
    #[param(inline)]
    pub format: Option<ExportFormat>,
    /// Start a CSV with the UTF-8 byte-order mark, so spreadsheet programs show Chinese (or any
    /// non-Latin) text as written; CSV only. Default `false`.
    pub bom: Option<bool>,
    /// Only orders in this status.
    pub status: Option<OrderStatusDto>,
    /// Only this customer's orders.
    pub customer_id: Option<Uuid>,
    /// Only orders credited to this staff member.
    pub sales_user_id: Option<Uuid>,
    /// Placed at or after this time.
    pub created_from: Option<DateTime<Utc>>,
    /// Placed before this time.
    pub created_to: Option<DateTime<Utc>>,
}

/// The order's columns, repeated on each of its rows.
const ORDER_COLUMNS: [&str; 13] = [
    "id",
    "number",
    "status",
    "customer_id",
    "sales_user_id",
    "currency",
    "subtotal",
    "shipping",
    "total",
    "refunded_total",
    "channel",
    "external_id",
    "note",
];

/// What happened to the order, after where it went.
const HISTORY_COLUMNS: [&str; 11] = [
    "payment.method",
    "payment.reference",
    "payment.paid_at",
    "shipment.carrier",
    "shipment.tracking_number",
    "shipment.shipped_at",
    "shipment.delivered_at",
    "completed_at",
    "cancelled_at",
    "created_at",
    "updated_at",
];

/// The line's columns, one line per row.
const LINE_COLUMNS: [&str; 8] = [
    "line.variant_id",
    "line.product_id",
    "line.sku",
    "line.name",
    "line.quantity",
    "line.unit_price",
    "line.line_total",
    "line.restocked",
];

/// The CSV header: the order, its recipient and ship-to address, what happened to it, its line.
fn csv_header(definitions: &[Definition]) -> Vec<String> {
    let mut columns: Vec<String> = ORDER_COLUMNS.map(String::from).to_vec();
    columns.extend(["recipient.name", "recipient.phone"].map(String::from));
    columns.extend(ADDRESS_PARTS.iter().map(|p| format!("ship_to.{p}")));
    columns.extend(HISTORY_COLUMNS.map(String::from));
    columns.extend(
        definitions
            .iter()
            .map(|d| format!("{CUSTOM_FIELD_PREFIX}{}", d.key)),
    );
    columns.extend(LINE_COLUMNS.map(String::from));
    columns
}

/// Writes the order's own cells, the same on each of its rows.
fn write_order_cells(
    w: &mut CsvWriter<'_>,
    scratch: &mut String,
    o: &Order,
    phone: Option<&str>,
    definitions: &[Definition],
) -> csv::Result<()> {
    uuid_cell(w, Some(o.id))?;
    text_cell(w, Some(&o.number))?;
    w.write_field(o.status.as_str())?;
    uuid_cell(w, Some(o.customer_id))?;
    uuid_cell(w, o.sales_user_id)?;
    w.write_field(o.currency.code())?;
    for amount in [o.subtotal, o.shipping, o.total, o.refunded_total] {
        number_cell(w, scratch, amount)?;
    }
    text_cell(w, o.channel.as_deref())?;
    text_cell(w, o.external_id.as_deref())?;
    text_cell(w, o.note.as_deref())?;
    text_cell(w, o.recipient.name.as_deref())?;
    text_cell(w, phone)?;
    for part in o.ship_to.parts() {
        text_cell(w, part.as_deref())?;
    }
    let payment = o.payment.as_ref();
    text_cell(w, payment.map(|p| p.method.as_str()))?;
    text_cell(w, payment.and_then(|p| p.reference.as_deref()))?;
    time_cell(w, payment.map(|p| p.paid_at))?;
    let shipment = o.shipment.as_ref();
    text_cell(w, shipment.map(|s| s.carrier.as_str()))?;
    text_cell(w, shipment.and_then(|s| s.tracking_number.as_deref()))?;
    time_cell(w, shipment.map(|s| s.shipped_at))?;
    time_cell(w, shipment.and_then(|s| s.delivered_at))?;
    time_cell(w, o.completed_at)?;
    time_cell(w, o.cancelled_at)?;
    time_cell(w, Some(o.created_at))?;
    time_cell(w, Some(o.updated_at))?;
    for d in definitions {
        custom_cell(w, scratch, o.custom_fields.get(&d.key))?;
    }
    Ok(())
}

/// Writes one line's cells.
fn write_line_cells(
    w: &mut CsvWriter<'_>,
    scratch: &mut String,
    line: &OrderLine,
) -> csv::Result<()> {
    uuid_cell(w, line.variant_id)?;
    uuid_cell(w, line.product_id)?;
    text_cell(w, line.sku.as_deref())?;
    text_cell(w, Some(&line.name))?;
    for figure in [
        line.quantity,
        line.unit_price,
        line.line_total,
        line.restocked,
    ] {
        number_cell(w, scratch, figure)?;
    }
    Ok(())
}

/// Which orders an export selects and how it writes them, owned, so that a task of its own can
/// fetch the next batch while the current one is written.
struct OrderExport {
    state: Data<AppState>,
    owner: Option<Uuid>,
    filter: OrderFilter,
    order: SortOrder,
    disclosure: Disclosure,
    definitions: Arc<Vec<Definition>>,
}

impl Source for OrderExport {
    type Record = Order;

    async fn batch(self: Rc<Self>, cursor: Option<String>) -> Fetched<Order> {
        let request = PageRequest {
            limit: BATCH,
            cursor,
            include_total: false,
        };
        let filter = self.filter.clone();
        store::list(
            self.state.db.conn(),
            self.owner,
            filter,
            &self.order,
            &request,
        )
        .await
    }

    fn csv_header(&self) -> Vec<String> {
        csv_header(&self.definitions)
    }

    fn csv_record(
        &self,
        w: &mut CsvWriter<'_>,
        scratch: &mut String,
        order: Order,
    ) -> csv::Result<()> {
        let phone = self.disclosure.phone(
            order
                .recipient
                .phone
                .clone()
                .and_then(|p| Phone::try_from(p).ok()),
        );
        for line in &order.lines {
            write_order_cells(w, scratch, &order, phone.as_deref(), &self.definitions)?;
            write_line_cells(w, scratch, line)?;
            w.write_record(None::<&[u8]>)?;
        }
        Ok(())
    }

    fn json_record(&self, out: &mut Vec<u8>, order: Order) -> serde_json::Result<()> {
        serde_json::to_writer(out, &OrderView::new(order, self.disclosure))
    }
}

/// Export orders.
///
/// Every order the caller may see that the filters select, oldest first, streamed: memory stays
/// constant however many there are. As CSV (default) each order line is one row, with the
/// order's columns (number, status, amounts in minor units, recipient, ship-to address, payment,
/// shipment, times, then a `custom_fields.<key>` column for each custom field of orders)
/// repeated on each of its rows, as shops and spreadsheets lay out order history; `bom=true` starts the file with the UTF-8 byte-order mark so spreadsheet programs
/// read Chinese text. As JSON lines each line is one order with its lines, refunds and shipment
/// events, as `GET /api/v1/orders/{id}` answers it. The recipient's phone is masked for callers
/// without `contact_details:read`; text cells that would start a spreadsheet formula get a `'`
/// in front. Callers whose role reaches only their own customers export only those customers'
/// orders. Every export is recorded in the audit trail (`orders.exported`). Should the database
/// fail midway, the stream ends early and the file is incomplete.
#[utoipa::path(
    tag = "orders",
    operation_id = "export_orders",
    params(OrderExportQuery),
    responses((status = 200, description = "The orders, as a file",
        content(
            (String = "text/csv", example = json!("id,number,status,customer_id,sales_user_id,currency,subtotal,shipping,total,refunded_total,channel,external_id,note,recipient.name,recipient.phone,ship_to.country,ship_to.province,ship_to.city,ship_to.district,ship_to.street,ship_to.postal_code,payment.method,payment.reference,payment.paid_at,shipment.carrier,shipment.tracking_number,shipment.shipped_at,shipment.delivered_at,completed_at,cancelled_at,created_at,updated_at,line.variant_id,line.product_id,line.sku,line.name,line.quantity,line.unit_price,line.line_total,line.restocked\n0193a5c4-9a0b-7c1a-9d2e-5b8f7e6a1c31,SO-20261205-7K3M9Q2P,paid,0193a5c4-7f0e-7c1a-9d2e-5b8f7e6a1c20,,CNY,25800,1000,26800,0,web,,,王伟,+86 139****5678,CN,上海市,上海市,浦东新区,世纪大道 100 号,200120,wechat_pay,4200001234202612051234567890,2026-12-05T02:15:00.000000Z,,,,,,,2026-12-05T02:10:00.000000Z,2026-12-05T02:15:00.000000Z,0193a5c4-8b11-7c1a-9d2e-5b8f7e6a1c41,0193a5c4-8b10-7c1a-9d2e-5b8f7e6a1c40,TEA-LJ-250,龙井茶 250g,2,12900,25800,0\n")),
            (String = "application/x-ndjson", example = json!("{\"id\":\"0193a5c4-9a0b-7c1a-9d2e-5b8f7e6a1c31\",\"number\":\"SO-20261205-7K3M9Q2P\",\"status\":\"paid\",\"total\":26800}\n"))
        ),
        headers(("Content-Disposition" = String, description = "`attachment; filename=\"orders.csv\"` (or `.ndjson`)"))),
    ),
    security(("bearer" = []))
)]
#[get("/orders/export")]
pub async fn export_orders(
    state: Data<AppState>,
    auth: Auth,
    query: ValidQuery<OrderExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let layout = format_of(q.format, q.bom)?;
    let placed = |op, at| {
        Filter::condition(
            "created_at",
            FieldKind::DateTime,
            op,
            FilterValue::DateTime(at),
        )
    };
    let bounds: Vec<Filter> = [
        q.created_from.map(|at| placed(Operator::Gte, at)),
        q.created_to.map(|at| placed(Operator::Lt, at)),
    ]
    .into_iter()
    .flatten()
    .collect();
    let filter = OrderFilter {
        customer_id: q.customer_id,
        status: q.status.map(Into::into),
        sales_user_id: q.sales_user_id,
        matching: (!bounds.is_empty()).then_some(Filter::And(bounds)),
    };
    let detail = serde_json::json!({
        "format": layout.format.as_str(),
        "bom": layout.bom,
        "contact_details": auth.disclosure().as_str(),
        "status": q.status,
        "customer_id": q.customer_id,
        "sales_user_id": q.sales_user_id,
        "created_from": q.created_from,
        "created_to": q.created_to,
        "scope": if auth.owner().is_some() { "own" } else { "all" },
    });
    auth.note(&state, "orders.exported", "order", None, detail)
        .await?;
    let export = OrderExport {
        state: state.clone(),
        owner: auth.owner(),
        filter,
        order: SortOrder(vec![SortKey::ascending("created_at")]),
        disclosure: auth.disclosure(),
        definitions: crate::custom_fields::definitions(&state, FieldOwner::Order).await?,
    };
    Ok(crate::export::respond(export, layout, "orders"))
}
