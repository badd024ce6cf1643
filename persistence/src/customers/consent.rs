//! Marketing-consent decisions: each kept with its time, channel and who recorded it.

use chrono::{DateTime, Utc};
use rapport_domain::access::Actor;
use rapport_domain::customers::Customer;
use sea_orm::ActiveModelTrait;
use sea_orm::ActiveValue::Set;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

pub(crate) use super::entity::consent_record as entity;
use crate::Result;

/// One marketing-consent decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRecord {
    /// Identifier.
    pub id: Uuid,
    /// Whose.
    pub customer_id: Uuid,
    /// Opted in or out.
    pub opted_in: bool,
    /// Where it was given or withdrawn.
    pub channel: String,
    /// When the customer decided.
    pub occurred_at: DateTime<Utc>,
    /// When Rapport was told.
    pub recorded_at: DateTime<Utc>,
    /// Who recorded it: `user`, `api_key` or `system`.
    pub actor_type: String,
    /// The user or key.
    pub actor_id: Option<Uuid>,
    /// The request that recorded it.
    pub request_id: String,
}

impl From<entity::Model> for ConsentRecord {
    fn from(m: entity::Model) -> Self {
        ConsentRecord {
            id: m.id,
            customer_id: m.customer_id,
            opted_in: m.opted_in,
            channel: m.channel,
            occurred_at: m.occurred_at,
            recorded_at: m.recorded_at,
            actor_type: m.actor_type,
            actor_id: m.actor_id,
            request_id: m.request_id,
        }
    }
}

/// Keeps the consent `customer` carries as a decision made by `actor`, in the caller's
/// transaction; nothing when the customer has no channel on record.
pub(crate) async fn keep_consent(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    customer: &Customer,
) -> Result<()> {
    let consent = &customer.marketing_consent;
    let (Some(channel), Some(at)) = (&consent.channel, consent.updated_at) else {
        return Ok(());
    };
    entity::ActiveModel {
        id: Set(Uuid::now_v7()),
        customer_id: Set(customer.id),
        opted_in: Set(consent.opted_in),
        channel: Set(channel.clone()),
        occurred_at: Set(at),
        recorded_at: Set(crate::now()),
        actor_type: Set(actor.principal.kind().to_owned()),
        actor_id: Set(Some(actor.principal.id())),
        request_id: Set(actor.request_id.clone()),
    }
    .insert(conn)
    .await?;
    Ok(())
}
