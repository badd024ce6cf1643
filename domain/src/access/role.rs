use serde::{Deserialize, Serialize};

use super::{Action, Grant, Permission, Resource, Scope};
use crate::FieldError;

/// A role's name: lower snake_case, 2 to 50 characters, such as `regional_manager`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RoleName(String);

impl RoleName {
    /// Parses a role name for `field`.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let ok = (2..=50).contains(&raw.len())
            && raw.starts_with(|c: char| c.is_ascii_lowercase())
            && raw
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(FieldError::new(
                field,
                "invalid_role_name",
                "must be 2 to 50 characters of a-z, 0-9 and _, starting with a letter",
            ))
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The six roles every workspace starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BuiltInRole {
    /// Everything, everywhere.
    Admin,
    /// All customers, read access to staff and the event feed.
    Manager,
    /// Their own customers.
    Sales,
    /// Reads all customers to serve them.
    Support,
    /// Reads all customers to target campaigns.
    Marketing,
    /// Reads all customers and changes nothing.
    Viewer,
}

impl BuiltInRole {
    /// Every built-in role.
    pub const ALL: [BuiltInRole; 6] = [
        BuiltInRole::Admin,
        BuiltInRole::Manager,
        BuiltInRole::Sales,
        BuiltInRole::Support,
        BuiltInRole::Marketing,
        BuiltInRole::Viewer,
    ];

    /// The role's name.
    pub fn name(self) -> &'static str {
        match self {
            BuiltInRole::Admin => "admin",
            BuiltInRole::Manager => "manager",
            BuiltInRole::Sales => "sales",
            BuiltInRole::Support => "support",
            BuiltInRole::Marketing => "marketing",
            BuiltInRole::Viewer => "viewer",
        }
    }

    /// What the role is for, in one sentence.
    pub fn description(self) -> &'static str {
        match self {
            BuiltInRole::Admin => "Administers the workspace: every permission over every record.",
            BuiltInRole::Manager => {
                "Leads the team: all customers, orders, leads, deals, activities, tasks, care plans, tickets and conversations, the catalogue, custom fields, business settings, staff directory and event feed."
            }
            BuiltInRole::Sales => {
                "Works their own customers: reads and changes the customers they own, their orders and activities, and their own leads, deals and tasks."
            }
            BuiltInRole::Support => {
                "Serves customers: reads every customer and their contacts, records activities with them, and works the tickets and chats assigned to them or to no one."
            }
            BuiltInRole::Marketing => {
                "Plans campaigns: reads every customer and lead, builds the segments they target, and runs the care plans that attend to them."
            }
            BuiltInRole::Viewer => {
                "Looks without touching: reads every customer, with email and phone masked."
            }
        }
    }

    /// The role's permissions and their scopes.
    pub fn grants(self) -> Vec<Grant> {
        use Action::*;
        use Resource::*;
        let all = |resource, actions: &[Action]| {
            actions
                .iter()
                .map(move |&action| Grant {
                    permission: Permission::new(resource, action),
                    scope: Scope::All,
                })
                .collect::<Vec<_>>()
        };
        match self {
            BuiltInRole::Admin => Permission::all()
                .map(|permission| Grant {
                    permission,
                    scope: Scope::All,
                })
                .collect(),
            BuiltInRole::Manager => [
                all(Customers, &[Read, Write, Delete]),
                all(ContactDetails, &[Read]),
                all(Privacy, &[Read, Write]),
                all(CustomFields, &[Read, Write, Delete]),
                all(Segments, &[Read, Write, Delete]),
                all(Products, &[Read, Write, Delete]),
                all(Orders, &[Read, Write, Delete]),
                all(Activities, &[Read, Write, Delete]),
                all(Tasks, &[Read, Write, Delete]),
                all(Deals, &[Read, Write, Delete]),
                all(Leads, &[Read, Write, Delete]),
                all(CarePlans, &[Read, Write, Delete]),
                all(Tickets, &[Read, Write, Delete]),
                all(Conversations, &[Read, Write, Delete]),
                all(Coupons, &[Read, Write, Delete]),
                all(Loyalty, &[Read, Write]),
                all(Campaigns, &[Read, Write, Delete]),
                all(Settings, &[Read, Write]),
                all(Users, &[Read]),
                all(Events, &[Read]),
            ]
            .concat(),
            BuiltInRole::Sales => [Customers, Orders, Activities, Tasks, Deals, Leads]
                .into_iter()
                .flat_map(|resource| [Read, Write].map(|action| (resource, action)))
                .map(|(resource, action)| Grant {
                    permission: Permission::new(resource, action),
                    scope: Scope::Own,
                })
                .chain(all(ContactDetails, &[Read]))
                .chain(all(CustomFields, &[Read]))
                .chain(all(Segments, &[Read]))
                .chain(all(Products, &[Read]))
                .chain(all(Settings, &[Read]))
                .chain(all(CarePlans, &[Read]))
                .chain(all(Coupons, &[Read]))
                .chain(all(Loyalty, &[Read]))
                .chain(all(Campaigns, &[Read]))
                .collect(),
            BuiltInRole::Marketing => [
                all(Customers, &[Read]),
                all(ContactDetails, &[Read]),
                all(CustomFields, &[Read]),
                all(Segments, &[Read, Write, Delete]),
                all(Products, &[Read]),
                all(Orders, &[Read]),
                all(Activities, &[Read]),
                all(Deals, &[Read]),
                all(Leads, &[Read]),
                all(CarePlans, &[Read, Write, Delete]),
                all(Coupons, &[Read, Write, Delete]),
                all(Loyalty, &[Read, Write]),
                all(Campaigns, &[Read, Write, Delete]),
                all(Settings, &[Read]),
            ]
            .concat(),
            BuiltInRole::Support => [
                all(Customers, &[Read]),
                all(ContactDetails, &[Read]),
                all(CustomFields, &[Read]),
                all(Segments, &[Read]),
                all(Products, &[Read]),
                all(Orders, &[Read]),
                all(Activities, &[Read, Write]),
                all(CarePlans, &[Read]),
                all(Coupons, &[Read]),
                all(Loyalty, &[Read]),
                all(Campaigns, &[Read]),
                all(Settings, &[Read]),
                [Tickets, Conversations]
                    .into_iter()
                    .flat_map(|resource| [Read, Write].map(|action| (resource, action)))
                    .map(|(resource, action)| Grant {
                        permission: Permission::new(resource, action),
                        scope: Scope::Own,
                    })
                    .collect(),
            ]
            .concat(),
            // A viewer sees customers with their email and phone masked.
            BuiltInRole::Viewer => [
                all(Customers, &[Read]),
                all(CustomFields, &[Read]),
                all(Segments, &[Read]),
                all(Products, &[Read]),
                all(Orders, &[Read]),
                all(Activities, &[Read]),
                all(Deals, &[Read]),
                all(Coupons, &[Read]),
                all(Loyalty, &[Read]),
                all(Campaigns, &[Read]),
                all(Settings, &[Read]),
            ]
            .concat(),
        }
    }

    /// The built-in role of this name, if there is one.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_holds_every_permission_over_everything() {
        let grants = BuiltInRole::Admin.grants();
        assert_eq!(grants.len(), Permission::all().count());
        assert!(grants.iter().all(|g| g.scope == Scope::All));
    }

    #[test]
    fn sales_reaches_only_its_own_customers_and_their_orders() {
        let grants = BuiltInRole::Sales.grants();
        assert!(
            grants
                .iter()
                .filter(|g| g.permission.resource.is_owned())
                .all(|g| g.scope == Scope::Own)
        );
        assert!(
            grants
                .iter()
                .filter(|g| !g.permission.resource.is_owned())
                .all(|g| g.permission.action == Action::Read && g.scope == Scope::All)
        );
        assert!(!grants.iter().any(|g| g.permission.action == Action::Delete));
    }

    #[test]
    fn viewer_cannot_write() {
        assert!(
            BuiltInRole::Viewer
                .grants()
                .iter()
                .all(|g| g.permission.action == Action::Read)
        );
    }

    #[test]
    fn role_names_are_snake_case() {
        assert!(RoleName::parse("name", "regional_manager").is_ok());
        for bad in ["A", "Regional", "1abc", "has space", "x"] {
            assert!(RoleName::parse("name", bad).is_err(), "{bad}");
        }
    }
}
