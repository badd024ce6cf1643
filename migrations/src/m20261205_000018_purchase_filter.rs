//! What the `purchases` filter on customers looks up: the order lines of a product, so a search
//! for its buyers can start from the lines as well as from each customer's orders.

use sea_orm_migration::prelude::*;

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OrderLines {
    Table,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index(
                OrderLines::Table,
                "order_lines_product",
                &["product_id", "order_id"],
            ))
            .await
    }
}
