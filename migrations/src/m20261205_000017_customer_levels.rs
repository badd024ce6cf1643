//! Customer levels, set by the business by total spent and number of orders, and the level each
//! customer holds (cleared by the database if the level goes).

use sea_orm_migration::{prelude::*, schema::*};

use crate::{execute_all, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CustomerLevels {
    Table,
    Id,
    Name,
    Rank,
    MinTotalSpent,
    MinOrdersCount,
    Description,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CustomerLevels::Table)
                    .col(pk_uuid(CustomerLevels::Id))
                    .col(string_len(CustomerLevels::Name, 100))
                    .col(integer(CustomerLevels::Rank))
                    .col(big_integer_null(CustomerLevels::MinTotalSpent))
                    .col(big_integer_null(CustomerLevels::MinOrdersCount))
                    .col(text_null(CustomerLevels::Description))
                    .col(timestamp_with_time_zone(CustomerLevels::CreatedAt))
                    .col(timestamp_with_time_zone(CustomerLevels::UpdatedAt))
                    .col(big_integer(CustomerLevels::Version))
                    .check(Expr::cust(
                        "rank >= 0 AND (min_total_spent IS NULL OR min_total_spent >= 0) \
                         AND (min_orders_count IS NULL OR min_orders_count >= 0) \
                         AND (min_total_spent IS NOT NULL OR min_orders_count IS NOT NULL)",
                    ))
                    .to_owned(),
            )
            .await?;
        let uuid_type = match manager.get_database_backend() {
            sea_orm::DatabaseBackend::Sqlite => "uuid_text",
            _ => "uuid",
        };
        let add_level = format!(
            "ALTER TABLE customers ADD COLUMN level_id {uuid_type} NULL \
             REFERENCES customer_levels (id) ON DELETE SET NULL"
        );
        execute_all(
            manager,
            &[
                "CREATE UNIQUE INDEX customer_levels_name_unique ON customer_levels (name)",
                "CREATE UNIQUE INDEX customer_levels_rank_unique ON customer_levels (rank)",
                &add_level,
            ],
        )
        .await?;
        manager
            .create_index(index(
                Alias::new("customers"),
                "customers_level",
                &["level_id", "created_at", "id"],
            ))
            .await
    }
}
