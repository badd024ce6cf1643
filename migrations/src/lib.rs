//! Rapport's schema history: one file per change, named by date and purpose, whose statements
//! never change after it has landed (steps shared by several live in their own modules). Applied
//! at start-up and by `rapport migrate`.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_access;
mod m20261123_000002_records;
mod m20261123_000003_customers;
mod m20261123_000004_custom_fields;
mod m20261202_000005_customer_search;
mod m20261202_000006_segments;
mod m20261202_000007_privacy;
mod m20261202_000008_duplicates;
mod m20261202_000009_imports;
mod m20261202_000010_city_stage_index;
mod m20261204_000011_audited_reads;
mod m20261205_000012_catalogue;
mod m20261205_000013_products;
mod m20261205_000014_orders;
mod m20261205_000015_order_fulfilment;
mod m20261205_000016_customer_purchases;
mod m20261205_000017_customer_levels;
mod m20261205_000018_purchase_filter;
mod m20261205_000019_order_delivery;
mod m20261205_000020_product_search;
mod m20261205_000021_product_order_custom_fields;
mod m20261205_000022_jobs;
mod m20261205_000023_activities_tasks;
mod m20261205_000024_deals;
mod m20261206_000025_leads;
mod m20261206_000026_deal_reminders;
mod m20261206_000027_care_plans;
mod m20261206_000028_activity_deals;
mod m20261206_000029_deal_custom_fields;
mod m20261206_000030_tickets;
mod m20261206_000031_sla;
mod m20261206_000032_conversations;
mod m20261206_000033_return_visits;
mod m20261207_000034_coupons;
mod m20261207_000035_points;
mod m20261208_000036_membership;
mod m20261209_000037_rewards;
mod m20261209_000038_earned_coupons;
mod m20261210_000039_promotions;
mod m20261210_000040_campaigns;

mod custom_field_owners;

/// Every migration, oldest first.
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_access::Migration),
            Box::new(m20261123_000002_records::Migration),
            Box::new(m20261123_000003_customers::Migration),
            Box::new(m20261123_000004_custom_fields::Migration),
            Box::new(m20261202_000005_customer_search::Migration),
            Box::new(m20261202_000006_segments::Migration),
            Box::new(m20261202_000007_privacy::Migration),
            Box::new(m20261202_000008_duplicates::Migration),
            Box::new(m20261202_000009_imports::Migration),
            Box::new(m20261202_000010_city_stage_index::Migration),
            Box::new(m20261204_000011_audited_reads::Migration),
            Box::new(m20261205_000012_catalogue::Migration),
            Box::new(m20261205_000013_products::Migration),
            Box::new(m20261205_000014_orders::Migration),
            Box::new(m20261205_000015_order_fulfilment::Migration),
            Box::new(m20261205_000016_customer_purchases::Migration),
            Box::new(m20261205_000017_customer_levels::Migration),
            Box::new(m20261205_000018_purchase_filter::Migration),
            Box::new(m20261205_000019_order_delivery::Migration),
            Box::new(m20261205_000020_product_search::Migration),
            Box::new(m20261205_000021_product_order_custom_fields::Migration),
            Box::new(m20261205_000022_jobs::Migration),
            Box::new(m20261205_000023_activities_tasks::Migration),
            Box::new(m20261205_000024_deals::Migration),
            Box::new(m20261206_000025_leads::Migration),
            Box::new(m20261206_000026_deal_reminders::Migration),
            Box::new(m20261206_000027_care_plans::Migration),
            Box::new(m20261206_000028_activity_deals::Migration),
            Box::new(m20261206_000029_deal_custom_fields::Migration),
            Box::new(m20261206_000030_tickets::Migration),
            Box::new(m20261206_000031_sla::Migration),
            Box::new(m20261206_000032_conversations::Migration),
            Box::new(m20261206_000033_return_visits::Migration),
            Box::new(m20261207_000034_coupons::Migration),
            Box::new(m20261207_000035_points::Migration),
            Box::new(m20261208_000036_membership::Migration),
            Box::new(m20261209_000037_rewards::Migration),
            Box::new(m20261209_000038_earned_coupons::Migration),
            Box::new(m20261210_000039_promotions::Migration),
            Box::new(m20261210_000040_campaigns::Migration),
        ]
    }
}

/// Runs each statement as it is; used where the schema builder cannot say it (partial indexes).
async fn execute_all(manager: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {
    for sql in statements {
        manager.get_connection().execute_unprepared(sql).await?;
    }
    Ok(())
}

/// A non-unique index over `columns` of `table`.
fn index(
    table: impl IntoIden + 'static,
    name: &str,
    columns: &[&'static str],
) -> IndexCreateStatement {
    let mut statement = Index::create();
    statement.name(name).table(table);
    for column in columns {
        statement.col(Alias::new(*column));
    }
    statement.to_owned()
}
