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
use Resource::{
    Activities, ApiKeys, AuditEvents, Campaigns, CarePlans, Conversations, Coupons, CustomFields,
    Customers, Deals, Events, Jobs, Leads, Loyalty, Orders, Privacy, Products, Roles, Segments,
    Settings, Tasks, Tickets, Users,
};

/// (method, route pattern, access) for every authenticated operation.
pub const ROUTES: &[(&str, &str, Access)] = &[
    ("GET", "/api/v1/me", Access::SignedIn),
    ("GET", "/api/v1/customers", p(Customers, Read)),
    ("POST", "/api/v1/customers", p(Customers, Write)),
    ("POST", "/api/v1/customers/search", p(Customers, Read)),
    ("POST", "/api/v1/customers/batch", p(Customers, Write)),
    ("GET", "/api/v1/customers/export", p(Customers, Read)),
    ("POST", "/api/v1/customers/tag", p(Customers, Write)),
    ("POST", "/api/v1/customers/untag", p(Customers, Write)),
    ("GET", "/api/v1/tags", p(Customers, Read)),
    ("GET", "/api/v1/customers/filter-fields", p(Customers, Read)),
    ("GET", "/api/v1/customers/{id}", p(Customers, Read)),
    ("PATCH", "/api/v1/customers/{id}", p(Customers, Write)),
    ("DELETE", "/api/v1/customers/{id}", p(Customers, Delete)),
    (
        "POST",
        "/api/v1/customers/{id}/consent",
        p(Customers, Write),
    ),
    ("GET", "/api/v1/customers/{id}/consent", p(Customers, Read)),
    (
        "GET",
        "/api/v1/customers/{id}/duplicates",
        p(Customers, Read),
    ),
    ("POST", "/api/v1/customers/{id}/merge", p(Customers, Delete)),
    (
        "GET",
        "/api/v1/customers/{id}/data-export",
        p(Privacy, Read),
    ),
    (
        "POST",
        "/api/v1/customers/{id}/anonymize",
        p(Privacy, Write),
    ),
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
    ("POST", "/api/v1/imports", p(Customers, Write)),
    ("PUT", "/api/v1/imports/{id}/file", p(Customers, Write)),
    ("GET", "/api/v1/imports", p(Customers, Read)),
    ("GET", "/api/v1/imports/{id}", p(Customers, Read)),
    ("GET", "/api/v1/imports/{id}/errors", p(Customers, Read)),
    ("POST", "/api/v1/imports/{id}/retry", p(Customers, Write)),
    ("GET", "/api/v1/segments", p(Segments, Read)),
    ("POST", "/api/v1/segments", p(Segments, Write)),
    ("POST", "/api/v1/segments/preview", p(Segments, Read)),
    ("GET", "/api/v1/segments/{id}", p(Segments, Read)),
    ("PATCH", "/api/v1/segments/{id}", p(Segments, Write)),
    ("DELETE", "/api/v1/segments/{id}", p(Segments, Delete)),
    ("GET", "/api/v1/segments/{id}/customers", p(Segments, Read)),
    (
        "POST",
        "/api/v1/segments/{id}/add-customers",
        p(Segments, Write),
    ),
    (
        "POST",
        "/api/v1/segments/{id}/remove-customers",
        p(Segments, Write),
    ),
    ("GET", "/api/v1/categories", p(Products, Read)),
    ("POST", "/api/v1/categories", p(Products, Write)),
    ("GET", "/api/v1/categories/{id}", p(Products, Read)),
    ("PATCH", "/api/v1/categories/{id}", p(Products, Write)),
    ("DELETE", "/api/v1/categories/{id}", p(Products, Delete)),
    ("GET", "/api/v1/brands", p(Products, Read)),
    ("POST", "/api/v1/brands", p(Products, Write)),
    ("GET", "/api/v1/brands/{id}", p(Products, Read)),
    ("PATCH", "/api/v1/brands/{id}", p(Products, Write)),
    ("DELETE", "/api/v1/brands/{id}", p(Products, Delete)),
    ("GET", "/api/v1/products", p(Products, Read)),
    ("POST", "/api/v1/products/search", p(Products, Read)),
    ("GET", "/api/v1/products/export", p(Products, Read)),
    ("POST", "/api/v1/products/batch", p(Products, Write)),
    ("GET", "/api/v1/products/filter-fields", p(Products, Read)),
    ("POST", "/api/v1/products", p(Products, Write)),
    ("GET", "/api/v1/products/{id}", p(Products, Read)),
    ("PATCH", "/api/v1/products/{id}", p(Products, Write)),
    ("DELETE", "/api/v1/products/{id}", p(Products, Delete)),
    ("POST", "/api/v1/products/{id}/variants", p(Products, Write)),
    (
        "PATCH",
        "/api/v1/products/{id}/variants/{variant_id}",
        p(Products, Write),
    ),
    (
        "DELETE",
        "/api/v1/products/{id}/variants/{variant_id}",
        p(Products, Delete),
    ),
    (
        "POST",
        "/api/v1/products/{id}/variants/{variant_id}/stock-adjustments",
        p(Products, Write),
    ),
    (
        "GET",
        "/api/v1/products/{id}/variants/{variant_id}/stock-movements",
        p(Products, Read),
    ),
    (
        "GET",
        "/api/v1/products/{id}/variants/{variant_id}/stock-movements/{movement_id}",
        p(Products, Read),
    ),
    ("GET", "/api/v1/orders", p(Orders, Read)),
    ("POST", "/api/v1/orders/search", p(Orders, Read)),
    ("GET", "/api/v1/orders/filter-fields", p(Orders, Read)),
    ("GET", "/api/v1/orders/export", p(Orders, Read)),
    ("POST", "/api/v1/orders/batch", p(Orders, Write)),
    ("POST", "/api/v1/orders", p(Orders, Write)),
    ("GET", "/api/v1/orders/{id}", p(Orders, Read)),
    ("PATCH", "/api/v1/orders/{id}", p(Orders, Write)),
    ("POST", "/api/v1/orders/{id}/pay", p(Orders, Write)),
    ("POST", "/api/v1/orders/{id}/ship", p(Orders, Write)),
    (
        "POST",
        "/api/v1/orders/{id}/shipment-events",
        p(Orders, Write),
    ),
    ("POST", "/api/v1/orders/{id}/deliver", p(Orders, Write)),
    ("POST", "/api/v1/orders/{id}/complete", p(Orders, Write)),
    ("POST", "/api/v1/orders/{id}/cancel", p(Orders, Write)),
    (
        "POST",
        "/api/v1/orders/{id}/refund-request",
        p(Orders, Write),
    ),
    ("POST", "/api/v1/orders/{id}/refund", p(Orders, Write)),
    (
        "POST",
        "/api/v1/orders/{id}/refund-rejection",
        p(Orders, Write),
    ),
    ("GET", "/api/v1/customer-levels", p(Settings, Read)),
    ("POST", "/api/v1/customer-levels", p(Settings, Write)),
    ("GET", "/api/v1/customer-levels/{id}", p(Settings, Read)),
    ("PATCH", "/api/v1/customer-levels/{id}", p(Settings, Write)),
    ("DELETE", "/api/v1/customer-levels/{id}", p(Settings, Write)),
    ("GET", "/api/v1/settings/workspace", p(Settings, Read)),
    ("PATCH", "/api/v1/settings/workspace", p(Settings, Write)),
    ("GET", "/api/v1/settings/commerce", p(Settings, Read)),
    ("PATCH", "/api/v1/settings/commerce", p(Settings, Write)),
    ("GET", "/api/v1/settings/retention", p(Settings, Read)),
    ("PATCH", "/api/v1/settings/retention", p(Settings, Write)),
    (
        "GET",
        "/api/v1/settings/ticket-assignment",
        p(Settings, Read),
    ),
    (
        "PATCH",
        "/api/v1/settings/ticket-assignment",
        p(Settings, Write),
    ),
    ("GET", "/api/v1/settings/return-visits", p(Settings, Read)),
    (
        "PATCH",
        "/api/v1/settings/return-visits",
        p(Settings, Write),
    ),
    ("GET", "/api/v1/settings/deal-reminders", p(Settings, Read)),
    (
        "PATCH",
        "/api/v1/settings/deal-reminders",
        p(Settings, Write),
    ),
    ("GET", "/api/v1/customers/{id}/orders", p(Orders, Read)),
    ("GET", "/api/v1/customers/{id}/timeline", p(Customers, Read)),
    ("GET", "/api/v1/activities", p(Activities, Read)),
    ("POST", "/api/v1/activities", p(Activities, Write)),
    ("GET", "/api/v1/activities/{id}", p(Activities, Read)),
    ("PATCH", "/api/v1/activities/{id}", p(Activities, Write)),
    ("DELETE", "/api/v1/activities/{id}", p(Activities, Delete)),
    ("GET", "/api/v1/pipelines", p(Deals, Read)),
    ("POST", "/api/v1/pipelines", p(Settings, Write)),
    ("GET", "/api/v1/pipelines/{id}", p(Deals, Read)),
    ("PATCH", "/api/v1/pipelines/{id}", p(Settings, Write)),
    ("DELETE", "/api/v1/pipelines/{id}", p(Settings, Write)),
    ("GET", "/api/v1/pipelines/{id}/summary", p(Deals, Read)),
    ("GET", "/api/v1/sla-policies", p(Settings, Read)),
    ("POST", "/api/v1/sla-policies", p(Settings, Write)),
    ("GET", "/api/v1/sla-policies/{id}", p(Settings, Read)),
    ("PATCH", "/api/v1/sla-policies/{id}", p(Settings, Write)),
    ("DELETE", "/api/v1/sla-policies/{id}", p(Settings, Write)),
    ("GET", "/api/v1/tickets", p(Tickets, Read)),
    ("POST", "/api/v1/tickets/search", p(Tickets, Read)),
    ("GET", "/api/v1/tickets/filter-fields", p(Tickets, Read)),
    ("POST", "/api/v1/tickets", p(Tickets, Write)),
    ("GET", "/api/v1/tickets/{id}", p(Tickets, Read)),
    ("PATCH", "/api/v1/tickets/{id}", p(Tickets, Write)),
    ("DELETE", "/api/v1/tickets/{id}", p(Tickets, Delete)),
    (
        "POST",
        "/api/v1/tickets/{id}/satisfaction",
        p(Tickets, Write),
    ),
    ("GET", "/api/v1/tickets/{id}/comments", p(Tickets, Read)),
    ("POST", "/api/v1/tickets/{id}/comments", p(Tickets, Write)),
    ("GET", "/api/v1/customers/{id}/tickets", p(Tickets, Read)),
    (
        "GET",
        "/api/v1/conversations/stream",
        p(Conversations, Read),
    ),
    ("GET", "/api/v1/conversations", p(Conversations, Read)),
    ("POST", "/api/v1/conversations", p(Conversations, Write)),
    ("GET", "/api/v1/conversations/{id}", p(Conversations, Read)),
    (
        "PATCH",
        "/api/v1/conversations/{id}",
        p(Conversations, Write),
    ),
    (
        "DELETE",
        "/api/v1/conversations/{id}",
        p(Conversations, Delete),
    ),
    (
        "POST",
        "/api/v1/conversations/{id}/ticket",
        p(Conversations, Write),
    ),
    (
        "GET",
        "/api/v1/conversations/{id}/messages",
        p(Conversations, Read),
    ),
    (
        "POST",
        "/api/v1/conversations/{id}/messages",
        p(Conversations, Write),
    ),
    (
        "GET",
        "/api/v1/customers/{id}/conversations",
        p(Conversations, Read),
    ),
    ("POST", "/api/v1/coupons/validate", p(Coupons, Read)),
    ("GET", "/api/v1/coupons", p(Coupons, Read)),
    ("POST", "/api/v1/coupons", p(Coupons, Write)),
    ("GET", "/api/v1/coupons/{id}", p(Coupons, Read)),
    ("PATCH", "/api/v1/coupons/{id}", p(Coupons, Write)),
    ("DELETE", "/api/v1/coupons/{id}", p(Coupons, Delete)),
    ("POST", "/api/v1/coupons/{id}/issue", p(Coupons, Write)),
    ("GET", "/api/v1/customers/{id}/coupons", p(Coupons, Read)),
    ("GET", "/api/v1/campaigns", p(Campaigns, Read)),
    ("POST", "/api/v1/campaigns", p(Campaigns, Write)),
    ("GET", "/api/v1/campaigns/{id}", p(Campaigns, Read)),
    ("PATCH", "/api/v1/campaigns/{id}", p(Campaigns, Write)),
    ("DELETE", "/api/v1/campaigns/{id}", p(Campaigns, Delete)),
    (
        "POST",
        "/api/v1/campaigns/{id}/publish",
        p(Campaigns, Write),
    ),
    (
        "POST",
        "/api/v1/campaigns/{id}/complete",
        p(Campaigns, Write),
    ),
    ("POST", "/api/v1/campaigns/{id}/cancel", p(Campaigns, Write)),
    ("GET", "/api/v1/campaigns/{id}/members", p(Campaigns, Read)),
    ("POST", "/api/v1/campaigns/{id}/events", p(Campaigns, Write)),
    ("GET", "/api/v1/campaigns/{id}/stats", p(Campaigns, Read)),
    ("GET", "/api/v1/promotions", p(Coupons, Read)),
    ("POST", "/api/v1/promotions", p(Coupons, Write)),
    ("GET", "/api/v1/promotions/{id}", p(Coupons, Read)),
    ("PATCH", "/api/v1/promotions/{id}", p(Coupons, Write)),
    ("DELETE", "/api/v1/promotions/{id}", p(Coupons, Delete)),
    ("GET", "/api/v1/customers/{id}/points", p(Loyalty, Read)),
    (
        "GET",
        "/api/v1/customers/{id}/points/ledger",
        p(Loyalty, Read),
    ),
    (
        "POST",
        "/api/v1/customers/{id}/points/adjustments",
        p(Loyalty, Write),
    ),
    (
        "POST",
        "/api/v1/customers/{id}/points/redemptions",
        p(Loyalty, Write),
    ),
    ("GET", "/api/v1/membership-tiers", p(Loyalty, Read)),
    ("POST", "/api/v1/membership-tiers", p(Settings, Write)),
    ("GET", "/api/v1/membership-tiers/{id}", p(Loyalty, Read)),
    ("PATCH", "/api/v1/membership-tiers/{id}", p(Settings, Write)),
    (
        "DELETE",
        "/api/v1/membership-tiers/{id}",
        p(Settings, Write),
    ),
    ("GET", "/api/v1/customers/{id}/membership", p(Loyalty, Read)),
    (
        "POST",
        "/api/v1/customers/{id}/membership",
        p(Loyalty, Write),
    ),
    (
        "DELETE",
        "/api/v1/customers/{id}/membership",
        p(Loyalty, Write),
    ),
    ("GET", "/api/v1/rewards", p(Loyalty, Read)),
    ("POST", "/api/v1/rewards", p(Loyalty, Write)),
    ("GET", "/api/v1/rewards/{id}", p(Loyalty, Read)),
    ("PATCH", "/api/v1/rewards/{id}", p(Loyalty, Write)),
    ("DELETE", "/api/v1/rewards/{id}", p(Loyalty, Write)),
    (
        "GET",
        "/api/v1/customers/{id}/reward-exchanges",
        p(Loyalty, Read),
    ),
    (
        "POST",
        "/api/v1/customers/{id}/reward-exchanges",
        p(Loyalty, Write),
    ),
    ("GET", "/api/v1/reward-exchanges", p(Loyalty, Read)),
    (
        "POST",
        "/api/v1/reward-exchanges/{id}/fulfilment",
        p(Loyalty, Write),
    ),
    ("GET", "/api/v1/settings/loyalty", p(Settings, Read)),
    ("PATCH", "/api/v1/settings/loyalty", p(Settings, Write)),
    ("GET", "/api/v1/deals", p(Deals, Read)),
    ("POST", "/api/v1/deals", p(Deals, Write)),
    ("POST", "/api/v1/deals/search", p(Deals, Read)),
    ("GET", "/api/v1/deals/filter-fields", p(Deals, Read)),
    ("GET", "/api/v1/deals/{id}", p(Deals, Read)),
    ("PATCH", "/api/v1/deals/{id}", p(Deals, Write)),
    ("DELETE", "/api/v1/deals/{id}", p(Deals, Delete)),
    ("GET", "/api/v1/deals/{id}/stage-history", p(Deals, Read)),
    ("GET", "/api/v1/leads", p(Leads, Read)),
    ("POST", "/api/v1/leads", p(Leads, Write)),
    ("GET", "/api/v1/leads/{id}", p(Leads, Read)),
    ("PATCH", "/api/v1/leads/{id}", p(Leads, Write)),
    ("DELETE", "/api/v1/leads/{id}", p(Leads, Delete)),
    ("POST", "/api/v1/leads/{id}/convert", p(Leads, Write)),
    ("GET", "/api/v1/care-plans", p(CarePlans, Read)),
    ("POST", "/api/v1/care-plans", p(CarePlans, Write)),
    ("GET", "/api/v1/care-plans/{id}", p(CarePlans, Read)),
    ("PATCH", "/api/v1/care-plans/{id}", p(CarePlans, Write)),
    ("DELETE", "/api/v1/care-plans/{id}", p(CarePlans, Delete)),
    ("POST", "/api/v1/care-plans/{id}/run", p(CarePlans, Write)),
    (
        "GET",
        "/api/v1/care-plans/{id}/participations",
        p(CarePlans, Read),
    ),
    (
        "POST",
        "/api/v1/care-participations/{id}/outcome",
        p(Activities, Write),
    ),
    ("GET", "/api/v1/tasks", p(Tasks, Read)),
    ("POST", "/api/v1/tasks", p(Tasks, Write)),
    ("GET", "/api/v1/tasks/{id}", p(Tasks, Read)),
    ("PATCH", "/api/v1/tasks/{id}", p(Tasks, Write)),
    ("DELETE", "/api/v1/tasks/{id}", p(Tasks, Delete)),
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
    ("GET", "/api/v1/jobs", p(Jobs, Read)),
    ("POST", "/api/v1/jobs", p(Jobs, Write)),
    ("GET", "/api/v1/jobs/{id}", p(Jobs, Read)),
];

/// The access an operation requires, or `None` when it is not in the table (denied). `pattern`
/// is the route as the router or the document spells it: a parameter's regular expression
/// (`{id:[0-9a-fA-F-]+}`) is not part of its name.
pub fn required(method: &str, pattern: &str) -> Option<Access> {
    let pattern = without_regexes(pattern);
    ROUTES
        .iter()
        .find(|(m, p, _)| *m == method && *p == pattern)
        .map(|(_, _, access)| *access)
}

/// `pattern` with each `{name:regex}` written `{name}`.
pub fn without_regexes(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let param = &rest[open..open + close + 1];
        match param.find(':') {
            Some(colon) => {
                out.push_str(&param[..colon]);
                out.push('}');
            }
            None => out.push_str(param),
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

/// The permission text stated in the OpenAPI document.
pub fn describe(access: Access) -> String {
    match access {
        Access::SignedIn => "any signed-in user or API key".to_owned(),
        Access::Requires(permission) => permission.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::without_regexes;

    #[test]
    fn parameter_regexes_are_not_part_of_the_pattern() {
        assert_eq!(
            without_regexes("/api/v1/customers/{id:[0-9a-fA-F-]+}/contacts/{contact_id}"),
            "/api/v1/customers/{id}/contacts/{contact_id}"
        );
        assert_eq!(without_regexes("/api/v1/me"), "/api/v1/me");
    }
}
