//! The loyalty settings over HTTP (`/settings/loyalty`): the rule that earns points, how long
//! they last, and the window over which members qualify for tiers.

use actix_web::web::Data;
use actix_web::{HttpResponse, get, patch};
use chrono::{DateTime, Utc};
use rapport_domain::settings::{LoyaltyChanges, LoyaltySettings};
use rapport_persistence::customers::tiers;
use rapport_persistence::settings;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Auth;
use crate::extract::{IfMatch, ValidJson, nullable_whole};
use crate::problem::ApiError;
use crate::respond::ok_versioned;
use crate::state::AppState;

/// How customers earn points and how long they keep them.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "points_per_unit": 1, "points_currency": "CNY", "points_expire_days": 365,
    "tier_window_days": 365, "updated_at": "2026-12-05T08:00:00Z", "version": 2
}))]
pub struct LoyaltySettingsView {
    /// Points a paid order earns per whole unit of `points_currency` its total comes to, rounded
    /// down (0 to 1000; default 1; 0 earns none).
    pub points_per_unit: i64,
    /// The currency whose orders earn points (default `CNY`); orders in others earn none.
    pub points_currency: String,
    /// Days after which earned points expire (1 to 3650); `null`: never (the default).
    pub points_expire_days: Option<i64>,
    /// The days back over which members qualify for tiers (`/api/v1/membership-tiers`): points
    /// earned and money spent within them count (1 to 3650; default 365); `null`: since ever.
    pub tier_window_days: Option<i64>,
    /// When they last changed; `null` while they hold their defaults.
    pub updated_at: Option<DateTime<Utc>>,
    /// Version, for `If-Match`.
    pub version: i64,
}

impl From<LoyaltySettings> for LoyaltySettingsView {
    fn from(s: LoyaltySettings) -> Self {
        LoyaltySettingsView {
            points_per_unit: s.points_per_unit,
            points_currency: s.points_currency,
            points_expire_days: s.points_expire_days,
            tier_window_days: s.tier_window_days,
            updated_at: s.updated_at,
            version: s.version,
        }
    }
}

/// Changes to the loyalty settings: absent parts stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"points_per_unit": 2, "points_expire_days": 365}))]
pub struct UpdateLoyaltySettings {
    /// Points per whole unit, 0 to 1000.
    #[serde(default, deserialize_with = "crate::extract::optional_whole")]
    #[schema(minimum = 0, maximum = 1000)]
    pub points_per_unit: Option<i64>,
    /// ISO 4217 code of the currency whose orders earn points.
    pub points_currency: Option<String>,
    /// Days after which earned points expire, 1 to 3650, or `null` for never.
    #[serde(default, deserialize_with = "nullable_whole")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 3650)]
    pub points_expire_days: Option<Option<i64>>,
    /// The days back over which members qualify for tiers, 1 to 3650, or `null` for since ever.
    #[serde(default, deserialize_with = "nullable_whole")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 3650)]
    pub tier_window_days: Option<Option<i64>>,
}

/// Get the loyalty settings.
///
/// The rule that earns points on paid orders, and how long points last.
#[utoipa::path(
    tag = "settings",
    operation_id = "get_loyalty_settings",
    responses(
        (status = 200, description = "The loyalty settings", body = LoyaltySettingsView,
            headers(("ETag" = String, description = "The version, for If-Match"))),
    ),
    security(("bearer" = []))
)]
#[get("/settings/loyalty")]
pub async fn get_loyalty_settings(
    state: Data<AppState>,
    _auth: Auth,
) -> Result<HttpResponse, ApiError> {
    let current: LoyaltySettings = settings::load(state.db.conn()).await?;
    let version = current.version;
    Ok(ok_versioned(&LoyaltySettingsView::from(current), version))
}

/// Change the loyalty settings.
///
/// Orders paid from now on earn by the new rule; points already earned keep the expiry they were
/// given. A new tier window reviews every member's tier in the same request. With `If-Match: "<version>"` the change applies only to that version.
#[utoipa::path(
    tag = "settings",
    operation_id = "update_loyalty_settings",
    request_body = UpdateLoyaltySettings,
    params(("If-Match" = Option<String>, Header)),
    responses(
        (status = 200, description = "The changed settings", body = LoyaltySettingsView,
            headers(("ETag" = String, description = "The new version"))),
    ),
    security(("bearer" = []))
)]
#[patch("/settings/loyalty")]
pub async fn update_loyalty_settings(
    state: Data<AppState>,
    auth: Auth,
    if_match: IfMatch,
    body: ValidJson<UpdateLoyaltySettings>,
) -> Result<HttpResponse, ApiError> {
    let changes = body.checked(|dto| {
        LoyaltyChanges {
            points_per_unit: dto.points_per_unit,
            points_currency: dto.points_currency,
            points_expire_days: dto.points_expire_days,
            tier_window_days: dto.tier_window_days,
        }
        .check()
    })?;
    let window = changes.tier_window_days;
    let changed: LoyaltySettings =
        settings::change(&state.db, &auth.actor, &changes, if_match.0).await?;
    if window.is_some() {
        tiers::review_all(&state.db, (&auth.actor).into(), state.clock.now()).await?;
    }
    let version = changed.version;
    Ok(ok_versioned(&LoyaltySettingsView::from(changed), version))
}
