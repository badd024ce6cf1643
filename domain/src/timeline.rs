//! A customer's timeline: everything that happened with them, newest first, whatever kind of
//! record it is kept in.

use serde::{Deserialize, Serialize};

/// The kinds of record a timeline shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimelineKind {
    /// An activity, at the time it happened.
    Activity,
    /// An order, at the time it was placed.
    Order,
    /// A deal, at the time it was opened.
    Deal,
    /// A ticket, at the time it was opened.
    Ticket,
    /// A conversation, at the time it was opened.
    Conversation,
    /// A campaign's tracking event about the customer, at the time it happened.
    CampaignTouch,
}

names!(TimelineKind {
    Activity => "activity",
    Order => "order",
    Deal => "deal",
    Ticket => "ticket",
    Conversation => "conversation",
    CampaignTouch => "campaign_touch",
});
