//! Who is calling and what they may do: bearer tokens, passwords, sign-in throttling, and the
//! route permission table that every authenticated handler is checked against.

pub mod denials;
mod extractor;
pub mod password;
pub mod permissions;
pub mod standings;
pub mod throttle;
pub mod tokens;

pub use extractor::Auth;

/// A random secret of `n` × 122 bits, hex-encoded (UUID v4 draws from the OS's random source).
pub fn random_secret(n: usize) -> String {
    (0..n)
        .map(|_| uuid::Uuid::new_v4().simple().to_string())
        .collect()
}
