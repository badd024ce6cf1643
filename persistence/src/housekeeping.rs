//! Housekeeping: forgetting what has outlived its retention, in small transactions so that no
//! request waits long behind it. The retention periods are workspace settings; idempotency
//! records are kept for their replay window.

use chrono::Duration;
use rapport_domain::settings::RetentionSettings;

use crate::{Db, Result, access, idempotency, imports, jobs, settings};

/// Imports whose files are forgotten per transaction.
const IMPORTS_PER_STEP: u64 = 200;

/// What one round of housekeeping forgot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    /// Idempotency records past their replay window.
    pub idempotency_records: u64,
    /// Refresh tokens of sign-ins that ended before their retention.
    pub session_tokens: u64,
    /// Finished imports whose file and refused rows were forgotten.
    pub import_files: u64,
    /// Finished jobs.
    pub jobs: u64,
}

/// Forgets everything past its retention, as the settings hold them now.
pub async fn run(db: &Db) -> Result<Purged> {
    let retention: RetentionSettings = settings::load(db.conn()).await?;
    let now = crate::now();
    let mut purged = Purged::default();

    let txn = db.begin_write().await?;
    purged.idempotency_records = idempotency::purge_expired(&*txn).await?;
    txn.commit().await?;

    let txn = db.begin_write().await?;
    purged.session_tokens =
        access::purge_ended_sessions(&*txn, now - Duration::days(retention.sessions_days)).await?;
    txn.commit().await?;

    let before = now - Duration::days(retention.import_files_days);
    loop {
        let txn = db.begin_write().await?;
        let step = imports::purge_files(&*txn, before, IMPORTS_PER_STEP).await?;
        txn.commit().await?;
        purged.import_files += step;
        if step < IMPORTS_PER_STEP {
            break;
        }
    }

    let txn = db.begin_write().await?;
    purged.jobs = jobs::purge_finished(&*txn, now - Duration::days(retention.jobs_days)).await?;
    txn.commit().await?;
    Ok(purged)
}
