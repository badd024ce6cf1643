//! Products, their variants and each variant's stock ledger.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{execute_all, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    Name,
    Description,
    CategoryId,
    BrandId,
    Status,
    Images,
    ExternalId,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum ProductVariants {
    Table,
    Id,
    ProductId,
    Position,
    Sku,
    Options,
    Price,
    Currency,
    Stock,
    LowStockThreshold,
    CreatedAt,
}

#[derive(DeriveIden)]
enum StockMovements {
    Table,
    Id,
    VariantId,
    ProductId,
    Delta,
    StockAfter,
    Kind,
    Reason,
    Reference,
    OrderId,
    OccurredAt,
}

#[derive(DeriveIden)]
enum Categories {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Brands {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Products::Table)
                    .col(pk_uuid(Products::Id))
                    .col(string_len(Products::Name, 200))
                    .col(text_null(Products::Description))
                    .col(uuid_null(Products::CategoryId))
                    .col(uuid_null(Products::BrandId))
                    .col(string_len(Products::Status, 16))
                    .col(json(Products::Images))
                    .col(string_len_null(Products::ExternalId, 200))
                    .col(timestamp_with_time_zone(Products::CreatedAt))
                    .col(timestamp_with_time_zone(Products::UpdatedAt))
                    .col(big_integer(Products::Version))
                    .check(Expr::col(Products::Status).is_in(["active", "archived"]))
                    // A category or brand that products name cannot go.
                    .foreign_key(
                        ForeignKey::create()
                            .from(Products::Table, Products::CategoryId)
                            .to(Categories::Table, Categories::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Products::Table, Products::BrandId)
                            .to(Brands::Table, Brands::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        execute_all(
            manager,
            &[
                "CREATE UNIQUE INDEX products_external_id_unique ON products (external_id) \
               WHERE external_id IS NOT NULL",
            ],
        )
        .await?;
        for (name, columns) in [
            ("products_created_at", &["created_at", "id"][..]),
            ("products_updated_at", &["updated_at", "id"][..]),
            ("products_name", &["name", "id"][..]),
            (
                "products_category",
                &["category_id", "created_at", "id"][..],
            ),
            ("products_brand", &["brand_id", "created_at", "id"][..]),
            ("products_status", &["status", "created_at", "id"][..]),
        ] {
            manager
                .create_index(index(Products::Table, name, columns))
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(ProductVariants::Table)
                    .col(pk_uuid(ProductVariants::Id))
                    .col(uuid(ProductVariants::ProductId))
                    .col(integer(ProductVariants::Position))
                    .col(string_len(ProductVariants::Sku, 64))
                    .col(json(ProductVariants::Options))
                    .col(big_integer(ProductVariants::Price))
                    .col(string_len(ProductVariants::Currency, 3))
                    .col(big_integer(ProductVariants::Stock))
                    .col(big_integer(ProductVariants::LowStockThreshold))
                    .col(timestamp_with_time_zone(ProductVariants::CreatedAt))
                    // The last word on stock: no write, however it races, leaves it below zero.
                    .check(Expr::col(ProductVariants::Stock).gte(0))
                    .check(Expr::col(ProductVariants::Price).gte(0))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ProductVariants::Table, ProductVariants::ProductId)
                            .to(Products::Table, Products::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        execute_all(
            manager,
            &["CREATE UNIQUE INDEX product_variants_sku_unique ON product_variants (sku)"],
        )
        .await?;
        manager
            .create_index(index(
                ProductVariants::Table,
                "product_variants_product",
                &["product_id", "position"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StockMovements::Table)
                    .col(pk_uuid(StockMovements::Id))
                    .col(uuid(StockMovements::VariantId))
                    .col(uuid(StockMovements::ProductId))
                    .col(big_integer(StockMovements::Delta))
                    .col(big_integer(StockMovements::StockAfter))
                    .col(string_len(StockMovements::Kind, 16))
                    .col(string_len_null(StockMovements::Reason, 200))
                    .col(string_len_null(StockMovements::Reference, 200))
                    .col(uuid_null(StockMovements::OrderId))
                    .col(timestamp_with_time_zone(StockMovements::OccurredAt))
                    .check(Expr::col(StockMovements::Kind).is_in([
                        "initial",
                        "adjustment",
                        "order",
                        "refund",
                    ]))
                    .check(Expr::col(StockMovements::StockAfter).gte(0))
                    .foreign_key(
                        ForeignKey::create()
                            .from(StockMovements::Table, StockMovements::VariantId)
                            .to(ProductVariants::Table, ProductVariants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                StockMovements::Table,
                "stock_movements_variant",
                &["variant_id", "occurred_at", "id"],
            ))
            .await
    }
}
