//! Campaigns: each aimed at a segment, with its money and window; the members its audience froze
//! into when published, each with when it was first sent, delivered, opened, clicked through and
//! converted; every tracking event, once per the sender's id within the campaign; and on orders,
//! the campaign they are credited to.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::{execute_all, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    Id,
    Name,
    Description,
    CampaignType,
    SegmentId,
    CouponId,
    Currency,
    Budget,
    Cost,
    Goal,
    StartsAt,
    EndsAt,
    Status,
    PublishedAt,
    EndedAt,
    MemberCount,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum CampaignMembers {
    Table,
    CampaignId,
    CustomerId,
    AddedAt,
    SentAt,
    DeliveredAt,
    OpenedAt,
    ClickedAt,
    ConvertedAt,
}

#[derive(DeriveIden)]
enum CampaignEvents {
    Table,
    Id,
    CampaignId,
    CustomerId,
    EventId,
    Kind,
    OccurredAt,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Segments {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Coupons {
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
                    .table(Campaigns::Table)
                    .col(pk_uuid(Campaigns::Id))
                    .col(string_len(Campaigns::Name, 100))
                    .col(text_null(Campaigns::Description))
                    .col(string_len(Campaigns::CampaignType, 16))
                    .col(uuid_null(Campaigns::SegmentId))
                    .col(uuid_null(Campaigns::CouponId))
                    .col(string_len(Campaigns::Currency, 3))
                    .col(big_integer_null(Campaigns::Budget))
                    .col(big_integer(Campaigns::Cost).default(0))
                    .col(string_len_null(Campaigns::Goal, 500))
                    .col(timestamp_with_time_zone(Campaigns::StartsAt))
                    .col(timestamp_with_time_zone_null(Campaigns::EndsAt))
                    .col(string_len(Campaigns::Status, 16))
                    .col(timestamp_with_time_zone_null(Campaigns::PublishedAt))
                    .col(timestamp_with_time_zone_null(Campaigns::EndedAt))
                    .col(big_integer(Campaigns::MemberCount).default(0))
                    .col(timestamp_with_time_zone(Campaigns::CreatedAt))
                    .col(timestamp_with_time_zone(Campaigns::UpdatedAt))
                    .col(big_integer(Campaigns::Version))
                    .check(Expr::col(Campaigns::CampaignType).is_in([
                        "promotion",
                        "coupon",
                        "email",
                        "sms",
                        "event",
                    ]))
                    .check(Expr::col(Campaigns::Status).is_in([
                        "draft",
                        "scheduled",
                        "active",
                        "completed",
                        "cancelled",
                    ]))
                    .check(Expr::cust(
                        "cost >= 0 AND (budget IS NULL OR budget >= 0) AND member_count >= 0",
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Campaigns::Table, Campaigns::SegmentId)
                            .to(Segments::Table, Segments::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Campaigns::Table, Campaigns::CouponId)
                            .to(Coupons::Table, Coupons::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CampaignMembers::Table)
                    .col(uuid(CampaignMembers::CampaignId))
                    .col(uuid(CampaignMembers::CustomerId))
                    .col(timestamp_with_time_zone(CampaignMembers::AddedAt))
                    .col(timestamp_with_time_zone_null(CampaignMembers::SentAt))
                    .col(timestamp_with_time_zone_null(CampaignMembers::DeliveredAt))
                    .col(timestamp_with_time_zone_null(CampaignMembers::OpenedAt))
                    .col(timestamp_with_time_zone_null(CampaignMembers::ClickedAt))
                    .col(timestamp_with_time_zone_null(CampaignMembers::ConvertedAt))
                    .primary_key(
                        Index::create()
                            .col(CampaignMembers::CampaignId)
                            .col(CampaignMembers::CustomerId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CampaignMembers::Table, CampaignMembers::CampaignId)
                            .to(Campaigns::Table, Campaigns::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CampaignMembers::Table, CampaignMembers::CustomerId)
                            .to(Customers::Table, Customers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CampaignEvents::Table)
                    .col(pk_uuid(CampaignEvents::Id))
                    .col(uuid(CampaignEvents::CampaignId))
                    .col(uuid(CampaignEvents::CustomerId))
                    .col(string_len(CampaignEvents::EventId, 100))
                    .col(string_len(CampaignEvents::Kind, 16))
                    .col(timestamp_with_time_zone(CampaignEvents::OccurredAt))
                    .col(timestamp_with_time_zone(CampaignEvents::ReceivedAt))
                    .check(Expr::col(CampaignEvents::Kind).is_in([
                        "sent",
                        "delivered",
                        "opened",
                        "clicked",
                        "converted",
                    ]))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CampaignEvents::Table, CampaignEvents::CampaignId)
                            .to(Campaigns::Table, Campaigns::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CampaignEvents::Table, CampaignEvents::CustomerId)
                            .to(Customers::Table, Customers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        let uuid_type = match manager.get_database_backend() {
            sea_orm::DatabaseBackend::Sqlite => "uuid_text",
            _ => "uuid",
        };
        let add_campaign = format!(
            "ALTER TABLE orders ADD COLUMN campaign_id {uuid_type} NULL \
             REFERENCES campaigns (id) ON DELETE SET NULL"
        );
        execute_all(
            manager,
            &[
                "CREATE UNIQUE INDEX campaign_events_event_id \
                 ON campaign_events (campaign_id, event_id)",
                &add_campaign,
            ],
        )
        .await?;
        for (table, name, columns) in [
            (
                "campaign_events",
                "campaign_events_customer",
                &["customer_id", "occurred_at", "id"][..],
            ),
            (
                "campaign_members",
                "campaign_members_customer",
                &["customer_id"],
            ),
            ("orders", "orders_campaign", &["campaign_id"]),
        ] {
            manager
                .create_index(index(Alias::new(table), name, columns))
                .await?;
        }
        Ok(())
    }
}
