//! The catalogue's arrangement: categories (a tree) and brands.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{execute_all, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Categories {
    Table,
    Id,
    Name,
    Description,
    ParentId,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Brands {
    Table,
    Id,
    Name,
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
                    .table(Categories::Table)
                    .col(pk_uuid(Categories::Id))
                    .col(string_len(Categories::Name, 100))
                    .col(text_null(Categories::Description))
                    .col(uuid_null(Categories::ParentId))
                    .col(timestamp_with_time_zone(Categories::CreatedAt))
                    .col(timestamp_with_time_zone(Categories::UpdatedAt))
                    .col(big_integer(Categories::Version))
                    .check(Expr::cust("parent_id IS NULL OR parent_id <> id"))
                    // A category with children cannot go: its children would be orphans.
                    .foreign_key(
                        ForeignKey::create()
                            .from(Categories::Table, Categories::ParentId)
                            .to(Categories::Table, Categories::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        // Siblings have different names; top-level categories are siblings too (a plain unique
        // index would let any number of them share a name, as NULLs differ).
        execute_all(
            manager,
            &[
                "CREATE UNIQUE INDEX categories_sibling_name_unique ON categories (parent_id, name) \
                 WHERE parent_id IS NOT NULL",
                "CREATE UNIQUE INDEX categories_top_level_name_unique ON categories (name) \
                 WHERE parent_id IS NULL",
            ],
        )
        .await?;
        for (name, columns) in [
            ("categories_parent_name", &["parent_id", "name", "id"][..]),
            ("categories_name", &["name", "id"][..]),
            ("categories_created_at", &["created_at", "id"][..]),
            ("categories_updated_at", &["updated_at", "id"][..]),
        ] {
            manager
                .create_index(index(Categories::Table, name, columns))
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Brands::Table)
                    .col(pk_uuid(Brands::Id))
                    .col(string_len(Brands::Name, 100))
                    .col(text_null(Brands::Description))
                    .col(timestamp_with_time_zone(Brands::CreatedAt))
                    .col(timestamp_with_time_zone(Brands::UpdatedAt))
                    .col(big_integer(Brands::Version))
                    .to_owned(),
            )
            .await?;
        execute_all(
            manager,
            &["CREATE UNIQUE INDEX brands_name_unique ON brands (name)"],
        )
        .await?;
        for (name, columns) in [
            ("brands_created_at", &["created_at", "id"][..]),
            ("brands_updated_at", &["updated_at", "id"][..]),
        ] {
            manager
                .create_index(index(Brands::Table, name, columns))
                .await?;
        }
        Ok(())
    }
}
