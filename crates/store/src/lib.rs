//! Persistence: one `Store` over SQLite (default) and PostgreSQL. Statements are built once with
//! sea-query and rendered per backend; every value travels as a bound parameter (SECURITY S18).
#![forbid(unsafe_code)]

mod accounts;
pub mod approvals;
pub mod backup;
mod bulk;
pub mod campaigns;
pub mod care;
pub mod commitments;
mod coverage;
mod db;
pub mod development;
pub mod dues;
pub mod elections;
mod error;
pub mod keys;
mod life;
mod merge;
mod migrate;
mod records;
pub mod retention;
pub mod school;
pub mod schoolwork;
mod seal;
pub mod service;
mod snapshot;
pub mod trail;
pub mod transfers;

pub use accounts::{NewUser, ROLES, Role, SessionRow, User, UserChange};
pub use approvals::ExportRequest;
pub use bulk::BulkProgress;
pub use coverage::{NewTask, SnapshotRow, TaskRow, TaskStatus};
pub use db::{Backend, Store, redact_url as redact};
pub use error::StoreError;
pub use keys::Keys;
pub use life::{ActivityFilter, ActivityRow, AttachmentRow, AttendanceRow, EvaluationRow, GuideRow, PresenceRow, Review, Turnout};
pub use merge::{MergeCounts, Removals, SheetCounts};
pub use migrate::{ColumnInfo, MIGRATIONS};
pub use records::*;
pub use trail::{Actor, AuditEntry, AuditFilter, AuditRow, Outcome, VerifyReport};

pub type Result<T> = std::result::Result<T, StoreError>;
