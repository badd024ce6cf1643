//! Membership tiers: the grades of a loyalty programme (`银卡`, `金卡`, `钻石`). A member holds the
//! highest-ranked tier whose qualification their standing reaches: the points they earned, or the
//! money they spent, within the workspace's tier window. A tier gives its benefits, a discount on
//! the member's orders and a multiplier on the points they earn. Only members (customers who
//! enrolled, with a member number) hold tiers.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::validation::{name, optional_text, text};
use crate::values::money::MAX_AMOUNT;
use crate::{FieldError, FieldErrors};

/// The most tiers a workspace defines.
pub const MAX_TIERS: usize = 20;
/// The highest rank.
pub const MAX_RANK: i32 = 1000;
/// The most benefits a tier lists.
pub const MAX_BENEFITS: usize = 20;
/// The most characters of one benefit.
pub const MAX_BENEFIT_LEN: usize = 200;
/// The largest discount, in percent.
pub const MAX_DISCOUNT_PERCENT: i32 = 90;
/// The points multiplier in hundredths: ×1 to ×10.
pub const MULTIPLIER_RANGE: (i32, i32) = (100, 1000);
/// The fields a tier list can be sorted by.
pub const SORTABLE: &[&str] = &["rank", "name", "created_at"];

/// What a tier's threshold measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Qualification {
    /// Points earned within the window: earned and added, less taken back; spending or
    /// expiry never lowers it.
    Points,
    /// Money spent within the window, in minor units: paid orders less their refunds.
    Spend,
}

names!(Qualification {
    Points => "points",
    Spend => "spend",
});

/// A tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembershipTier {
    /// Identifier.
    pub id: Uuid,
    /// Name, unique.
    pub name: String,
    /// Higher ranks win when a member reaches several tiers; unique.
    pub rank: i32,
    /// What the threshold measures.
    pub qualification: Qualification,
    /// The least points or minor units, within the window, that reach the tier.
    pub threshold: i64,
    /// What the tier gives, in words.
    pub benefits: Vec<String>,
    /// Percent taken off a member's orders when they are priced (0 to 90).
    pub discount_percent: i32,
    /// Points a member earns, in hundredths of what the points rule gives (100 = ×1).
    pub points_multiplier: i32,
    /// What it means.
    pub description: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Grows by one on every change.
    pub version: i64,
}

/// What a member earned and spent within the tier window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Standing {
    /// Points earned, less taken back.
    pub points: i64,
    /// Minor units spent, less refunded.
    pub spend: i64,
}

impl MembershipTier {
    /// Whether `standing` reaches the tier.
    pub fn reached_by(&self, standing: &Standing) -> bool {
        match self.qualification {
            Qualification::Points => standing.points >= self.threshold,
            Qualification::Spend => standing.spend >= self.threshold,
        }
    }

    /// What the tier takes off `amount` (minor units), rounded down.
    pub fn discount_on(&self, amount: i64) -> i64 {
        let off = i128::from(amount.max(0)) * i128::from(self.discount_percent) / 100;
        i64::try_from(off).unwrap_or(0)
    }

    /// `points` times the tier's multiplier, rounded down.
    pub fn multiply(&self, points: i64) -> i64 {
        let multiplied = i128::from(points) * i128::from(self.points_multiplier) / 100;
        i64::try_from(multiplied).unwrap_or(i64::MAX)
    }
}

/// The tier a member with `standing` holds: the highest-ranked one they reach, if any.
pub fn tier_for(tiers: &[MembershipTier], standing: &Standing) -> Option<Uuid> {
    tiers
        .iter()
        .filter(|tier| tier.reached_by(standing))
        .max_by_key(|tier| tier.rank)
        .map(|tier| tier.id)
}

/// The tier above the one held (or the lowest, for a member who holds none) that `standing`
/// does not reach yet, with what it still asks for in its own measure: the next step up.
pub fn next_tier<'a>(
    tiers: &'a [MembershipTier],
    held: Option<Uuid>,
    standing: &Standing,
) -> Option<(&'a MembershipTier, i64)> {
    let held_rank = held.and_then(|id| tiers.iter().find(|t| t.id == id).map(|t| t.rank));
    tiers
        .iter()
        .filter(|t| held_rank.is_none_or(|rank| t.rank > rank) && !t.reached_by(standing))
        .min_by_key(|t| t.rank)
        .map(|t| {
            let have = match t.qualification {
                Qualification::Points => standing.points,
                Qualification::Spend => standing.spend,
            };
            (t, t.threshold - have)
        })
}

/// Where a member stands: what they earned and spent within the window that began at `since`
/// (`None`: since ever), and the next tier with what it still asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// The standing.
    pub standing: Standing,
    /// When the window began.
    pub since: Option<DateTime<Utc>>,
    /// The next tier up and what it still asks for.
    pub next: Option<(MembershipTier, i64)>,
}

/// A tier's definition as sent: every part of a new tier, or the parts a change sets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TierInput {
    /// Name.
    pub name: Option<String>,
    /// Rank.
    pub rank: Option<i64>,
    /// What the threshold measures.
    pub qualification: Option<Qualification>,
    /// The threshold.
    pub threshold: Option<i64>,
    /// Benefits.
    pub benefits: Option<Vec<String>>,
    /// Discount percent.
    pub discount_percent: Option<i64>,
    /// Multiplier in hundredths.
    pub points_multiplier: Option<i64>,
    /// Description; `Some(None)` clears it.
    pub description: Option<Option<String>>,
}

fn within(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<i64>,
    (least, most): (i64, i64),
    shown: &str,
) -> Option<i64> {
    match value {
        Some(v) if (least..=most).contains(&v) => Some(v),
        Some(_) => {
            errors.push(FieldError::new(
                field,
                "out_of_range",
                format!("must be between {shown}"),
            ));
            None
        }
        None => None,
    }
}

fn benefits(errors: &mut FieldErrors, given: &[String]) -> Vec<String> {
    if given.len() > MAX_BENEFITS {
        errors.push(FieldError::new(
            "benefits",
            "too_many",
            format!("a tier lists at most {MAX_BENEFITS} benefits"),
        ));
        return Vec::new();
    }
    given
        .iter()
        .enumerate()
        .filter_map(|(i, b)| errors.take(text(&format!("benefits[{i}]"), b, 1, MAX_BENEFIT_LEN)))
        .collect()
}

impl TierInput {
    /// `current` with these parts applied (a new tier when `current` is `None`), checked as a
    /// whole: a name, a rank, a qualification and its threshold; a new tier's benefits default to
    /// none, its discount to 0 and its multiplier to ×1.
    pub fn apply(
        self,
        current: Option<&MembershipTier>,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<MembershipTier, FieldErrors> {
        let mut errors = FieldErrors::new();
        let required = |errors: &mut FieldErrors, field: &str| {
            if current.is_none() {
                errors.push(FieldError::new(field, "required", "a new tier needs it"));
            }
        };
        let name = match self.name {
            Some(given) => errors.take(name("name", &given, 1, 100)),
            None => {
                required(&mut errors, "name");
                current.map(|c| c.name.clone())
            }
        };
        let rank = match self.rank {
            Some(_) => within(
                &mut errors,
                "rank",
                self.rank,
                (0, i64::from(MAX_RANK)),
                &format!("0 and {MAX_RANK}"),
            )
            .and_then(|r| i32::try_from(r).ok()),
            None => {
                required(&mut errors, "rank");
                current.map(|c| c.rank)
            }
        };
        let qualification = self.qualification.or_else(|| {
            required(&mut errors, "qualification");
            current.map(|c| c.qualification)
        });
        let threshold = match self.threshold {
            Some(_) => within(
                &mut errors,
                "threshold",
                self.threshold,
                (0, MAX_AMOUNT),
                &format!("0 and {MAX_AMOUNT}"),
            ),
            None => {
                required(&mut errors, "threshold");
                current.map(|c| c.threshold)
            }
        };
        let benefits = match self.benefits {
            Some(given) => benefits(&mut errors, &given),
            None => current.map(|c| c.benefits.clone()).unwrap_or_default(),
        };
        let discount_percent = match self.discount_percent {
            Some(_) => within(
                &mut errors,
                "discount_percent",
                self.discount_percent,
                (0, i64::from(MAX_DISCOUNT_PERCENT)),
                &format!("0 and {MAX_DISCOUNT_PERCENT}"),
            )
            .and_then(|d| i32::try_from(d).ok()),
            None => Some(current.map_or(0, |c| c.discount_percent)),
        };
        let (least, most) = MULTIPLIER_RANGE;
        let points_multiplier = match self.points_multiplier {
            Some(_) => within(
                &mut errors,
                "points_multiplier",
                self.points_multiplier,
                (i64::from(least), i64::from(most)),
                "1 and 10",
            )
            .and_then(|m| i32::try_from(m).ok()),
            None => Some(current.map_or(least, |c| c.points_multiplier)),
        };
        let description = match self.description {
            Some(given) => errors
                .take(optional_text("description", given.as_deref(), 1000))
                .flatten(),
            None => current.and_then(|c| c.description.clone()),
        };
        match (
            name,
            rank,
            qualification,
            threshold,
            discount_percent,
            points_multiplier,
        ) {
            (
                Some(name),
                Some(rank),
                Some(qualification),
                Some(threshold),
                Some(discount_percent),
                Some(points_multiplier),
            ) if errors.is_empty() => Ok(MembershipTier {
                id,
                name,
                rank,
                qualification,
                threshold,
                benefits,
                discount_percent,
                points_multiplier,
                description,
                created_at: current.map_or(now, |c| c.created_at),
                updated_at: now,
                version: current.map_or(1, |c| c.version + 1),
            }),
            _ => Err(errors),
        }
    }
}

/// Where a member signed up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignupChannel {
    /// At a shop's counter.
    Store,
    /// On the web shop.
    Web,
    /// In the shop's app.
    App,
    /// Through a WeChat official account.
    Wechat,
    /// In a WeChat mini program.
    MiniProgram,
    /// By phone.
    Phone,
    /// Anywhere else.
    Other,
}

names!(SignupChannel {
    Store => "store",
    Web => "web",
    App => "app",
    Wechat => "wechat",
    MiniProgram => "mini_program",
    Phone => "phone",
    Other => "other",
});

/// A customer's membership of the loyalty programme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    /// The customer.
    pub customer_id: Uuid,
    /// Their member number, unique.
    pub member_number: String,
    /// When they joined.
    pub member_since: DateTime<Utc>,
    /// Where they signed up.
    pub signup_channel: SignupChannel,
    /// The tier they hold, if any.
    pub tier_id: Option<Uuid>,
}

/// A member number as given: 4 to 32 letters, digits or `-`, upper-cased.
pub fn member_number(field: &str, raw: &str) -> Result<String, FieldError> {
    let number = raw.to_uppercase();
    let fits = (4..=32).contains(&number.chars().count())
        && number
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    if fits {
        Ok(number)
    } else {
        Err(FieldError::new(
            field,
            "invalid_member_number",
            "a member number is 4 to 32 letters, digits or '-'",
        ))
    }
}

/// A member number drawn from `random`: `M` and ten characters of Crockford's base 32
/// (`M7K3M9Q2BX4`).
pub fn drawn_member_number(random: u128) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let code: String = (0..10)
        .map(|i| ALPHABET[((random >> (i * 5)) & 31) as usize] as char)
        .collect();
    format!("M{code}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tier(rank: i32, qualification: Qualification, threshold: i64) -> MembershipTier {
        TierInput {
            name: Some(format!("T{rank}")),
            rank: Some(i64::from(rank)),
            qualification: Some(qualification),
            threshold: Some(threshold),
            ..TierInput::default()
        }
        .apply(None, Uuid::now_v7(), Utc::now())
        .unwrap()
    }

    #[test]
    fn a_member_holds_the_highest_tier_they_reach_by_points_or_spend() {
        let silver = tier(1, Qualification::Points, 1000);
        let gold = tier(2, Qualification::Spend, 500_000);
        let tiers = [silver.clone(), gold.clone()];
        let standing = |points, spend| Standing { points, spend };
        assert_eq!(tier_for(&tiers, &standing(999, 499_999)), None);
        assert_eq!(tier_for(&tiers, &standing(1000, 0)), Some(silver.id));
        assert_eq!(tier_for(&tiers, &standing(0, 500_000)), Some(gold.id));
        assert_eq!(tier_for(&tiers, &standing(5000, 900_000)), Some(gold.id));
    }

    #[test]
    fn the_next_tier_is_the_lowest_above_the_one_held_not_reached() {
        let silver = tier(1, Qualification::Points, 1000);
        let gold = tier(2, Qualification::Spend, 500_000);
        let tiers = [gold.clone(), silver.clone()];
        let standing = Standing {
            points: 400,
            spend: 100_000,
        };
        let (next, missing) = next_tier(&tiers, None, &standing).unwrap();
        assert_eq!((next.id, missing), (silver.id, 600));
        let (next, missing) = next_tier(&tiers, Some(silver.id), &standing).unwrap();
        assert_eq!((next.id, missing), (gold.id, 400_000));
        assert!(next_tier(&tiers, Some(gold.id), &standing).is_none());
    }

    #[test]
    fn discounts_and_multipliers_round_down() {
        let mut gold = tier(2, Qualification::Spend, 1);
        gold.discount_percent = 5;
        gold.points_multiplier = 150;
        assert_eq!(gold.discount_on(12_345), 617);
        assert_eq!(gold.multiply(7), 10);
        assert_eq!(gold.discount_on(-1), 0);
    }

    #[test]
    fn a_new_tier_is_checked_whole() {
        let refused = TierInput {
            rank: Some(5000),
            discount_percent: Some(95),
            points_multiplier: Some(50),
            benefits: Some(vec![String::new()]),
            ..TierInput::default()
        }
        .apply(None, Uuid::now_v7(), Utc::now())
        .unwrap_err();
        let fields: Vec<&str> = refused.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "name",
                "rank",
                "qualification",
                "threshold",
                "benefits[0]",
                "discount_percent",
                "points_multiplier"
            ]
        );
    }

    #[test]
    fn member_numbers_are_drawn_and_checked() {
        let drawn = drawn_member_number(u128::MAX / 3);
        assert_eq!(drawn.len(), 11);
        assert_eq!(member_number("member_number", &drawn).unwrap(), drawn);
        assert_eq!(member_number("n", "vip-0042").unwrap(), "VIP-0042");
        assert!(member_number("n", "a b").is_err());
    }
}
