//! Migrations for both backends, embedded in the binary. Each runs in its own transaction with
//! its bookkeeping row, so a failure leaves the database at the previous version (never
//! half-migrated).
use chrono::Utc;
use sea_query::{Order, Query};
use sha2::{Digest, Sha256};

use crate::db::{Backend, Pool, Row, Store};
use crate::{Result, StoreError};

/// (version, name, SQLite text, PostgreSQL text).
pub const MIGRATIONS: &[(i64, &str, &str, &str)] = &[
    (1, "registry", include_str!("../migrations/sqlite/0001_registry.sql"), include_str!("../migrations/postgres/0001_registry.sql")),
    (2, "coverage", include_str!("../migrations/sqlite/0002_coverage.sql"), include_str!("../migrations/postgres/0002_coverage.sql")),
    (3, "life", include_str!("../migrations/sqlite/0003_life.sql"), include_str!("../migrations/postgres/0003_life.sql")),
    (4, "security", include_str!("../migrations/sqlite/0004_security.sql"), include_str!("../migrations/postgres/0004_security.sql")),
    (
        5,
        "development",
        include_str!("../migrations/sqlite/0005_development.sql"),
        include_str!("../migrations/postgres/0005_development.sql"),
    ),
    (6, "transfers", include_str!("../migrations/sqlite/0006_transfers.sql"), include_str!("../migrations/postgres/0006_transfers.sql")),
    (7, "dues", include_str!("../migrations/sqlite/0007_dues.sql"), include_str!("../migrations/postgres/0007_dues.sql")),
    (8, "elections", include_str!("../migrations/sqlite/0008_elections.sql"), include_str!("../migrations/postgres/0008_elections.sql")),
    (9, "school", include_str!("../migrations/sqlite/0009_school.sql"), include_str!("../migrations/postgres/0009_school.sql")),
    (10, "campaigns", include_str!("../migrations/sqlite/0010_campaigns.sql"), include_str!("../migrations/postgres/0010_campaigns.sql")),
    (
        11,
        "commitments",
        include_str!("../migrations/sqlite/0011_commitments.sql"),
        include_str!("../migrations/postgres/0011_commitments.sql"),
    ),
    (12, "care", include_str!("../migrations/sqlite/0012_care.sql"), include_str!("../migrations/postgres/0012_care.sql")),
    (13, "service", include_str!("../migrations/sqlite/0013_service.sql"), include_str!("../migrations/postgres/0013_service.sql")),
    (
        14,
        "schoolwork",
        include_str!("../migrations/sqlite/0014_schoolwork.sql"),
        include_str!("../migrations/postgres/0014_schoolwork.sql"),
    ),
    (15, "vanguard", include_str!("../migrations/sqlite/0015_vanguard.sql"), include_str!("../migrations/postgres/0015_vanguard.sql")),
    (
        16,
        "pairing_once",
        include_str!("../migrations/sqlite/0016_pairing_once.sql"),
        include_str!("../migrations/postgres/0016_pairing_once.sql"),
    ),
    (17, "education", include_str!("../migrations/sqlite/0017_education.sql"), include_str!("../migrations/postgres/0017_education.sql")),
    (
        18,
        "history_ranges",
        include_str!("../migrations/sqlite/0018_history_ranges.sql"),
        include_str!("../migrations/postgres/0018_history_ranges.sql"),
    ),
    (
        19,
        "no_person_name_index",
        include_str!("../migrations/sqlite/0019_no_person_name_index.sql"),
        include_str!("../migrations/postgres/0019_no_person_name_index.sql"),
    ),
];

const BOOKKEEPING_SQLITE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)";
const BOOKKEEPING_PG: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)";

fn checksum(sql: &str) -> String {
    let d = Sha256::digest(sql.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// A column as the schema-comparison test sees it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ColumnInfo {
    pub table: String,
    pub column: String,
    /// One of: int, text, float, bool, date, timestamp.
    pub kind: String,
    pub nullable: bool,
}

impl Store {
    /// Apply every embedded migration not yet applied. Refuses a database migrated by a newer
    /// Hongzhu, or one whose applied migration text differs from this binary's.
    pub async fn migrate(&self) -> Result<()> {
        let mut tx = self.write().await?;
        let book = match tx.backend() {
            Backend::Sqlite => BOOKKEEPING_SQLITE,
            Backend::Postgres => BOOKKEEPING_PG,
        };
        tx.raw(book).await?;
        let applied: Vec<(i64, String)> = tx
            .all(
                Query::select().columns(["version", "checksum"]).from("schema_migrations").order_by("version", Order::Asc),
                |r: &dyn Row| Ok((r.int("version")?, r.text("checksum")?)),
            )
            .await?;
        tx.commit().await?;
        let known = MIGRATIONS.iter().map(|m| m.0).max().unwrap_or(0);
        for (v, sum) in &applied {
            match MIGRATIONS.iter().find(|m| m.0 == *v) {
                None if *v > known => {
                    return Err(StoreError::Migration {
                        version: *v,
                        name: String::new(),
                        reason: format!("the database was migrated by a newer Hongzhu (version {v} > {known}); use that version"),
                    });
                }
                Some(m) => {
                    let text = if self.backend() == Backend::Sqlite { m.2 } else { m.3 };
                    if checksum(text) != *sum {
                        return Err(StoreError::Migration {
                            version: *v,
                            name: m.1.into(),
                            reason: "the applied migration differs from this binary's; the database was changed by another build".into(),
                        });
                    }
                }
                None => {}
            }
        }
        for (version, name, sqlite, pg) in MIGRATIONS {
            if applied.iter().any(|(v, _)| v == version) {
                continue;
            }
            let text = if self.backend() == Backend::Sqlite { sqlite } else { pg };
            let fail = |e: StoreError| StoreError::Migration { version: *version, name: (*name).into(), reason: e.to_string() };
            let mut tx = self.write().await.map_err(fail)?;
            tx.raw(text).await.map_err(fail)?;
            tx.exec(Query::insert().into_table("schema_migrations").columns(["version", "name", "checksum", "applied_at"]).values_panic([
                (*version).into(),
                (*name).into(),
                checksum(text).into(),
                Utc::now().into(),
            ]))
            .await
            .map_err(fail)?;
            tx.commit().await.map_err(fail)?;
            tracing::info!(version, name, "migrated");
        }
        Ok(())
    }

    /// The version the database is at.
    pub async fn schema_version(&self) -> Result<i64> {
        let mut tx = self.read().await?;
        let v = tx
            .opt(Query::select().column("version").from("schema_migrations").order_by("version", Order::Desc).limit(1), |r: &dyn Row| {
                r.int("version")
            })
            .await?;
        tx.commit().await?;
        Ok(v.unwrap_or(0))
    }

    /// Every column of every application table, normalized so the two backends compare.
    pub async fn describe_schema(&self) -> Result<Vec<ColumnInfo>> {
        let mut out = Vec::new();
        match &self.pool {
            Pool::Sqlite(p) => {
                let tables: Vec<String> =
                    sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
                        .fetch_all(p)
                        .await?;
                for t in tables {
                    let rows: Vec<(String, String, i64, i64)> =
                        sqlx::query_as("SELECT name, type, \"notnull\", pk FROM pragma_table_info(?)").bind(&t).fetch_all(p).await?;
                    for (column, ty, notnull, pk) in rows {
                        out.push(ColumnInfo { table: t.clone(), column, kind: normalize_type(&ty), nullable: notnull == 0 && pk == 0 });
                    }
                }
            }
            Pool::Pg(p) => {
                let rows: Vec<(String, String, String, String)> = sqlx::query_as(
                    "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position",
                )
                .fetch_all(p)
                .await?;
                for (table, column, ty, nullable) in rows {
                    out.push(ColumnInfo { table, column, kind: normalize_type(&ty), nullable: nullable == "YES" });
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// Index names and whether each is unique, for the schema comparison.
    pub async fn describe_indexes(&self) -> Result<Vec<String>> {
        let mut names: Vec<String> = match &self.pool {
            Pool::Sqlite(p) => {
                sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'").fetch_all(p).await?
            }
            Pool::Pg(p) => {
                sqlx::query_scalar(
                    "SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema() AND indexname NOT LIKE '%_pkey'",
                )
                .fetch_all(p)
                .await?
            }
        };
        names.sort();
        Ok(names)
    }
}

fn normalize_type(t: &str) -> String {
    let t = t.to_ascii_lowercase();
    match t.as_str() {
        "integer" | "bigint" => "int",
        "text" => "text",
        "double precision" | "real" => "float",
        "boolean" => "bool",
        "blob" | "bytea" => "bytes",
        "date" => "date",
        "timestamptz" | "timestamp with time zone" => "timestamp",
        _ => return format!("unknown:{t}"),
    }
    .to_string()
}
