//! Return visits: calling a customer back some days after they were served (a ticket of theirs
//! resolved) or after an order reached them (delivered), as the workspace's rules say, by a task
//! for an agent or a `return_visit` ticket. Each occasion is followed once.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::tasks::NewTask;
use crate::tickets::{NewTicket, TicketChannel, TicketType};
use crate::{FieldError, FieldErrors};

/// The most rules.
pub const MAX_RULES: usize = 20;
/// The longest wait, in days.
pub const MAX_DAYS: i64 = 365;
/// How long after its visit fell due an occasion is still followed: a rule just made does not
/// call on every customer served in years, and a scheduler that was stopped for a while catches
/// up on this week.
pub const CATCH_UP_DAYS: i64 = 7;

/// What a return visit follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Occasion {
    /// A ticket was resolved.
    TicketResolved,
    /// An order was delivered.
    OrderDelivered,
}

names!(Occasion { TicketResolved => "ticket_resolved", OrderDelivered => "order_delivered" });

/// What a return visit is made as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VisitForm {
    /// A task for the agent who served the customer, or for the customer's salesperson.
    Task,
    /// A `return_visit` ticket, worked like any other.
    Ticket,
}

names!(VisitForm { Task => "task", Ticket => "ticket" });

/// One rule: after which occasion, how many days later, and as what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnVisitRule {
    /// What it follows.
    pub occasion: Occasion,
    /// For `ticket_resolved`: the type of tickets whose resolution it follows.
    pub ticket_type: Option<TicketType>,
    /// Days after the occasion, 1 to [`MAX_DAYS`].
    pub after_days: i64,
    /// As what the visit is made.
    pub create: VisitForm,
}

/// Checks a set of rules: at most [`MAX_RULES`], each with its days in range, a ticket type
/// exactly when it follows tickets, and no two for the same occasion (and ticket type).
pub fn check_rules(rules: &[ReturnVisitRule]) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::new();
    if rules.len() > MAX_RULES {
        errors.push(FieldError::new(
            "rules",
            "too_many",
            format!("at most {MAX_RULES} rules"),
        ));
    }
    for (i, rule) in rules.iter().enumerate() {
        let at = |field: &str| format!("rules[{i}].{field}");
        if !(1..=MAX_DAYS).contains(&rule.after_days) {
            errors.push(FieldError::new(
                at("after_days"),
                "out_of_range",
                format!("must be between 1 and {MAX_DAYS}"),
            ));
        }
        match (rule.occasion, rule.ticket_type) {
            (Occasion::TicketResolved, None) => errors.push(FieldError::new(
                at("ticket_type"),
                "required",
                "a rule after a resolved ticket names the type of tickets it follows",
            )),
            (Occasion::OrderDelivered, Some(_)) => errors.push(FieldError::new(
                at("ticket_type"),
                "not_allowed",
                "a rule after a delivered order follows every order; it names no ticket type",
            )),
            _ => {}
        }
        if rules[..i]
            .iter()
            .any(|r| r.occasion == rule.occasion && r.ticket_type == rule.ticket_type)
        {
            errors.push(FieldError::new(
                at("occasion"),
                "duplicate",
                "another rule follows the same occasion",
            ));
        }
    }
    errors.into_result(|| ())
}

/// An occasion that calls for a return visit: who was served, by whom, about what, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    /// What happened.
    pub occasion: Occasion,
    /// The ticket or the order.
    pub record_id: Uuid,
    /// When: the ticket's resolution, the order's delivery.
    pub at: DateTime<Utc>,
    /// The customer.
    pub customer_id: Uuid,
    /// The ticket's agent, or the order's salesperson.
    pub staff_id: Option<Uuid>,
    /// The ticket's subject, or the order's number.
    pub about: String,
}

impl Served {
    /// When its visit falls due under `rule`.
    pub fn due(&self, rule: &ReturnVisitRule) -> DateTime<Utc> {
        self.at + Duration::days(rule.after_days)
    }

    fn title(&self) -> String {
        let about: String = self.about.chars().take(120).collect();
        match self.occasion {
            Occasion::TicketResolved => format!("Return visit: {about}"),
            Occasion::OrderDelivered => format!("Return visit after order {about}"),
        }
    }

    fn description(&self, rule: &ReturnVisitRule) -> String {
        let when = self.at.format("%Y-%m-%d");
        match self.occasion {
            Occasion::TicketResolved => format!(
                "Call the customer {} days after their ticket was resolved ({when}): is all well now?",
                rule.after_days
            ),
            Occasion::OrderDelivered => format!(
                "Call the customer {} days after their order was delivered ({when}): are they happy with it?",
                rule.after_days
            ),
        }
    }

    fn order_id(&self) -> Option<Uuid> {
        (self.occasion == Occasion::OrderDelivered).then_some(self.record_id)
    }

    /// The task that makes the visit, due at the end of the day it falls due.
    pub fn task(&self, rule: &ReturnVisitRule) -> NewTask {
        NewTask {
            title: self.title(),
            description: Some(self.description(rule)),
            due_at: Some(self.due(rule) + Duration::days(1)),
            remind_at: None,
            priority: None,
            assignee_id: self.staff_id,
            customer_id: Some(self.customer_id),
            order_id: self.order_id(),
            deal_id: None,
        }
    }

    /// The ticket that makes the visit: a phone call back, for the same agent.
    pub fn ticket(&self, rule: &ReturnVisitRule) -> NewTicket {
        NewTicket {
            subject: self.title(),
            description: Some(self.description(rule)),
            ticket_type: TicketType::ReturnVisit,
            priority: None,
            channel: TicketChannel::Phone,
            customer_id: self.customer_id,
            order_id: self.order_id(),
            assignee_id: self.staff_id,
            tags: Vec::new(),
            custom_fields: serde_json::Map::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(occasion: Occasion, ticket_type: Option<TicketType>, days: i64) -> ReturnVisitRule {
        ReturnVisitRule {
            occasion,
            ticket_type,
            after_days: days,
            create: VisitForm::Task,
        }
    }

    fn fields(errors: FieldErrors) -> Vec<(String, &'static str)> {
        errors.0.into_iter().map(|e| (e.field, e.code)).collect()
    }

    #[test]
    fn a_rule_names_a_ticket_type_exactly_when_it_follows_tickets() {
        let complaint = Some(TicketType::Complaint);
        assert!(
            check_rules(&[
                rule(Occasion::TicketResolved, complaint, 3),
                rule(Occasion::TicketResolved, Some(TicketType::AfterSales), 7),
                rule(Occasion::OrderDelivered, None, 7),
            ])
            .is_ok()
        );
        let refused = check_rules(&[
            rule(Occasion::TicketResolved, None, 3),
            rule(Occasion::OrderDelivered, complaint, 0),
            rule(Occasion::OrderDelivered, None, 7),
            rule(Occasion::OrderDelivered, None, 9),
        ])
        .unwrap_err();
        assert_eq!(
            fields(refused),
            [
                ("rules[0].ticket_type".to_owned(), "required"),
                ("rules[1].after_days".to_owned(), "out_of_range"),
                ("rules[1].ticket_type".to_owned(), "not_allowed"),
                ("rules[3].occasion".to_owned(), "duplicate"),
            ]
        );
    }

    #[test]
    fn a_visit_falls_due_the_rules_days_after_the_occasion() {
        let served = Served {
            occasion: Occasion::OrderDelivered,
            record_id: Uuid::from_u128(7),
            at: "2026-12-01T10:00:00Z".parse().unwrap(),
            customer_id: Uuid::from_u128(1),
            staff_id: Some(Uuid::from_u128(2)),
            about: "SO-20261201-AAAA".into(),
        };
        let rule = rule(Occasion::OrderDelivered, None, 7);
        assert_eq!(
            served.due(&rule),
            "2026-12-08T10:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        let task = served.task(&rule);
        assert_eq!(task.title, "Return visit after order SO-20261201-AAAA");
        assert_eq!(task.order_id, Some(Uuid::from_u128(7)));
        assert_eq!(task.assignee_id, Some(Uuid::from_u128(2)));
        let ticket = served.ticket(&rule);
        assert_eq!(ticket.ticket_type, TicketType::ReturnVisit);
        assert_eq!(ticket.customer_id, Uuid::from_u128(1));
    }
}
