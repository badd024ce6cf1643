//! Earned coupons: on a coupon, the order total that earns its customer one when paid.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Coupons {
    Table,
    IssuedForOrdersFrom,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Coupons::Table)
                    .add_column(big_integer_null(Coupons::IssuedForOrdersFrom))
                    .to_owned(),
            )
            .await
    }
}
