//! Membership: the tiers of the loyalty programme (each qualified by points earned or money spent
//! within the workspace's window), and on each customer their membership (a unique member
//! number, when and where they joined) and the tier they hold (cleared by the database if the
//! tier goes).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::{execute_all, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MembershipTiers {
    Table,
    Id,
    Name,
    Rank,
    Qualification,
    Threshold,
    Benefits,
    DiscountPercent,
    PointsMultiplier,
    Description,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    MemberSince,
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
                    .table(MembershipTiers::Table)
                    .col(pk_uuid(MembershipTiers::Id))
                    .col(string_len(MembershipTiers::Name, 100))
                    .col(integer(MembershipTiers::Rank))
                    .col(string_len(MembershipTiers::Qualification, 16))
                    .col(big_integer(MembershipTiers::Threshold))
                    .col(json(MembershipTiers::Benefits))
                    .col(integer(MembershipTiers::DiscountPercent))
                    .col(integer(MembershipTiers::PointsMultiplier))
                    .col(text_null(MembershipTiers::Description))
                    .col(timestamp_with_time_zone(MembershipTiers::CreatedAt))
                    .col(timestamp_with_time_zone(MembershipTiers::UpdatedAt))
                    .col(big_integer(MembershipTiers::Version))
                    .check(Expr::cust(
                        "rank >= 0 AND threshold >= 0 AND qualification IN ('points', 'spend') \
                         AND discount_percent BETWEEN 0 AND 90 \
                         AND points_multiplier BETWEEN 100 AND 1000",
                    ))
                    .to_owned(),
            )
            .await?;
        let uuid_type = match manager.get_database_backend() {
            sea_orm::DatabaseBackend::Sqlite => "uuid_text",
            _ => "uuid",
        };
        let add_tier = format!(
            "ALTER TABLE customers ADD COLUMN tier_id {uuid_type} NULL \
             REFERENCES membership_tiers (id) ON DELETE SET NULL"
        );
        execute_all(
            manager,
            &[
                "CREATE UNIQUE INDEX membership_tiers_name_unique ON membership_tiers (name)",
                "CREATE UNIQUE INDEX membership_tiers_rank_unique ON membership_tiers (rank)",
                &add_tier,
                "ALTER TABLE customers ADD COLUMN member_number varchar(32) NULL",
                "ALTER TABLE customers ADD COLUMN signup_channel varchar(16) NULL",
            ],
        )
        .await?;
        // SQLite alters a table one column at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Customers::Table)
                    .add_column(timestamp_with_time_zone_null(Customers::MemberSince))
                    .to_owned(),
            )
            .await?;
        execute_all(
            manager,
            &["CREATE UNIQUE INDEX customers_member_number_unique ON customers (member_number)"],
        )
        .await?;
        manager
            .create_index(index(
                Alias::new("customers"),
                "customers_tier",
                &["tier_id", "created_at", "id"],
            ))
            .await
    }
}
