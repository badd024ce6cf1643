//! Deal reminders: each deal remembers the close date and the stay in a stage its owner was last
//! reminded of, so that each is reminded of once, and a task can name the deal it is about.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{date_null, timestamp_with_time_zone_null};
use sea_orm_migration::sea_orm::DbBackend;

use crate::execute_all;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Deals {
    Table,
    CloseRemindedFor,
    StageRemindedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        manager
            .alter_table(
                Table::alter()
                    .table(Deals::Table)
                    .add_column(date_null(Deals::CloseRemindedFor))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Deals::Table)
                    .add_column(timestamp_with_time_zone_null(Deals::StageRemindedAt))
                    .to_owned(),
            )
            .await?;
        // A column with its foreign key, in each database's words (SQLite takes the reference in
        // the column's definition only).
        let deal_of_task = match manager.get_database_backend() {
            DbBackend::Postgres => {
                "ALTER TABLE tasks ADD COLUMN deal_id uuid NULL REFERENCES deals (id) ON DELETE SET NULL"
            }
            _ => {
                "ALTER TABLE tasks ADD COLUMN deal_id uuid_text NULL REFERENCES deals (id) ON DELETE SET NULL"
            }
        };
        execute_all(
            manager,
            &[deal_of_task, "CREATE INDEX tasks_deal ON tasks (deal_id)"],
        )
        .await
    }
}
