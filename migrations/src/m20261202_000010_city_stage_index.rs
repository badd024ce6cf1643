//! The commonest segment question, customers of one stage in one city newest first, read in
//! index order instead of filtering a city's customers by stage: `(address_city,
//! lifecycle_stage, created_at, id)`. On 1,000,000 customers a page of 50 of one stage in one
//! city, with a tag, read 1,282 index entries to keep 422 before it (3.3 ms), 422 with it.

use sea_orm_migration::prelude::*;

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Customers {
    Table,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index(
                Customers::Table,
                "customers_city_stage_created_at",
                &["address_city", "lifecycle_stage", "created_at", "id"],
            ))
            .await
    }
}
