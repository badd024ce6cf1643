//! The route table: which permission each authenticated operation needs. The auth extractor
//! looks every request up here, so a route missing from the table is denied to everyone, and the
//! OpenAPI document states each operation's permission from the same table.

use rapport_domain::access::{Action, Permission, Resource};

/// What an operation requires beyond a valid credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Any signed-in principal.
    SignedIn,
    /// This permission, in some scope.
    Requires(Permission),
}

const fn p(resource: Resource, action: Action) -> Access {
    Access::Requires(Permission::new(resource, action))
}

use Action::{Delete, Read, Write};
use Resource::{ApiKeys, AuditEvents, CustomFields, Customers, Events, Roles, Users};

/// (method, route pattern, access) for every authenticated operation.
pub const ROUTES: &[(&str, &str, Access)] = &[
    ("GET", "/api/v1/me", Access::SignedIn),
    ("GET", "/api/v1/customers", p(Customers, Read)),
    ("POST", "/api/v1/customers", p(Customers, Write)),
    ("GET", "/api/v1/customers/{id}", p(Customers, Read)),
    ("PATCH", "/api/v1/customers/{id}", p(Customers, Write)),
    ("DELETE", "/api/v1/customers/{id}", p(Customers, Delete)),
    ("GET", "/api/v1/customers/{id}/contacts", p(Customers, Read)),
    (
        "POST",
        "/api/v1/customers/{id}/contacts",
        p(Customers, Write),
    ),
    (
        "GET",
        "/api/v1/customers/{id}/contacts/{contact_id}",
        p(Customers, Read),
    ),
    (
        "PATCH",
        "/api/v1/customers/{id}/contacts/{contact_id}",
        p(Customers, Write),
    ),
    (
        "DELETE",
        "/api/v1/customers/{id}/contacts/{contact_id}",
        p(Customers, Write),
    ),
    ("GET", "/api/v1/custom-fields", p(CustomFields, Read)),
    ("POST", "/api/v1/custom-fields", p(CustomFields, Write)),
    ("GET", "/api/v1/custom-fields/{id}", p(CustomFields, Read)),
    (
        "PATCH",
        "/api/v1/custom-fields/{id}",
        p(CustomFields, Write),
    ),
    (
        "DELETE",
        "/api/v1/custom-fields/{id}",
        p(CustomFields, Delete),
    ),
    ("GET", "/api/v1/users", p(Users, Read)),
    ("POST", "/api/v1/users", p(Users, Write)),
    ("GET", "/api/v1/users/{id}", p(Users, Read)),
    ("PATCH", "/api/v1/users/{id}", p(Users, Write)),
    ("POST", "/api/v1/users/{id}/reset-password", p(Users, Write)),
    ("GET", "/api/v1/roles", p(Roles, Read)),
    ("GET", "/api/v1/roles/{id}", p(Roles, Read)),
    ("POST", "/api/v1/roles", p(Roles, Write)),
    ("PATCH", "/api/v1/roles/{id}", p(Roles, Write)),
    ("DELETE", "/api/v1/roles/{id}", p(Roles, Delete)),
    ("GET", "/api/v1/api-keys", p(ApiKeys, Read)),
    ("POST", "/api/v1/api-keys", p(ApiKeys, Write)),
    ("GET", "/api/v1/api-keys/{id}", p(ApiKeys, Read)),
    ("DELETE", "/api/v1/api-keys/{id}", p(ApiKeys, Delete)),
    ("GET", "/api/v1/audit-events", p(AuditEvents, Read)),
    ("GET", "/api/v1/events", p(Events, Read)),
];

/// The access an operation requires, or `None` when it is not in the table (denied).
pub fn required(method: &str, pattern: &str) -> Option<Access> {
    ROUTES
        .iter()
        .find(|(m, p, _)| *m == method && *p == pattern)
        .map(|(_, _, access)| *access)
}

/// The permission text stated in the OpenAPI document.
pub fn describe(access: Access) -> String {
    match access {
        Access::SignedIn => "any signed-in user or API key".to_owned(),
        Access::Requires(permission) => permission.to_string(),
    }
}
