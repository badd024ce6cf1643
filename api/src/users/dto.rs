//! Users and roles on the wire.

use chrono::{DateTime, Utc};
use rapport_domain::{FieldError, FieldErrors};
use rapport_persistence::access::roles::Role;
use rapport_persistence::access::users::{User, UserStatus};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::extract::nullable;

/// Whether the user may sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Signs in and works.
    Active,
    /// Locked out; their tokens stop working at the next request.
    Disabled,
}

impl From<UserStatus> for Status {
    fn from(s: UserStatus) -> Self {
        match s {
            UserStatus::Active => Status::Active,
            UserStatus::Disabled => Status::Disabled,
        }
    }
}

impl From<Status> for UserStatus {
    fn from(s: Status) -> Self {
        match s {
            Status::Active => UserStatus::Active,
            Status::Disabled => UserStatus::Disabled,
        }
    }
}

/// A staff member.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5c4-0000-7000-8000-000000000001",
    "email": "zhang.wei@example.cn",
    "display_name": "张伟",
    "phone": "+8613700137000",
    "role": "sales",
    "status": "active",
    "last_login_at": "2026-11-22T08:00:00Z",
    "created_at": "2026-11-01T09:00:00Z",
    "updated_at": "2026-11-01T09:00:00Z",
    "version": 1
}))]
pub struct UserView {
    /// Identifier.
    pub id: Uuid,
    /// Sign-in email.
    pub email: String,
    /// Name shown to colleagues.
    pub display_name: String,
    /// Phone.
    pub phone: Option<String>,
    /// Role name.
    pub role: String,
    /// Active or disabled.
    pub status: Status,
    /// Last sign-in.
    pub last_login_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version, for `If-Match`.
    pub version: i64,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        UserView {
            id: u.id,
            email: u.email,
            display_name: u.display_name,
            phone: u.phone,
            role: u.role,
            status: u.status.into(),
            last_login_at: u.last_login_at,
            created_at: u.created_at,
            updated_at: u.updated_at,
            version: u.version,
        }
    }
}

/// A new staff member.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "zhang.wei@example.cn", "display_name": "张伟", "role": "sales", "password": "a long initial password"}))]
pub struct CreateUser {
    /// Sign-in email, unique regardless of case.
    #[schema(max_length = 254, format = "email")]
    pub email: String,
    /// Name shown to colleagues, 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub display_name: String,
    /// Phone.
    #[schema(max_length = 32)]
    pub phone: Option<String>,
    /// Role name: `admin`, `manager`, `sales`, `support`, `marketing`, `viewer` or a custom role.
    #[schema(max_length = 50)]
    pub role: String,
    /// Initial password, 10 to 128 characters, not one of the 100,000 most common passwords
    /// (422 `common_password`).
    #[schema(min_length = 10, max_length = 128)]
    pub password: String,
}

/// Changes to a staff member.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"role": "manager", "status": "active"}))]
pub struct UpdateUser {
    /// Display name.
    #[schema(min_length = 1, max_length = 200)]
    pub display_name: Option<String>,
    /// Phone, or `null` to clear.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 32)]
    pub phone: Option<Option<String>>,
    /// Role name; takes effect on the user's next request.
    #[schema(max_length = 50)]
    pub role: Option<String>,
    /// `disabled` locks the user out at their next request.
    pub status: Option<Status>,
}

/// A new password set by an administrator.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"password": "a new long password"}))]
pub struct ResetPassword {
    /// The new password, 10 to 128 characters, not one of the 100,000 most common passwords
    /// (422 `common_password`). Every session of the user ends.
    #[schema(min_length = 10, max_length = 128)]
    pub password: String,
}

/// A permission with its data scope.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"permission": "customers:read", "scope": "own"}))]
pub struct GrantView {
    /// `resource:action`.
    pub permission: String,
    /// `own` (records the caller owns) or `all`.
    pub scope: String,
}

/// A role.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5c4-0000-7000-8000-0000000000aa",
    "name": "sales",
    "description": "Works their own customers: reads and changes the customers they own.",
    "built_in": true,
    "permissions": [{"permission": "customers:read", "scope": "own"}, {"permission": "customers:write", "scope": "own"}],
    "created_at": "2026-11-01T09:00:00Z",
    "updated_at": "2026-11-01T09:00:00Z",
    "version": 1
}))]
pub struct RoleView {
    /// Identifier.
    pub id: Uuid,
    /// Unique name.
    pub name: String,
    /// What the role is for.
    pub description: String,
    /// Built-in roles cannot change.
    pub built_in: bool,
    /// Permissions with scopes.
    pub permissions: Vec<GrantView>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version.
    pub version: i64,
}

impl From<Role> for RoleView {
    fn from(r: Role) -> Self {
        RoleView {
            id: r.id,
            name: r.name,
            description: r.description,
            built_in: r.built_in,
            permissions: r
                .grants
                .into_iter()
                .map(|g| GrantView {
                    permission: g.permission.to_string(),
                    scope: match g.scope {
                        rapport_domain::access::Scope::Own => "own".into(),
                        rapport_domain::access::Scope::All => "all".into(),
                    },
                })
                .collect(),
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
        }
    }
}

/// A permission to grant, with its scope.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"permission": "customers:read", "scope": "all"}))]
pub struct GrantInput {
    /// `resource:action`, such as `customers:read`: every permission there is is listed in the
    /// schema, and `GET /api/v1/roles` shows the built-in roles' grants.
    #[schema(example = "customers:read")]
    pub permission: String,
    /// `own` (only for `customers`: the records the caller owns) or `all`.
    pub scope: ScopeDto,
}

/// A data scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScopeDto {
    /// Records the caller owns.
    Own,
    /// Every record.
    All,
}

/// A new custom role.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "regional_manager",
    "description": "Manages the customers of one region.",
    "permissions": [{"permission": "customers:read", "scope": "all"}, {"permission": "customers:write", "scope": "own"}]
}))]
pub struct CreateRole {
    /// Unique name: 2 to 50 characters of a-z, 0-9 and `_`, starting with a letter.
    #[schema(min_length = 2, max_length = 50, pattern = "^[a-z][a-z0-9_]{1,49}$")]
    pub name: String,
    /// What the role is for, at most 500 characters.
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// What it grants; each permission at most once.
    pub permissions: Vec<GrantInput>,
}

/// Changes to a custom role.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"permissions": [{"permission": "customers:read", "scope": "all"}]}))]
pub struct UpdateRole {
    /// Description.
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// Grants, replaced as a whole.
    pub permissions: Option<Vec<GrantInput>>,
}

/// Checks grants: known permissions, scope `own` only where records have owners; a permission
/// named twice is held once, with the wider scope.
pub fn grants(
    inputs: Vec<GrantInput>,
    errors: &mut rapport_domain::FieldErrors,
) -> Vec<rapport_domain::access::Grant> {
    use rapport_domain::FieldError;
    use rapport_domain::access::{Grant, Permission, Scope};
    let most = Permission::all().count();
    if inputs.len() > most {
        errors.push(FieldError::new(
            "permissions",
            "too_many",
            format!("at most {most} grants, one per permission"),
        ));
        return Vec::new();
    }
    let mut grants: Vec<Grant> = Vec::new();
    for (i, input) in inputs.into_iter().enumerate() {
        let field = format!("permissions[{i}].permission");
        let Ok(permission) = input.permission.parse::<Permission>() else {
            errors.push(FieldError::new(
                field,
                "unknown_permission",
                "not a permission; see the roles list for names",
            ));
            continue;
        };
        let scope = match input.scope {
            ScopeDto::Own => Scope::Own,
            ScopeDto::All => Scope::All,
        };
        if scope == Scope::Own && !permission.resource.is_owned() {
            errors.push(FieldError::new(
                format!("permissions[{i}].scope"),
                "scope_not_applicable",
                "only customers have owners; use `all`",
            ));
        } else if let Some(granted) = grants.iter_mut().find(|g| g.permission == permission) {
            // The same permission twice: the role holds it with the wider scope.
            if scope == Scope::All {
                granted.scope = Scope::All;
            }
        } else {
            grants.push(Grant { permission, scope });
        }
    }
    grants
}

/// The longest role name, as the document states for every field that names a role.
pub const MAX_ROLE_NAME: usize = 50;

/// Checks a field that names a role by its stated length, with the rest of the body and so before
/// `If-Match` is compared: whether such a role exists is known only when the change is made.
pub fn role_reference(errors: &mut FieldErrors, role: String) -> Option<String> {
    if role.chars().count() > MAX_ROLE_NAME {
        errors.push(FieldError::new(
            "role",
            "too_long",
            format!("must be at most {MAX_ROLE_NAME} characters"),
        ));
        return None;
    }
    Some(role)
}
