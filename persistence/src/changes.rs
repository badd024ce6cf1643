//! Changes to what processes remember: who may do what (a user's status or role, a role's
//! grants), and the custom field definitions every write is checked against. The areas that own
//! such data commit their changes through [`commit`]; the caches of the API ask the database's
//! [`Generation`](crate::db::Generation).
//!
//! Every process keeps a generation that grows with each such change it makes or hears of, so
//! a cache can tell whether an answer predates a change. On PostgreSQL the transaction that makes
//! a change also sends `NOTIFY rapport_access` (the channel's name from when only access was
//! remembered; nodes of every version share it), and every process listens ([`listen`]); while a
//! process is not listening, it cannot know about changes elsewhere, so its generation is not
//! trusted and caches must not be used. SQLite is the single-process mode: every change happens
//! in this process, so the generation is always trusted.
//!
//! The same listening connection hears `NOTIFY rapport_chat`, sent by the transaction that
//! stores a chat message ([`crate::conversations`]), and wakes the process's stream of messages
//! ([`Db::chat_posted`]): one connection per process listens for both.

use std::time::Duration;

use sea_orm::ConnectionTrait;
use sea_orm::sqlx::postgres::PgListener;

use crate::{Backend, Db, Result, WriteTxn};

/// The PostgreSQL channel changes are announced on.
const CHANNEL: &str = "rapport_access";
/// The PostgreSQL channel new chat messages are announced on.
pub(crate) const CHAT: &str = "rapport_chat";

/// Announces on `channel`, inside the transaction that makes the change; PostgreSQL delivers
/// the notice to every listening process when the transaction commits.
pub(crate) async fn announce_on(conn: &impl ConnectionTrait, channel: &str) -> Result<()> {
    if conn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        crate::db::execute(conn, &format!("NOTIFY {channel}")).await?;
    }
    Ok(())
}

/// Announces, inside the transaction that makes it, that something remembered changed.
async fn announce(conn: &impl ConnectionTrait) -> Result<()> {
    announce_on(conn, CHANNEL).await
}

/// Commits a transaction that changed something remembered: announces it to other processes (in
/// the same transaction) and, once committed, to this one.
pub(crate) async fn commit(db: &Db, txn: WriteTxn) -> Result<()> {
    announce(&*txn).await?;
    txn.commit().await?;
    db.changes().bump();
    Ok(())
}

/// Listens for changes and chat messages made by any process, for as long as the process runs;
/// on SQLite it returns at once. Reconnects after a lost connection, distrusting the generation
/// meanwhile; the stream of messages is woken on every (re)connection, since notices may have
/// been missed.
pub async fn listen(db: Db) {
    if db.backend() == Backend::Sqlite {
        return;
    }
    let generation = db.changes();
    let chat = db.chat_posted();
    let pool = db.conn().get_postgres_connection_pool();
    loop {
        if let Ok(mut listener) = PgListener::connect_with(pool).await
            && listener.listen_all([CHANNEL, CHAT]).await.is_ok()
        {
            generation.set_trusted(true);
            chat.notify_one();
            // `Ok(None)` means the connection was lost: notices may have been missed.
            while let Ok(Some(notice)) = listener.try_recv().await {
                match notice.channel() {
                    CHAT => chat.notify_one(),
                    _ => generation.bump(),
                }
            }
        }
        generation.set_trusted(false);
        chat.notify_one();
        tracing::warn!("not listening for changes made elsewhere; reconnecting");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
