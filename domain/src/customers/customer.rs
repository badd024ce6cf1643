use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::Purchases;
use crate::FieldError;
use crate::values::{Email, Phone};

/// Whether the customer is a person or an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerKind {
    /// A private person.
    #[default]
    Individual,
    /// An organisation, with contacts behind it.
    Company,
}

/// A customer's gender, as they gave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    /// Female.
    Female,
    /// Male.
    Male,
    /// Another gender.
    Other,
}

/// Where a customer stands in their relationship with the business.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LifecycleStage {
    /// Known, not yet qualified.
    #[default]
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

names!(CustomerKind { Individual => "individual", Company => "company" });
names!(Gender { Female => "female", Male => "male", Other => "other" });
names!(LifecycleStage {
    Lead => "lead", Prospect => "prospect", Customer => "customer", Inactive => "inactive", Churned => "churned",
});

/// A postal address; every part is optional.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Address {
    /// Country or region.
    pub country: Option<String>,
    /// Province or state.
    pub province: Option<String>,
    /// City.
    pub city: Option<String>,
    /// District.
    pub district: Option<String>,
    /// Street and number.
    pub street: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
}

impl Address {
    /// The longest any part may be.
    pub const MAX_PART: usize = 200;

    /// The parts in the order of [`crate::customers::fields::ADDRESS_PARTS`].
    pub fn parts(&self) -> [&Option<String>; 6] {
        [
            &self.country,
            &self.province,
            &self.city,
            &self.district,
            &self.street,
            &self.postal_code,
        ]
    }

    /// Trims every part, treating empty parts as absent, and checks their lengths.
    pub fn parse(field: &str, raw: Address) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut part = |name: &str, value: Option<String>| {
            crate::validation::optional_text(
                &format!("{field}.{name}"),
                value.as_deref(),
                Self::MAX_PART,
            )
            .unwrap_or_else(|e| {
                errors.push(e);
                None
            })
        };
        let address = Address {
            country: part("country", raw.country),
            province: part("province", raw.province),
            city: part("city", raw.city),
            district: part("district", raw.district),
            street: part("street", raw.street),
            postal_code: part("postal_code", raw.postal_code),
        };
        if errors.is_empty() {
            Ok(address)
        } else {
            Err(errors)
        }
    }
}

/// Marketing consent: whether the customer opted in, through which channel, and when.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Consent {
    /// True when the customer agreed to receive marketing.
    pub opted_in: bool,
    /// Where the consent was given or withdrawn (`web`, `store`, `wechat`…).
    pub channel: Option<String>,
    /// When it last changed.
    pub updated_at: Option<DateTime<Utc>>,
}

/// A consent decision as a caller states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentInput {
    /// Opted in or not.
    pub opted_in: bool,
    /// Through which channel.
    pub channel: Option<String>,
}

impl Consent {
    /// The consent after `input` at `now`; the time moves only when something changed.
    pub fn record(&self, input: ConsentInput, now: DateTime<Utc>) -> Consent {
        if self.opted_in == input.opted_in && self.channel == input.channel {
            return self.clone();
        }
        Consent {
            opted_in: input.opted_in,
            channel: input.channel,
            updated_at: Some(now),
        }
    }
}

/// A customer as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    /// Identifier (UUID v7).
    pub id: Uuid,
    /// Person or organisation.
    pub kind: CustomerKind,
    /// Full name or company name.
    pub name: String,
    /// Email address, unique across customers.
    pub email: Option<Email>,
    /// Phone number, unique across customers.
    pub phone: Option<Phone>,
    /// Gender.
    pub gender: Option<Gender>,
    /// Date of birth.
    pub birthday: Option<NaiveDate>,
    /// Postal address.
    pub address: Address,
    /// Where the customer came from (`taobao`, `store`, `referral`…).
    pub source: Option<String>,
    /// Relationship stage.
    pub lifecycle_stage: LifecycleStage,
    /// Labels set by hand.
    pub tags: Vec<String>,
    /// The staff member who owns the relationship.
    pub owner_id: Option<Uuid>,
    /// The id in the system this record came from, unique per source.
    pub external_id: Option<String>,
    /// Marketing consent.
    pub marketing_consent: Consent,
    /// Free-form notes.
    pub notes: Option<String>,
    /// Values of the workspace's own fields.
    pub custom_fields: Map<String, Value>,
    /// When its personal data was wiped at the customer's request.
    pub anonymised_at: Option<DateTime<Utc>>,
    /// What the customer's orders add up to; derived from them, never edited, and outside the
    /// version.
    pub purchases: Purchases,
    /// When the latest activity with them happened; kept by the activities, never edited.
    pub last_activity_at: Option<DateTime<Utc>>,
    /// The customer level their figures reach (see `levels`); assigned, never edited.
    pub level_id: Option<Uuid>,
    /// The membership tier they hold as a member (see `loyalty::tiers`); assigned, never edited.
    pub tier_id: Option<Uuid>,
    /// Their member number, once enrolled in the loyalty programme.
    pub member_number: Option<String>,
    /// When they enrolled.
    pub member_since: Option<DateTime<Utc>>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Grows by one on every change.
    pub version: i64,
}

/// A customer about to be created, every field already valid.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCustomer {
    /// Person or organisation.
    pub kind: CustomerKind,
    /// Name.
    pub name: String,
    /// Email.
    pub email: Option<Email>,
    /// Phone.
    pub phone: Option<Phone>,
    /// Gender.
    pub gender: Option<Gender>,
    /// Birthday.
    pub birthday: Option<NaiveDate>,
    /// Address.
    pub address: Address,
    /// Source.
    pub source: Option<String>,
    /// Stage.
    pub lifecycle_stage: LifecycleStage,
    /// Tags.
    pub tags: Vec<String>,
    /// Owner; the creator when absent and the creator's scope is `own`.
    pub owner_id: Option<Uuid>,
    /// External id.
    pub external_id: Option<String>,
    /// Consent, if stated.
    pub marketing_consent: Option<ConsentInput>,
    /// Notes.
    pub notes: Option<String>,
    /// Custom fields.
    pub custom_fields: Map<String, Value>,
}

/// A partial change: `None` leaves a field alone, `Some(None)` clears it. Marketing consent is not
/// among the fields: it changes only as a recorded decision ([`Customer::with_consent`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CustomerChanges {
    /// Kind.
    pub kind: Option<CustomerKind>,
    /// Name.
    pub name: Option<String>,
    /// Email.
    pub email: Option<Option<Email>>,
    /// Phone.
    pub phone: Option<Option<Phone>>,
    /// Gender.
    pub gender: Option<Option<Gender>>,
    /// Birthday.
    pub birthday: Option<Option<NaiveDate>>,
    /// Address, replaced as a whole.
    pub address: Option<Address>,
    /// Source.
    pub source: Option<Option<String>>,
    /// Stage.
    pub lifecycle_stage: Option<LifecycleStage>,
    /// Tags, replaced as a whole.
    pub tags: Option<Vec<String>>,
    /// Owner.
    pub owner_id: Option<Option<Uuid>>,
    /// External id.
    pub external_id: Option<Option<String>>,
    /// Notes.
    pub notes: Option<Option<String>>,
    /// Custom field values to set, checked against the definitions; `null` removes a value and
    /// keys not mentioned stay as they are.
    pub custom_fields: Option<Map<String, Value>>,
}

impl NewCustomer {
    /// The stored customer this becomes, with its identity and times.
    pub fn into_customer(self, id: Uuid, now: DateTime<Utc>) -> Customer {
        let empty = Consent::default();
        Customer {
            id,
            kind: self.kind,
            name: self.name,
            email: self.email,
            phone: self.phone,
            gender: self.gender,
            birthday: self.birthday,
            address: self.address,
            source: self.source,
            lifecycle_stage: self.lifecycle_stage,
            tags: self.tags,
            owner_id: self.owner_id,
            external_id: self.external_id,
            marketing_consent: match self.marketing_consent {
                Some(input) => empty.record(input, now),
                None => empty,
            },
            notes: self.notes,
            custom_fields: self.custom_fields,
            anonymised_at: None,
            purchases: Purchases::default(),
            last_activity_at: None,
            level_id: None,
            tier_id: None,
            member_number: None,
            member_since: None,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }
}

impl Customer {
    /// The customer after `changes` at `now`, with its version moved on.
    pub fn apply(&self, changes: CustomerChanges, now: DateTime<Utc>) -> Customer {
        let mut next = self.clone();
        macro_rules! set {
            ($($field:ident),+) => { $(if let Some(value) = changes.$field { next.$field = value; })+ };
        }
        set!(
            kind,
            name,
            email,
            phone,
            gender,
            birthday,
            address,
            source,
            lifecycle_stage,
            tags,
            owner_id,
            external_id,
            notes
        );
        if let Some(values) = changes.custom_fields {
            next.custom_fields = crate::custom_fields::merge(&self.custom_fields, values);
        }
        if next != *self {
            next.updated_at = now;
            next.version = self.version + 1;
        }
        next
    }
}

impl Customer {
    /// The customer with its marketing consent as decided at `at` through `channel`: a decision
    /// is recorded even when it repeats the last one, since its time is evidence.
    pub fn with_consent(
        &self,
        opted_in: bool,
        channel: String,
        at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Customer {
        Customer {
            marketing_consent: Consent {
                opted_in,
                channel: Some(channel),
                updated_at: Some(at),
            },
            updated_at: now,
            version: self.version + 1,
            ..self.clone()
        }
    }

    /// The customer with `tags` added after its own (those it has already stay where they are),
    /// or `None` when it would then carry more than [`MAX_TAGS`].
    pub fn tagged(&self, tags: &[String], now: DateTime<Utc>) -> Option<Customer> {
        let mut all = self.tags.clone();
        all.extend(tags.iter().filter(|t| !self.tags.contains(t)).cloned());
        (all.len() <= MAX_TAGS).then(|| self.with_tags(all, now))
    }

    /// The customer without `tags`.
    pub fn untagged(&self, tags: &[String], now: DateTime<Utc>) -> Customer {
        let kept = self
            .tags
            .iter()
            .filter(|t| !tags.contains(t))
            .cloned()
            .collect();
        self.with_tags(kept, now)
    }

    fn with_tags(&self, tags: Vec<String>, now: DateTime<Utc>) -> Customer {
        self.apply(
            CustomerChanges {
                tags: Some(tags),
                ..CustomerChanges::default()
            },
            now,
        )
    }
}

/// A birthday must lie between 1900-01-01 and `today`.
pub fn birthday(field: &str, date: NaiveDate, today: NaiveDate) -> Result<NaiveDate, FieldError> {
    if date > today {
        Err(FieldError::new(
            field,
            "in_future",
            "must not be in the future",
        ))
    } else if date.year() < 1900 {
        Err(FieldError::new(
            field,
            "too_early",
            "must be on or after 1900-01-01",
        ))
    } else {
        Ok(date)
    }
}

/// The most tags one customer may carry, and the longest tag.
pub const MAX_TAGS: usize = 50;
const MAX_TAG_LEN: usize = 50;

/// Trims and de-duplicates tags, keeping their first order; each is 1 to 50 characters. Too many
/// tags are refused before any one is looked at, and duplicates are found by hashing, so the
/// largest body is checked in time linear in its size.
pub fn tags(field: &str, raw: Vec<String>) -> Result<Vec<String>, Vec<FieldError>> {
    if raw.len() > MAX_TAGS {
        return Err(vec![FieldError::new(
            field,
            "too_many",
            format!("at most {MAX_TAGS} tags"),
        )]);
    }
    let mut errors = Vec::new();
    let mut tags: Vec<String> = Vec::with_capacity(raw.len());
    let mut seen = std::collections::HashSet::with_capacity(raw.len());
    for (i, tag) in raw.into_iter().enumerate() {
        match crate::validation::text(&format!("{field}[{i}]"), &tag, 1, MAX_TAG_LEN) {
            Ok(tag) if seen.insert(tag.clone()) => tags.push(tag),
            Ok(_) => {}
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(tags)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(now: DateTime<Utc>) -> Customer {
        NewCustomer {
            kind: CustomerKind::Individual,
            name: "王芳".into(),
            email: None,
            phone: None,
            gender: None,
            birthday: None,
            address: Address::default(),
            source: None,
            lifecycle_stage: LifecycleStage::Lead,
            tags: vec![],
            owner_id: None,
            external_id: None,
            marketing_consent: None,
            notes: None,
            custom_fields: Map::new(),
        }
        .into_customer(Uuid::nil(), now)
    }

    #[test]
    fn a_change_moves_the_version_on_by_one() {
        let now = Utc::now();
        let before = sample(now);
        let after = before.apply(
            CustomerChanges {
                name: Some("王芳芳".into()),
                ..Default::default()
            },
            now,
        );
        assert_eq!(after.version, 2);
        assert_eq!(after.name, "王芳芳");
    }

    #[test]
    fn a_change_to_the_same_values_keeps_the_version() {
        let now = Utc::now();
        let before = sample(now);
        let after = before.apply(
            CustomerChanges {
                name: Some("王芳".into()),
                ..Default::default()
            },
            now,
        );
        assert_eq!(after.version, 1);
    }

    #[test]
    fn clearing_a_field_sets_it_to_none() {
        let now = Utc::now();
        let mut before = sample(now);
        before.notes = Some("x".into());
        let after = before.apply(
            CustomerChanges {
                notes: Some(None),
                ..Default::default()
            },
            now,
        );
        assert_eq!(after.notes, None);
    }

    #[test]
    fn consent_time_moves_only_when_consent_changes() {
        let t1 = Utc::now();
        let t2 = t1 + chrono::Duration::seconds(5);
        let given = Consent::default().record(
            ConsentInput {
                opted_in: true,
                channel: Some("web".into()),
            },
            t1,
        );
        assert_eq!(given.updated_at, Some(t1));
        let again = given.record(
            ConsentInput {
                opted_in: true,
                channel: Some("web".into()),
            },
            t2,
        );
        assert_eq!(again.updated_at, Some(t1));
    }

    #[test]
    fn birthdays_in_the_future_are_refused() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        assert!(birthday("birthday", today, today).is_ok());
        assert_eq!(
            birthday("birthday", today.succ_opt().unwrap(), today)
                .unwrap_err()
                .code,
            "in_future"
        );
        assert_eq!(
            birthday(
                "birthday",
                NaiveDate::from_ymd_opt(1899, 1, 1).unwrap(),
                today
            )
            .unwrap_err()
            .code,
            "too_early"
        );
    }

    #[test]
    fn tags_are_trimmed_and_deduplicated() {
        assert_eq!(
            tags("tags", vec![" vip ".into(), "vip".into(), "新客".into()]).unwrap(),
            vec!["vip", "新客"]
        );
        assert_eq!(
            tags("tags", vec!["".into()]).unwrap_err()[0].field,
            "tags[0]"
        );
    }

    #[test]
    fn address_parts_are_checked_with_their_paths() {
        let raw = Address {
            city: Some("x".repeat(201)),
            street: Some("  ".into()),
            ..Default::default()
        };
        let errors = Address::parse("address", raw).unwrap_err();
        assert_eq!(errors[0].field, "address.city");
    }
}
