//! Who receives an order and where it goes: a recipient (name, phone) and a ship-to address in
//! the parts a customer's address has.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orders {
    Table,
    RecipientName,
    RecipientPhone,
    ShipToCountry,
    ShipToProvince,
    ShipToCity,
    ShipToDistrict,
    ShipToStreet,
    ShipToPostalCode,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            string_len_null(Orders::RecipientName, 200),
            string_len_null(Orders::RecipientPhone, 32),
            string_len_null(Orders::ShipToCountry, 200),
            string_len_null(Orders::ShipToProvince, 200),
            string_len_null(Orders::ShipToCity, 200),
            string_len_null(Orders::ShipToDistrict, 200),
            string_len_null(Orders::ShipToStreet, 200),
            string_len_null(Orders::ShipToPostalCode, 200),
        ] {
            // One column a statement: SQLite adds one column per ALTER TABLE.
            manager
                .alter_table(
                    Table::alter()
                        .table(Orders::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
