//! Rewards: the catalogue of what points buy (a gift, perhaps a variant of the catalogue, or a
//! coupon), each with its points cost and the stock left, which the database keeps at zero or
//! above; and every exchange, with the ledger entry that paid for it and the coupon it gave.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Rewards {
    Table,
    Id,
    Name,
    Description,
    Kind,
    VariantId,
    CouponId,
    PointsCost,
    Stock,
    ExchangedCount,
    Status,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum RewardExchanges {
    Table,
    Id,
    CustomerId,
    RewardId,
    RewardName,
    Kind,
    Points,
    PointsEntryId,
    IssuedCouponId,
    FulfilledAt,
    FulfilmentNote,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Coupons {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum IssuedCoupons {
    Table,
    Id,
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
                    .table(Rewards::Table)
                    .col(pk_uuid(Rewards::Id))
                    .col(string_len(Rewards::Name, 100))
                    .col(text_null(Rewards::Description))
                    .col(string_len(Rewards::Kind, 8))
                    .col(uuid_null(Rewards::VariantId))
                    .col(uuid_null(Rewards::CouponId))
                    .col(big_integer(Rewards::PointsCost))
                    .col(big_integer_null(Rewards::Stock))
                    .col(big_integer(Rewards::ExchangedCount).default(0))
                    .col(string_len(Rewards::Status, 8))
                    .col(timestamp_with_time_zone(Rewards::CreatedAt))
                    .col(timestamp_with_time_zone(Rewards::UpdatedAt))
                    .col(big_integer(Rewards::Version))
                    .check(Expr::col(Rewards::Kind).is_in(["gift", "coupon"]))
                    .check(Expr::col(Rewards::Status).is_in(["active", "paused"]))
                    // Never less than no stock; a coupon reward names its coupon.
                    .check(Expr::cust(
                        "points_cost > 0 AND exchanged_count >= 0 \
                         AND (stock IS NULL OR stock >= 0) \
                         AND (kind <> 'coupon' OR coupon_id IS NOT NULL)",
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Rewards::Table, Rewards::VariantId)
                            .to(ProductVariants::Table, ProductVariants::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Rewards::Table, Rewards::CouponId)
                            .to(Coupons::Table, Coupons::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RewardExchanges::Table)
                    .col(pk_uuid(RewardExchanges::Id))
                    .col(uuid(RewardExchanges::CustomerId))
                    .col(uuid_null(RewardExchanges::RewardId))
                    .col(string_len(RewardExchanges::RewardName, 100))
                    .col(string_len(RewardExchanges::Kind, 8))
                    .col(big_integer(RewardExchanges::Points))
                    .col(uuid(RewardExchanges::PointsEntryId))
                    .col(uuid_null(RewardExchanges::IssuedCouponId))
                    .col(timestamp_with_time_zone_null(RewardExchanges::FulfilledAt))
                    .col(string_len_null(RewardExchanges::FulfilmentNote, 200))
                    .col(timestamp_with_time_zone(RewardExchanges::CreatedAt))
                    .check(Expr::col(RewardExchanges::Kind).is_in(["gift", "coupon"]))
                    .check(Expr::cust("points > 0"))
                    .foreign_key(
                        ForeignKey::create()
                            .from(RewardExchanges::Table, RewardExchanges::CustomerId)
                            .to(Customers::Table, Customers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RewardExchanges::Table, RewardExchanges::RewardId)
                            .to(Rewards::Table, Rewards::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RewardExchanges::Table, RewardExchanges::IssuedCouponId)
                            .to(IssuedCoupons::Table, IssuedCoupons::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "reward_exchanges_customer",
                &["customer_id", "created_at", "id"][..],
            ),
            ("reward_exchanges_reward", &["reward_id"]),
            ("rewards_coupon", &["coupon_id"]),
        ] {
            let table = if name.starts_with("rewards") {
                Alias::new("rewards")
            } else {
                Alias::new("reward_exchanges")
            };
            manager.create_index(index(table, name, columns)).await?;
        }
        Ok(())
    }
}
