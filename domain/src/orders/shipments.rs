//! Shipments: the carrier and tracking number an order was handed over with, and the status
//! history a storefront shows ("picked up in 深圳", "out for delivery").

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::MAX_TEXT_LEN;
use crate::validation::{optional_text, text};
use crate::{FieldError, FieldErrors};

/// The most status events one shipment keeps.
pub const MAX_EVENTS: usize = 100;
/// The longest event status (`in_transit`, `out_for_delivery`, …).
pub const MAX_STATUS_LEN: usize = 64;

/// A shipment as recorded on its order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shipment {
    /// Who carries it.
    pub carrier: String,
    /// The carrier's tracking number.
    pub tracking_number: Option<String>,
    /// When it was handed over.
    pub shipped_at: DateTime<Utc>,
    /// When the customer received it.
    pub delivered_at: Option<DateTime<Utc>>,
    /// Its status history, oldest first.
    pub events: Vec<ShipmentEvent>,
}

/// One step of a shipment's way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShipmentEvent {
    /// Identifier.
    pub id: Uuid,
    /// The carrier's status (`picked_up`, `in_transit`, `out_for_delivery`, …).
    pub status: String,
    /// Where it happened.
    pub place: Option<String>,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// When it was recorded here.
    pub recorded_at: DateTime<Utc>,
}

/// A handover as reported: `(carrier, tracking number)`.
pub fn handover(
    carrier: &str,
    tracking_number: Option<&str>,
) -> Result<(String, Option<String>), FieldErrors> {
    let mut errors = FieldErrors::new();
    let carrier = errors
        .take(text("carrier", carrier, 1, MAX_TEXT_LEN))
        .unwrap_or_default();
    let tracking_number = errors
        .take(optional_text(
            "tracking_number",
            tracking_number,
            MAX_TEXT_LEN,
        ))
        .flatten();
    errors.into_result(|| (carrier, tracking_number))
}

/// A status event as reported: `(status, place, occurred_at)`. It may not lie more than a day
/// ahead of `now` (clocks differ; the future has not happened).
pub fn event(
    status: &str,
    place: Option<&str>,
    occurred_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(String, Option<String>, DateTime<Utc>), FieldErrors> {
    let mut errors = FieldErrors::new();
    let status = errors
        .take(text("status", status, 1, MAX_STATUS_LEN))
        .unwrap_or_default();
    let place = errors
        .take(optional_text("place", place, MAX_TEXT_LEN))
        .flatten();
    if occurred_at > now + Duration::days(1) {
        errors.push(FieldError::new(
            "occurred_at",
            "in_future",
            "must not lie in the future",
        ));
    }
    errors.into_result(|| (status, place, occurred_at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handover_names_its_carrier() {
        assert_eq!(
            handover(" 顺丰速运 ", Some("SF1234567890")),
            Ok(("顺丰速运".to_owned(), Some("SF1234567890".to_owned())))
        );
        let refused = handover("", None).unwrap_err();
        assert_eq!(refused.0[0].field, "carrier");
    }

    #[test]
    fn an_event_has_a_status_and_has_happened() {
        let now = Utc::now();
        assert!(event("in_transit", Some("深圳"), now, now).is_ok());
        let refused = event("", None, now + Duration::days(2), now).unwrap_err();
        let fields: Vec<&str> = refused.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["status", "occurred_at"]);
    }
}
