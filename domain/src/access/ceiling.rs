//! The privilege ceiling: whoever manages access (users, roles, API keys) can hand out, change or
//! take away only what they hold themselves, so a permission to manage access never becomes a way
//! to reach more.

use std::fmt;

use super::{Grant, Scope};

/// The grants of `wanted` that `held` does not cover: a grant is covered when `held` has the same
/// permission in the same or a wider scope.
pub fn beyond(held: &[Grant], wanted: &[Grant]) -> Vec<Grant> {
    wanted
        .iter()
        .filter(|w| !covers(held, w))
        .copied()
        .collect()
}

fn covers(held: &[Grant], wanted: &Grant) -> bool {
    held.iter()
        .any(|h| h.permission == wanted.permission && h.scope >= wanted.scope)
}

/// What `held` and `other` both grant, each permission in the narrower of its two scopes: what an
/// API key may do when its creator's own grants are narrower than its role's.
pub fn intersection(held: &[Grant], other: &[Grant]) -> Vec<Grant> {
    other
        .iter()
        .filter_map(|o| {
            held.iter()
                .filter(|h| h.permission == o.permission)
                .map(|h| h.scope)
                .max()
                .map(|scope| Grant {
                    permission: o.permission,
                    scope: scope.min(o.scope),
                })
        })
        .collect()
}

/// Grants named for a person: `customers:delete, users:write (all; you hold own)`.
pub struct Listed<'a>(pub &'a [Grant], pub &'a [Grant]);

impl fmt::Display for Listed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Listed(missing, held) = self;
        for (i, grant) in missing.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}", grant.permission)?;
            let narrower = held
                .iter()
                .any(|h| h.permission == grant.permission && h.scope < grant.scope);
            if narrower && grant.scope == Scope::All {
                f.write_str(" in scope all (you hold it for your own records)")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{Action, BuiltInRole, Permission, Resource};

    fn grant(resource: Resource, action: Action, scope: Scope) -> Grant {
        Grant {
            permission: Permission::new(resource, action),
            scope,
        }
    }

    #[test]
    fn every_role_is_within_the_admins_reach_and_its_own() {
        let admin = BuiltInRole::Admin.grants();
        for role in BuiltInRole::ALL {
            assert!(beyond(&admin, &role.grants()).is_empty(), "{}", role.name());
            assert!(beyond(&role.grants(), &role.grants()).is_empty());
        }
    }

    #[test]
    fn a_wider_scope_is_beyond_a_narrower_one() {
        let sales = BuiltInRole::Sales.grants();
        let all_customers = [grant(Resource::Customers, Action::Read, Scope::All)];
        assert_eq!(beyond(&sales, &all_customers), all_customers.to_vec());
        let own_customers = [grant(Resource::Customers, Action::Read, Scope::Own)];
        assert!(beyond(&sales, &own_customers).is_empty());
        assert_eq!(
            Listed(&all_customers, &sales).to_string(),
            "customers:read in scope all (you hold it for your own records)"
        );
    }

    #[test]
    fn a_manager_cannot_hand_out_what_only_an_admin_holds() {
        let missing = beyond(&BuiltInRole::Manager.grants(), &BuiltInRole::Admin.grants());
        assert!(missing.contains(&grant(Resource::Roles, Action::Write, Scope::All)));
        assert!(!missing.contains(&grant(Resource::Customers, Action::Read, Scope::All)));
    }

    #[test]
    fn an_intersection_keeps_the_narrower_scope_of_what_both_hold() {
        let key_role = [
            grant(Resource::Customers, Action::Read, Scope::All),
            grant(Resource::Users, Action::Write, Scope::All),
        ];
        let creator = BuiltInRole::Sales.grants();
        assert_eq!(
            intersection(&creator, &key_role),
            vec![grant(Resource::Customers, Action::Read, Scope::Own)]
        );
    }
}
