//! Who may do what, remembered between requests: each signed-in user's status and role, read
//! again once any user or role changed anywhere (see `crate::remembered`).

use rapport_persistence::access::users::{self, Standing};
use rapport_persistence::{Db, Result};
use uuid::Uuid;

use crate::remembered::Remembered;

/// The most users remembered.
const CAPACITY: usize = 100_000;

/// Remembered standings by user id.
pub struct Standings(Remembered<Uuid, Standing>);

impl Default for Standings {
    fn default() -> Self {
        Self(Remembered::new(CAPACITY))
    }
}

impl Standings {
    /// The user's standing, from memory when it is still current, else from the database.
    pub async fn get(&self, db: &Db, user_id: Uuid) -> Result<Option<Standing>> {
        self.0
            .get(db, user_id, || users::standing(db.conn(), user_id))
            .await
    }
}
