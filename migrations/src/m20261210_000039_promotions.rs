//! Promotions: offers with a coupon's terms (a sum, a percentage perhaps capped, spend X get Y
//! off, or a gift, on products or categories, above a minimum, within a window) that price every
//! order they fit without a code.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Promotions {
    Table,
    Id,
    Name,
    Description,
    Kind,
    Currency,
    AmountOff,
    PercentOff,
    MaxDiscount,
    MinOrderAmount,
    GiftVariantId,
    ValidFrom,
    ValidUntil,
    ProductIds,
    CategoryIds,
    Status,
    CreatedAt,
    UpdatedAt,
    Version,
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
                    .table(Promotions::Table)
                    .col(pk_uuid(Promotions::Id))
                    .col(string_len(Promotions::Name, 100))
                    .col(text_null(Promotions::Description))
                    .col(string_len(Promotions::Kind, 16))
                    .col(string_len(Promotions::Currency, 3))
                    .col(big_integer_null(Promotions::AmountOff))
                    .col(big_integer_null(Promotions::PercentOff))
                    .col(big_integer_null(Promotions::MaxDiscount))
                    .col(big_integer_null(Promotions::MinOrderAmount))
                    .col(uuid_null(Promotions::GiftVariantId))
                    .col(timestamp_with_time_zone_null(Promotions::ValidFrom))
                    .col(timestamp_with_time_zone_null(Promotions::ValidUntil))
                    .col(json(Promotions::ProductIds))
                    .col(json(Promotions::CategoryIds))
                    .col(string_len(Promotions::Status, 8))
                    .col(timestamp_with_time_zone(Promotions::CreatedAt))
                    .col(timestamp_with_time_zone(Promotions::UpdatedAt))
                    .col(big_integer(Promotions::Version))
                    .check(Expr::col(Promotions::Kind).is_in([
                        "fixed_amount",
                        "percentage",
                        "threshold",
                        "gift",
                    ]))
                    .check(Expr::col(Promotions::Status).is_in(["active", "paused"]))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Promotions::Table, Promotions::GiftVariantId)
                            .to(ProductVariants::Table, ProductVariants::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await
    }
}
