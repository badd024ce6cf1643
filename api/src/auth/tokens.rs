//! Access tokens are HS256 JWTs checked strictly: one algorithm, and `exp`, `nbf`, `iss`, `aud` and
//! `sub` all required, with at most 30 seconds of leeway. Refresh tokens are opaque random strings,
//! stored as SHA-256 hashes.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Who issues Rapport's tokens.
pub const ISSUER: &str = "rapport";
/// Who Rapport's tokens are for.
pub const AUDIENCE: &str = "rapport-api";
/// Clock skew tolerated, in seconds.
pub const LEEWAY_SECONDS: u64 = 30;

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user's id.
    pub sub: String,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Expiry (seconds since the epoch).
    pub exp: i64,
    /// Not before.
    pub nbf: i64,
    /// Issued at.
    pub iat: i64,
}

/// Signs and checks access tokens with the workspace's secret.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// Access-token lifetime in seconds.
    pub access_ttl: i64,
    /// Refresh-token lifetime in seconds.
    pub refresh_ttl: i64,
}

impl TokenKeys {
    /// Keys for `secret`.
    pub fn new(secret: &str, access_ttl: i64, refresh_ttl: i64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_nbf = true;
        validation.validate_exp = true;
        Self {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            validation,
            access_ttl,
            refresh_ttl,
        }
    }

    /// A signed access token for `user`.
    pub fn issue(&self, user: Uuid) -> Result<String, jsonwebtoken::errors::Error> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user.to_string(),
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            exp: now + self.access_ttl,
            nbf: now,
            iat: now,
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
    }

    /// Signs arbitrary claims with any header; for tests that forge tokens.
    pub fn sign(
        &self,
        header: &Header,
        claims: &serde_json::Value,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        encode(header, claims, &self.encoding)
    }

    /// The user a valid token speaks for.
    pub fn verify(&self, token: &str) -> Option<Uuid> {
        let data = decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
        Uuid::parse_str(&data.claims.sub).ok()
    }
}

/// A new refresh token and the hash that is stored.
pub fn new_refresh_token() -> (String, String) {
    let token = format!("rt_{}", super::random_secret(2));
    let hash = hash_token(&token);
    (token, hash)
}

/// The stored form of an opaque token.
pub fn hash_token(token: &str) -> String {
    crate::extract::hex(&Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keys() -> TokenKeys {
        TokenKeys::new("test secret that is long enough for HS256", 900, 3600)
    }

    #[test]
    fn a_token_verifies_for_its_user() {
        let user = Uuid::now_v7();
        let token = keys().issue(user).unwrap();
        assert_eq!(keys().verify(&token), Some(user));
    }

    #[test]
    fn another_secret_does_not_verify() {
        let token = keys().issue(Uuid::now_v7()).unwrap();
        assert_eq!(
            TokenKeys::new("another secret", 900, 3600).verify(&token),
            None
        );
    }

    #[test]
    fn tokens_missing_a_required_claim_are_refused() {
        let now = chrono::Utc::now().timestamp();
        let full = json!({"sub": Uuid::now_v7().to_string(), "iss": ISSUER, "aud": AUDIENCE, "exp": now + 60, "nbf": now, "iat": now});
        assert!(
            keys()
                .verify(&keys().sign(&Header::default(), &full).unwrap())
                .is_some()
        );
        for claim in ["sub", "iss", "aud", "exp", "nbf"] {
            let mut claims = full.clone();
            claims.as_object_mut().unwrap().remove(claim);
            let token = keys().sign(&Header::default(), &claims).unwrap();
            assert_eq!(keys().verify(&token), None, "{claim}");
        }
    }

    #[test]
    fn another_algorithm_is_refused() {
        let now = chrono::Utc::now().timestamp();
        let claims = json!({"sub": Uuid::now_v7().to_string(), "iss": ISSUER, "aud": AUDIENCE, "exp": now + 60, "nbf": now});
        let token = keys()
            .sign(&Header::new(Algorithm::HS512), &claims)
            .unwrap();
        assert_eq!(keys().verify(&token), None);
    }
}
