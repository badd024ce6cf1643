//! The tables of orders: `orders`, `order_lines`, `order_refunds` and `order_shipment_events`.

/// The `orders` table.
pub mod order {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "orders")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub number: String,
        pub customer_id: Uuid,
        pub sales_user_id: Option<Uuid>,
        pub status: String,
        pub currency: String,
        pub subtotal: i64,
        pub shipping: i64,
        pub total: i64,
        pub channel: Option<String>,
        pub external_id: Option<String>,
        #[sea_orm(column_type = "Text", nullable)]
        pub note: Option<String>,
        pub recipient_name: Option<String>,
        pub recipient_phone: Option<String>,
        pub ship_to_country: Option<String>,
        pub ship_to_province: Option<String>,
        pub ship_to_city: Option<String>,
        pub ship_to_district: Option<String>,
        pub ship_to_street: Option<String>,
        pub ship_to_postal_code: Option<String>,
        pub payment_method: Option<String>,
        pub payment_reference: Option<String>,
        pub paid_at: Option<DateTimeUtc>,
        pub cancelled_at: Option<DateTimeUtc>,
        pub carrier: Option<String>,
        pub tracking_number: Option<String>,
        pub shipped_at: Option<DateTimeUtc>,
        pub delivered_at: Option<DateTimeUtc>,
        pub completed_at: Option<DateTimeUtc>,
        pub refunded_total: i64,
        #[sea_orm(column_type = "Json")]
        pub custom_fields: Json,
        pub coupon_code: Option<String>,
        pub coupon_id: Option<Uuid>,
        pub campaign_id: Option<Uuid>,
        pub discount_total: i64,
        #[sea_orm(column_type = "Json")]
        pub discounts: Json,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The `order_lines` table.
pub mod line {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "order_lines")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub order_id: Uuid,
        pub position: i32,
        pub variant_id: Option<Uuid>,
        pub product_id: Option<Uuid>,
        pub sku: Option<String>,
        pub name: String,
        pub quantity: i64,
        pub unit_price: i64,
        pub line_total: i64,
        pub restocked: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The `order_refunds` table.
pub mod refund {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "order_refunds")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub order_id: Uuid,
        pub amount: i64,
        #[sea_orm(column_type = "Text", nullable)]
        pub reason: Option<String>,
        pub status: String,
        pub reference: Option<String>,
        #[sea_orm(column_type = "Text", nullable)]
        pub rejection_reason: Option<String>,
        pub restocked: i64,
        pub requested_at: DateTimeUtc,
        pub decided_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The `order_shipment_events` table.
pub mod shipment_event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "order_shipment_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub order_id: Uuid,
        pub status: String,
        pub place: Option<String>,
        pub occurred_at: DateTimeUtc,
        pub recorded_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
