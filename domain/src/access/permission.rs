use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A kind of record a permission is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    /// Customers and their contacts.
    Customers,
    /// Staff accounts.
    Users,
    /// Roles and their permissions.
    Roles,
    /// Integrators' API keys.
    ApiKeys,
    /// The audit trail.
    AuditEvents,
    /// The integration event feed.
    Events,
    /// The definitions of the workspace's own fields.
    CustomFields,
    /// Saved groups of customers.
    Segments,
    /// Customers' and contacts' email addresses and phone numbers, unmasked.
    ContactDetails,
    /// Answering customers' privacy requests: exporting and erasing their data.
    Privacy,
    /// The catalogue: products and their variants, categories, brands and stock.
    Products,
    /// Orders and what is done to them (paying, shipping, refunding); `own` reaches the orders of
    /// the customers the caller owns.
    Orders,
    /// The workspace's business settings, such as the refund window.
    Settings,
    /// The jobs every node runs: what ran, when and how; running a periodic one now.
    Jobs,
    /// Calls, visits, messages and notes with customers; `own` reaches the activities of the
    /// customers the caller owns.
    Activities,
    /// Staff members' tasks and reminders; `own` reaches the tasks assigned to the caller.
    Tasks,
    /// Deals and the pipelines they move through; `own` reaches the deals the caller owns.
    Deals,
    /// Leads and their conversion into customers; `own` reaches the leads the caller owns.
    Leads,
    /// Care plans: the occasions on which staff attend to customers, and their participations.
    CarePlans,
    /// Tickets and their comments; `own` reaches the tickets assigned to the caller and those
    /// assigned to no one.
    Tickets,
    /// Conversations (live chat) and their messages; `own` reaches the conversations assigned to
    /// the caller and those assigned to no one.
    Conversations,
    /// Coupons, issuing them into customers' wallets, and reading the wallets.
    Coupons,
    /// Customers' points: their balances and ledgers, adjustments and redemptions.
    Loyalty,
    /// Marketing campaigns: their audiences, tracking events and results.
    Campaigns,
}

impl Resource {
    /// Every resource, in a stable order.
    pub const ALL: [Resource; 24] = [
        Resource::Customers,
        Resource::Users,
        Resource::Roles,
        Resource::ApiKeys,
        Resource::AuditEvents,
        Resource::Events,
        Resource::CustomFields,
        Resource::Segments,
        Resource::ContactDetails,
        Resource::Privacy,
        Resource::Products,
        Resource::Orders,
        Resource::Settings,
        Resource::Jobs,
        Resource::Activities,
        Resource::Tasks,
        Resource::Deals,
        Resource::Leads,
        Resource::CarePlans,
        Resource::Tickets,
        Resource::Conversations,
        Resource::Coupons,
        Resource::Loyalty,
        Resource::Campaigns,
    ];

    /// The resource's name in permission strings (`api_keys`).
    pub fn as_str(self) -> &'static str {
        match self {
            Resource::Customers => "customers",
            Resource::Users => "users",
            Resource::Roles => "roles",
            Resource::ApiKeys => "api_keys",
            Resource::AuditEvents => "audit_events",
            Resource::Events => "events",
            Resource::CustomFields => "custom_fields",
            Resource::Segments => "segments",
            Resource::ContactDetails => "contact_details",
            Resource::Privacy => "privacy",
            Resource::Products => "products",
            Resource::Orders => "orders",
            Resource::Settings => "settings",
            Resource::Jobs => "jobs",
            Resource::Activities => "activities",
            Resource::Tasks => "tasks",
            Resource::Deals => "deals",
            Resource::Leads => "leads",
            Resource::CarePlans => "care_plans",
            Resource::Tickets => "tickets",
            Resource::Conversations => "conversations",
            Resource::Coupons => "coupons",
            Resource::Loyalty => "loyalty",
            Resource::Campaigns => "campaigns",
        }
    }

    /// Whether records of this resource have an owner, so that scope `own` means something.
    pub fn is_owned(self) -> bool {
        matches!(
            self,
            Resource::Customers
                | Resource::Orders
                | Resource::Activities
                | Resource::Tasks
                | Resource::Deals
                | Resource::Leads
                | Resource::Tickets
                | Resource::Conversations
        )
    }
}

/// What is done to a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Look at records.
    Read,
    /// Create and change records.
    Write,
    /// Delete records.
    Delete,
}

impl Action {
    /// Every action, in a stable order.
    pub const ALL: [Action; 3] = [Action::Read, Action::Write, Action::Delete];

    /// The action's name in permission strings.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Write => "write",
            Action::Delete => "delete",
        }
    }
}

/// A permission such as `customers:write`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Permission {
    /// What it is about.
    pub resource: Resource,
    /// What it allows.
    pub action: Action,
}

impl Permission {
    /// The permission to do `action` on `resource`.
    pub const fn new(resource: Resource, action: Action) -> Self {
        Self { resource, action }
    }

    /// Every permission that exists.
    pub fn all() -> impl Iterator<Item = Permission> {
        Resource::ALL
            .into_iter()
            .flat_map(|r| Action::ALL.into_iter().map(move |a| Permission::new(r, a)))
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.resource.as_str(), self.action.as_str())
    }
}

/// Why a permission string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown permission `{0}`: expected resource:action, such as customers:read")]
pub struct UnknownPermission(pub String);

impl FromStr for Permission {
    type Err = UnknownPermission;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Permission::all()
            .find(|p| p.to_string() == s)
            .ok_or_else(|| UnknownPermission(s.to_owned()))
    }
}

impl Serialize for Permission {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Permission {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        raw.parse().map_err(serde::de::Error::custom)
    }
}

/// Which records a permission reaches: the caller's own, or all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Records the caller owns or is assigned.
    Own,
    /// Every record.
    All,
}

/// A permission granted to a role, with its data scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Grant {
    /// What is allowed.
    pub permission: Permission,
    /// Over which records.
    pub scope: Scope,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_round_trip_through_their_names() {
        for permission in Permission::all() {
            assert_eq!(permission.to_string().parse::<Permission>(), Ok(permission));
        }
        assert_eq!(
            "api_keys:delete".parse::<Permission>().unwrap().resource,
            Resource::ApiKeys
        );
    }

    #[test]
    fn unknown_permissions_are_refused() {
        assert!("customers:fly".parse::<Permission>().is_err());
        assert!("customers".parse::<Permission>().is_err());
    }
}
