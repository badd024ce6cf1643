//! The `customers`, `customer_tags` and `contacts` tables, and their conversion to domain values.

use chrono::{DateTime, NaiveDate, Utc};
use rapport_domain::customers::{
    Address, Consent, Contact, Customer, CustomerKind, Gender, LifecycleStage, Purchases,
};
use rapport_domain::values::{Email, Phone};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sqlx::Row as _;
use sea_orm::sqlx::postgres::{PgRow, Postgres};
use sea_orm::sqlx::types::Json;
use sea_orm::{DbErr, DerivePartialModel, FromJsonQueryResult, FromQueryResult, QueryResult};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Error, Result};

/// The `customers` table.
pub mod customer {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "customers")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub kind: String,
        pub name: String,
        pub email: Option<String>,
        pub phone: Option<String>,
        pub gender: Option<String>,
        pub birthday: Option<Date>,
        pub address_country: Option<String>,
        pub address_province: Option<String>,
        pub address_city: Option<String>,
        pub address_district: Option<String>,
        pub address_street: Option<String>,
        pub address_postal_code: Option<String>,
        pub source: Option<String>,
        pub lifecycle_stage: String,
        #[sea_orm(column_type = "Json")]
        pub tags: Json,
        pub owner_id: Option<Uuid>,
        pub external_id: Option<String>,
        pub consent_opted_in: bool,
        pub consent_channel: Option<String>,
        pub consent_updated_at: Option<DateTimeUtc>,
        #[sea_orm(column_type = "Text", nullable)]
        pub notes: Option<String>,
        #[sea_orm(column_type = "Json")]
        pub custom_fields: Json,
        #[sea_orm(column_type = "Text")]
        pub search_text: String,
        /// The lower-cased text fields `contains` and `starts_with` compare with.
        #[sea_orm(column_type = "Json", nullable)]
        pub folded: Option<Json>,
        pub anonymised_at: Option<DateTimeUtc>,
        /// What the customer's orders add up to (see `purchases.rs`): written only there.
        pub orders_count: i64,
        pub total_spent: i64,
        pub average_order_value: i64,
        pub first_order_at: Option<DateTimeUtc>,
        pub last_order_at: Option<DateTimeUtc>,
        /// The latest activity's time (see `activity.rs`): written only there.
        pub last_activity_at: Option<DateTimeUtc>,
        /// The level the figures reach (see `levels.rs`): written only there.
        pub level_id: Option<Uuid>,
        /// The membership tier (see `tiers.rs`): written only there.
        pub tier_id: Option<Uuid>,
        /// The loyalty membership (see `membership.rs`): written only there.
        pub member_number: Option<String>,
        pub member_since: Option<DateTimeUtc>,
        pub signup_channel: Option<String>,
        /// The name reduced for finding duplicates.
        pub name_key: Option<String>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The `customer_tags` table: one row per tag of a customer, for indexed tag filters and counts.
pub mod customer_tag {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "customer_tags")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tag: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub customer_id: Uuid,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The `contacts` table.
pub mod contact {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "contacts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub customer_id: Uuid,
        pub name: String,
        pub title: Option<String>,
        pub email: Option<String>,
        pub phone: Option<String>,
        pub is_primary: bool,
        #[sea_orm(column_type = "Text", nullable)]
        pub notes: Option<String>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i64,
        #[sea_orm(column_type = "Json")]
        pub custom_fields: Json,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

fn corrupt(what: &str) -> Error {
    Error::Internal(format!("stored {what} does not parse"))
}

/// The text `q` searches: name, email and phone, lower-cased.
pub fn search_text(c: &Customer) -> String {
    let mut text = c.name.to_lowercase();
    for part in [
        c.email.as_ref().map(Email::as_str),
        c.phone.as_ref().map(Phone::as_str),
    ]
    .into_iter()
    .flatten()
    {
        text.push(' ');
        text.push_str(part);
    }
    text
}

/// The `folded` column: see [`rapport_domain::customers::fields::folded_text`].
pub fn folded(c: &Customer) -> serde_json::Value {
    serde_json::Value::Object(rapport_domain::customers::fields::folded_text(c))
}

/// A customer's tags as stored: a JSON array of text, decoded straight into a list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, FromJsonQueryResult)]
pub struct StoredTags(pub Vec<String>);

/// A customer's custom field values as stored: a JSON object, decoded straight into a map.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, FromJsonQueryResult)]
pub struct StoredValues(pub serde_json::Map<String, serde_json::Value>);

/// A column of a customer row read from PostgreSQL's answer without sqlx's check that the
/// column's type suits the Rust type (a type-info clone and comparison for each of the 1,350
/// values of a page of 50, about a quarter of the time spent decoding them). The columns of
/// `customers` are fixed by the migrations, the struct's types match them, and debug builds check
/// every row's column names.
trait PgColumn: Sized {
    fn read(row: &PgRow, index: usize) -> std::result::Result<Self, DbErr>;
}

fn decode_error(index: usize, e: &sea_orm::sqlx::Error) -> DbErr {
    DbErr::Type(format!("customer column {index}: {e}"))
}

impl<T> PgColumn for T
where
    T: for<'r> sea_orm::sqlx::Decode<'r, Postgres>,
{
    fn read(row: &PgRow, index: usize) -> std::result::Result<Self, DbErr> {
        row.try_get_unchecked(index)
            .map_err(|e| decode_error(index, &e))
    }
}

/// Reads a JSON column into its Rust form.
fn read_json<T: serde::de::DeserializeOwned>(
    row: &PgRow,
    index: usize,
) -> std::result::Result<T, DbErr> {
    row.try_get_unchecked::<Json<T>, _>(index)
        .map(|json| json.0)
        .map_err(|e| decode_error(index, &e))
}

impl PgColumn for StoredTags {
    fn read(row: &PgRow, index: usize) -> std::result::Result<Self, DbErr> {
        read_json(row, index)
    }
}

impl PgColumn for StoredValues {
    fn read(row: &PgRow, index: usize) -> std::result::Result<Self, DbErr> {
        read_json(row, index)
    }
}

macro_rules! customer_row {
    ($(#[$doc:meta])* $($field:ident: $ty:ty),+ $(,)?) => {
        $(#[$doc])*
        #[derive(Clone, Debug, DerivePartialModel)]
        #[sea_orm(entity = "customer::Entity", from_query_result = "false")]
        pub struct CustomerRow {
            $(pub $field: $ty),+
        }

        /// The columns of [`CustomerRow`], in the order its derive selects them.
        const ROW_COLUMNS: &[&str] = &[$(stringify!($field)),+];

        impl FromQueryResult for CustomerRow {
            fn from_query_result(row: &QueryResult, pre: &str) -> std::result::Result<Self, DbErr> {
                debug_assert!(pre.is_empty(), "customer rows are read without a prefix");
                debug_assert_eq!(column_names(row), ROW_COLUMNS, "CustomerRow's column order");
                if let Some(pg) = row.try_as_pg_row() {
                    let mut position = 0..;
                    return Ok(CustomerRow {
                        $($field: <$ty as PgColumn>::read(pg, position.next().unwrap_or_default())?),+
                    });
                }
                let mut position = 0..;
                // Fields of a struct expression are evaluated in the order written.
                Ok(CustomerRow {
                    $($field: row.try_get_by_index(position.next().unwrap_or_default())?),+
                })
            }
        }
    };
}

customer_row!(
    /// A customer as reads load it: every column of `customers` but the ones derived for
    /// queries (`search_text`, `folded`, `name_key`), which no answer shows. Leaving them out of
    /// a page of 50 spares the database sending them and the server decoding them (`folded` is a
    /// JSON object); tags and custom values decode straight into their types instead of through
    /// a JSON tree.
    ///
    /// Rows are read by column position rather than by name: a page of 50 customers is 1,350
    /// values, and a lookup by name formats the name and searches the row's columns for each of
    /// them. This one list of fields declares the struct (whose derive selects the columns in
    /// field order) and reads them back in that order; debug builds also check every row's
    /// column names.
    id: Uuid,
    kind: String,
    name: String,
    email: Option<String>,
    phone: Option<String>,
    gender: Option<String>,
    birthday: Option<NaiveDate>,
    address_country: Option<String>,
    address_province: Option<String>,
    address_city: Option<String>,
    address_district: Option<String>,
    address_street: Option<String>,
    address_postal_code: Option<String>,
    source: Option<String>,
    lifecycle_stage: String,
    tags: StoredTags,
    owner_id: Option<Uuid>,
    external_id: Option<String>,
    consent_opted_in: bool,
    consent_channel: Option<String>,
    consent_updated_at: Option<DateTime<Utc>>,
    notes: Option<String>,
    custom_fields: StoredValues,
    anonymised_at: Option<DateTime<Utc>>,
    orders_count: i64,
    total_spent: i64,
    average_order_value: i64,
    first_order_at: Option<DateTime<Utc>>,
    last_order_at: Option<DateTime<Utc>>,
    last_activity_at: Option<DateTime<Utc>>,
    level_id: Option<Uuid>,
    tier_id: Option<Uuid>,
    member_number: Option<String>,
    member_since: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    version: i64,
);

/// The names of a row's columns, in order (for the debug check in [`CustomerRow`]'s reader).
fn column_names(row: &QueryResult) -> Vec<String> {
    use sea_orm::sqlx::{Column, Row};
    if let Some(r) = row.try_as_pg_row() {
        r.columns().iter().map(|c| c.name().to_owned()).collect()
    } else if let Some(r) = row.try_as_sqlite_row() {
        r.columns().iter().map(|c| c.name().to_owned()).collect()
    } else {
        Vec::new()
    }
}

impl TryFrom<customer::Model> for CustomerRow {
    type Error = Error;
    fn try_from(m: customer::Model) -> Result<Self> {
        Ok(CustomerRow {
            id: m.id,
            kind: m.kind,
            name: m.name,
            email: m.email,
            phone: m.phone,
            gender: m.gender,
            birthday: m.birthday,
            address_country: m.address_country,
            address_province: m.address_province,
            address_city: m.address_city,
            address_district: m.address_district,
            address_street: m.address_street,
            address_postal_code: m.address_postal_code,
            source: m.source,
            lifecycle_stage: m.lifecycle_stage,
            tags: StoredTags(serde_json::from_value(m.tags)?),
            owner_id: m.owner_id,
            external_id: m.external_id,
            consent_opted_in: m.consent_opted_in,
            consent_channel: m.consent_channel,
            consent_updated_at: m.consent_updated_at,
            notes: m.notes,
            custom_fields: StoredValues(serde_json::from_value(m.custom_fields)?),
            anonymised_at: m.anonymised_at,
            orders_count: m.orders_count,
            total_spent: m.total_spent,
            average_order_value: m.average_order_value,
            first_order_at: m.first_order_at,
            last_order_at: m.last_order_at,
            last_activity_at: m.last_activity_at,
            level_id: m.level_id,
            tier_id: m.tier_id,
            member_number: m.member_number,
            member_since: m.member_since,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

impl TryFrom<customer::Model> for Customer {
    type Error = Error;
    fn try_from(m: customer::Model) -> Result<Self> {
        CustomerRow::try_from(m)?.try_into()
    }
}

impl TryFrom<CustomerRow> for Customer {
    type Error = Error;
    fn try_from(m: CustomerRow) -> Result<Self> {
        Ok(Customer {
            id: m.id,
            kind: CustomerKind::from_name(&m.kind).ok_or_else(|| corrupt("kind"))?,
            name: m.name,
            email: m.email.map(Email::from_stored),
            phone: m.phone.map(Phone::from_stored),
            gender: m
                .gender
                .map(|g| Gender::from_name(&g).ok_or_else(|| corrupt("gender")))
                .transpose()?,
            birthday: m.birthday,
            address: Address {
                country: m.address_country,
                province: m.address_province,
                city: m.address_city,
                district: m.address_district,
                street: m.address_street,
                postal_code: m.address_postal_code,
            },
            source: m.source,
            lifecycle_stage: LifecycleStage::from_name(&m.lifecycle_stage)
                .ok_or_else(|| corrupt("lifecycle_stage"))?,
            tags: m.tags.0,
            owner_id: m.owner_id,
            external_id: m.external_id,
            marketing_consent: Consent {
                opted_in: m.consent_opted_in,
                channel: m.consent_channel,
                updated_at: m.consent_updated_at,
            },
            notes: m.notes,
            custom_fields: m.custom_fields.0,
            anonymised_at: m.anonymised_at,
            purchases: Purchases {
                orders_count: m.orders_count,
                total_spent: m.total_spent,
                average_order_value: m.average_order_value,
                first_order_at: m.first_order_at,
                last_order_at: m.last_order_at,
            },
            last_activity_at: m.last_activity_at,
            level_id: m.level_id,
            tier_id: m.tier_id,
            member_number: m.member_number,
            member_since: m.member_since,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

/// Every column of a customer, set from the domain value, but its purchase figures, level, tier
/// and membership: only the recount of its orders writes those (`purchases.rs`, `levels.rs`),
/// enrolment and tier review the others (`membership.rs`, `tiers.rs`), so no other write can
/// carry stale ones.
pub fn active_customer(c: &Customer) -> customer::ActiveModel {
    customer::ActiveModel {
        id: Set(c.id),
        kind: Set(c.kind.as_str().to_owned()),
        name: Set(c.name.clone()),
        email: Set(c.email.as_ref().map(|e| e.as_str().to_owned())),
        phone: Set(c.phone.as_ref().map(|p| p.as_str().to_owned())),
        gender: Set(c.gender.map(|g| g.as_str().to_owned())),
        birthday: Set(c.birthday),
        address_country: Set(c.address.country.clone()),
        address_province: Set(c.address.province.clone()),
        address_city: Set(c.address.city.clone()),
        address_district: Set(c.address.district.clone()),
        address_street: Set(c.address.street.clone()),
        address_postal_code: Set(c.address.postal_code.clone()),
        source: Set(c.source.clone()),
        lifecycle_stage: Set(c.lifecycle_stage.as_str().to_owned()),
        tags: Set(serde_json::Value::from(c.tags.clone())),
        owner_id: Set(c.owner_id),
        external_id: Set(c.external_id.clone()),
        consent_opted_in: Set(c.marketing_consent.opted_in),
        consent_channel: Set(c.marketing_consent.channel.clone()),
        consent_updated_at: Set(c.marketing_consent.updated_at),
        notes: Set(c.notes.clone()),
        custom_fields: Set(serde_json::Value::Object(c.custom_fields.clone())),
        search_text: Set(search_text(c)),
        folded: Set(Some(folded(c))),
        anonymised_at: Set(c.anonymised_at),
        name_key: Set(Some(rapport_domain::customers::merge::name_key(&c.name))),
        orders_count: NotSet,
        total_spent: NotSet,
        average_order_value: NotSet,
        first_order_at: NotSet,
        last_order_at: NotSet,
        last_activity_at: NotSet,
        level_id: NotSet,
        tier_id: NotSet,
        member_number: NotSet,
        member_since: NotSet,
        signup_channel: NotSet,
        created_at: Set(c.created_at),
        updated_at: Set(c.updated_at),
        version: Set(c.version),
    }
}

impl TryFrom<contact::Model> for Contact {
    type Error = Error;
    fn try_from(m: contact::Model) -> Result<Self> {
        Ok(Contact {
            id: m.id,
            customer_id: m.customer_id,
            name: m.name,
            title: m.title,
            email: m.email.map(Email::from_stored),
            phone: m.phone.map(Phone::from_stored),
            is_primary: m.is_primary,
            notes: m.notes,
            custom_fields: serde_json::from_value(m.custom_fields)?,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

/// Every column of a contact, set from the domain value.
pub fn active_contact(c: &Contact) -> contact::ActiveModel {
    contact::ActiveModel {
        id: Set(c.id),
        customer_id: Set(c.customer_id),
        name: Set(c.name.clone()),
        title: Set(c.title.clone()),
        email: Set(c.email.as_ref().map(|e| e.as_str().to_owned())),
        phone: Set(c.phone.as_ref().map(|p| p.as_str().to_owned())),
        is_primary: Set(c.is_primary),
        notes: Set(c.notes.clone()),
        created_at: Set(c.created_at),
        updated_at: Set(c.updated_at),
        version: Set(c.version),
        custom_fields: Set(serde_json::Value::Object(c.custom_fields.clone())),
    }
}

/// The `consent_records` table.
pub mod consent_record {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "consent_records")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub customer_id: Uuid,
        pub opted_in: bool,
        pub channel: String,
        pub occurred_at: DateTimeUtc,
        pub recorded_at: DateTimeUtc,
        pub actor_type: String,
        pub actor_id: Option<Uuid>,
        pub request_id: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
