use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Grant, Permission, Scope};

/// Who is acting: a signed-in user, or an integrator's API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Principal {
    /// A staff member signed in with a password.
    User(Uuid),
    /// An API key.
    ApiKey(Uuid),
}

impl Principal {
    /// The principal's kind as stored in audit events.
    pub fn kind(self) -> &'static str {
        match self {
            Principal::User(_) => "user",
            Principal::ApiKey(_) => "api_key",
        }
    }

    /// The principal's id.
    pub fn id(self) -> Uuid {
        match self {
            Principal::User(id) | Principal::ApiKey(id) => id,
        }
    }

    /// The staff member acting, when it is one (not an API key).
    pub fn user_id(self) -> Option<Uuid> {
        match self {
            Principal::User(id) => Some(id),
            Principal::ApiKey(_) => None,
        }
    }
}

/// The caller of a use case: who they are, whose records they own, what their role grants, and the
/// request they came with. Data scope is enforced with it inside each query.
#[derive(Debug, Clone)]
pub struct Actor {
    /// Who acts.
    pub principal: Principal,
    /// The user whose records count as "own": the user, or the creator of the API key.
    pub owner_id: Uuid,
    /// The role's name.
    pub role: String,
    /// What the role grants.
    pub grants: Vec<Grant>,
    /// The request's id, for the audit trail.
    pub request_id: String,
    /// The caller's address, for the audit trail.
    pub ip: Option<String>,
}

impl Actor {
    /// The widest scope in which the actor holds `permission`, or `None`: deny by default.
    pub fn scope_for(&self, permission: Permission) -> Option<Scope> {
        self.grants
            .iter()
            .filter(|grant| grant.permission == permission)
            .map(|grant| grant.scope)
            .max()
    }

    /// The owner to restrict queries to under `scope`: `Some(owner)` for `own`, `None` for `all`.
    pub fn owner_filter(&self, scope: Scope) -> Option<Uuid> {
        match scope {
            Scope::Own => Some(self.owner_id),
            Scope::All => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{Action, BuiltInRole, Resource};

    fn actor(role: BuiltInRole) -> Actor {
        Actor {
            principal: Principal::User(Uuid::nil()),
            owner_id: Uuid::nil(),
            role: role.name().to_owned(),
            grants: role.grants(),
            request_id: "test".to_owned(),
            ip: None,
        }
    }

    #[test]
    fn permissions_not_granted_are_denied() {
        let viewer = actor(BuiltInRole::Viewer);
        assert_eq!(
            viewer.scope_for(Permission::new(Resource::Customers, Action::Write)),
            None
        );
        assert_eq!(
            viewer.scope_for(Permission::new(Resource::Customers, Action::Read)),
            Some(Scope::All)
        );
    }

    #[test]
    fn the_widest_scope_wins() {
        let mut sales = actor(BuiltInRole::Sales);
        let read = Permission::new(Resource::Customers, Action::Read);
        assert_eq!(sales.scope_for(read), Some(Scope::Own));
        sales.grants.push(Grant {
            permission: read,
            scope: Scope::All,
        });
        assert_eq!(sales.scope_for(read), Some(Scope::All));
    }
}
