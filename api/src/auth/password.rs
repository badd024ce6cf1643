//! Passwords are hashed with Argon2id (the `argon2` crate's default parameters: 19 MiB, 2 passes).
//!
//! Requests hash on [`PasswordWorkers`]: one thread per core, each verifying in one 19 MiB block
//! of memory it keeps for good, so a burst of sign-ins queues at a fixed memory cost instead of
//! allocating a fresh 19 MiB per attempt on the blocking pool (which left the allocator holding
//! gigabytes after a few thousand sign-ins).

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, PasswordHasher, Version};
use rapport_domain::FieldError;

/// A worker's own Argon2 memory, reused by every verification it runs.
type Memory = Vec<Block>;
type Job = Box<dyn FnOnce(&mut Memory) + Send>;

/// A fixed set of threads that hash and verify passwords, one job at a time each.
pub struct PasswordWorkers {
    jobs: Sender<Job>,
}

impl PasswordWorkers {
    /// Starts `threads` workers (at least one).
    pub fn start(threads: usize) -> std::io::Result<Self> {
        let (jobs, queue) = channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..threads.max(1) {
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name(format!("password-{n}"))
                .spawn(move || work(&queue))?;
        }
        Ok(Self { jobs })
    }

    /// Runs `f` on a worker, with the worker's memory, and waits for it without blocking the
    /// caller's thread; `None` when the workers are gone.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Memory) -> T + Send + 'static,
    ) -> Option<T> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |memory| {
            let _ = answer.send(f(memory));
        });
        self.jobs.send(job).ok()?;
        answered.await.ok()
    }

    /// The hash of a new password.
    pub async fn hash(&self, password: String) -> Result<String, String> {
        self.run(move |_| hash(&password))
            .await
            .unwrap_or_else(|| Err("the password workers stopped".to_owned()))
    }

    /// True when `password` matches the stored hash.
    pub async fn verify(&self, password: String, stored: String) -> bool {
        self.run(move |memory| verify_in(memory, &password, &stored))
            .await
            .unwrap_or(false)
    }
}

fn work(queue: &Mutex<Receiver<Job>>) {
    let mut memory = Memory::new();
    loop {
        let job = match queue.lock() {
            Ok(receiver) => match receiver.recv() {
                Ok(job) => job,
                Err(_) => return,
            },
            Err(_) => return,
        };
        job(&mut memory);
    }
}

/// Verifies `password` against the PHC string `stored`, computing in `memory` (grown once to
/// the hash's memory cost and kept). The output is compared in constant time.
fn verify_in(memory: &mut Memory, password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return false;
    };
    let (Ok(params), Ok(algorithm)) = (
        Params::try_from(&parsed),
        Algorithm::try_from(parsed.algorithm.as_str()),
    ) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let blocks = params.block_count();
    if memory.len() < blocks {
        memory.resize(blocks, Block::new());
    }
    let Some(work) = memory.get_mut(..blocks) else {
        return false;
    };
    let expected = expected.as_bytes();
    let mut computed = vec![0u8; expected.len()];
    if Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password.as_bytes(), salt.as_ref(), &mut computed, work)
        .is_err()
    {
        return false;
    }
    expected
        .iter()
        .zip(&computed)
        .fold(0u8, |differs, (a, b)| differs | (a ^ b))
        == 0
}

/// Hashes a password.
pub fn hash(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// True when `password` matches the stored hash.
pub fn verify(password: &str, stored: &str) -> bool {
    verify_in(&mut Memory::new(), password, stored)
}

/// A hash to verify against when the account does not exist, so both paths take as long.
pub fn decoy() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash("decoy password for unknown accounts").unwrap_or_default())
}

/// A new password must be 10 to 128 characters and not one of the 100,000 most common ones
/// (the list of the `passwords` crate, from SecLists), compared ignoring case: those are the
/// first a guesser tries, whatever their length.
pub fn check_new(field: &str, password: &str) -> Result<(), FieldError> {
    if password.chars().nth(128).is_some() {
        return Err(FieldError::new(
            field,
            "too_long",
            "must be at most 128 characters",
        ));
    }
    if password.chars().nth(9).is_none() {
        return Err(FieldError::new(
            field,
            "too_short",
            "must be at least 10 characters",
        ));
    }
    let common = |p: &str| passwords::analyzer::is_common_password(p);
    if common(password) || common(&password.to_lowercase()) {
        return Err(FieldError::new(
            field,
            "common_password",
            "is one of the most common passwords, the first any guesser tries; choose another",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_passwords_are_refused_whatever_their_case() {
        for common in ["password123", "PASSWORD123", "qwertyuiop", "1234567890"] {
            assert_eq!(
                check_new("password", common).unwrap_err().code,
                "common_password",
                "{common}"
            );
        }
        assert!(check_new("password", "correct horse battery staple").is_ok());
        assert_eq!(
            check_new("password", "short").unwrap_err().code,
            "too_short"
        );
    }

    #[test]
    fn a_hash_verifies_its_password_only() {
        let stored = hash("correct horse battery").unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &stored));
        assert!(!verify("wrong horse battery", &stored));
        assert!(!verify("anything", "not a hash"));
    }

    #[test]
    fn reused_memory_gives_the_argon2_crates_own_answers() {
        use argon2::PasswordVerifier;
        let stored = hash("correct horse battery").unwrap();
        let mut memory = Memory::new();
        for given in [
            "correct horse battery",
            "wrong horse battery",
            "correct horse battery",
        ] {
            let theirs = Argon2::default()
                .verify_password(given.as_bytes(), stored.as_str())
                .is_ok();
            assert_eq!(verify_in(&mut memory, given, &stored), theirs, "{given}");
        }
    }
}
