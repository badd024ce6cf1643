//! Points: each customer's account (its balance, which the database keeps at zero or above, and
//! how many entries it has) and ledger (every entry numbered in the order the balance moved, with
//! the balance after it, and what is left of the points it added, which deductions take from and
//! expiry ends).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PointsAccounts {
    Table,
    CustomerId,
    Balance,
    Entries,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PointsEntries {
    Table,
    Id,
    CustomerId,
    EntryNo,
    Kind,
    Points,
    BalanceAfter,
    Remaining,
    Reason,
    OrderId,
    ExpiresAt,
    CreatedAt,
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
                    .table(PointsAccounts::Table)
                    .col(pk_uuid(PointsAccounts::CustomerId))
                    .col(big_integer(PointsAccounts::Balance).default(0))
                    .col(big_integer(PointsAccounts::Entries).default(0))
                    .col(timestamp_with_time_zone(PointsAccounts::UpdatedAt))
                    .check(Expr::cust("balance >= 0"))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PointsAccounts::Table, PointsAccounts::CustomerId)
                            .to(Customers::Table, Customers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PointsEntries::Table)
                    .col(pk_uuid(PointsEntries::Id))
                    .col(uuid(PointsEntries::CustomerId))
                    .col(big_integer(PointsEntries::EntryNo))
                    .col(string_len(PointsEntries::Kind, 8))
                    .col(big_integer(PointsEntries::Points))
                    .col(big_integer(PointsEntries::BalanceAfter))
                    .col(big_integer(PointsEntries::Remaining).default(0))
                    .col(string_len_null(PointsEntries::Reason, 200))
                    .col(uuid_null(PointsEntries::OrderId))
                    .col(timestamp_with_time_zone_null(PointsEntries::ExpiresAt))
                    .col(timestamp_with_time_zone(PointsEntries::CreatedAt))
                    .check(
                        Expr::col(PointsEntries::Kind)
                            .is_in(["earn", "redeem", "adjust", "expire", "reverse"]),
                    )
                    .check(Expr::cust(
                        "points <> 0 AND balance_after >= 0 AND remaining >= 0 \
                         AND remaining <= CASE WHEN points > 0 THEN points ELSE 0 END",
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PointsEntries::Table, PointsEntries::CustomerId)
                            .to(Customers::Table, Customers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PointsEntries::Table, PointsEntries::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "points_entries_customer",
                &["customer_id", "created_at", "id"][..],
            ),
            ("points_entries_expiry", &["expires_at", "remaining"]),
            ("points_entries_order", &["order_id"]),
        ] {
            manager
                .create_index(index(PointsEntries::Table, name, columns))
                .await?;
        }
        Ok(())
    }
}
