//! `GET /products/export`: the catalogue as a list's filters select it, streamed as CSV (one row
//! per variant, the columns a product import reads back) or JSON lines (one product per line).

use std::rc::Rc;
use std::sync::Arc;

use actix_web::web::Data;
use actix_web::{HttpResponse, get};
use rapport_domain::catalogue::products::Product;
use rapport_domain::custom_fields::{CUSTOM_FIELD_PREFIX, Definition, FieldOwner};
use rapport_domain::imports::PRODUCT_TARGETS;
use rapport_domain::sort::{SortKey, SortOrder};
use rapport_persistence::catalogue::products::{self, ProductFilter};
use rapport_persistence::page::PageRequest;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::products::{ProductStatusDto, ProductView};
use crate::auth::Auth;
use crate::export::{
    BATCH, CsvWriter, ExportFormat, Fetched, Source, custom_cell, format_of, list_cell,
    number_cell, text_cell, time_cell, uuid_cell,
};
use crate::extract::ValidQuery;
use crate::problem::ApiError;
use crate::state::AppState;

/// Which products to export, and how.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProductExportQuery {
    /// `csv` (default: one row per variant, the product's columns repeated on each) or `ndjson`
    /// (one product per line, as `GET /api/v1/products/{id}` answers it).
    #[param(inline)]
    pub format: Option<ExportFormat>,
    /// Start a CSV with the UTF-8 byte-order mark, so spreadsheet programs show Chinese (or any
    /// non-Latin) text as written; CSV only. Default `false`.
    pub bom: Option<bool>,
    /// Only products of this status.
    pub status: Option<ProductStatusDto>,
    /// Only products in this category.
    pub category_id: Option<Uuid>,
    /// Only products of this brand.
    pub brand_id: Option<Uuid>,
    /// `true`: only products with a variant at or below its threshold; `false`: only those
    /// without.
    pub low_stock: Option<bool>,
}

/// Which products an export selects, owned, so that a task of its own can fetch the next batch
/// while the current one is written.
struct ProductExport {
    state: Data<AppState>,
    filter: ProductFilter,
    order: SortOrder,
    definitions: Arc<Vec<Definition>>,
}

impl Source for ProductExport {
    type Record = Product;

    async fn batch(self: Rc<Self>, cursor: Option<String>) -> Fetched<Product> {
        let request = PageRequest {
            limit: BATCH,
            cursor,
            include_total: false,
        };
        products::list(
            self.state.db.conn(),
            self.filter.clone(),
            &self.order,
            &request,
        )
        .await
    }

    /// The columns a product import reads, in their order (a `custom_fields.<key>` column for
    /// each custom field of products), between the product's own bookkeeping (which an import
    /// leaves alone).
    fn csv_header(&self) -> Vec<String> {
        std::iter::once("id")
            .chain(PRODUCT_TARGETS.iter().copied())
            .map(String::from)
            .chain(
                self.definitions
                    .iter()
                    .map(|d| format!("{CUSTOM_FIELD_PREFIX}{}", d.key)),
            )
            .chain(["created_at".into(), "updated_at".into()])
            .collect()
    }

    /// One row per variant, its cells in the order of [`Self::csv_header`].
    fn csv_record(
        &self,
        w: &mut CsvWriter<'_>,
        scratch: &mut String,
        p: Product,
    ) -> csv::Result<()> {
        for v in &p.variants {
            uuid_cell(w, Some(p.id))?;
            text_cell(w, p.external_id.as_deref())?;
            text_cell(w, Some(&p.name))?;
            text_cell(w, p.description.as_deref())?;
            uuid_cell(w, p.category_id)?;
            uuid_cell(w, p.brand_id)?;
            w.write_field(p.status.as_str())?;
            list_cell(w, scratch, p.images.iter().map(String::as_str))?;
            text_cell(w, Some(&v.sku))?;
            let options: Vec<String> = v.options.iter().map(|(k, v)| format!("{k}={v}")).collect();
            list_cell(w, scratch, options.iter().map(String::as_str))?;
            number_cell(w, scratch, v.price)?;
            w.write_field(v.currency.code())?;
            number_cell(w, scratch, v.stock)?;
            number_cell(w, scratch, v.low_stock_threshold)?;
            for d in self.definitions.iter() {
                custom_cell(w, scratch, p.custom_fields.get(&d.key))?;
            }
            time_cell(w, Some(p.created_at))?;
            time_cell(w, Some(p.updated_at))?;
            w.write_record(None::<&[u8]>)?;
        }
        Ok(())
    }

    fn json_record(&self, out: &mut Vec<u8>, p: Product) -> serde_json::Result<()> {
        serde_json::to_writer(out, &ProductView::from(p))
    }
}

/// Export products.
///
/// Every product the filters select (those of `GET /api/v1/products`), oldest first, streamed:
/// memory stays constant however many there are. As CSV (default) each variant is one row, with
/// the product's columns repeated on each of its rows; images are joined with `|` and options
/// written `colour=红|size=42`. These are the columns a product import (`POST /api/v1/imports`
/// with `resource_type` `products`) reads, so an export imports back, and a file edited in a
/// spreadsheet syncs prices and counted stock. `bom=true` starts the file with the UTF-8
/// byte-order mark for spreadsheet programs. As JSON lines each line is one product with its
/// variants, as `GET /api/v1/products/{id}` answers it. Each custom field of products is a
/// `custom_fields.<key>` column (lists joined with `|`). Text cells that would start a spreadsheet
/// formula get a `'` in front. Should the database fail midway, the stream ends early and the
/// file is incomplete.
#[utoipa::path(
    tag = "catalogue",
    operation_id = "export_products",
    params(ProductExportQuery),
    responses((status = 200, description = "The products, as a file",
        content(
            (String = "text/csv", example = json!("id,external_id,name,description,category_id,brand_id,status,images,sku,options,price,currency,stock,low_stock_threshold,created_at,updated_at\n0193a5c6-6666-7000-8000-000000000001,shop-88231,跑步鞋 Pro,,,,active,https://img.example.cn/run-pro/main.jpg,RUN-PRO-RED-42,colour=红|size=42,49900,CNY,10,2,2026-12-05T08:30:00.000000Z,2026-12-05T08:30:00.000000Z\n")),
            (String = "application/x-ndjson", example = json!("{\"id\":\"0193a5c6-6666-7000-8000-000000000001\",\"name\":\"跑步鞋 Pro\",\"status\":\"active\"}\n"))
        ),
        headers(("Content-Disposition" = String, description = "`attachment; filename=\"products.csv\"` (or `.ndjson`)"))),
    ),
    security(("bearer" = []))
)]
#[get("/products/export")]
pub async fn export_products(
    state: Data<AppState>,
    _auth: Auth,
    query: ValidQuery<ProductExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let layout = format_of(q.format, q.bom)?;
    let definitions = crate::custom_fields::definitions(&state, FieldOwner::Product).await?;
    let export = ProductExport {
        state: state.clone(),
        filter: ProductFilter {
            status: q.status.map(Into::into),
            category_id: q.category_id,
            brand_id: q.brand_id,
            low_stock: q.low_stock,
            matching: None,
        },
        order: SortOrder(vec![SortKey::ascending("created_at")]),
        definitions,
    };
    Ok(crate::export::respond(export, layout, "products"))
}
