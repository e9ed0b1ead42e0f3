//! The two backends behind one type. A statement is built with sea-query, rendered for the
//! backend in use, and run with its values bound; rows are read through [`Row`], which both
//! backends implement, so every decoder is written once.
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use sea_query::{PostgresQueryBuilder, SqliteQueryBuilder};
use sea_query_sqlx::SqlxBinder;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous};
use sqlx::{AssertSqlSafe, ConnectOptions, PgPool, Postgres, Row as _, Sqlite, SqlitePool, Transaction};

use crate::{Result, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Pg(PgPool),
}

/// The application's database.
#[derive(Clone)]
pub struct Store {
    pub(crate) pool: Pool,
    url: String,
    /// The keys kept outside the database (S10, S13); `None` only for a store opened without
    /// them, which can read but not write the audit trail or sealed fields.
    keys: Option<std::sync::Arc<crate::keys::Keys>>,
}

/// A URL fit for messages: the password, if any, replaced.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl Store {
    /// Open (creating a SQLite file if needed) and migrate. `sqlite://…` or `postgres://…`.
    /// The keys come from [`crate::keys::Keys::resolve`].
    pub async fn open(url: &str) -> Result<Store> {
        let mut store = Self::connect(url).await?;
        store.keys = Some(std::sync::Arc::new(crate::keys::Keys::resolve(url)?));
        store.migrate().await?;
        store.seal_plain_people().await?;
        Ok(store)
    }

    /// Open with the given keys (tests, and commands that were told where the keys are).
    pub async fn open_with_keys(url: &str, keys: crate::keys::Keys) -> Result<Store> {
        let mut store = Self::connect(url).await?;
        store.keys = Some(std::sync::Arc::new(keys));
        store.migrate().await?;
        store.seal_plain_people().await?;
        Ok(store)
    }

    pub(crate) fn keys(&self) -> Result<&crate::keys::Keys> {
        self.keys.as_deref().ok_or_else(|| StoreError::Keys("this store was opened without its keys".into()))
    }

    /// Open without migrating.
    pub async fn connect(url: &str) -> Result<Store> {
        let shown = redact_url(url);
        let open_err = |e: sqlx::Error| StoreError::Open { url: shown.clone(), reason: e.to_string() };
        let pool = if url.starts_with("sqlite:") {
            // S21: WAL, synchronous=FULL, foreign keys, a busy timeout; checked after connecting.
            let opts = SqliteConnectOptions::from_str(url)
                .map_err(open_err)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                // Whole-registry reads (the audit) are long by design: no "slow statement" noise.
                .disable_statement_logging();
            let pool = SqlitePoolOptions::new().max_connections(4).connect_with(opts).await.map_err(open_err)?;
            Pool::Sqlite(pool)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let opts = PgConnectOptions::from_str(url).map_err(open_err)?.disable_statement_logging();
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await
                .map_err(open_err)?;
            Pool::Pg(pool)
        } else {
            return Err(StoreError::Open {
                url: shown,
                reason: "unsupported database URL: use sqlite://FILE or postgres://USER@HOST/DB".into(),
            });
        };
        let store = Store { pool, url: url.to_string(), keys: None };
        store.check_pragmas().await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Pg(_) => Backend::Postgres,
        }
    }

    pub(crate) fn url_raw(&self) -> &str {
        &self.url
    }

    pub fn url_redacted(&self) -> String {
        redact_url(&self.url)
    }

    /// S21: refuse to run on a SQLite database whose safety settings did not take.
    async fn check_pragmas(&self) -> Result<()> {
        if let Pool::Sqlite(p) = &self.pool {
            let mut c = p.acquire().await?;
            let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&mut *c).await?;
            let sync: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(&mut *c).await?;
            let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys").fetch_one(&mut *c).await?;
            if !mode.eq_ignore_ascii_case("wal") || sync != 2 || fk != 1 {
                return Err(StoreError::Open {
                    url: self.url_redacted(),
                    reason: format!(
                        "SQLite settings did not take (journal_mode={mode}, synchronous={sync}, foreign_keys={fk}); use a local disk"
                    ),
                });
            }
        }
        Ok(())
    }

    /// A read transaction.
    pub(crate) async fn read(&self) -> Result<Tx> {
        Ok(match &self.pool {
            Pool::Sqlite(p) => {
                Tx { inner: TxInner::Sqlite(p.begin().await?), keys: self.keys.clone(), shapes: Default::default(), behind: None }
            }
            Pool::Pg(p) => Tx { inner: TxInner::Pg(p.begin().await?), keys: self.keys.clone(), shapes: Default::default(), behind: None },
        })
    }

    /// A write transaction: `BEGIN IMMEDIATE` on SQLite (S21) so writers queue instead of failing.
    pub(crate) async fn write(&self) -> Result<Tx> {
        Ok(match &self.pool {
            Pool::Sqlite(p) => Tx {
                inner: TxInner::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
                keys: self.keys.clone(),
                shapes: Default::default(),
                behind: None,
            },
            Pool::Pg(p) => Tx { inner: TxInner::Pg(p.begin().await?), keys: self.keys.clone(), shapes: Default::default(), behind: None },
        })
    }

    /// A write transaction for a bulk import. On SQLite the connection is set up before the
    /// transaction begins, because SQLite decides where statement journals go when a write
    /// transaction starts: a larger page cache (the indexes being filled stay in memory instead of
    /// spilling to the WAL and being read back) and statement journals in memory (every
    /// multi-row INSERT keeps one, to undo itself should it fail half-way; on disk they were a
    /// fifth of an import's time). Durability (S21) is untouched: journal mode and synchronous
    /// stay. [`Tx::end_bulk`] sets the connection back before it returns to the pool.
    pub(crate) async fn write_bulk(&self) -> Result<Tx> {
        match &self.pool {
            Pool::Sqlite(p) => {
                let mut conn = p.acquire().await?;
                sqlx::raw_sql(BULK_PRAGMAS).execute(&mut *conn).await?;
                // What `Pool::begin_with` does, on a connection set up first.
                let mut t = Transaction::begin(conn, Some(sqlx::SqlSafeStr::into_sql_str("BEGIN IMMEDIATE"))).await?;
                // Foreign keys checked once at COMMIT (still checked: a violation fails the commit).
                sqlx::raw_sql(AssertSqlSafe("PRAGMA defer_foreign_keys = ON")).execute(&mut *t).await?;
                Ok(Tx { inner: TxInner::Sqlite(t), keys: self.keys.clone(), shapes: Default::default(), behind: None })
            }
            Pool::Pg(_) => self.write().await,
        }
    }

    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(p) => p.close().await,
            Pool::Pg(p) => p.close().await,
        }
    }
}

/// A bulk import's SQLite settings ([`Store::write_bulk`]): a 256 MiB page cache, enough for the
/// indexes of a province's million people, statement journals in memory, and a helper thread
/// for the sorts that build the indexes an import into empty tables deferred (the other core is
/// idle meanwhile).
const BULK_PRAGMAS: &str = "PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY; PRAGMA threads = 2";

/// Statements are prepared once per connection and kept, except long ones (multi-row inserts of
/// bulk loads, long IN lists): each of those is its own text, and kept they would hold memory on
/// every pooled connection for nothing.
fn cacheable(sql: &str) -> bool {
    sql.len() <= 4096
}

/// One transaction on either backend.
pub(crate) struct Tx {
    inner: TxInner,
    /// For reading sealed columns (S13) in decoders.
    keys: Option<std::sync::Arc<crate::keys::Keys>>,
    /// Multi-row INSERT statements rendered so far, by table, columns and rows.
    shapes: std::collections::HashMap<(&'static str, Vec<&'static str>, usize), String>,
    /// SQLite inserts running on a task of their own ([`Tx::insert_many_behind`]), which holds
    /// the transaction until they end.
    behind: Option<Behind>,
}

/// The task writing a bulk load's inserts, in the order they were sent, while the caller
/// prepares the next: a few statements queue, so SQLite's thread goes from one to the next
/// without waiting for the caller. It stops at the first error, which [`Tx::settle`] reports.
pub(crate) struct Behind {
    send: tokio::sync::mpsc::Sender<(String, SqliteArguments, bool)>,
    done: tokio::task::JoinHandle<(Transaction<'static, Sqlite>, Result<u64>)>,
}

/// Statements waiting for the task behind, at most (each a few hundred rows).
const BEHIND_QUEUE: usize = 4;

pub(crate) enum TxInner {
    Sqlite(Transaction<'static, Sqlite>),
    Pg(Transaction<'static, Postgres>),
    /// Lent to the inserts in `behind` (SQLite); back once they end ([`Tx::settle`]).
    Lent,
}

/// The transaction was not given back by an insert that ran on its own task.
fn lent() -> StoreError {
    StoreError::Corrupt("a bulk insert did not finish: the transaction is gone (rolled back)".into())
}

pub(crate) type Decode<T> = fn(&dyn Row) -> Result<T>;

/// Decode rows; a large result (a whole region's registry) is decoded on every core, since
/// opening sealed columns (S13) costs a microsecond or two a value.
fn decode_rows<T: Send, R: Row + Sync>(rows: &[R], decode: Decode<T>, keys: Option<&crate::keys::Keys>) -> Result<Vec<T>> {
    let one = |r: &R| decode(&Keyed { row: r, keys });
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    if rows.len() < 20_000 || threads < 2 {
        return rows.iter().map(one).collect();
    }
    let chunk = rows.len().div_ceil(threads);
    std::thread::scope(|s| {
        let parts: Vec<_> = rows.chunks(chunk).map(|c| s.spawn(move || c.iter().map(one).collect::<Result<Vec<T>>>())).collect();
        let mut out = Vec::with_capacity(rows.len());
        for p in parts {
            out.extend(p.join().expect("a decoding thread does not panic")?);
        }
        Ok(out)
    })
}

impl Tx {
    pub(crate) async fn commit(mut self) -> Result<()> {
        self.settle().await?;
        match self.inner {
            TxInner::Sqlite(t) => t.commit().await?,
            TxInner::Pg(t) => t.commit().await?,
            TxInner::Lent => return Err(lent()),
        }
        Ok(())
    }

    /// Wait for the inserts queued behind, if any, and take the transaction back; the first
    /// error among them, if one failed, is this call's.
    async fn settle(&mut self) -> Result<()> {
        if let Some(Behind { send, done }) = self.behind.take() {
            // No more statements: the task ends once it has run those queued.
            drop(send);
            let (t, r) = done.await.map_err(|e| StoreError::Corrupt(format!("a bulk write task failed: {e}")))?;
            self.inner = TxInner::Sqlite(t);
            r?;
        }
        Ok(())
    }

    fn keys(&self) -> Result<&crate::keys::Keys> {
        self.keys.as_deref().ok_or_else(|| StoreError::Keys("this store was opened without its keys".into()))
    }

    /// The keys, for sealing on another thread (S13).
    pub(crate) fn keys_shared(&self) -> Result<std::sync::Arc<crate::keys::Keys>> {
        self.keys.clone().ok_or_else(|| StoreError::Keys("this store was opened without its keys".into()))
    }

    /// A value sealed with the data key (S13).
    pub(crate) fn seal(&self, plain: &str) -> Result<String> {
        Ok(crate::seal::seal_with(&self.keys()?.data, plain.as_bytes()))
    }

    /// The blind index of an ID number (S13).
    pub(crate) fn blind(&self, id_number: &str) -> Result<String> {
        Ok(crate::seal::blind_with(&self.keys()?.index, id_number))
    }

    pub(crate) fn backend(&self) -> Backend {
        match self.inner {
            TxInner::Sqlite(_) | TxInner::Lent => Backend::Sqlite,
            TxInner::Pg(_) => Backend::Postgres,
        }
    }

    pub(crate) async fn all<T: Send, S: SqlxBinder>(&mut self, stmt: &S, decode: Decode<T>) -> Result<Vec<T>> {
        self.settle().await?;
        let keys = self.keys.clone();
        match &mut self.inner {
            TxInner::Sqlite(t) => {
                let (sql, values) = stmt.build_sqlx(SqliteQueryBuilder);
                let keep = cacheable(&sql);
                let rows = sqlx::query_with(AssertSqlSafe(sql), values).persistent(keep).fetch_all(&mut **t).await?;
                decode_rows(&rows, decode, keys.as_deref())
            }
            TxInner::Pg(t) => {
                let (sql, values) = stmt.build_sqlx(PostgresQueryBuilder);
                let keep = cacheable(&sql);
                let rows = sqlx::query_with(AssertSqlSafe(sql), values).persistent(keep).fetch_all(&mut **t).await?;
                decode_rows(&rows, decode, keys.as_deref())
            }
            TxInner::Lent => Err(lent()),
        }
    }

    pub(crate) async fn opt<T: Send, S: SqlxBinder>(&mut self, stmt: &S, decode: Decode<T>) -> Result<Option<T>> {
        Ok(self.all(stmt, decode).await?.into_iter().next())
    }

    pub(crate) async fn one<T: Send, S: SqlxBinder>(&mut self, stmt: &S, decode: Decode<T>) -> Result<T> {
        self.opt(stmt, decode).await?.ok_or(StoreError::NotFound)
    }

    /// Run a write; unique violations become [`StoreError::Conflict`].
    pub(crate) async fn exec<S: SqlxBinder>(&mut self, stmt: &S) -> Result<u64> {
        self.settle().await?;
        let r = match &mut self.inner {
            TxInner::Sqlite(t) => {
                let (sql, values) = stmt.build_sqlx(SqliteQueryBuilder);
                let keep = cacheable(&sql);
                sqlx::query_with(AssertSqlSafe(sql), values).persistent(keep).execute(&mut **t).await.map(|r| r.rows_affected())
            }
            TxInner::Pg(t) => {
                let (sql, values) = stmt.build_sqlx(PostgresQueryBuilder);
                let keep = cacheable(&sql);
                sqlx::query_with(AssertSqlSafe(sql), values).persistent(keep).execute(&mut **t).await.map(|r| r.rows_affected())
            }
            TxInner::Lent => return Err(lent()),
        };
        r.map_err(StoreError::from_write)
    }

    /// Run a write with `RETURNING id`.
    pub(crate) async fn insert_id<S: SqlxBinder>(&mut self, stmt: &S) -> Result<i64> {
        self.settle().await?;
        let r = match &mut self.inner {
            TxInner::Sqlite(t) => {
                let (sql, values) = stmt.build_sqlx(SqliteQueryBuilder);
                let keep = cacheable(&sql);
                sqlx::query_with(AssertSqlSafe(sql), values).persistent(keep).fetch_one(&mut **t).await.and_then(|r| r.try_get::<i64, _>(0))
            }
            TxInner::Pg(t) => {
                let (sql, values) = stmt.build_sqlx(PostgresQueryBuilder);
                let keep = cacheable(&sql);
                sqlx::query_with(AssertSqlSafe(sql), values).persistent(keep).fetch_one(&mut **t).await.and_then(|r| r.try_get::<i64, _>(0))
            }
            TxInner::Lent => return Err(lent()),
        };
        r.map_err(StoreError::from_write)
    }

    /// Rows per multi-row INSERT of `columns`: at most 500, and at most ~30,000 bound values
    /// (below both backends' limits).
    pub(crate) fn rows_per_insert(columns: usize) -> usize {
        (30_000 / columns.max(1)).clamp(1, 500)
    }

    /// Insert `values.len() / columns.len()` rows in one statement. The statement is rendered by
    /// sea-query with placeholders only (S18) and kept per shape; the values are moved into the
    /// binding rather than copied through a statement builder, so a million-row import spends its
    /// time in the database. Statements of `keep_rows` rows are prepared once per connection.
    pub(crate) async fn insert_many(
        &mut self,
        table: &'static str,
        columns: &[&'static str],
        values: Vec<sea_query::Value>,
        keep_rows: usize,
    ) -> Result<u64> {
        self.settle().await?;
        let Some((sql, keep)) = self.insert_sql(table, columns, values.len(), keep_rows) else { return Ok(0) };
        let args = sea_query_sqlx::SqlxValues(sea_query::Values(values));
        let r = match &mut self.inner {
            TxInner::Sqlite(t) => {
                sqlx::query_with(AssertSqlSafe(sql), args).persistent(keep).execute(&mut **t).await.map(|r| r.rows_affected())
            }
            TxInner::Pg(t) => {
                sqlx::query_with(AssertSqlSafe(sql), args).persistent(keep).execute(&mut **t).await.map(|r| r.rows_affected())
            }
            TxInner::Lent => return Err(lent()),
        };
        r.map_err(StoreError::from_write)
    }

    /// As [`Tx::insert_many`], but on SQLite the statement is queued for a task of its own
    /// ([`Behind`]) and this returns at once (unless the queue is full): the caller prepares the
    /// next rows while SQLite writes these (a bulk import's two halves, one per core, instead of
    /// taking turns). The next other use of the transaction waits for every queued statement,
    /// and reports the first error. PostgreSQL: as `insert_many`.
    pub(crate) async fn insert_many_behind(
        &mut self,
        table: &'static str,
        columns: &[&'static str],
        values: Vec<sea_query::Value>,
        keep_rows: usize,
    ) -> Result<()> {
        if matches!(self.inner, TxInner::Pg(_)) {
            return self.insert_many(table, columns, values, keep_rows).await.map(|_| ());
        }
        let Some((sql, keep)) = self.insert_sql(table, columns, values.len(), keep_rows) else { return Ok(()) };
        // Encoded here, so the task behind only runs statements.
        let args = sqlx::IntoArguments::<Sqlite>::into_arguments(sea_query_sqlx::SqlxValues(sea_query::Values(values)));
        if self.behind.is_none() {
            let TxInner::Sqlite(mut t) = std::mem::replace(&mut self.inner, TxInner::Lent) else { return Err(lent()) };
            let (send, mut queue) = tokio::sync::mpsc::channel::<(String, SqliteArguments, bool)>(BEHIND_QUEUE);
            let done = tokio::spawn(async move {
                let mut rows = 0;
                while let Some((sql, args, keep)) = queue.recv().await {
                    match sqlx::query_with(AssertSqlSafe(sql), args).persistent(keep).execute(&mut *t).await {
                        Ok(r) => rows += r.rows_affected(),
                        // Dropping the queue drops what waits in it.
                        Err(e) => return (t, Err(StoreError::from_write(e))),
                    }
                }
                (t, Ok(rows))
            });
            self.behind = Some(Behind { send, done });
        }
        let Some(b) = &self.behind else { return Err(lent()) };
        if b.send.send((sql, args, keep)).await.is_err() {
            // The task stopped at an error: that error is this call's.
            self.settle().await?;
            return Err(lent());
        }
        Ok(())
    }

    /// The multi-row INSERT for `values` (whole rows of `columns`), and whether to keep it
    /// prepared; `None` for no rows.
    fn insert_sql(&mut self, table: &'static str, columns: &[&'static str], values: usize, keep_rows: usize) -> Option<(String, bool)> {
        let width = columns.len().max(1);
        let rows = values / width;
        debug_assert_eq!(rows * width, values, "whole rows only");
        if rows == 0 {
            return None;
        }
        let pg = matches!(self.inner, TxInner::Pg(_));
        let shape = (table, columns.to_vec(), rows);
        if !self.shapes.contains_key(&shape) {
            let mut q = sea_query::Query::insert();
            q.into_table(table).columns(columns.to_vec());
            for _ in 0..rows {
                q.values_panic((0..width).map(|_| sea_query::Expr::val(sea_query::Value::BigInt(None))));
            }
            let sql = if pg {
                q.build_sqlx(PostgresQueryBuilder).0
            } else {
                // OR FAIL: a duplicate still stops the statement with a unique-constraint error
                // (and the import's transaction is rolled back whole), but SQLite then runs a
                // multi-row INSERT without a statement journal copying every page it touches —
                // a fifth of an import's time. With `write_bulk`'s deferred foreign keys.
                q.build_sqlx(SqliteQueryBuilder).0.replacen("INSERT INTO", "INSERT OR FAIL INTO", 1)
            };
            self.shapes.insert(shape.clone(), sql);
        }
        Some((self.shapes[&shape].clone(), rows == keep_rows))
    }

    /// Set a connection taken by [`Store::write_bulk`] back to SQLite's defaults (the settings
    /// apply from the next transaction on). PostgreSQL: nothing to do.
    pub(crate) async fn end_bulk(&mut self) -> Result<()> {
        // Whatever the insert behind did, the settings go back (its error is reported too).
        let settled = self.settle().await;
        if let TxInner::Sqlite(t) = &mut self.inner {
            sqlx::raw_sql(AssertSqlSafe("PRAGMA cache_size = -2000; PRAGMA temp_store = DEFAULT; PRAGMA threads = 0"))
                .execute(&mut **t)
                .await?;
        }
        settled
    }

    /// Run fixed SQL text (migrations only: no values, nothing from users).
    pub(crate) async fn raw(&mut self, sql: &'static str) -> Result<()> {
        self.settle().await?;
        match &mut self.inner {
            TxInner::Sqlite(t) => {
                sqlx::raw_sql(sql).execute(&mut **t).await?;
            }
            TxInner::Pg(t) => {
                sqlx::raw_sql(sql).execute(&mut **t).await?;
            }
            TxInner::Lent => return Err(lent()),
        }
        Ok(())
    }
}

/// Reading a column, the same on both backends.
pub(crate) trait Row {
    fn text(&self, c: &str) -> Result<String>;
    fn text_opt(&self, c: &str) -> Result<Option<String>>;
    fn int(&self, c: &str) -> Result<i64>;
    fn int_opt(&self, c: &str) -> Result<Option<i64>>;
    fn float_opt(&self, c: &str) -> Result<Option<f64>>;
    fn boolean(&self, c: &str) -> Result<bool>;
    fn bool_opt(&self, c: &str) -> Result<Option<bool>>;
    fn date(&self, c: &str) -> Result<NaiveDate>;
    fn date_opt(&self, c: &str) -> Result<Option<NaiveDate>>;
    fn time(&self, c: &str) -> Result<DateTime<Utc>>;
    fn time_opt(&self, c: &str) -> Result<Option<DateTime<Utc>>>;
    fn bytes(&self, c: &str) -> Result<Vec<u8>>;
    /// A sealed column's text, opened with the data key (S13).
    fn sealed(&self, c: &str) -> Result<String> {
        let _ = c;
        Err(StoreError::Keys("sealed columns are read through a transaction that holds the keys".into()))
    }
    fn sealed_opt(&self, c: &str) -> Result<Option<String>> {
        let _ = c;
        Err(StoreError::Keys("sealed columns are read through a transaction that holds the keys".into()))
    }
}

/// A row with the keys at hand, as decoders see it.
struct Keyed<'a, R: Row> {
    row: &'a R,
    keys: Option<&'a crate::keys::Keys>,
}

impl<R: Row> Row for Keyed<'_, R> {
    fn text(&self, c: &str) -> Result<String> {
        self.row.text(c)
    }
    fn text_opt(&self, c: &str) -> Result<Option<String>> {
        self.row.text_opt(c)
    }
    fn int(&self, c: &str) -> Result<i64> {
        self.row.int(c)
    }
    fn int_opt(&self, c: &str) -> Result<Option<i64>> {
        self.row.int_opt(c)
    }
    fn float_opt(&self, c: &str) -> Result<Option<f64>> {
        self.row.float_opt(c)
    }
    fn boolean(&self, c: &str) -> Result<bool> {
        self.row.boolean(c)
    }
    fn bool_opt(&self, c: &str) -> Result<Option<bool>> {
        self.row.bool_opt(c)
    }
    fn date(&self, c: &str) -> Result<NaiveDate> {
        self.row.date(c)
    }
    fn date_opt(&self, c: &str) -> Result<Option<NaiveDate>> {
        self.row.date_opt(c)
    }
    fn time(&self, c: &str) -> Result<DateTime<Utc>> {
        self.row.time(c)
    }
    fn time_opt(&self, c: &str) -> Result<Option<DateTime<Utc>>> {
        self.row.time_opt(c)
    }
    fn bytes(&self, c: &str) -> Result<Vec<u8>> {
        self.row.bytes(c)
    }
    fn sealed(&self, c: &str) -> Result<String> {
        let keys = self.keys.ok_or_else(|| StoreError::Keys("this store was opened without its keys".into()))?;
        crate::seal::open_text(keys, &self.row.text(c)?)
    }
    fn sealed_opt(&self, c: &str) -> Result<Option<String>> {
        match self.row.text_opt(c)? {
            None => Ok(None),
            Some(v) => {
                let keys = self.keys.ok_or_else(|| StoreError::Keys("this store was opened without its keys".into()))?;
                crate::seal::open_text(keys, &v).map(Some)
            }
        }
    }
}

macro_rules! impl_row {
    ($t:ty) => {
        impl Row for $t {
            fn text(&self, c: &str) -> Result<String> {
                Ok(self.try_get(c)?)
            }
            fn text_opt(&self, c: &str) -> Result<Option<String>> {
                Ok(self.try_get(c)?)
            }
            fn int(&self, c: &str) -> Result<i64> {
                Ok(self.try_get(c)?)
            }
            fn int_opt(&self, c: &str) -> Result<Option<i64>> {
                Ok(self.try_get(c)?)
            }
            fn float_opt(&self, c: &str) -> Result<Option<f64>> {
                Ok(self.try_get(c)?)
            }
            fn boolean(&self, c: &str) -> Result<bool> {
                Ok(self.try_get(c)?)
            }
            fn bool_opt(&self, c: &str) -> Result<Option<bool>> {
                Ok(self.try_get(c)?)
            }
            fn date(&self, c: &str) -> Result<NaiveDate> {
                Ok(self.try_get(c)?)
            }
            fn date_opt(&self, c: &str) -> Result<Option<NaiveDate>> {
                Ok(self.try_get(c)?)
            }
            fn time(&self, c: &str) -> Result<DateTime<Utc>> {
                Ok(self.try_get(c)?)
            }
            fn time_opt(&self, c: &str) -> Result<Option<DateTime<Utc>>> {
                Ok(self.try_get(c)?)
            }
            fn bytes(&self, c: &str) -> Result<Vec<u8>> {
                Ok(self.try_get(c)?)
            }
        }
    };
}
impl_row!(SqliteRow);
impl_row!(PgRow);

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_redacted() {
        assert_eq!(super::redact_url("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(super::redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(super::redact_url("sqlite://x.db"), "sqlite://x.db");
    }
}
