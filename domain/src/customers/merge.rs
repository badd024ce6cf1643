//! Duplicates and merging: which customers are likely the same one, and what a customer looks
//! like after another record of them is merged into it.

use chrono::{DateTime, Utc};

use super::{Address, Customer, MAX_TAGS};

/// Words that only say a name is a company's: "上海某某贸易有限公司" and "上海某某贸易" are one
/// business, as are "Müller GmbH" and "Müller".
const COMPANY_SUFFIXES: &[&str] = &[
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "集团",
    "公司",
    "gmbh",
    "ltd",
    "limited",
    "inc",
    "llc",
    "co",
    "corp",
    "corporation",
    "company",
    "sa",
    "ag",
    "bv",
];

/// A name reduced to what tells it apart: lower-cased, letters and digits only, without a
/// trailing company form. Two customers with the same key are likely the same one.
pub fn name_key(name: &str) -> String {
    let mut words: Vec<String> = name
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    while words.len() > 1
        && words
            .last()
            .is_some_and(|w| COMPANY_SUFFIXES.contains(&w.as_str()))
    {
        words.pop();
    }
    let mut key: String = words.concat();
    for suffix in COMPANY_SUFFIXES {
        if let Some(stripped) = key.strip_suffix(suffix)
            && stripped.chars().count() >= 2
            && !suffix.is_ascii()
        {
            key = stripped.to_owned();
            break;
        }
    }
    key
}

/// Why two customers look like the same one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DuplicateReason {
    /// The same email.
    Email,
    /// The same phone number.
    Phone,
    /// The same id in a source system.
    ExternalId,
    /// The same name, written differently at most (case, spacing, punctuation, company form).
    Name,
}

impl DuplicateReason {
    /// The reason's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            DuplicateReason::Email => "email",
            DuplicateReason::Phone => "phone",
            DuplicateReason::ExternalId => "external_id",
            DuplicateReason::Name => "name",
        }
    }

    /// How much the reason weighs: identifiers more than names.
    pub fn weight(self) -> u32 {
        match self {
            DuplicateReason::Email | DuplicateReason::Phone => 40,
            DuplicateReason::ExternalId => 30,
            DuplicateReason::Name => 20,
        }
    }
}

/// Why `candidate` looks like `customer`, strongest first; empty when it does not.
pub fn reasons(customer: &Customer, candidate: &Customer) -> Vec<DuplicateReason> {
    let mut found = Vec::new();
    if customer.email.is_some() && customer.email == candidate.email {
        found.push(DuplicateReason::Email);
    }
    if customer.phone.is_some() && customer.phone == candidate.phone {
        found.push(DuplicateReason::Phone);
    }
    if customer.external_id.is_some() && customer.external_id == candidate.external_id {
        found.push(DuplicateReason::ExternalId);
    }
    let key = name_key(&customer.name);
    if !key.is_empty() && key == name_key(&candidate.name) {
        found.push(DuplicateReason::Name);
    }
    found
}

/// The score of a set of reasons, 0 to 100.
pub fn score(reasons: &[DuplicateReason]) -> u32 {
    reasons.iter().map(|r| r.weight()).sum::<u32>().min(100)
}

fn or<T: Clone>(kept: &Option<T>, other: &Option<T>) -> Option<T> {
    kept.clone().or_else(|| other.clone())
}

/// `survivor` after `absorbed` is merged into it: what the survivor has stays, what it lacks it
/// takes from the absorbed record (email, phone, gender, birthday, each address part, source,
/// owner, external id, notes, custom values), tags are joined (up to [`MAX_TAGS`]), and the
/// survivor's consent stays unless only the absorbed record had a decision.
pub fn merged(survivor: &Customer, absorbed: &Customer, now: DateTime<Utc>) -> Customer {
    let address = Address {
        country: or(&survivor.address.country, &absorbed.address.country),
        province: or(&survivor.address.province, &absorbed.address.province),
        city: or(&survivor.address.city, &absorbed.address.city),
        district: or(&survivor.address.district, &absorbed.address.district),
        street: or(&survivor.address.street, &absorbed.address.street),
        postal_code: or(&survivor.address.postal_code, &absorbed.address.postal_code),
    };
    let mut tags = survivor.tags.clone();
    for tag in &absorbed.tags {
        if tags.len() < MAX_TAGS && !tags.contains(tag) {
            tags.push(tag.clone());
        }
    }
    let mut custom_fields = absorbed.custom_fields.clone();
    custom_fields.extend(survivor.custom_fields.clone());
    let marketing_consent = if survivor.marketing_consent.updated_at.is_none() {
        absorbed.marketing_consent.clone()
    } else {
        survivor.marketing_consent.clone()
    };
    let (source, external_id) = if survivor.external_id.is_some() {
        (survivor.source.clone(), survivor.external_id.clone())
    } else {
        (
            or(&survivor.source, &absorbed.source),
            absorbed.external_id.clone(),
        )
    };
    Customer {
        email: or(&survivor.email, &absorbed.email),
        phone: or(&survivor.phone, &absorbed.phone),
        gender: survivor.gender.or(absorbed.gender),
        birthday: survivor.birthday.or(absorbed.birthday),
        address,
        source,
        external_id,
        tags,
        owner_id: survivor.owner_id.or(absorbed.owner_id),
        notes: or(&survivor.notes, &absorbed.notes),
        custom_fields,
        marketing_consent,
        updated_at: now,
        version: survivor.version + 1,
        ..survivor.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customers::{CustomerKind, LifecycleStage, NewCustomer};
    use crate::values::{Email, Phone};

    fn customer(name: &str) -> Customer {
        NewCustomer {
            kind: CustomerKind::Individual,
            name: name.into(),
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
            custom_fields: serde_json::Map::new(),
        }
        .into_customer(uuid::Uuid::now_v7(), Utc::now())
    }

    #[test]
    fn names_written_differently_have_one_key() {
        assert_eq!(name_key("Müller GmbH"), name_key("müller"));
        assert_eq!(name_key("王 芳"), name_key("王芳"));
        assert_eq!(name_key("上海云帆贸易有限公司"), name_key("上海云帆贸易"));
        assert_eq!(name_key("Ann-Lee & Co."), "annlee");
        assert_ne!(name_key("Ann Lee"), name_key("Anne Lee"));
        assert_eq!(
            name_key("Co"),
            "co",
            "a name that is only a company form keeps it"
        );
    }

    #[test]
    fn identifiers_weigh_more_than_names() {
        let mut a = customer("Ann Lee");
        let mut b = customer("ann lee");
        a.email = Some(Email::parse("email", "ann@example.cn").unwrap());
        b.email = a.email.clone();
        let found = reasons(&a, &b);
        assert_eq!(found, [DuplicateReason::Email, DuplicateReason::Name]);
        assert_eq!(score(&found), 60);
        assert!(reasons(&a, &customer("Bo")).is_empty());
    }

    #[test]
    fn the_survivor_keeps_its_values_and_takes_what_it_lacks() {
        let mut survivor = customer("Ann");
        survivor.tags = vec!["vip".into()];
        survivor.address.city = Some("上海市".into());
        let mut absorbed = customer("Ann L.");
        absorbed.phone = Some(Phone::parse("phone", "13800138000").unwrap());
        absorbed.address.city = Some("北京市".into());
        absorbed.address.street = Some("长安街 1 号".into());
        absorbed.tags = vec!["vip".into(), "b2b".into()];
        let merged = merged(&survivor, &absorbed, Utc::now());
        assert_eq!(merged.name, "Ann");
        assert_eq!(merged.phone, absorbed.phone);
        assert_eq!(merged.address.city.as_deref(), Some("上海市"));
        assert_eq!(merged.address.street.as_deref(), Some("长安街 1 号"));
        assert_eq!(merged.tags, ["vip", "b2b"]);
        assert_eq!(merged.id, survivor.id);
        assert_eq!(merged.version, survivor.version + 1);
    }
}
