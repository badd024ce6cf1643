//! Passwords are hashed with Argon2id (the `argon2` crate's default parameters: 19 MiB, 2 passes).

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use rapport_domain::FieldError;

/// Hashes a password.
pub fn hash(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// True when `password` matches the stored hash.
pub fn verify(password: &str, stored: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), stored)
        .is_ok()
}

/// A hash to verify against when the account does not exist, so both paths take as long.
pub fn decoy() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash("decoy password for unknown accounts").unwrap_or_default())
}

/// A new password must be 10 to 128 characters.
pub fn check_new(field: &str, password: &str) -> Result<(), FieldError> {
    let length = password.chars().count();
    if length < 10 {
        Err(FieldError::new(
            field,
            "too_short",
            "must be at least 10 characters",
        ))
    } else if length > 128 {
        Err(FieldError::new(
            field,
            "too_long",
            "must be at most 128 characters",
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let stored = hash("correct horse battery").unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &stored));
        assert!(!verify("wrong horse battery", &stored));
        assert!(!verify("anything", "not a hash"));
    }
}
