//! Custom field definitions, remembered between requests: every customer and contact write is
//! checked against them, and they change rarely. Like users' standings (`auth/standings.rs`), an
//! entry is tagged with the change generation it was read under and counts only while that is
//! unchanged; a definition's change bumps it here and, on PostgreSQL, in every other process.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rapport_domain::custom_fields::{Definition, FieldOwner};
use rapport_persistence::{Db, Result, custom_fields};

/// One kind of record's definitions, shared by the requests that use them.
type Definitions = Arc<Vec<Definition>>;

/// Remembered definitions by kind of record, each with the generation it was read under.
#[derive(Default)]
pub struct RememberedDefinitions {
    entries: Mutex<HashMap<FieldOwner, (u64, Definitions)>>,
}

impl RememberedDefinitions {
    /// The definitions of `owner`'s records, from memory while current, else from the database.
    pub async fn of(&self, db: &Db, owner: FieldOwner) -> Result<Definitions> {
        // Read the generation before the database: a change committed meanwhile bumps it, and
        // then what is read now is never taken for current.
        let generation = db.changes().current();
        if let Some(generation) = generation
            && let Some(definitions) = self.remembered(owner, generation)
        {
            return Ok(definitions);
        }
        let definitions = Arc::new(custom_fields::for_owner(db.conn(), owner).await?);
        if let Some(generation) = generation
            && let Ok(mut entries) = self.entries.lock()
        {
            entries.insert(owner, (generation, Arc::clone(&definitions)));
        }
        Ok(definitions)
    }

    fn remembered(&self, owner: FieldOwner, generation: u64) -> Option<Definitions> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(&owner)
            .filter(|(seen, _)| *seen == generation)
            .map(|(_, definitions)| Arc::clone(definitions))
    }
}
