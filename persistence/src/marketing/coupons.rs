//! Coupons: their definitions (each change one transaction with its audit and feed event), the
//! coupons issued into customers' wallets, and redemptions. A redemption happens in the payment's
//! transaction: one conditional `UPDATE` counts it only while the coupon has uses left (the
//! database's check holds the limit too), the customer's uses are counted behind that row's lock,
//! an issued code is marked used only while it is unused, and an order redeems once (a unique
//! index). A refund may give the coupon back.

use chrono::{DateTime, Utc};
use rapport_domain::access::Actor;
use rapport_domain::marketing::coupons::{
    Benefit, CartLine, Coupon, CouponInput, CouponKind, CouponStatus, Inapplicable, IssuedCoupon,
    generated_code,
};
use rapport_domain::sort::SortOrder;
use rapport_domain::values::Currency;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder,
};
use serde_json::json;
use uuid::Uuid;

use crate::customers::{self, Selection};
use crate::db::insert_rows;
use crate::error::UniqueRule;
use crate::idempotency::{self, IdempotencyKey, Outcome};
use crate::page::{self, CursorValue, Page, PageRequest, SortField};
use crate::{Backend, Db, Error, Result, audit, catalogue, events};

/// The `coupons`, `issued_coupons` and `coupon_redemptions` tables.
mod entity {
    /// The `coupons` table.
    pub mod coupon {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "coupons")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub name: String,
            #[sea_orm(column_type = "Text", nullable)]
            pub description: Option<String>,
            pub code: Option<String>,
            pub kind: String,
            pub currency: String,
            pub amount_off: Option<i64>,
            pub percent_off: Option<i64>,
            pub max_discount: Option<i64>,
            pub min_order_amount: Option<i64>,
            pub gift_variant_id: Option<Uuid>,
            pub valid_from: Option<DateTimeUtc>,
            pub valid_until: Option<DateTimeUtc>,
            pub total_limit: Option<i64>,
            pub per_customer_limit: Option<i64>,
            pub issued_for_orders_from: Option<i64>,
            #[sea_orm(column_type = "Json")]
            pub product_ids: Json,
            #[sea_orm(column_type = "Json")]
            pub category_ids: Json,
            pub status: String,
            pub redeemed_count: i64,
            pub issued_count: i64,
            pub created_at: DateTimeUtc,
            pub updated_at: DateTimeUtc,
            pub version: i64,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    /// The `issued_coupons` table: customers' wallets.
    pub mod issued {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "issued_coupons")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub coupon_id: Uuid,
            pub customer_id: Uuid,
            pub code: Option<String>,
            pub used: bool,
            pub issued_at: DateTimeUtc,
            pub used_at: Option<DateTimeUtc>,
            pub order_id: Option<Uuid>,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    /// The `coupon_redemptions` table.
    pub mod redemption {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "coupon_redemptions")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub coupon_id: Uuid,
            pub issued_coupon_id: Option<Uuid>,
            pub customer_id: Uuid,
            pub order_id: Uuid,
            pub code: String,
            pub discount: i64,
            pub redeemed_at: DateTimeUtc,
            pub returned_at: Option<DateTimeUtc>,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entity::{coupon, issued, redemption};

const UNIQUE: &[UniqueRule] = &[UniqueRule {
    needles: &["coupons_code", "coupons.code"],
    code: "coupon_code_taken",
    field: "code",
    message: "another coupon has this code",
}];

impl TryFrom<coupon::Model> for Coupon {
    type Error = Error;
    fn try_from(m: coupon::Model) -> Result<Self> {
        Ok(Coupon {
            id: m.id,
            name: m.name.clone(),
            description: m.description.clone(),
            code: m.code.clone(),
            terms: terms_of!(m, "coupon"),
            total_limit: m.total_limit,
            per_customer_limit: m.per_customer_limit,
            issued_for_orders_from: m.issued_for_orders_from,
            redeemed_count: m.redeemed_count,
            issued_count: m.issued_count,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

/// The definition's row; the counters are left out, for only redemptions and issues move them.
fn definition(c: &Coupon) -> Result<coupon::ActiveModel> {
    let mut row = coupon::ActiveModel {
        id: Set(c.id),
        name: Set(c.name.clone()),
        description: Set(c.description.clone()),
        code: Set(c.code.clone()),
        total_limit: Set(c.total_limit),
        per_customer_limit: Set(c.per_customer_limit),
        issued_for_orders_from: Set(c.issued_for_orders_from),
        redeemed_count: NotSet,
        issued_count: NotSet,
        created_at: Set(c.created_at),
        updated_at: Set(c.updated_at),
        version: Set(c.version),
        ..Default::default()
    };
    set_terms!(row, &c.terms);
    Ok(row)
}

impl From<issued::Model> for IssuedCoupon {
    fn from(m: issued::Model) -> Self {
        IssuedCoupon {
            id: m.id,
            coupon_id: m.coupon_id,
            customer_id: m.customer_id,
            code: m.code,
            used: m.used,
            issued_at: m.issued_at,
            used_at: m.used_at,
            order_id: m.order_id,
        }
    }
}

/// A definition's references checked: the gift is a variant of the catalogue, and the shared
/// code is no issued coupon's own code.
async fn check_references(conn: &impl ConnectionTrait, c: &Coupon) -> Result<()> {
    if let Some(variant) = c.terms.gift_variant_id
        && catalogue::for_sale(conn, &[variant]).await?.is_empty()
    {
        return Err(Error::field(
            "gift_variant_id",
            "not_found",
            "no variant has this id",
        ));
    }
    if let Some(code) = &c.code
        && issued::Entity::find()
            .filter(issued::Column::Code.eq(code.as_str()))
            .count(conn)
            .await?
            > 0
    {
        return Err(Error::Conflict {
            code: "coupon_code_taken",
            field: Some("code"),
            message: "an issued coupon has this code".into(),
        });
    }
    Ok(())
}

/// Creates a coupon by `actor`.
pub async fn create(
    db: &Db,
    actor: &Actor,
    input: CouponInput,
    idem: Option<&IdempotencyKey>,
) -> Result<Outcome<Coupon>> {
    let txn = db.begin_write().await?;
    if let Some(previous) = idempotency::replay(&*txn, idem).await? {
        return Ok(Outcome::Replayed(previous));
    }
    let coupon = input
        .apply(None, Uuid::now_v7(), crate::now())
        .map_err(Error::Invalid)?;
    check_references(&*txn, &coupon).await?;
    let mut row = definition(&coupon)?;
    row.redeemed_count = Set(0);
    row.issued_count = Set(0);
    row.insert(&*txn)
        .await
        .map_err(|e| Error::from_db_with(e, UNIQUE))?;
    let after = serde_json::to_value(&coupon)?;
    audit::record_change(
        &*txn,
        actor,
        "coupon.created",
        "coupon",
        coupon.id,
        None,
        Some(&after),
    )
    .await?;
    idempotency::remember(&*txn, idem, 201, &coupon).await?;
    txn.commit().await?;
    Ok(Outcome::Done(coupon))
}

/// The coupon with this id.
pub async fn get(conn: &impl ConnectionTrait, id: Uuid) -> Result<Coupon> {
    coupon::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?
        .try_into()
}

/// Changes a coupon at `expected_version` (when given), checked as a whole.
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    input: CouponInput,
    expected_version: Option<i64>,
) -> Result<Coupon> {
    let txn = db.begin_write().await?;
    let row =
        crate::db::lock_for_change(&*txn, coupon::Entity::find_by_id(id), None, |m| m.version)
            .await?;
    let before = Coupon::try_from(row)?;
    // What is wrong with the change is told before whether it was made against the current
    // version: a body that is invalid is invalid whatever the version.
    let mut after = input
        .apply(Some(&before), id, crate::now())
        .map_err(Error::Invalid)?;
    if expected_version.is_some_and(|v| v != before.version) {
        return Err(Error::PreconditionFailed {
            current: before.version,
        });
    }
    let unchanged = Coupon {
        updated_at: before.updated_at,
        version: before.version,
        ..after.clone()
    };
    if unchanged == before {
        return Ok(before);
    }
    if after.code != before.code || after.terms.gift_variant_id != before.terms.gift_variant_id {
        check_references(&*txn, &after).await?;
    }
    after.redeemed_count = before.redeemed_count;
    definition(&after)?
        .update(&*txn)
        .await
        .map_err(|e| Error::from_db_with(e, UNIQUE))?;
    let (b, a) = (
        serde_json::to_value(&before)?,
        serde_json::to_value(&after)?,
    );
    audit::record_change(
        &*txn,
        actor,
        "coupon.updated",
        "coupon",
        id,
        Some(&b),
        Some(&a),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Removes a coupon at `expected_version` (when given), with its wallets' coupons; one that an
/// order has taken, a reward offers, or a customer bought with points and holds unused stays (409
/// `coupon_in_use`): pause it instead.
pub async fn delete(db: &Db, actor: &Actor, id: Uuid, expected_version: Option<i64>) -> Result<()> {
    let txn = db.begin_write().await?;
    for (table, whose) in [("orders", "orders have"), ("rewards", "rewards offer")] {
        let taken = taking(&*txn, table, id).await?;
        if taken > 0 {
            return Err(in_use(&format!("{taken} {whose} this coupon")));
        }
    }
    // Coupons customers paid points for stay theirs until used.
    let bought = issued::Entity::find()
        .filter(issued::Column::CouponId.eq(id))
        .filter(issued::Column::Used.eq(false))
        .filter(
            issued::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(sea_orm::sea_query::Alias::new("issued_coupon_id"))
                    .from(sea_orm::sea_query::Alias::new("reward_exchanges"))
                    .to_owned(),
            ),
        )
        .count(&*txn)
        .await?;
    if bought > 0 {
        return Err(in_use(&format!(
            "customers hold {bought} of this coupon, unused, bought with points"
        )));
    }
    audit::delete_recorded::<_, Coupon>(
        &*txn,
        actor,
        coupon::Entity::find_by_id(id),
        id,
        expected_version,
        |m| m.version,
        "coupon",
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

fn in_use(why: &str) -> Error {
    Error::Conflict {
        code: "coupon_in_use",
        field: None,
        message: format!("{why}; pause it instead"),
    }
}

/// How many rows of `table` (orders that have taken it, rewards that offer it) name coupon `id`;
/// read here, not through their areas, which come after coupons.
async fn taking(conn: &impl ConnectionTrait, table: &str, id: Uuid) -> Result<i64> {
    use sea_orm::sea_query::{Alias, Func, Query};
    let statement = Query::select()
        .expr(Func::count(Expr::col(Alias::new("id"))))
        .from(Alias::new(table))
        .and_where(Expr::col(Alias::new("coupon_id")).eq(id))
        .to_owned();
    let row = conn.query_one(&statement).await?;
    Ok(match row {
        Some(row) => row.try_get_by_index::<i64>(0)?,
        None => 0,
    })
}

/// Which coupons a list holds.
#[derive(Debug, Clone, Default)]
pub struct CouponFilter {
    /// Of this status.
    pub status: Option<CouponStatus>,
    /// Of this kind.
    pub kind: Option<CouponKind>,
    /// Usable at this moment (active and within the window).
    pub usable_at: Option<DateTime<Utc>>,
}

const FIELDS: &[SortField<coupon::Entity>] = &[
    SortField {
        name: "created_at",
        column: coupon::Column::CreatedAt,
        value: |m| CursorValue::T(m.created_at),
    },
    SortField {
        name: "name",
        column: coupon::Column::Name,
        value: |m| CursorValue::S(m.name.clone()),
    },
];

const ID: SortField<coupon::Entity> = SortField {
    name: "id",
    column: coupon::Column::Id,
    value: |m| CursorValue::U(m.id),
};

/// One page of coupons.
pub async fn list(
    conn: &impl ConnectionTrait,
    filter: &CouponFilter,
    order: &SortOrder,
    request: &PageRequest,
) -> Result<Page<Coupon>> {
    let mut select = coupon::Entity::find();
    if let Some(status) = filter.status {
        select = select.filter(coupon::Column::Status.eq(status.as_str()));
    }
    if let Some(kind) = filter.kind {
        select = select.filter(coupon::Column::Kind.eq(kind.as_str()));
    }
    if let Some(at) = filter.usable_at {
        select = select
            .filter(coupon::Column::Status.eq(CouponStatus::Active.as_str()))
            .filter(
                Condition::any()
                    .add(coupon::Column::ValidFrom.is_null())
                    .add(coupon::Column::ValidFrom.lte(at)),
            )
            .filter(
                Condition::any()
                    .add(coupon::Column::ValidUntil.is_null())
                    .add(coupon::Column::ValidUntil.gt(at)),
            );
    }
    page::fetch_ordered(conn, select, order, FIELDS, &ID, None, request)
        .await?
        .try_map(Coupon::try_from)
}

/// Who an issue reaches.
#[derive(Debug, Clone, Copy)]
pub enum Recipients<'a> {
    /// These customers, each of whom must exist.
    Customers(&'a [Uuid]),
    /// A segment's customers, as of now.
    Selection(Selection<'a>),
}

/// What an issue did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Issued {
    /// Customers given a coupon.
    pub issued: u64,
    /// Customers passed over: they already held one of this coupon, unused.
    pub skipped: u64,
}

/// Puts the coupon `id` in the wallets of `recipients`, one each, in one transaction; a customer
/// who holds one of it unused is passed over. A coupon without a shared code gives each a code of
/// its own. Emits `coupon.issued` per customer.
pub async fn issue(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    recipients: Recipients<'_>,
    idem: Option<&IdempotencyKey>,
) -> Result<Outcome<Issued>> {
    let txn = db.begin_write().await?;
    if let Some(previous) = idempotency::replay(&*txn, idem).await? {
        return Ok(Outcome::Replayed(previous));
    }
    let coupon: Coupon =
        crate::db::lock_for_change(&*txn, coupon::Entity::find_by_id(id), None, |m| m.version)
            .await?
            .try_into()?;
    let mut ids = match recipients {
        Recipients::Customers(ids) => {
            let found = customers::selected_ids(&*txn, None, Selection::Ids(ids)).await?;
            if let Some((i, _)) = ids.iter().enumerate().find(|(_, c)| !found.contains(c)) {
                return Err(Error::field(
                    format!("customer_ids[{i}]"),
                    "not_found",
                    "no customer has this id",
                ));
            }
            found
        }
        Recipients::Selection(selection) => customers::selected_ids(&*txn, None, selection).await?,
    };
    ids.sort_unstable();
    ids.dedup();
    let holding: Vec<Uuid> = issued::Entity::find()
        .filter(issued::Column::CouponId.eq(id))
        .filter(issued::Column::Used.eq(false))
        .all(&*txn)
        .await?
        .into_iter()
        .map(|m| m.customer_id)
        .collect();
    let fresh: Vec<Uuid> = ids
        .iter()
        .copied()
        .filter(|c| !holding.contains(c))
        .collect();
    put_in_wallets(&*txn, &coupon, &fresh, crate::now()).await?;
    let issued = fresh.len() as u64;
    audit::note_in(
        &*txn,
        actor.into(),
        audit::Notice {
            action: "coupon.issued",
            resource_type: "coupon",
            resource_id: Some(id),
            detail: json!({"issued": issued, "skipped": ids.len() as u64 - issued}),
        },
    )
    .await?;
    let outcome = Issued {
        issued,
        skipped: ids.len() as u64 - issued,
    };
    idempotency::remember(&*txn, idem, 200, &outcome).await?;
    txn.commit().await?;
    Ok(Outcome::Done(outcome))
}

/// Puts one of `coupon` in the wallet of each of `customers` at `now` (a code of their own when
/// it has no shared one), counts them issued, and emits `coupon.issued` for each.
async fn put_in_wallets(
    conn: &impl ConnectionTrait,
    coupon: &Coupon,
    customers: &[Uuid],
    now: DateTime<Utc>,
) -> Result<Vec<IssuedCoupon>> {
    let held: Vec<IssuedCoupon> = customers
        .iter()
        .map(|customer| IssuedCoupon {
            id: Uuid::now_v7(),
            coupon_id: coupon.id,
            customer_id: *customer,
            code: coupon
                .code
                .is_none()
                .then(|| generated_code(Uuid::new_v4().as_u128())),
            used: false,
            issued_at: now,
            used_at: None,
            order_id: None,
        })
        .collect();
    let rows: Vec<issued::ActiveModel> = held
        .iter()
        .map(|h| issued::ActiveModel {
            id: Set(h.id),
            coupon_id: Set(h.coupon_id),
            customer_id: Set(h.customer_id),
            code: Set(h.code.clone()),
            used: Set(false),
            issued_at: Set(now),
            used_at: Set(None),
            order_id: Set(None),
        })
        .collect();
    let feed: Vec<_> = held
        .iter()
        .map(|h| {
            let data = json!({
                "customer_id": h.customer_id, "coupon_id": h.coupon_id,
                "issued_coupon_id": h.id, "code": h.code,
            });
            (h.customer_id, data, None)
        })
        .collect();
    insert_rows(conn, Backend::of(conn), rows).await?;
    coupon::Entity::update_many()
        .col_expr(
            coupon::Column::IssuedCount,
            Expr::col(coupon::Column::IssuedCount).add(held.len() as i64),
        )
        .filter(coupon::Column::Id.eq(coupon.id))
        .exec(conn)
        .await?;
    events::emit_many(conn, "coupon.issued", "customer", feed).await?;
    Ok(held)
}

/// Puts one of coupon `id` in customer `customer_id`'s wallet at `now`, in the caller's
/// transaction, whatever they hold already: for a reward they paid for. A coupon that is paused
/// or whose window has closed is 409 (`coupon_paused`, `coupon_expired`).
pub async fn give(
    conn: &impl ConnectionTrait,
    id: Uuid,
    customer_id: Uuid,
    now: DateTime<Utc>,
) -> Result<IssuedCoupon> {
    let coupon = get(conn, id).await?;
    match coupon.usable_at(now) {
        Ok(()) | Err(Inapplicable::NotStarted) => {}
        Err(why) => {
            return Err(Error::Conflict {
                code: why.code(),
                field: None,
                message: format!("the reward's coupon cannot be given: {}", why.message()),
            });
        }
    }
    let mut held = put_in_wallets(conn, &coupon, &[customer_id], now)
        .await?
        .pop()
        .ok_or_else(|| Error::Internal("a coupon was not put in the wallet".into()))?;
    // The code to use: its own, or the coupon's shared one.
    held.code = held.code.or(coupon.code);
    Ok(held)
}

/// Puts in the wallet of paid order `order`'s customer, in the payment's transaction at `now`,
/// one of every coupon an order of its total earns (`issued_for_orders_from`): active, in the
/// order's currency, within its window. Emits `coupon.issued` for each.
pub async fn issue_for_order(
    conn: &impl ConnectionTrait,
    order: &rapport_domain::orders::Order,
    now: DateTime<Utc>,
) -> Result<()> {
    let earned = coupon::Entity::find()
        .filter(coupon::Column::IssuedForOrdersFrom.lte(order.total))
        .filter(coupon::Column::Currency.eq(order.currency.code()))
        .filter(coupon::Column::Status.eq(CouponStatus::Active.as_str()))
        .order_by_asc(coupon::Column::Id)
        .all(conn)
        .await?;
    for row in earned {
        let coupon = Coupon::try_from(row)?;
        if coupon.usable_at(now).is_ok() {
            put_in_wallets(conn, &coupon, &[order.customer_id], now).await?;
        }
    }
    Ok(())
}

/// The code each of the issued coupons `ids` is used with (its own, or its coupon's shared
/// one), by issued coupon id.
pub async fn issued_codes(
    conn: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<Vec<(Uuid, String)>> {
    let held = issued::Entity::find()
        .filter(issued::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?;
    let coupons = coupons_of(conn, &held).await?;
    Ok(held
        .into_iter()
        .filter_map(|m| {
            let shared = coupons
                .iter()
                .find(|c| c.id == m.coupon_id)
                .and_then(|c| c.code.clone());
            m.code.or(shared).map(|code| (m.id, code))
        })
        .collect())
}

/// A coupon in a wallet with the coupon it is of.
#[derive(Debug, Clone)]
pub struct WalletEntry {
    /// The coupon held.
    pub issued: IssuedCoupon,
    /// Its definition.
    pub coupon: Coupon,
}

/// One page of the coupons in customer `customer_id`'s wallet (404 for no customer), newest
/// first, unused only when asked.
pub async fn wallet(
    conn: &impl ConnectionTrait,
    customer_id: Uuid,
    unused_only: bool,
    request: &PageRequest,
) -> Result<Page<WalletEntry>> {
    customers::get(conn, None, customer_id).await?;
    let mut select = issued::Entity::find().filter(issued::Column::CustomerId.eq(customer_id));
    if unused_only {
        select = select.filter(issued::Column::Used.eq(false));
    }
    let keys = [
        page::KeyColumn {
            column: issued::Column::IssuedAt,
            descending: true,
        },
        page::KeyColumn {
            column: issued::Column::Id,
            descending: true,
        },
    ];
    let held = page::fetch(
        conn,
        select,
        "-issued_at",
        &keys,
        |m| vec![CursorValue::T(m.issued_at), CursorValue::U(m.id)],
        request,
    )
    .await?;
    let coupons = coupons_of(conn, &held.items).await?;
    held.try_map(|m| entry(m, &coupons))
}

/// Every coupon issued to customer `customer_id`, oldest first.
pub async fn of_customer(
    conn: &impl ConnectionTrait,
    customer_id: Uuid,
) -> Result<Vec<WalletEntry>> {
    let held = issued::Entity::find()
        .filter(issued::Column::CustomerId.eq(customer_id))
        .order_by_asc(issued::Column::IssuedAt)
        .order_by_asc(issued::Column::Id)
        .all(conn)
        .await?;
    let coupons = coupons_of(conn, &held).await?;
    held.into_iter().map(|m| entry(m, &coupons)).collect()
}

/// The coupons `held` are of.
async fn coupons_of(conn: &impl ConnectionTrait, held: &[issued::Model]) -> Result<Vec<Coupon>> {
    let ids: Vec<Uuid> = held.iter().map(|m| m.coupon_id).collect();
    coupon::Entity::find()
        .filter(coupon::Column::Id.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(Coupon::try_from)
        .collect()
}

fn entry(m: issued::Model, coupons: &[Coupon]) -> Result<WalletEntry> {
    let coupon = coupons
        .iter()
        .find(|c| c.id == m.coupon_id)
        .cloned()
        .ok_or_else(|| Error::Internal("an issued coupon's coupon is missing".into()))?;
    Ok(WalletEntry {
        issued: m.into(),
        coupon,
    })
}

/// A coupon an order may take: its definition and the code given.
#[derive(Debug, Clone)]
pub struct Offer {
    /// The definition.
    pub coupon: Coupon,
    /// The code, in capitals.
    pub code: String,
}

/// The coupon a code names, or why none applies: a code of its own must be the customer's and
/// unused.
async fn offer_of(
    conn: &impl ConnectionTrait,
    customer_id: Uuid,
    code: &str,
) -> Result<std::result::Result<Offer, Inapplicable>> {
    if let Some(own) = issued::Entity::find()
        .filter(issued::Column::Code.eq(code))
        .one(conn)
        .await?
    {
        if own.customer_id != customer_id {
            return Ok(Err(Inapplicable::NotIssuedToCustomer));
        }
        if own.used {
            return Ok(Err(Inapplicable::AlreadyUsed));
        }
        let coupon = get(conn, own.coupon_id).await?;
        return Ok(Ok(Offer {
            coupon,
            code: code.to_owned(),
        }));
    }
    match coupon::Entity::find()
        .filter(coupon::Column::Code.eq(code))
        .one(conn)
        .await?
    {
        Some(m) => Ok(Ok(Offer {
            coupon: m.try_into()?,
            code: code.to_owned(),
        })),
        None => Ok(Err(Inapplicable::UnknownCode)),
    }
}

/// How often `customer_id` has redeemed coupon `coupon_id` (returned redemptions not counted).
async fn uses(conn: &impl ConnectionTrait, coupon_id: Uuid, customer_id: Uuid) -> Result<i64> {
    Ok(redemption::Entity::find()
        .filter(redemption::Column::CouponId.eq(coupon_id))
        .filter(redemption::Column::CustomerId.eq(customer_id))
        .filter(redemption::Column::ReturnedAt.is_null())
        .count(conn)
        .await? as i64)
}

/// Whether the limits leave `customer_id` a use of `coupon`, as the counts stand now.
async fn uses_left(
    conn: &impl ConnectionTrait,
    coupon: &Coupon,
    customer_id: Uuid,
) -> Result<std::result::Result<(), Inapplicable>> {
    if coupon
        .total_limit
        .is_some_and(|limit| coupon.redeemed_count >= limit)
    {
        return Ok(Err(Inapplicable::Exhausted));
    }
    if let Some(limit) = coupon.per_customer_limit
        && uses(conn, coupon.id, customer_id).await? >= limit
    {
        return Ok(Err(Inapplicable::CustomerLimitReached));
    }
    Ok(Ok(()))
}

/// What the coupon of `code` gives an order of `customer_id` in `currency` with these `lines` at
/// `now`, or why it gives nothing (the limits as the counts stand now; paying decides).
pub async fn benefit(
    conn: &impl ConnectionTrait,
    customer_id: Uuid,
    code: &str,
    currency: Currency,
    lines: &[CartLine],
    now: DateTime<Utc>,
) -> Result<std::result::Result<(Offer, Benefit), Inapplicable>> {
    let offer = match offer_of(conn, customer_id, code).await? {
        Ok(offer) => offer,
        Err(why) => return Ok(Err(why)),
    };
    let benefit = match offer.coupon.benefit(currency, lines, now) {
        Ok(benefit) => benefit,
        Err(why) => return Ok(Err(why)),
    };
    if let Err(why) = uses_left(conn, &offer.coupon, customer_id).await? {
        return Ok(Err(why));
    }
    Ok(Ok((offer, benefit)))
}

/// An order's coupon, as its payment redeems it.
#[derive(Debug, Clone, Copy)]
pub struct Redemption<'a> {
    /// The order.
    pub order_id: Uuid,
    /// Its customer.
    pub customer_id: Uuid,
    /// The coupon.
    pub coupon_id: Uuid,
    /// The code the order gave.
    pub code: &'a str,
    /// What it took off.
    pub discount: i64,
}

fn refused(why: &Inapplicable) -> Error {
    Error::Conflict {
        code: why.code(),
        field: Some("coupon_code"),
        message: format!("the order's coupon cannot be redeemed: {}", why.message()),
    }
}

/// Redeems an order's coupon in the payment's transaction at `now`, or refuses the payment with a
/// 409 that says why: paused, outside its window, every use made, the customer's uses made, or
/// its own code used by another order.
pub async fn redeem(
    conn: &impl ConnectionTrait,
    r: Redemption<'_>,
    now: DateTime<Utc>,
) -> Result<()> {
    // Counted only while uses are left. On PostgreSQL the row stays locked until commit, so
    // every redemption of this coupon after this one waits here and reads the count it left.
    let counted = coupon::Entity::update_many()
        .col_expr(
            coupon::Column::RedeemedCount,
            Expr::col(coupon::Column::RedeemedCount).add(1),
        )
        .filter(coupon::Column::Id.eq(r.coupon_id))
        .filter(
            Condition::any()
                .add(coupon::Column::TotalLimit.is_null())
                .add(
                    Expr::col(coupon::Column::RedeemedCount)
                        .lt(Expr::col(coupon::Column::TotalLimit)),
                ),
        )
        .exec(conn)
        .await?
        .rows_affected;
    let Some(row) = coupon::Entity::find_by_id(r.coupon_id).one(conn).await? else {
        return Err(refused(&Inapplicable::UnknownCode));
    };
    let coupon = Coupon::try_from(row)?;
    if counted == 0 {
        return Err(refused(&Inapplicable::Exhausted));
    }
    coupon.usable_at(now).map_err(|why| refused(&why))?;
    if let Some(limit) = coupon.per_customer_limit
        // This redemption is not stored yet: the others must leave it room.
        && uses(conn, coupon.id, r.customer_id).await? >= limit
    {
        return Err(refused(&Inapplicable::CustomerLimitReached));
    }
    let own = issued::Entity::find()
        .filter(issued::Column::Code.eq(r.code))
        .one(conn)
        .await?;
    let wallet_entry = match own {
        Some(own) => Some(own.id),
        // A shared code uses up the oldest unused one of it in the customer's wallet, if any.
        None => issued::Entity::find()
            .filter(issued::Column::CouponId.eq(coupon.id))
            .filter(issued::Column::CustomerId.eq(r.customer_id))
            .filter(issued::Column::Used.eq(false))
            .order_by_asc(issued::Column::IssuedAt)
            .one(conn)
            .await?
            .map(|m| m.id),
    };
    if let Some(entry) = wallet_entry {
        let marked = issued::Entity::update_many()
            .col_expr(issued::Column::Used, Expr::val(true))
            .col_expr(issued::Column::UsedAt, Expr::val(Some(now)))
            .col_expr(issued::Column::OrderId, Expr::val(Some(r.order_id)))
            .filter(issued::Column::Id.eq(entry))
            .filter(issued::Column::Used.eq(false))
            .exec(conn)
            .await?
            .rows_affected;
        if marked == 0 {
            return Err(refused(&Inapplicable::AlreadyUsed));
        }
    }
    redemption::ActiveModel {
        id: Set(Uuid::now_v7()),
        coupon_id: Set(coupon.id),
        issued_coupon_id: Set(wallet_entry),
        customer_id: Set(r.customer_id),
        order_id: Set(r.order_id),
        code: Set(r.code.to_owned()),
        discount: Set(r.discount),
        redeemed_at: Set(now),
        returned_at: Set(None),
    }
    .insert(conn)
    .await
    .map_err(|e| match Error::from(e) {
        Error::Conflict { .. } => refused(&Inapplicable::AlreadyUsed),
        other => other,
    })?;
    Ok(())
}

/// Gives back the coupon order `order_id` redeemed, at `now`: the use counts no more and the
/// wallet's coupon is unused again. Whether there was one to give back.
pub async fn give_back(
    conn: &impl ConnectionTrait,
    order_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool> {
    let Some(held) = redemption::Entity::find()
        .filter(redemption::Column::OrderId.eq(order_id))
        .filter(redemption::Column::ReturnedAt.is_null())
        .one(conn)
        .await?
    else {
        return Ok(false);
    };
    let returned = redemption::Entity::update_many()
        .col_expr(redemption::Column::ReturnedAt, Expr::val(Some(now)))
        .filter(redemption::Column::Id.eq(held.id))
        .filter(redemption::Column::ReturnedAt.is_null())
        .exec(conn)
        .await?
        .rows_affected;
    if returned == 0 {
        return Ok(false);
    }
    coupon::Entity::update_many()
        .col_expr(
            coupon::Column::RedeemedCount,
            Expr::col(coupon::Column::RedeemedCount).sub(1),
        )
        .filter(coupon::Column::Id.eq(held.coupon_id))
        .exec(conn)
        .await?;
    if let Some(entry) = held.issued_coupon_id {
        issued::Entity::update_many()
            .col_expr(issued::Column::Used, Expr::val(false))
            .col_expr(
                issued::Column::UsedAt,
                Expr::val(Option::<DateTime<Utc>>::None),
            )
            .col_expr(issued::Column::OrderId, Expr::val(Option::<Uuid>::None))
            .filter(issued::Column::Id.eq(entry))
            .exec(conn)
            .await?;
    }
    Ok(true)
}
