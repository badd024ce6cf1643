//! Segments: saved filters (dynamic) and hand-kept lists (static) of customers.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{execute_all, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Segments {
    Table,
    Id,
    Name,
    Description,
    Kind,
    Filter,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum SegmentMembers {
    Table,
    SegmentId,
    CustomerId,
    AddedAt,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Segments::Table)
                    .col(pk_uuid(Segments::Id))
                    .col(string_len(Segments::Name, 100))
                    .col(text_null(Segments::Description))
                    .col(string_len(Segments::Kind, 16))
                    .col(json_null(Segments::Filter))
                    .col(timestamp_with_time_zone(Segments::CreatedAt))
                    .col(timestamp_with_time_zone(Segments::UpdatedAt))
                    .col(big_integer(Segments::Version))
                    .check(Expr::col(Segments::Kind).is_in(["dynamic", "static"]))
                    // A dynamic segment has a filter and a static one has none.
                    .check(Expr::cust(
                        "(kind = 'dynamic' AND filter IS NOT NULL) OR (kind = 'static' AND filter IS NULL)",
                    ))
                    .to_owned(),
            )
            .await?;
        execute_all(
            manager,
            &["CREATE UNIQUE INDEX segments_name_unique ON segments (name)"],
        )
        .await?;
        manager
            .create_index(index(
                Segments::Table,
                "segments_created_at",
                &["created_at", "id"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SegmentMembers::Table)
                    .col(uuid(SegmentMembers::SegmentId))
                    .col(uuid(SegmentMembers::CustomerId))
                    .col(timestamp_with_time_zone(SegmentMembers::AddedAt))
                    .primary_key(
                        Index::create()
                            .col(SegmentMembers::SegmentId)
                            .col(SegmentMembers::CustomerId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(SegmentMembers::Table, SegmentMembers::SegmentId)
                            .to(Segments::Table, Segments::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(SegmentMembers::Table, SegmentMembers::CustomerId)
                            .to(Customers::Table, Customers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                SegmentMembers::Table,
                "segment_members_customer_id",
                &["customer_id"],
            ))
            .await
    }
}
