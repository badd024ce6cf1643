//! Leads: people who may become customers, worked from `new` to `qualified` and then converted
//! into a customer (and perhaps a deal) or disqualified.

use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Leads {
    Table,
    Id,
    Name,
    Company,
    Email,
    Phone,
    Source,
    Rating,
    Score,
    Status,
    OwnerId,
    Notes,
    DisqualifiedReason,
    CustomerId,
    DealId,
    ConvertedAt,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Deals {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
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
                    .table(Leads::Table)
                    .col(pk_uuid(Leads::Id))
                    .col(string_len(Leads::Name, 200))
                    .col(string_len_null(Leads::Company, 200))
                    .col(string_len_null(Leads::Email, 254))
                    .col(string_len_null(Leads::Phone, 32))
                    .col(string_len_null(Leads::Source, 100))
                    .col(string_len_null(Leads::Rating, 4))
                    .col(small_integer(Leads::Score))
                    .col(string_len(Leads::Status, 12))
                    .col(uuid_null(Leads::OwnerId))
                    .col(text_null(Leads::Notes))
                    .col(text_null(Leads::DisqualifiedReason))
                    .col(uuid_null(Leads::CustomerId))
                    .col(uuid_null(Leads::DealId))
                    .col(timestamp_with_time_zone_null(Leads::ConvertedAt))
                    .col(timestamp_with_time_zone(Leads::CreatedAt))
                    .col(timestamp_with_time_zone(Leads::UpdatedAt))
                    .col(big_integer(Leads::Version))
                    .check(Expr::col(Leads::Status).is_in([
                        "new",
                        "contacted",
                        "qualified",
                        "converted",
                        "disqualified",
                    ]))
                    .check(Expr::col(Leads::Rating).is_in(["hot", "warm", "cold"]))
                    .check(Expr::col(Leads::Score).between(0, 100))
                    // A converted lead says when; no other lead is converted.
                    .check(
                        Expr::col(Leads::Status)
                            .eq("converted")
                            .eq(Expr::col(Leads::ConvertedAt).is_not_null()),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Leads::Table, Leads::OwnerId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Leads::Table, Leads::CustomerId)
                            .to(Customers::Table, Customers::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Leads::Table, Leads::DealId)
                            .to(Deals::Table, Deals::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("leads_created_at", &["created_at", "id"][..]),
            ("leads_updated_at", &["updated_at", "id"]),
            ("leads_score", &["score", "id"]),
            ("leads_owner", &["owner_id", "created_at", "id"]),
            ("leads_status", &["status", "created_at", "id"]),
            ("leads_customer", &["customer_id"]),
            ("leads_deal", &["deal_id"]),
        ] {
            manager
                .create_index(index(Leads::Table, name, columns))
                .await?;
        }
        Ok(())
    }
}
