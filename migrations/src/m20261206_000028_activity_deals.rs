//! An activity can name the deal it was about.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::execute_all;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // A column with its foreign key, in each database's words (SQLite takes the reference in
        // the column's definition only).
        let deal_of_activity = match manager.get_database_backend() {
            DbBackend::Postgres => {
                "ALTER TABLE activities ADD COLUMN deal_id uuid NULL REFERENCES deals (id) ON DELETE SET NULL"
            }
            _ => {
                "ALTER TABLE activities ADD COLUMN deal_id uuid_text NULL REFERENCES deals (id) ON DELETE SET NULL"
            }
        };
        execute_all(
            manager,
            &[
                deal_of_activity,
                "CREATE INDEX activities_deal ON activities (deal_id)",
            ],
        )
        .await
    }
}
