//! Care plans: occasions on which staff attend to the customers of a segment (a birthday, a
//! date of the year or an anniversary, a regular return visit, a customer gone quiet), and each
//! customer's participation in each occasion, recorded once.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{execute_all, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CarePlans {
    Table,
    Id,
    Name,
    Kind,
    SegmentId,
    DaysBefore,
    Month,
    Day,
    DateField,
    IntervalDays,
    IntervalMonths,
    InactiveDays,
    Manner,
    MakesTask,
    AssigneeId,
    EmitsEvent,
    Status,
    LastRunOn,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum CareParticipations {
    Table,
    Id,
    PlanId,
    CustomerId,
    Occasion,
    Status,
    TaskId,
    ActivityId,
    Feedback,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Segments {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Tasks {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Activities {
    Table,
    Id,
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
                    .table(CarePlans::Table)
                    .col(pk_uuid(CarePlans::Id))
                    .col(string_len(CarePlans::Name, 100))
                    .col(string_len(CarePlans::Kind, 16))
                    .col(uuid_null(CarePlans::SegmentId))
                    .col(small_integer(CarePlans::DaysBefore))
                    .col(small_integer_null(CarePlans::Month))
                    .col(small_integer_null(CarePlans::Day))
                    .col(string_len_null(CarePlans::DateField, 80))
                    .col(small_integer_null(CarePlans::IntervalDays))
                    .col(small_integer_null(CarePlans::IntervalMonths))
                    .col(small_integer_null(CarePlans::InactiveDays))
                    .col(string_len(CarePlans::Manner, 8))
                    .col(boolean(CarePlans::MakesTask))
                    .col(uuid_null(CarePlans::AssigneeId))
                    .col(boolean(CarePlans::EmitsEvent))
                    .col(string_len(CarePlans::Status, 8))
                    .col(date_null(CarePlans::LastRunOn))
                    .col(timestamp_with_time_zone(CarePlans::CreatedAt))
                    .col(timestamp_with_time_zone(CarePlans::UpdatedAt))
                    .col(big_integer(CarePlans::Version))
                    .check(Expr::col(CarePlans::Kind).is_in([
                        "birthday",
                        "fixed_date",
                        "recurring",
                        "inactivity",
                    ]))
                    .check(
                        Expr::col(CarePlans::Manner)
                            .is_in(["call", "sms", "email", "visit", "gift", "wechat"]),
                    )
                    .check(Expr::col(CarePlans::Status).is_in(["active", "paused"]))
                    .check(Expr::col(CarePlans::DaysBefore).between(0, 60))
                    // A plan does something for each occasion.
                    .check(
                        Expr::col(CarePlans::MakesTask)
                            .eq(true)
                            .or(Expr::col(CarePlans::EmitsEvent).eq(true)),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CarePlans::Table, CarePlans::SegmentId)
                            .to(Segments::Table, Segments::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CarePlans::Table, CarePlans::AssigneeId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        execute_all(
            manager,
            &[
                "CREATE UNIQUE INDEX care_plans_name_unique ON care_plans (lower(name))",
                "CREATE INDEX care_plans_created_at ON care_plans (created_at, id)",
                "CREATE INDEX care_plans_segment ON care_plans (segment_id)",
            ],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(CareParticipations::Table)
                    .col(pk_uuid(CareParticipations::Id))
                    .col(uuid(CareParticipations::PlanId))
                    .col(uuid(CareParticipations::CustomerId))
                    .col(date(CareParticipations::Occasion))
                    .col(string_len(CareParticipations::Status, 10))
                    .col(uuid_null(CareParticipations::TaskId))
                    .col(uuid_null(CareParticipations::ActivityId))
                    .col(text_null(CareParticipations::Feedback))
                    .col(timestamp_with_time_zone(CareParticipations::CreatedAt))
                    .col(timestamp_with_time_zone(CareParticipations::UpdatedAt))
                    .col(big_integer(CareParticipations::Version))
                    .check(Expr::col(CareParticipations::Status).is_in([
                        "pending",
                        "done",
                        "declined",
                        "no_answer",
                    ]))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CareParticipations::Table, CareParticipations::PlanId)
                            .to(CarePlans::Table, CarePlans::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CareParticipations::Table, CareParticipations::CustomerId)
                            .to(Customers::Table, Customers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CareParticipations::Table, CareParticipations::TaskId)
                            .to(Tasks::Table, Tasks::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CareParticipations::Table, CareParticipations::ActivityId)
                            .to(Activities::Table, Activities::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // One participation per customer and occasion of a plan, however often and on however
        // many nodes the plan runs.
        execute_all(
            manager,
            &["CREATE UNIQUE INDEX care_participations_once ON care_participations (plan_id, customer_id, occasion)"],
        )
        .await?;
        for (name, columns) in [
            (
                "care_participations_plan",
                &["plan_id", "created_at", "id"][..],
            ),
            ("care_participations_customer", &["customer_id"]),
            ("care_participations_task", &["task_id"]),
        ] {
            manager
                .create_index(index(CareParticipations::Table, name, columns))
                .await?;
        }
        Ok(())
    }
}
