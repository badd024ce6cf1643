//! Product search: the lower-cased name that `contains` and `starts_with` compare with, kept on
//! the row. Existing rows are folded here, in Rust, as the application folds them (SQLite's
//! `lower()` folds only ASCII).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;
use sea_orm_migration::sea_orm::prelude::Uuid;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    Name,
    NameFolded,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Products::Table)
                    .add_column(
                        ColumnDef::new(Products::NameFolded)
                            .string_len(200)
                            .not_null()
                            .default(""),
                    )
                    .to_owned(),
            )
            .await?;
        let conn = manager.get_connection();
        let select = Query::select()
            .columns([Products::Id, Products::Name])
            .from(Products::Table)
            .to_owned();
        for row in conn.query_all(&select).await? {
            let id: Uuid = row.try_get("", "id")?;
            let name: String = row.try_get("", "name")?;
            let update = Query::update()
                .table(Products::Table)
                .value(Products::NameFolded, name.to_lowercase())
                .and_where(Expr::col(Products::Id).eq(id))
                .to_owned();
            conn.execute(&update).await?;
        }
        Ok(())
    }
}
