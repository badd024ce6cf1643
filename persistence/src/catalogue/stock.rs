//! The stock ledger: the one way a variant's stock moves. Each move is a conditional update (the
//! stock changes only if it stays at or above zero, checked by the database in the same
//! statement) and a ledger row, in the caller's transaction; a move that crosses the variant's
//! threshold downward emits `product.low_stock`.

use rapport_domain::access::Actor;
use rapport_domain::catalogue::products::{
    MovementKind, NewAdjustment, StockMovement, crosses_threshold,
};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;

use super::entity::{movement, variant};
use crate::idempotency::{self, IdempotencyKey, Outcome};
use crate::page::{self, CursorValue, KeyColumn, Page, PageRequest, Pin};
use crate::{Db, Error, Result, audit, events};

impl TryFrom<movement::Model> for StockMovement {
    type Error = Error;
    fn try_from(m: movement::Model) -> Result<Self> {
        Ok(StockMovement {
            id: m.id,
            variant_id: m.variant_id,
            delta: m.delta,
            stock_after: m.stock_after,
            kind: MovementKind::from_name(&m.kind)
                .ok_or_else(|| Error::Internal("stored movement kind is unknown".into()))?,
            reason: m.reason,
            reference: m.reference,
            order_id: m.order_id,
            occurred_at: m.occurred_at,
        })
    }
}

/// A move of one variant's stock, as the ledger records it.
#[derive(Debug, Clone)]
pub struct Move<'a> {
    /// The variant.
    pub variant_id: Uuid,
    /// Units added (positive) or taken (negative).
    pub delta: i64,
    /// Why.
    pub kind: MovementKind,
    /// The reason given.
    pub reason: Option<&'a str>,
    /// A reference outside Rapport.
    pub reference: Option<&'a str>,
    /// The order behind it.
    pub order_id: Option<Uuid>,
}

/// Why a move did not happen.
#[derive(Debug)]
pub enum Refused {
    /// No such variant (of that product).
    NoVariant,
    /// It would take the stock below zero; `stock` is what there is.
    Insufficient {
        /// The variant's stock now.
        stock: i64,
        /// Its sku.
        sku: String,
    },
}

/// Moves a variant's stock in the caller's transaction and writes its ledger row: the stock
/// changes only if it stays at or above zero (one conditional `UPDATE … RETURNING`).
pub async fn apply(
    conn: &impl ConnectionTrait,
    product_id: Uuid,
    change: Move<'_>,
) -> Result<std::result::Result<StockMovement, Refused>> {
    use variant::Column;
    let backend = conn.get_database_backend();
    let mut update = Query::update();
    update
        .table(variant::Entity)
        .value(Column::Stock, Expr::col(Column::Stock).add(change.delta))
        .and_where(Expr::col(Column::Id).eq(change.variant_id))
        .and_where(Expr::col(Column::ProductId).eq(product_id))
        .and_where(Expr::col(Column::Stock).add(change.delta).gte(0))
        .returning(Query::returning().columns([
            Column::Stock,
            Column::LowStockThreshold,
            Column::Sku,
        ]));
    let Some(row) = conn.query_one_raw(backend.build(&update)).await? else {
        let found = variant::Entity::find_by_id(change.variant_id)
            .filter(Column::ProductId.eq(product_id))
            .one(conn)
            .await?;
        return Ok(Err(match found {
            Some(v) => Refused::Insufficient {
                stock: v.stock,
                sku: v.sku,
            },
            None => Refused::NoVariant,
        }));
    };
    let stock: i64 = row.try_get("", "stock")?;
    let threshold: i64 = row.try_get("", "low_stock_threshold")?;
    let sku: String = row.try_get("", "sku")?;
    let movement = StockMovement {
        id: Uuid::now_v7(),
        variant_id: change.variant_id,
        delta: change.delta,
        stock_after: stock,
        kind: change.kind,
        reason: change.reason.map(str::to_owned),
        reference: change.reference.map(str::to_owned),
        order_id: change.order_id,
        occurred_at: crate::now(),
    };
    movement::ActiveModel {
        id: Set(movement.id),
        variant_id: Set(movement.variant_id),
        product_id: Set(product_id),
        delta: Set(movement.delta),
        stock_after: Set(movement.stock_after),
        kind: Set(movement.kind.as_str().to_owned()),
        reason: Set(movement.reason.clone()),
        reference: Set(movement.reference.clone()),
        order_id: Set(movement.order_id),
        occurred_at: Set(movement.occurred_at),
    }
    .insert(conn)
    .await?;
    if crosses_threshold(stock - change.delta, stock, threshold) {
        let data = json!({
            "product_id": product_id,
            "variant_id": change.variant_id,
            "sku": sku,
            "stock": stock,
            "low_stock_threshold": threshold,
        });
        events::emit(conn, "product.low_stock", "product", product_id, data, None).await?;
    }
    Ok(Ok(movement))
}

/// The answer to a refused move, for a request about one variant.
pub fn refusal(refused: Refused) -> Error {
    match refused {
        Refused::NoVariant => Error::NotFound,
        Refused::Insufficient { stock, sku } => Error::Conflict {
            code: "insufficient_stock",
            field: None,
            message: format!("{sku} has {stock} in stock, not enough for this"),
        },
    }
}

/// Adjusts a variant's stock by hand: the move, its ledger row, the audit event and a
/// `stock.adjusted` event, in one transaction (replayed, not repeated, for a known idempotency
/// key).
pub async fn adjust(
    db: &Db,
    actor: &Actor,
    product_id: Uuid,
    variant_id: Uuid,
    adjustment: NewAdjustment,
    idem: Option<&IdempotencyKey>,
) -> Result<Outcome<StockMovement>> {
    let txn = db.begin_write().await?;
    if let Some(previous) = idempotency::replay(&*txn, idem).await? {
        return Ok(Outcome::Replayed(previous));
    }
    let movement = apply(
        &*txn,
        product_id,
        Move {
            variant_id,
            delta: adjustment.delta,
            kind: MovementKind::Adjustment,
            reason: Some(&adjustment.reason),
            reference: adjustment.reference.as_deref(),
            order_id: None,
        },
    )
    .await?
    .map_err(refusal)?;
    record_adjustment(&*txn, actor, product_id, &movement).await?;
    idempotency::remember(&*txn, idem, 201, &movement).await?;
    txn.commit().await?;
    Ok(Outcome::Done(movement))
}

/// The audit record of an adjustment.
async fn record_adjustment(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    product_id: Uuid,
    movement: &StockMovement,
) -> Result<()> {
    let after = serde_json::to_value(movement)?;
    audit::record_change(
        conn,
        actor,
        "stock.adjusted",
        "product",
        product_id,
        None,
        Some(&after),
    )
    .await
}

/// Sets a variant's stock to what was counted, in the caller's transaction: the variant's row
/// is locked, and the difference is an adjustment of its ledger (reason `count`) with its audit
/// record. `None` when the stock already is the count.
pub(super) async fn count(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    product_id: Uuid,
    variant_id: Uuid,
    counted: i64,
) -> Result<Option<StockMovement>> {
    let current = crate::db::for_update(variant::Entity::find_by_id(variant_id))
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?
        .stock;
    if current == counted {
        return Ok(None);
    }
    let movement = apply(
        conn,
        product_id,
        Move {
            variant_id,
            delta: counted - current,
            kind: MovementKind::Adjustment,
            reason: Some("count"),
            reference: None,
            order_id: None,
        },
    )
    .await?
    .map_err(refusal)?;
    record_adjustment(conn, actor, product_id, &movement).await?;
    Ok(Some(movement))
}

/// One page of a variant's ledger, newest first; 404 when the product has no such variant.
pub async fn movements(
    conn: &impl ConnectionTrait,
    product_id: Uuid,
    variant_id: Uuid,
    request: &PageRequest,
) -> Result<Page<StockMovement>> {
    use movement::Column;
    let exists = variant::Entity::find_by_id(variant_id)
        .filter(variant::Column::ProductId.eq(product_id))
        .one(conn)
        .await?;
    if exists.is_none() {
        return Err(Error::NotFound);
    }
    let keys = [Column::OccurredAt, Column::Id].map(|column| KeyColumn {
        column,
        descending: true,
    });
    let select =
        Pin::new(Column::VariantId.into_expr(), variant_id).narrow(movement::Entity::find(), &keys);
    page::fetch(
        conn,
        select,
        "-occurred_at",
        &keys,
        |m| vec![CursorValue::T(m.occurred_at), CursorValue::U(m.id)],
        request,
    )
    .await?
    .try_map(StockMovement::try_from)
}

/// One row of a variant's ledger; 404 when the product has no such variant or row.
pub async fn movement(
    conn: &impl ConnectionTrait,
    product_id: Uuid,
    variant_id: Uuid,
    id: Uuid,
) -> Result<StockMovement> {
    use movement::Column;
    movement::Entity::find_by_id(id)
        .filter(Column::VariantId.eq(variant_id))
        .filter(Column::ProductId.eq(product_id))
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?
        .try_into()
}
