//! Coupons: their definitions, the coupons issued into customers' wallets, and each redemption
//! by an order's payment; and on orders, the coupon code they take and the discounts they were
//! given. The counters and limits are held by the database: a coupon never counts more
//! redemptions than its limit, an issued code is unique, and an order redeems at most once.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::{execute_all, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Coupons {
    Table,
    Id,
    Name,
    Description,
    Code,
    Kind,
    Currency,
    AmountOff,
    PercentOff,
    MaxDiscount,
    MinOrderAmount,
    GiftVariantId,
    ValidFrom,
    ValidUntil,
    TotalLimit,
    PerCustomerLimit,
    ProductIds,
    CategoryIds,
    Status,
    RedeemedCount,
    IssuedCount,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum IssuedCoupons {
    Table,
    Id,
    CouponId,
    CustomerId,
    Code,
    Used,
    IssuedAt,
    UsedAt,
    OrderId,
}

#[derive(DeriveIden)]
enum CouponRedemptions {
    Table,
    Id,
    CouponId,
    IssuedCouponId,
    CustomerId,
    OrderId,
    Code,
    Discount,
    RedeemedAt,
    ReturnedAt,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    CouponCode,
    DiscountTotal,
    Discounts,
}

#[derive(DeriveIden)]
enum ProductVariants {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Coupons::Table)
                    .col(pk_uuid(Coupons::Id))
                    .col(string_len(Coupons::Name, 100))
                    .col(text_null(Coupons::Description))
                    .col(string_len_null(Coupons::Code, 32))
                    .col(string_len(Coupons::Kind, 16))
                    .col(string_len(Coupons::Currency, 3))
                    .col(big_integer_null(Coupons::AmountOff))
                    .col(big_integer_null(Coupons::PercentOff))
                    .col(big_integer_null(Coupons::MaxDiscount))
                    .col(big_integer_null(Coupons::MinOrderAmount))
                    .col(uuid_null(Coupons::GiftVariantId))
                    .col(timestamp_with_time_zone_null(Coupons::ValidFrom))
                    .col(timestamp_with_time_zone_null(Coupons::ValidUntil))
                    .col(big_integer_null(Coupons::TotalLimit))
                    .col(big_integer_null(Coupons::PerCustomerLimit))
                    .col(json(Coupons::ProductIds))
                    .col(json(Coupons::CategoryIds))
                    .col(string_len(Coupons::Status, 8))
                    .col(big_integer(Coupons::RedeemedCount).default(0))
                    .col(big_integer(Coupons::IssuedCount).default(0))
                    .col(timestamp_with_time_zone(Coupons::CreatedAt))
                    .col(timestamp_with_time_zone(Coupons::UpdatedAt))
                    .col(big_integer(Coupons::Version))
                    .check(Expr::col(Coupons::Kind).is_in([
                        "fixed_amount",
                        "percentage",
                        "threshold",
                        "gift",
                    ]))
                    .check(Expr::col(Coupons::Status).is_in(["active", "paused"]))
                    // Never more redemptions than the limit, never fewer than none.
                    .check(Expr::cust(
                        "redeemed_count >= 0 AND issued_count >= 0 \
                         AND (total_limit IS NULL OR redeemed_count <= total_limit)",
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Coupons::Table, Coupons::GiftVariantId)
                            .to(ProductVariants::Table, ProductVariants::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(IssuedCoupons::Table)
                    .col(pk_uuid(IssuedCoupons::Id))
                    .col(uuid(IssuedCoupons::CouponId))
                    .col(uuid(IssuedCoupons::CustomerId))
                    .col(string_len_null(IssuedCoupons::Code, 32))
                    .col(boolean(IssuedCoupons::Used).default(false))
                    .col(timestamp_with_time_zone(IssuedCoupons::IssuedAt))
                    .col(timestamp_with_time_zone_null(IssuedCoupons::UsedAt))
                    .col(uuid_null(IssuedCoupons::OrderId))
                    .check(Expr::cust("used = (used_at IS NOT NULL)"))
                    .foreign_key(
                        ForeignKey::create()
                            .from(IssuedCoupons::Table, IssuedCoupons::CouponId)
                            .to(Coupons::Table, Coupons::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(IssuedCoupons::Table, IssuedCoupons::CustomerId)
                            .to(Customers::Table, Customers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(IssuedCoupons::Table, IssuedCoupons::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CouponRedemptions::Table)
                    .col(pk_uuid(CouponRedemptions::Id))
                    .col(uuid(CouponRedemptions::CouponId))
                    .col(uuid_null(CouponRedemptions::IssuedCouponId))
                    .col(uuid(CouponRedemptions::CustomerId))
                    .col(uuid(CouponRedemptions::OrderId))
                    .col(string_len(CouponRedemptions::Code, 32))
                    .col(big_integer(CouponRedemptions::Discount))
                    .col(timestamp_with_time_zone(CouponRedemptions::RedeemedAt))
                    .col(timestamp_with_time_zone_null(CouponRedemptions::ReturnedAt))
                    .check(Expr::cust("discount >= 0"))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CouponRedemptions::Table, CouponRedemptions::CouponId)
                            .to(Coupons::Table, Coupons::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CouponRedemptions::Table, CouponRedemptions::IssuedCouponId)
                            .to(IssuedCoupons::Table, IssuedCoupons::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CouponRedemptions::Table, CouponRedemptions::CustomerId)
                            .to(Customers::Table, Customers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CouponRedemptions::Table, CouponRedemptions::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (table, name, columns) in [
            ("coupons", "coupons_created_at", &["created_at", "id"][..]),
            ("coupons", "coupons_name", &["name", "id"]),
            ("coupons", "coupons_valid_until", &["valid_until", "id"]),
            (
                "issued_coupons",
                "issued_coupons_customer",
                &["customer_id", "issued_at", "id"],
            ),
            (
                "issued_coupons",
                "issued_coupons_coupon",
                &["coupon_id", "customer_id", "used"],
            ),
            (
                "coupon_redemptions",
                "coupon_redemptions_coupon_customer",
                &["coupon_id", "customer_id"],
            ),
        ] {
            manager
                .create_index(index(Alias::new(table), name, columns))
                .await?;
        }
        let columns: [ColumnDef; 3] = [
            string_len_null(Orders::CouponCode, 32),
            big_integer(Orders::DiscountTotal).default(0).to_owned(),
            json(Orders::Discounts).default("[]").to_owned(),
        ];
        for mut column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Orders::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        // The coupon of the code, with its foreign key, in each database's words (SQLite takes
        // the reference in the column's definition only).
        let coupon_of_order = match manager.get_database_backend() {
            DbBackend::Postgres => {
                "ALTER TABLE orders ADD COLUMN coupon_id uuid NULL REFERENCES coupons (id)"
            }
            _ => "ALTER TABLE orders ADD COLUMN coupon_id uuid_text NULL REFERENCES coupons (id)",
        };
        execute_all(
            manager,
            &[
                "CREATE UNIQUE INDEX coupons_code ON coupons (code)",
                "CREATE UNIQUE INDEX issued_coupons_code ON issued_coupons (code)",
                // An order redeems a coupon once; a returned redemption stays on record.
                "CREATE UNIQUE INDEX coupon_redemptions_order ON coupon_redemptions (order_id)",
                coupon_of_order,
                "CREATE INDEX orders_coupon ON orders (coupon_id)",
            ],
        )
        .await
    }
}
