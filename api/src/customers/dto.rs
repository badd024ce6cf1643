//! What goes over the wire for customers and contacts, and its translation to domain values.

use chrono::{DateTime, NaiveDate, Utc};
use rapport_domain::FieldErrors;
use rapport_domain::custom_fields::{self, Definition, Write};
use rapport_domain::customers::{
    self, Address, Consent, ConsentInput, Contact, ContactChanges, Customer, CustomerChanges,
    CustomerKind, Disclosure, Gender, LifecycleStage, NewContact, NewCustomer,
};
use rapport_domain::validation::optional_text;
use rapport_domain::values::{optional_email, optional_phone};
use serde::{Deserialize, Serialize};

use crate::extract::nullable;
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Person or organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A private person.
    Individual,
    /// An organisation with contacts.
    Company,
}

/// Gender.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GenderDto {
    /// Female.
    Female,
    /// Male.
    Male,
    /// Other.
    Other,
}

/// Relationship stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Known, not yet qualified.
    Lead,
    /// Qualified, not yet bought.
    Prospect,
    /// Has bought.
    Customer,
    /// Has not bought for a while.
    Inactive,
    /// Gone.
    Churned,
}

mirror!(Kind <=> CustomerKind { Individual, Company });
mirror!(GenderDto <=> Gender { Female, Male, Other });
mirror!(Stage <=> LifecycleStage { Lead, Prospect, Customer, Inactive, Churned });

/// A postal address; every part optional, each at most 200 characters.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"country": "CN", "province": "上海市", "city": "上海市", "district": "浦东新区", "street": "世纪大道 100 号", "postal_code": "200120"}))]
pub struct AddressDto {
    /// Country or region.
    #[schema(max_length = 200)]
    pub country: Option<String>,
    /// Province or state.
    #[schema(max_length = 200)]
    pub province: Option<String>,
    /// City.
    #[schema(max_length = 200)]
    pub city: Option<String>,
    /// District.
    #[schema(max_length = 200)]
    pub district: Option<String>,
    /// Street and number.
    #[schema(max_length = 200)]
    pub street: Option<String>,
    /// Postal code.
    #[schema(max_length = 200)]
    pub postal_code: Option<String>,
}

impl From<AddressDto> for Address {
    fn from(a: AddressDto) -> Self {
        Address {
            country: a.country,
            province: a.province,
            city: a.city,
            district: a.district,
            street: a.street,
            postal_code: a.postal_code,
        }
    }
}

impl From<Address> for AddressDto {
    fn from(a: Address) -> Self {
        AddressDto {
            country: a.country,
            province: a.province,
            city: a.city,
            district: a.district,
            street: a.street,
            postal_code: a.postal_code,
        }
    }
}

/// A marketing-consent decision.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"opted_in": true, "channel": "web"}))]
pub struct ConsentDto {
    /// True when the customer agrees to receive marketing.
    pub opted_in: bool,
    /// Where it was given (`web`, `store`, `wechat`…), at most 50 characters.
    #[schema(max_length = 50)]
    pub channel: Option<String>,
}

/// Marketing consent as recorded.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConsentView {
    /// True when the customer agreed to receive marketing.
    pub opted_in: bool,
    /// Where it was given or withdrawn.
    pub channel: Option<String>,
    /// When it last changed.
    #[serde(serialize_with = "crate::respond::optional_timestamp")]
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<Consent> for ConsentView {
    fn from(c: Consent) -> Self {
        ConsentView {
            opted_in: c.opted_in,
            channel: c.channel,
            updated_at: c.updated_at,
        }
    }
}

fn consent(errors: &mut FieldErrors, dto: &ConsentDto) -> Option<ConsentInput> {
    let channel = errors.take(optional_text(
        "marketing_consent.channel",
        dto.channel.as_deref(),
        50,
    ))?;
    Some(ConsentInput {
        opted_in: dto.opted_in,
        channel,
    })
}

/// A new customer. Only `name` is required.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "kind": "individual",
    "name": "王芳",
    "email": "wang.fang@example.cn",
    "phone": "+86 138 0013 8000",
    "gender": "female",
    "birthday": "1990-05-17",
    "address": {"country": "CN", "province": "上海市", "city": "上海市", "district": "浦东新区", "street": "世纪大道 100 号", "postal_code": "200120"},
    "source": "taobao",
    "lifecycle_stage": "customer",
    "tags": ["vip", "新客"],
    "external_id": "TB-100234",
    "marketing_consent": {"opted_in": true, "channel": "web"},
    "notes": "Prefers WeChat contact after 18:00."
}))]
pub struct CreateCustomer {
    /// Person or organisation; `individual` when absent.
    pub kind: Option<Kind>,
    /// Full or company name, 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Email, unique across customers (case-insensitive).
    #[schema(max_length = 254, format = "email")]
    pub email: Option<String>,
    /// Phone, unique across customers; 5 to 20 digits, `+`, spaces, dashes and parentheses allowed.
    #[schema(max_length = 32)]
    pub phone: Option<String>,
    /// Gender.
    pub gender: Option<GenderDto>,
    /// Date of birth, not in the future.
    pub birthday: Option<NaiveDate>,
    /// Postal address.
    #[serde(default, deserialize_with = "crate::extract::object")]
    pub address: Option<AddressDto>,
    /// Where the customer came from, at most 100 characters.
    #[schema(max_length = 100)]
    pub source: Option<String>,
    /// Relationship stage; `lead` when absent.
    pub lifecycle_stage: Option<Stage>,
    /// Tags, at most 50, each 1 to 50 characters; duplicates are dropped.
    #[schema(max_items = 50)]
    pub tags: Option<Vec<String>>,
    /// The owning user; for callers limited to their own customers, themselves.
    pub owner_id: Option<Uuid>,
    /// The id in the source system, unique per `source`, at most 200 characters.
    #[schema(max_length = 200)]
    pub external_id: Option<String>,
    /// Marketing consent.
    pub marketing_consent: Option<ConsentDto>,
    /// Notes, at most 10,000 characters.
    #[schema(max_length = 10000)]
    pub notes: Option<String>,
    /// Custom field values by key: only keys that `GET /api/v1/custom-fields` lists for
    /// customers, each value in the shape of its type (`unknown_field`, `invalid_value` or
    /// `invalid_option` at `custom_fields.<key>` otherwise), every required field given. At most
    /// 64 keys and 16 KiB as JSON.
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<Map<String, Value>>,
}

/// Changes to a customer: absent fields stay, `null` clears.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"lifecycle_stage": "customer", "tags": ["vip"], "notes": null}))]
pub struct UpdateCustomer {
    /// Person or organisation.
    pub kind: Option<Kind>,
    /// Name, 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// Email, or `null` to clear.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 254, format = "email")]
    pub email: Option<Option<String>>,
    /// Phone, or `null` to clear.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 32)]
    pub phone: Option<Option<String>>,
    /// Gender, or `null` to clear.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<GenderDto>)]
    pub gender: Option<Option<GenderDto>>,
    /// Birthday, or `null` to clear.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<NaiveDate>)]
    pub birthday: Option<Option<NaiveDate>>,
    /// Address, replaced as a whole; `null` clears every part.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<AddressDto>)]
    pub address: Option<Option<AddressDto>>,
    /// Source, or `null` to clear.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 100)]
    pub source: Option<Option<String>>,
    /// Stage.
    pub lifecycle_stage: Option<Stage>,
    /// Tags, replaced as a whole.
    #[schema(max_items = 50)]
    pub tags: Option<Vec<String>>,
    /// Owner, or `null` for none.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub owner_id: Option<Option<Uuid>>,
    /// External id, or `null` to clear.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub external_id: Option<Option<String>>,
    /// Notes, or `null` to clear.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 10000)]
    pub notes: Option<Option<String>>,
    /// Custom field values to set, by key (`GET /api/v1/custom-fields` lists the keys); `null`
    /// removes a value, keys not sent stay as they are.
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<Map<String, Value>>,
}

impl CreateCustomer {
    /// The domain's new customer, or every rule the request broke.
    pub fn into_domain(
        self,
        today: NaiveDate,
        definitions: &[Definition],
    ) -> Result<NewCustomer, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = errors.take(rapport_domain::validation::name("name", &self.name, 1, 200));
        let email = optional_email(&mut errors, self.email);
        let phone = optional_phone(&mut errors, self.phone);
        let birthday = self
            .birthday
            .and_then(|d| errors.take(customers::birthday("birthday", d, today)));
        let address = errors.take_all(Address::parse(
            "address",
            self.address.unwrap_or_default().into(),
        ));
        let source = errors
            .take(optional_text("source", self.source.as_deref(), 100))
            .flatten();
        let tags = errors.take_all(customers::tags("tags", self.tags.unwrap_or_default()));
        let external_id = errors
            .take(optional_text(
                "external_id",
                self.external_id.as_deref(),
                200,
            ))
            .flatten();
        let notes = errors
            .take(optional_text("notes", self.notes.as_deref(), 10_000))
            .flatten();
        let custom_fields = errors.take_all(custom_fields::checked(
            "custom_fields",
            definitions,
            self.custom_fields.unwrap_or_default(),
            Write::Create,
        ));
        let marketing_consent = self
            .marketing_consent
            .and_then(|c| consent(&mut errors, &c));
        let (Some(name), Some(address), Some(tags), Some(custom_fields)) =
            (name, address, tags, custom_fields)
        else {
            return Err(errors);
        };
        errors.into_result(|| NewCustomer {
            kind: self.kind.map(Into::into).unwrap_or_default(),
            name,
            email,
            phone,
            gender: self.gender.map(Into::into),
            birthday,
            address,
            source,
            lifecycle_stage: self.lifecycle_stage.map(Into::into).unwrap_or_default(),
            tags,
            owner_id: self.owner_id,
            external_id,
            marketing_consent,
            notes,
            custom_fields,
        })
    }
}

impl UpdateCustomer {
    /// The domain's change, or every rule the request broke.
    pub fn into_domain(
        self,
        today: NaiveDate,
        definitions: &[Definition],
    ) -> Result<CustomerChanges, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut changes = CustomerChanges {
            kind: self.kind.map(Into::into),
            gender: self.gender.map(|g| g.map(Into::into)),
            lifecycle_stage: self.lifecycle_stage.map(Into::into),
            owner_id: self.owner_id,
            ..Default::default()
        };
        changes.name = self
            .name
            .and_then(|n| errors.take(rapport_domain::validation::name("name", &n, 1, 200)));
        changes.email = self.email.map(|e| optional_email(&mut errors, e));
        changes.phone = self.phone.map(|p| optional_phone(&mut errors, p));
        changes.birthday = self
            .birthday
            .map(|b| b.and_then(|d| errors.take(customers::birthday("birthday", d, today))));
        changes.address = self
            .address
            .and_then(|a| errors.take_all(Address::parse("address", a.unwrap_or_default().into())));
        changes.source = self
            .source
            .and_then(|s| errors.take(optional_text("source", s.as_deref(), 100)));
        changes.tags = self
            .tags
            .and_then(|t| errors.take_all(customers::tags("tags", t)));
        changes.external_id = self
            .external_id
            .and_then(|s| errors.take(optional_text("external_id", s.as_deref(), 200)));
        changes.notes = self
            .notes
            .and_then(|s| errors.take(optional_text("notes", s.as_deref(), 10_000)));
        changes.custom_fields = self.custom_fields.and_then(|c| {
            errors.take_all(custom_fields::checked(
                "custom_fields",
                definitions,
                c,
                Write::Change,
            ))
        });
        errors.into_result(|| changes)
    }
}

/// A customer.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5c4-7f0e-7c1a-9d2e-5b8f7e6a1c20",
    "kind": "individual",
    "name": "王芳",
    "email": "wang.fang@example.cn",
    "phone": "+8613800138000",
    "gender": "female",
    "birthday": "1990-05-17",
    "address": {"country": "CN", "province": "上海市", "city": "上海市", "district": "浦东新区", "street": "世纪大道 100 号", "postal_code": "200120"},
    "source": "taobao",
    "lifecycle_stage": "customer",
    "tags": ["vip", "新客"],
    "owner_id": "0193a5c4-0000-7000-8000-000000000001",
    "external_id": "TB-100234",
    "marketing_consent": {"opted_in": true, "channel": "web", "updated_at": "2026-11-22T08:30:00Z"},
    "notes": "Prefers WeChat contact after 18:00.",
    "custom_fields": {"industry": "retail"},
    "anonymised_at": null,
    "orders_count": 3,
    "total_spent": 129700,
    "average_order_value": 43233,
    "first_order_at": "2026-11-23T10:12:00Z",
    "last_order_at": "2026-12-05T09:01:00Z",
    "last_activity_at": "2026-12-05T11:20:00Z",
    "level_id": "0193a5c7-1111-7000-8000-000000000002",
    "tier_id": "0193a5c7-2222-7000-8000-000000000002",
    "member_number": "M7K3M9Q2BX4",
    "member_since": "2026-11-22T08:31:00Z",
    "created_at": "2026-11-22T08:30:00Z",
    "updated_at": "2026-11-22T08:30:00Z",
    "version": 1
}))]
pub struct CustomerView {
    /// Identifier (UUID v7).
    pub id: Uuid,
    /// Person or organisation.
    pub kind: Kind,
    /// Name.
    pub name: String,
    /// Email, lower-cased; masked (`w***@example.cn`) for callers without
    /// `contact_details:read`.
    pub email: Option<String>,
    /// Phone, reduced to `+` and digits; masked (`+*********8000`) for callers without
    /// `contact_details:read`.
    pub phone: Option<String>,
    /// Gender.
    pub gender: Option<GenderDto>,
    /// Date of birth.
    pub birthday: Option<NaiveDate>,
    /// Postal address.
    pub address: AddressDto,
    /// Source.
    pub source: Option<String>,
    /// Relationship stage.
    pub lifecycle_stage: Stage,
    /// Tags.
    pub tags: Vec<String>,
    /// Owning user.
    pub owner_id: Option<Uuid>,
    /// Id in the source system.
    pub external_id: Option<String>,
    /// Marketing consent.
    pub marketing_consent: ConsentView,
    /// Notes.
    pub notes: Option<String>,
    /// Custom field values by key, as stored: a value whose definition was deleted stays until
    /// it is removed.
    #[schema(value_type = Object)]
    pub custom_fields: Map<String, Value>,
    /// When the customer's personal data was wiped at their request (`POST
    /// /api/v1/customers/{id}/anonymize`).
    #[serde(serialize_with = "crate::respond::optional_timestamp")]
    pub anonymised_at: Option<DateTime<Utc>>,
    /// Paid orders not refunded in whole. Like the other purchase figures, kept by payments and
    /// refunds (not edited, and outside `version`), and filterable and sortable.
    pub orders_count: i64,
    /// What the paid orders came to less what was refunded, in minor units.
    pub total_spent: i64,
    /// `total_spent / orders_count`, rounded down; 0 without orders.
    pub average_order_value: i64,
    /// When the first counted order was paid.
    #[serde(serialize_with = "crate::respond::optional_timestamp")]
    pub first_order_at: Option<DateTime<Utc>>,
    /// When the latest counted order was paid.
    #[serde(serialize_with = "crate::respond::optional_timestamp")]
    pub last_order_at: Option<DateTime<Utc>>,
    /// When the latest activity with the customer happened (`/api/v1/activities`): filter on it
    /// to find customers nobody has contacted for a while.
    #[serde(serialize_with = "crate::respond::optional_timestamp")]
    pub last_activity_at: Option<DateTime<Utc>>,
    /// The customer level the figures reach (`/api/v1/customer-levels`), assigned whenever they
    /// or the levels change; filterable.
    pub level_id: Option<Uuid>,
    /// The membership tier a member holds (`/api/v1/membership-tiers`), reviewed whenever what
    /// they earn or spend changes; filterable.
    pub tier_id: Option<Uuid>,
    /// The member number, once the customer enrolled (`/customers/{id}/membership`);
    /// filterable.
    pub member_number: Option<String>,
    /// When they enrolled; filterable.
    #[serde(serialize_with = "crate::respond::optional_timestamp")]
    pub member_since: Option<DateTime<Utc>>,
    /// Created.
    #[serde(serialize_with = "crate::respond::timestamp")]
    pub created_at: DateTime<Utc>,
    /// Last changed.
    #[serde(serialize_with = "crate::respond::timestamp")]
    pub updated_at: DateTime<Utc>,
    /// Grows by one with every change; send it back in `If-Match`.
    pub version: i64,
}

impl CustomerView {
    /// The view of `c` for a caller who sees contact details as `disclosure` says.
    pub fn new(c: Customer, disclosure: Disclosure) -> Self {
        CustomerView {
            id: c.id,
            kind: c.kind.into(),
            name: c.name,
            email: disclosure.email(c.email),
            phone: disclosure.phone(c.phone),
            gender: c.gender.map(Into::into),
            birthday: c.birthday,
            address: c.address.into(),
            source: c.source,
            lifecycle_stage: c.lifecycle_stage.into(),
            tags: c.tags,
            owner_id: c.owner_id,
            external_id: c.external_id,
            marketing_consent: c.marketing_consent.into(),
            notes: c.notes,
            custom_fields: c.custom_fields,
            anonymised_at: c.anonymised_at,
            orders_count: c.purchases.orders_count,
            total_spent: c.purchases.total_spent,
            average_order_value: c.purchases.average_order_value,
            first_order_at: c.purchases.first_order_at,
            last_order_at: c.purchases.last_order_at,
            last_activity_at: c.last_activity_at,
            level_id: c.level_id,
            tier_id: c.tier_id,
            member_number: c.member_number,
            member_since: c.member_since,
            created_at: c.created_at,
            updated_at: c.updated_at,
            version: c.version,
        }
    }
}

/// Filters, sort and paging of the customer list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CustomerListQuery {
    /// Rows per page, 1 to 200 (default 25).
    #[param(minimum = 1, maximum = 200, example = 25)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Add `total`, the count of every matching customer.
    pub include_total: Option<bool>,
    /// Comma-separated keys, `-` for descending: `created_at`, `updated_at`, `name`,
    /// `orders_count`, `total_spent`, `average_order_value`, `first_order_at`, `last_order_at`,
    /// `custom_fields.<key>` (default `-created_at`).
    #[param(example = "-created_at")]
    pub sort: Option<String>,
    /// Only this stage.
    pub lifecycle_stage: Option<Stage>,
    /// Only this owner's customers.
    pub owner_id: Option<Uuid>,
    /// Only customers with this tag (at most 50 characters).
    #[param(example = "vip")]
    pub tag: Option<String>,
    /// Only this kind.
    pub kind: Option<Kind>,
    /// Created at or after this time.
    pub created_from: Option<DateTime<Utc>>,
    /// Created before this time.
    pub created_to: Option<DateTime<Utc>>,
    /// Text found in the name, email or phone, ignoring case (1 to 100 characters); in the name
    /// only for callers who see email and phone masked.
    #[param(example = "wang")]
    pub q: Option<String>,
}

/// A new contact.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "李雷", "title": "采购经理", "email": "li.lei@example.cn", "phone": "+86 139 1234 5678", "is_primary": true}))]
pub struct CreateContact {
    /// Full name, 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Job title, at most 100 characters.
    #[schema(max_length = 100)]
    pub title: Option<String>,
    /// Email.
    #[schema(max_length = 254, format = "email")]
    pub email: Option<String>,
    /// Phone.
    #[schema(max_length = 32)]
    pub phone: Option<String>,
    /// Make this the customer's primary contact (any other stops being primary).
    pub is_primary: Option<bool>,
    /// Notes, at most 10,000 characters.
    #[schema(max_length = 10000)]
    pub notes: Option<String>,
    /// Custom field values by key: only keys that `GET /api/v1/custom-fields` lists for
    /// contacts, each in the shape of its type, every required field given.
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<Map<String, Value>>,
}

/// Changes to a contact: absent fields stay, `null` clears.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "总经理", "is_primary": true}))]
pub struct UpdateContact {
    /// Name.
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// Title, or `null` to clear.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 100)]
    pub title: Option<Option<String>>,
    /// Email, or `null` to clear.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 254, format = "email")]
    pub email: Option<Option<String>>,
    /// Phone, or `null` to clear.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 32)]
    pub phone: Option<Option<String>>,
    /// Primary contact.
    pub is_primary: Option<bool>,
    /// Notes, or `null` to clear.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 10000)]
    pub notes: Option<Option<String>>,
    /// Custom field values to set, by key; `null` removes a value, keys not sent stay.
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<Map<String, Value>>,
}

impl CreateContact {
    /// The domain's new contact, or every rule broken.
    pub fn into_domain(self, definitions: &[Definition]) -> Result<NewContact, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = errors.take(rapport_domain::validation::name("name", &self.name, 1, 200));
        let title = errors
            .take(optional_text("title", self.title.as_deref(), 100))
            .flatten();
        let email = optional_email(&mut errors, self.email);
        let phone = optional_phone(&mut errors, self.phone);
        let notes = errors
            .take(optional_text("notes", self.notes.as_deref(), 10_000))
            .flatten();
        let custom_fields = errors.take_all(custom_fields::checked(
            "custom_fields",
            definitions,
            self.custom_fields.unwrap_or_default(),
            Write::Create,
        ));
        let (Some(name), Some(custom_fields)) = (name, custom_fields) else {
            return Err(errors);
        };
        errors.into_result(|| NewContact {
            name,
            title,
            email,
            phone,
            is_primary: self.is_primary.unwrap_or(false),
            notes,
            custom_fields,
        })
    }
}

impl UpdateContact {
    /// The domain's change, or every rule broken.
    pub fn into_domain(self, definitions: &[Definition]) -> Result<ContactChanges, FieldErrors> {
        let mut errors = FieldErrors::new();
        let changes = ContactChanges {
            name: self
                .name
                .and_then(|n| errors.take(rapport_domain::validation::name("name", &n, 1, 200))),
            title: self
                .title
                .and_then(|t| errors.take(optional_text("title", t.as_deref(), 100))),
            email: self.email.map(|e| optional_email(&mut errors, e)),
            phone: self.phone.map(|p| optional_phone(&mut errors, p)),
            is_primary: self.is_primary,
            notes: self
                .notes
                .and_then(|t| errors.take(optional_text("notes", t.as_deref(), 10_000))),
            custom_fields: self.custom_fields.and_then(|c| {
                errors.take_all(custom_fields::checked(
                    "custom_fields",
                    definitions,
                    c,
                    Write::Change,
                ))
            }),
        };
        errors.into_result(|| changes)
    }
}

/// A contact of a company customer.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5c5-1111-7000-8000-000000000002",
    "customer_id": "0193a5c4-7f0e-7c1a-9d2e-5b8f7e6a1c20",
    "name": "李雷",
    "title": "采购经理",
    "email": "li.lei@example.cn",
    "phone": "+8613912345678",
    "is_primary": true,
    "notes": null,
    "custom_fields": {"wechat_id": "lilei_buyer"},
    "created_at": "2026-11-22T08:30:00Z",
    "updated_at": "2026-11-22T08:30:00Z",
    "version": 1
}))]
pub struct ContactView {
    /// Identifier.
    pub id: Uuid,
    /// The company customer.
    pub customer_id: Uuid,
    /// Name.
    pub name: String,
    /// Title.
    pub title: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// The customer's primary contact; at most one is.
    pub is_primary: bool,
    /// Notes.
    pub notes: Option<String>,
    /// Custom field values by key, as stored.
    #[schema(value_type = Object)]
    pub custom_fields: Map<String, Value>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version, for `If-Match`.
    pub version: i64,
}

impl ContactView {
    /// The view of `c` for a caller who sees contact details as `disclosure` says.
    pub fn new(c: Contact, disclosure: Disclosure) -> Self {
        ContactView {
            id: c.id,
            customer_id: c.customer_id,
            name: c.name,
            title: c.title,
            email: disclosure.email(c.email),
            phone: disclosure.phone(c.phone),
            is_primary: c.is_primary,
            notes: c.notes,
            custom_fields: c.custom_fields,
            created_at: c.created_at,
            updated_at: c.updated_at,
            version: c.version,
        }
    }
}

/// Paging of a contact list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Rows per page, 1 to 200 (default 25).
    #[param(minimum = 1, maximum = 200, example = 25)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Add `total`.
    pub include_total: Option<bool>,
}
