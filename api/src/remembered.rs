//! Answers remembered between requests, each tagged with the change generation it was read under
//! (`rapport_persistence::changes`): an answer counts only while the generation is unchanged, so
//! a change made here or, on PostgreSQL, by any other process retires every answer at once and
//! the next request reads the database again. When the generation is not trusted (the PostgreSQL
//! listener is reconnecting), nothing is remembered.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::Mutex;

use rapport_persistence::{Db, Result};

/// Answers by key, each with the generation it was read under; at most `capacity` of them (past
/// it the memory starts over).
pub struct Remembered<K, V> {
    entries: Mutex<HashMap<K, (u64, V)>>,
    capacity: usize,
}

impl<K: Eq + Hash + Clone, V: Clone> Remembered<K, V> {
    /// An empty memory of at most `capacity` answers.
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    /// The answer for `key`: from memory while it is current, else from `read`, remembered when
    /// there is one.
    pub async fn get<F, Fut>(&self, db: &Db, key: K, read: F) -> Result<Option<V>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Option<V>>>,
    {
        // Read the generation before the database: a change committed meanwhile bumps it, and
        // then what is read now is never taken for current.
        let generation = db.changes().current();
        if let Some(generation) = generation
            && let Some(value) = self.remembered(&key, generation)
        {
            return Ok(Some(value));
        }
        let value = read().await?;
        if let (Some(generation), Some(value)) = (generation, &value)
            && let Ok(mut entries) = self.entries.lock()
        {
            if entries.len() >= self.capacity {
                entries.clear();
            }
            entries.insert(key, (generation, value.clone()));
        }
        Ok(value)
    }

    fn remembered(&self, key: &K, generation: u64) -> Option<V> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(key)
            .filter(|(seen, _)| *seen == generation)
            .map(|(_, value)| value.clone())
    }
}
