use rapport_domain::FieldErrors;
use sea_orm::{DbErr, RuntimeErr, SqlErr};

/// What can go wrong in a use case, beyond the domain's own rules.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No such record, or one outside the actor's scope.
    #[error("not found")]
    NotFound,
    /// A record that exists beyond the actor's scope: answered as not found, and audited.
    #[error("not found")]
    BeyondScope {
        /// The kind of record (`customer`).
        kind: &'static str,
        /// Its id.
        id: uuid::Uuid,
    },
    /// A unique value is taken or the record's state forbids the change.
    #[error("{message}")]
    Conflict {
        /// Stable code, such as `email_taken`.
        code: &'static str,
        /// The field the conflict is about, if any.
        field: Option<&'static str>,
        /// Explanation.
        message: String,
    },
    /// The actor holds the route's permission but not this use of it (the privilege ceiling).
    #[error("{message}")]
    Forbidden {
        /// Stable code, such as `privilege_escalation`.
        code: &'static str,
        /// Explanation.
        message: String,
    },
    /// `If-Match` named a version that is not the current one.
    #[error("the record is at version {current}, not the expected one")]
    PreconditionFailed {
        /// The record's current version.
        current: i64,
    },
    /// Input that breaks a rule only the database can check (a missing owner, say).
    #[error("invalid input")]
    Invalid(FieldErrors),
    /// The same idempotency key came with a different request.
    #[error("the idempotency key was used for a different request")]
    IdempotencyKeyReused,
    /// A cursor that this list did not produce, or produced for another sort order.
    #[error("the cursor is not valid for this list")]
    BadCursor,
    /// The database could not be reached.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// A bug or an unexpected database answer.
    #[error("internal error: {0}")]
    Internal(String),
}

/// The result of a persistence operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A unique index and the conflict its violation means.
pub(crate) struct UniqueRule {
    /// Substrings that identify the index in PostgreSQL's and SQLite's messages.
    pub needles: &'static [&'static str],
    pub code: &'static str,
    pub field: &'static str,
    pub message: &'static str,
}

impl Error {
    /// A refusal of one field of the request (422), for what only the stored data can tell: a
    /// record it names that is missing or beyond reach.
    pub fn field(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Error::Invalid(FieldErrors::from(rapport_domain::FieldError::new(
            field, code, message,
        )))
    }

    /// Translates a database error, naming the conflict when a known unique index was violated.
    pub(crate) fn from_db_with(err: DbErr, rules: &[UniqueRule]) -> Self {
        if let Some(SqlErr::UniqueConstraintViolation(message)) = err.sql_err()
            && let Some(rule) = rules
                .iter()
                .find(|r| r.needles.iter().any(|n| message.contains(n)))
        {
            return Error::Conflict {
                code: rule.code,
                field: Some(rule.field),
                message: rule.message.into(),
            };
        }
        Error::from(err)
    }
}

/// Whether `err` is a foreign key's refusal: a row still referenced (`ON DELETE RESTRICT`), or a
/// reference to a row that is not there. SQLite reports a restricting reference as a trigger's
/// constraint (1811), which `DbErr::sql_err` does not name.
pub(crate) fn is_foreign_key_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(SqlErr::ForeignKeyConstraintViolation(_))
    ) || err.to_string().contains("FOREIGN KEY constraint failed")
}

impl From<DbErr> for Error {
    fn from(err: DbErr) -> Self {
        if is_unavailable(&err) {
            return Error::Unavailable(err.to_string());
        }
        match &err {
            DbErr::RecordNotFound(_) => Error::NotFound,
            _ => match err.sql_err() {
                Some(SqlErr::UniqueConstraintViolation(m)) => Error::Conflict {
                    code: "conflict",
                    field: None,
                    message: format!("a unique value is already taken ({m})"),
                },
                _ => Error::Internal(err.to_string()),
            },
        }
    }
}

/// Whether `err` means the database could not be reached or could not serve now (a refused or
/// lost connection, a server shutting down or out of resources, SQLite busy past its timeout),
/// rather than a mistake in what was asked: the caller may retry (503), it is not a bug (500).
fn is_unavailable(err: &DbErr) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    let sqlx = match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => &**e,
        _ => return false,
    };
    match sqlx {
        Sqlx::Io(_)
        | Sqlx::Tls(_)
        | Sqlx::PoolTimedOut
        | Sqlx::PoolClosed
        | Sqlx::WorkerCrashed => true,
        Sqlx::Database(db) => {
            let code = db.code().unwrap_or_default();
            if db
                .try_downcast_ref::<sea_orm::sqlx::postgres::PgDatabaseError>()
                .is_some()
            {
                // Connection exceptions, the server shutting down or restarting, and running out
                // of resources (too many connections, disk full).
                ["08", "57P", "53"]
                    .iter()
                    .any(|class| code.starts_with(class))
            } else {
                // SQLite's primary result codes: BUSY, LOCKED, IOERR, FULL, CANTOPEN.
                code.parse::<i32>()
                    .is_ok_and(|c| matches!(c & 0xff, 5 | 6 | 10 | 13 | 14))
            }
        }
        _ => false,
    }
}

impl From<FieldErrors> for Error {
    fn from(errors: FieldErrors) -> Self {
        Error::Invalid(errors)
    }
}

impl From<serde_json::Error> for Error {
    fn from(err: serde_json::Error) -> Self {
        Error::Internal(format!("stored JSON does not fit its type: {err}"))
    }
}
