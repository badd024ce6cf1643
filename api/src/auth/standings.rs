//! Who may do what, remembered between requests: each signed-in user's status and role, tagged
//! with the access generation it was read under. An entry counts only while the generation is
//! unchanged, so any change to a user or a role, made here or (on PostgreSQL) by any other
//! process, retires every entry at once, and the next request reads the database again. When the
//! generation is not trusted (the PostgreSQL listener is reconnecting), nothing is remembered.

use std::collections::HashMap;
use std::sync::Mutex;

use rapport_persistence::access::users::{self, Standing};
use rapport_persistence::{Db, Result};
use uuid::Uuid;

/// The most users remembered; past it the memory starts over.
const CAPACITY: usize = 100_000;

/// Remembered standings by user id.
#[derive(Default)]
pub struct Standings {
    entries: Mutex<HashMap<Uuid, (u64, Standing)>>,
}

impl Standings {
    /// The user's standing, from memory when it is still current, else from the database.
    pub async fn get(&self, db: &Db, user_id: Uuid) -> Result<Option<Standing>> {
        // Read the generation before the database: a change committed meanwhile bumps it, and
        // then what is read now is never taken for current.
        let generation = db.changes().current();
        if let Some(generation) = generation
            && let Some(standing) = self.remembered(user_id, generation)
        {
            return Ok(Some(standing));
        }
        let standing = users::standing(db.conn(), user_id).await?;
        if let (Some(generation), Some(standing)) = (generation, &standing)
            && let Ok(mut entries) = self.entries.lock()
        {
            if entries.len() >= CAPACITY {
                entries.clear();
            }
            entries.insert(user_id, (generation, standing.clone()));
        }
        Ok(standing)
    }

    fn remembered(&self, user_id: Uuid, generation: u64) -> Option<Standing> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(&user_id)
            .filter(|(seen, _)| *seen == generation)
            .map(|(_, standing)| standing.clone())
    }
}
