//! Backups of a SQLite database (SECURITY S22): `VACUUM INTO` a temporary file beside the
//! target, an integrity check of the copy, fsync, then a rename, so a backup file either is whole
//! and checked or does not exist. Restoring replaces the database file the same way. PostgreSQL
//! is dumped and restored with pg_dump / pg_restore by the `hongzhu` command.
use std::path::{Path, PathBuf};
use std::str::FromStr;

use sqlx::ConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;

use crate::db::{Pool, Store};
use crate::{Result, StoreError};

fn io(what: &str, path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Backup(format!("{what} {}: {e}", path.display()))
}

/// `PRAGMA integrity_check` on a database file, opened read-only.
pub async fn check_sqlite_file(path: &Path) -> Result<()> {
    let url = format!("sqlite://{}?mode=ro", path.display());
    let mut c = SqliteConnectOptions::from_str(&url)?.connect().await?;
    let verdict: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&mut c).await?;
    let tables: i64 = sqlx::query_scalar("SELECT count(*) FROM sqlite_master WHERE name = 'schema_migrations'").fetch_one(&mut c).await?;
    drop(c);
    if verdict != "ok" {
        return Err(StoreError::Backup(format!("{} fails its integrity check: {verdict}", path.display())));
    }
    if tables != 1 {
        return Err(StoreError::Backup(format!("{} is not a Hongzhu database", path.display())));
    }
    Ok(())
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

impl Store {
    /// Where the system page keeps SQLite backups: `<database>.backups/` (created on demand).
    pub fn backup_dir(&self) -> Option<PathBuf> {
        let file = crate::keys::sqlite_file(self.url_raw())?;
        let mut d = file.into_os_string();
        d.push(".backups");
        let d = PathBuf::from(d);
        std::fs::create_dir_all(&d).ok()?;
        Some(d)
    }

    /// Back the SQLite database up to `dest` while it is in use; returns the file's size.
    pub async fn backup_sqlite(&self, dest: &Path) -> Result<u64> {
        let Pool::Sqlite(pool) = &self.pool else {
            return Err(StoreError::Backup("this database is PostgreSQL: use `hongzhu backup` (pg_dump)".into()));
        };
        if dest.exists() {
            return Err(StoreError::Backup(format!("{} exists: choose a new name", dest.display())));
        }
        let tmp = dest.with_extension("partial");
        let _ = std::fs::remove_file(&tmp);
        let result = async {
            sqlx::query("VACUUM INTO ?").bind(tmp.to_string_lossy().to_string()).execute(pool).await?;
            check_sqlite_file(&tmp).await?;
            let f = std::fs::File::open(&tmp).map_err(|e| io("cannot open", &tmp, e))?;
            f.sync_all().map_err(|e| io("cannot sync", &tmp, e))?;
            std::fs::rename(&tmp, dest).map_err(|e| io("cannot rename to", dest, e))?;
            if let Some(dir) = dest.parent() {
                sync_dir(dir);
            }
            Ok::<_, StoreError>(std::fs::metadata(dest).map_err(|e| io("cannot read", dest, e))?.len())
        }
        .await;
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }

    pub fn keys_origin(&self) -> String {
        self.keys().map(|k| k.origin.clone()).unwrap_or_else(|_| "—".into())
    }
}

/// Replace the SQLite database at `db` with the checked backup `src` (the server must be
/// stopped). The old file is kept beside it as `<db>.before-restore`.
pub async fn restore_sqlite(src: &Path, db: &Path) -> Result<()> {
    check_sqlite_file(src).await?;
    let tmp = db.with_extension("restoring");
    std::fs::copy(src, &tmp).map_err(|e| io("cannot copy to", &tmp, e))?;
    std::fs::File::open(&tmp).and_then(|f| f.sync_all()).map_err(|e| io("cannot sync", &tmp, e))?;
    if db.exists() {
        let mut keep = db.as_os_str().to_owned();
        keep.push(".before-restore");
        std::fs::rename(db, PathBuf::from(keep)).map_err(|e| io("cannot move aside", db, e))?;
    }
    for suffix in ["-wal", "-shm"] {
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
    std::fs::rename(&tmp, db).map_err(|e| io("cannot rename to", db, e))?;
    if let Some(dir) = db.parent() {
        sync_dir(dir);
    }
    Ok(())
}
