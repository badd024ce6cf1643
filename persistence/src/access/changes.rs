//! Changes to who may do what: a user's status or role, a role's grants, a role removed; and
//! changes to the custom field definitions every write is checked against.
//!
//! Every process keeps an [`AccessGeneration`] that grows with each such change it makes or hears
//! of, so a cache of answers about access can tell whether an answer predates a change. On
//! PostgreSQL the transaction that makes a change also sends `NOTIFY rapport_access`, and every
//! process listens ([`listen`]); while a process is not listening, it cannot know about changes
//! elsewhere, so its generation is not trusted and caches must not be used. SQLite is the
//! single-process mode: every change happens in this process, so the generation is always trusted.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use sea_orm::ConnectionTrait;
use sea_orm::sqlx::postgres::PgListener;

use crate::{Backend, Db, Result, WriteTxn};

/// The PostgreSQL channel access changes are announced on.
const CHANNEL: &str = "rapport_access";

/// A counter of access changes seen by this process.
#[derive(Debug)]
pub struct AccessGeneration {
    value: AtomicU64,
    trusted: AtomicBool,
}

impl AccessGeneration {
    pub(crate) fn new(trusted: bool) -> Arc<Self> {
        Arc::new(Self {
            value: AtomicU64::new(0),
            trusted: AtomicBool::new(trusted),
        })
    }

    /// The current generation, or `None` when changes made elsewhere could go unnoticed.
    pub fn current(&self) -> Option<u64> {
        let value = self.value.load(Ordering::Acquire);
        self.trusted.load(Ordering::Acquire).then_some(value)
    }

    /// Counts a change: every answer from an earlier generation is stale.
    pub fn bump(&self) {
        self.value.fetch_add(1, Ordering::AcqRel);
    }

    fn set_trusted(&self, trusted: bool) {
        self.bump();
        self.trusted.store(trusted, Ordering::Release);
    }
}

/// Announces, inside the transaction that makes it, that access changed; PostgreSQL delivers the
/// notice to every listening process when the transaction commits.
async fn announce(conn: &impl ConnectionTrait) -> Result<()> {
    if conn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        crate::db::execute(conn, &format!("NOTIFY {CHANNEL}")).await?;
    }
    Ok(())
}

/// Commits a transaction that changed access: announces it to other processes (in the same
/// transaction) and, once committed, to this one.
pub(crate) async fn commit(db: &Db, txn: WriteTxn) -> Result<()> {
    announce(&*txn).await?;
    txn.commit().await?;
    db.access().bump();
    Ok(())
}

/// Listens for access changes made by any process, for as long as the process runs; on SQLite it
/// returns at once. Reconnects after a lost connection, distrusting the generation meanwhile.
pub async fn listen(db: Db) {
    if db.backend() == Backend::Sqlite {
        return;
    }
    let generation = db.access();
    let pool = db.conn().get_postgres_connection_pool();
    loop {
        if let Ok(mut listener) = PgListener::connect_with(pool).await
            && listener.listen(CHANNEL).await.is_ok()
        {
            generation.set_trusted(true);
            // `Ok(None)` means the connection was lost: notices may have been missed.
            while let Ok(Some(_)) = listener.try_recv().await {
                generation.bump();
            }
        }
        generation.set_trusted(false);
        tracing::warn!("not listening for access changes; reconnecting");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
