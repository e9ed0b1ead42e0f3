/// What can go wrong in the store, in terms a caller can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// S24: the record changed since the caller read it.
    #[error("stale: the record is now at version {current}")]
    Stale { current: i64 },
    /// A unique key is taken (field names the key).
    #[error("conflict on {field}")]
    Conflict { field: &'static str },
    /// A reference (institution, organization, town …) does not resolve.
    #[error("unknown {field}: {value}")]
    UnknownReference { field: &'static str, value: String },
    #[error("cannot open the database {url}: {reason}")]
    Open { url: String, reason: String },
    #[error("cannot migrate the database to version {version} ({name}): {reason}")]
    Migration { version: i64, name: String, reason: String },
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// A rule refuses the change (the message says which and what is allowed).
    #[error("refused: {}", .0.message_en)]
    Refused(hongzhu_core::registry::FieldError),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// The keys kept outside the database are missing or unreadable (S10, S13).
    #[error("keys: {0}")]
    Keys(String),
    /// S22: a backup or restore could not be made or checked.
    #[error("backup: {0}")]
    Backup(String),
    /// S11: the audit trail could not be written, so the operation is not done.
    #[error("the audit trail cannot be written: {0}")]
    AuditUnavailable(String),
}

impl StoreError {
    /// Map a unique-constraint violation to the key it protects.
    pub(crate) fn from_write(e: sqlx::Error) -> StoreError {
        if let sqlx::Error::Database(d) = &e
            && d.is_unique_violation()
        {
            let text = format!("{} {}", d.message(), d.constraint().unwrap_or(""));
            let field = if text.contains("username") {
                "username"
            } else if text.contains("id_number") || text.contains("person") {
                "id_number"
            } else {
                "code"
            };
            return StoreError::Conflict { field };
        }
        StoreError::Db(e)
    }
}
