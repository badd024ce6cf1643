//! Service level agreements: policies with a first-response and a resolution target per
//! priority, perhaps counted in business hours, at most one of them active; and on each ticket
//! the clock it took: when it is due, how long it waited on the customer, and each breach once.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::execute_all;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tickets {
    Table,
    SlaPausedMinutes,
    FirstResponseDueAt,
    ResolutionDueAt,
    SlaPausedSince,
    FirstResponseBreachedAt,
    ResolutionBreachedAt,
}

#[derive(DeriveIden)]
enum SlaPolicies {
    Table,
    Id,
    Name,
    Active,
    BusinessHours,
    Targets,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SlaPolicies::Table)
                    .col(pk_uuid(SlaPolicies::Id))
                    .col(string_len(SlaPolicies::Name, 100))
                    .col(boolean(SlaPolicies::Active))
                    .col(json_null(SlaPolicies::BusinessHours))
                    .col(json(SlaPolicies::Targets))
                    .col(timestamp_with_time_zone(SlaPolicies::CreatedAt))
                    .col(timestamp_with_time_zone(SlaPolicies::UpdatedAt))
                    .col(big_integer(SlaPolicies::Version))
                    .to_owned(),
            )
            .await?;
        // Columns with their foreign key, in each database's words (SQLite takes the reference
        // in the column's definition only).
        let policy_of_ticket = match manager.get_database_backend() {
            DbBackend::Postgres => {
                "ALTER TABLE tickets ADD COLUMN sla_policy_id uuid NULL REFERENCES sla_policies (id) ON DELETE SET NULL"
            }
            _ => {
                "ALTER TABLE tickets ADD COLUMN sla_policy_id uuid_text NULL REFERENCES sla_policies (id) ON DELETE SET NULL"
            }
        };
        for column in [
            Tickets::FirstResponseDueAt,
            Tickets::ResolutionDueAt,
            Tickets::SlaPausedSince,
            Tickets::FirstResponseBreachedAt,
            Tickets::ResolutionBreachedAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Tickets::Table)
                        .add_column(timestamp_with_time_zone_null(column))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Tickets::Table)
                    .add_column(big_integer(Tickets::SlaPausedMinutes).default(0))
                    .to_owned(),
            )
            .await?;
        let mut statements = vec![
            "CREATE UNIQUE INDEX sla_policies_name ON sla_policies (name)".to_owned(),
            // At most one policy is the one new tickets take.
            "CREATE UNIQUE INDEX sla_policies_active ON sla_policies (active) WHERE active"
                .to_owned(),
            policy_of_ticket.to_owned(),
        ];
        statements.push(
            "CREATE INDEX tickets_first_response_due ON tickets (first_response_due_at)".to_owned(),
        );
        statements
            .push("CREATE INDEX tickets_resolution_due ON tickets (resolution_due_at)".to_owned());
        let statements: Vec<&str> = statements.iter().map(String::as_str).collect();
        execute_all(manager, &statements).await
    }
}
