//! Persistence: one `Store` over SQLite (default) and PostgreSQL. Statements are built once with
//! sea-query and rendered per backend; every value travels as a bound parameter (SECURITY S18).
#![forbid(unsafe_code)]

mod accounts;
mod bulk;
mod coverage;
mod db;
mod error;
mod life;
mod merge;
mod migrate;
mod records;
mod snapshot;

pub use accounts::{NewUser, Role, SessionRow, User};
pub use bulk::BulkProgress;
pub use coverage::{NewTask, SnapshotRow, TaskRow, TaskStatus};
pub use db::{Backend, Store};
pub use error::StoreError;
pub use life::{ActivityFilter, ActivityRow, AttachmentRow, AttendanceRow, EvaluationRow, GuideRow, PresenceRow, Review, Turnout};
pub use merge::{MergeCounts, Removals, SheetCounts};
pub use migrate::{ColumnInfo, MIGRATIONS};
pub use records::*;

pub type Result<T> = std::result::Result<T, StoreError>;
