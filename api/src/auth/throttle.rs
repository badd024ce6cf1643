//! Throttling of failed sign-ins, per account and per address, in memory (per node).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What a lockout holds back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locked {
    /// Every sign-in to one account, from anywhere.
    Account,
    /// Every sign-in from one address, to any account.
    Address,
}

impl Locked {
    /// The name recorded in the audit trail.
    pub fn as_str(self) -> &'static str {
        match self {
            Locked::Account => "account",
            Locked::Address => "address",
        }
    }
}

/// Counts failures in a fixed window; once a key reaches the limit it is refused until the
/// window ends.
pub struct LoginThrottle {
    window: Duration,
    per_account: u32,
    per_address: u32,
    failures: Mutex<HashMap<String, (Instant, u32)>>,
}

impl LoginThrottle {
    /// A throttle allowing `per_account` and `per_address` failures per `window`.
    pub fn new(window: Duration, per_account: u32, per_address: u32) -> Self {
        Self {
            window,
            per_account,
            per_address,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn keys(account: &str, address: &str) -> [String; 2] {
        [format!("account:{account}"), format!("address:{address}")]
    }

    /// Seconds until the account or address may try again, if either is blocked now.
    pub fn blocked_for(&self, account: &str, address: &str) -> Option<u64> {
        let now = Instant::now();
        let failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let [account_key, address_key] = Self::keys(account, address);
        [
            (account_key, self.per_account),
            (address_key, self.per_address),
        ]
        .into_iter()
        .filter_map(|(key, limit)| {
            let (start, count) = failures.get(&key)?;
            let elapsed = now.duration_since(*start);
            (*count >= limit && elapsed < self.window)
                .then(|| (self.window - elapsed).as_secs().max(1))
        })
        .max()
    }

    /// Records a failed attempt; answers which limits this failure reached, so that the lockout
    /// it starts is recorded once.
    pub fn fail(&self, account: &str, address: &str) -> Vec<Locked> {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if failures.len() > 100_000 {
            let window = self.window;
            failures.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        let [account_key, address_key] = Self::keys(account, address);
        let mut locked = Vec::new();
        for (key, limit, which) in [
            (account_key, self.per_account, Locked::Account),
            (address_key, self.per_address, Locked::Address),
        ] {
            let entry = failures.entry(key).or_insert((now, 0));
            if now.duration_since(entry.0) >= self.window {
                *entry = (now, 0);
            }
            entry.1 += 1;
            if entry.1 == limit {
                locked.push(which);
            }
        }
        locked
    }

    /// Forgets the account's failures after a successful sign-in.
    pub fn succeed(&self, account: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        failures.remove(&format!("account:{account}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_account_is_blocked_after_its_limit() {
        let throttle = LoginThrottle::new(Duration::from_secs(60), 3, 100);
        for _ in 0..2 {
            assert!(throttle.fail("a@x.cn", "1.2.3.4").is_empty());
        }
        assert_eq!(throttle.blocked_for("a@x.cn", "1.2.3.4"), None);
        assert_eq!(throttle.fail("a@x.cn", "1.2.3.4"), vec![Locked::Account]);
        assert!(
            throttle.fail("a@x.cn", "1.2.3.4").is_empty(),
            "once per lockout"
        );
        assert!(throttle.blocked_for("a@x.cn", "5.6.7.8").is_some());
        assert_eq!(throttle.blocked_for("b@x.cn", "5.6.7.8"), None);
    }

    #[test]
    fn the_address_is_blocked_across_accounts() {
        let throttle = LoginThrottle::new(Duration::from_secs(60), 100, 2);
        throttle.fail("a@x.cn", "1.2.3.4");
        assert_eq!(throttle.fail("b@x.cn", "1.2.3.4"), vec![Locked::Address]);
        assert!(throttle.blocked_for("c@x.cn", "1.2.3.4").is_some());
    }
}
