//! Merging an imported registry into the database by natural keys (spec/LEDGER.md *What an
//! import does*): rows create or update, nothing is deleted, an identical row changes nothing.
//! One transaction: a failure or a kill leaves the database as it was. Keys are read once per
//! table and history rows are written in batches, so an import does not make a round trip per
//! lookup.
use std::collections::BTreeMap;

/// The import's lookup tables hold a million keys and are probed several times per row: a fast
/// hash, seeded per process, instead of SipHash (3 % of a province's import went to hashing).
/// The keys are ID numbers and codes from a signed-in user's file, checked by validation first.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

use hongzhu_core::labels::Labeled;
use hongzhu_core::registry::*;
use hongzhu_core::synth::Dataset;
use sea_query::{Expr, ExprTrait, Query, Value};
use serde::Serialize;

use crate::db::{Row, Store, Tx};
use crate::records::now;
use crate::{Result, StoreError};
use chrono::{DateTime, Utc};

/// What an import did (or would do) to one sheet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SheetCounts {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rejected: usize,
}

pub type MergeCounts = BTreeMap<String, SheetCounts>;

/// A table's live rows by key → (id, version).
type Ids = HashMap<String, (i64, i64)>;

fn by_code(r: &dyn Row) -> Result<(String, i64, i64)> {
    Ok((r.text("code")?, r.int("id")?, r.int("version")?))
}
fn by_id_hash(r: &dyn Row) -> Result<(String, i64, i64)> {
    Ok((r.text("id_hash")?, r.int("id")?, r.int("version")?))
}

/// The stored persons, keyed by plain ID number for the people named in `people`: the database
/// knows them only by their blind index (S13).
async fn person_ids<'a>(tx: &mut Tx, people: impl Iterator<Item = &'a hongzhu_core::IdNumber>) -> Result<Ids> {
    let by_hash = ids(tx, "persons", &["id_hash"], by_id_hash).await?;
    let mut out = Ids::with_capacity_and_hasher(by_hash.len(), Default::default());
    if by_hash.is_empty() {
        // Nobody to find (an import into an empty registry): no blind index to compute.
        return Ok(out);
    }
    for id in people {
        if out.contains_key(id.as_str()) {
            continue;
        }
        if let Some(x) = by_hash.get(&tx.blind(id.as_str())?) {
            out.insert(id.as_str().to_string(), *x);
        }
    }
    Ok(out)
}
fn by_person(r: &dyn Row) -> Result<(String, i64, i64)> {
    Ok((r.int("person_id")?.to_string(), r.int("id")?, r.int("version")?))
}
fn by_person_institution(r: &dyn Row) -> Result<(String, i64, i64)> {
    Ok((format!("{}/{}", r.int("person_id")?, r.int("institution_id")?), r.int("id")?, r.int("version")?))
}
fn by_org_institution(r: &dyn Row) -> Result<(String, i64, i64)> {
    Ok((format!("{}/{}", r.int("org_id")?, r.int("institution_id")?), r.int("id")?, r.int("version")?))
}

async fn ids(tx: &mut Tx, table: &'static str, key: &[&'static str], decode: crate::db::Decode<(String, i64, i64)>) -> Result<Ids> {
    let mut q = Query::select();
    q.columns(["id", "version"]).columns(key.to_vec()).from(table).and_where(Expr::col("deleted_at").is_null());
    Ok(tx.all(&q, decode).await?.into_iter().map(|(k, id, v)| (k, (id, v))).collect())
}

fn require(ids: &Ids, field: &'static str, key: &str) -> Result<i64> {
    ids.get(key).map(|x| x.0).ok_or_else(|| StoreError::UnknownReference {
        field,
        // S12: an ID number in a message is masked.
        value: if field == "id_number" { hongzhu_core::mask::mask_id(key) } else { key.to_string() },
    })
}

async fn update(
    tx: &mut Tx,
    table: &'static str,
    id: i64,
    version: i64,
    values: Vec<(&'static str, Value)>,
    at: DateTime<Utc>,
) -> Result<()> {
    let mut u = Query::update();
    u.table(table);
    for (c, v) in values {
        u.value(c, v);
    }
    u.value("version", Expr::col("version").add(1))
        .value("updated_at", at)
        .and_where(Expr::col("id").eq(id))
        .and_where(Expr::col("version").eq(version));
    if tx.exec(&u).await? != 1 {
        return Err(StoreError::Stale { current: version });
    }
    Ok(())
}

fn json_value<T: Serialize>(v: &T) -> Option<serde_json::Value> {
    serde_json::to_value(v).ok()
}

/// A record as history keeps it.
fn json<T: Serialize>(v: &T) -> Option<String> {
    serde_json::to_string(v).ok()
}

/// A person's record in history never holds the full ID number or phone (S9, S12).
fn masked<T: Serialize>(v: &T) -> Option<String> {
    let mut j = json_value(v)?;
    if let Some(id) = j.get("id_number").and_then(|x| x.as_str()).map(hongzhu_core::mask::mask_id) {
        j["id_number"] = id.into();
    }
    if let Some(p) = j.get("phone").and_then(|x| x.as_str()).map(hongzhu_core::mask::mask_phone) {
        j["phone"] = p.into();
    }
    Some(j.to_string())
}

/// What history needs of a record that may have changed: the text before and after, made only
/// when a stored record did change. A record an import creates is logged as created (who, when)
/// without a copy of itself: the record is that content until it changes, and its first change
/// keeps the content before. (A province's first import is a million people: copies of every
/// record were half of what it wrote.)
struct Change {
    same: bool,
    before: Option<String>,
    after: Option<String>,
}

impl Change {
    fn of<T: Serialize + PartialEq>(prev: Option<&T>, now: &T, text: fn(&T) -> Option<String>) -> Change {
        match prev {
            Some(p) if p == now => Change { same: true, before: None, after: None },
            Some(p) => Change { same: false, before: text(p), after: text(now) },
            None => Change::created(),
        }
    }

    /// A record with nothing stored before it.
    fn created() -> Change {
        Change { same: false, before: None, after: None }
    }
}

/// Work on the rows of a big sheet (sealing, history text) done on another thread one chunk
/// ahead of the caller, who meanwhile writes the chunk before: the database works on a thread
/// of its own, so with two cores the preparation no longer waits for it nor it for the
/// preparation. `make` takes what a row's preparation needs (owned, on the caller's thread).
struct Ahead<'a, S, T, R> {
    items: &'a [S],
    at: usize,
    make: Box<dyn Fn(&'a S) -> T + Send + Sync + 'a>,
    prepare: std::sync::Arc<dyn Fn(T) -> Result<R> + Send + Sync>,
    pending: Option<tokio::task::JoinHandle<Result<Vec<R>>>>,
}

/// Rows prepared at a time.
const AHEAD_CHUNK: usize = 20_000;

impl<'a, S, T: Send + 'static, R: Send + 'static> Ahead<'a, S, T, R> {
    fn new(items: &'a [S], make: impl Fn(&'a S) -> T + Send + Sync + 'a, prepare: impl Fn(T) -> Result<R> + Send + Sync + 'static) -> Self {
        let mut a = Ahead { items, at: 0, make: Box::new(make), prepare: std::sync::Arc::new(prepare), pending: None };
        a.start(0);
        a
    }

    fn start(&mut self, from: usize) {
        if from >= self.items.len() {
            return;
        }
        let end = (from + AHEAD_CHUNK).min(self.items.len());
        let part: Vec<T> = self.items[from..end].iter().map(|s| (self.make)(s)).collect();
        let prepare = self.prepare.clone();
        self.pending = Some(tokio::task::spawn_blocking(move || part.into_iter().map(|t| prepare(t)).collect()));
    }

    /// The next chunk of rows with their preparation; the one after it starts at once.
    async fn next(&mut self) -> Result<Option<(&'a [S], Vec<R>)>> {
        let Some(h) = self.pending.take() else { return Ok(None) };
        let prepared = h.await.map_err(|e| StoreError::Corrupt(format!("preparing rows failed: {e}")))??;
        let from = self.at;
        let end = (from + AHEAD_CHUNK).min(self.items.len());
        self.at = end;
        self.start(end);
        Ok(Some((&self.items[from..end], prepared)))
    }
}

/// History rows, written in batches as the import goes (same transaction).
struct History<'a> {
    actor: &'a str,
    /// The import's one instant: every row it creates, changes or removes carries it.
    at: DateTime<Utc>,
    /// `at` as a created row's `created_at` and `updated_at`. On SQLite it is the text that
    /// binding `at` stores (RFC 3339, as many fraction digits as needed, `+00:00`), made once
    /// instead of twice a row; PostgreSQL takes the instant itself.
    stamp: Value,
    values: Vec<Value>,
}

impl History<'_> {
    fn new(actor: &str, at: DateTime<Utc>, backend: crate::Backend) -> History<'_> {
        let stamp = match backend {
            crate::Backend::Sqlite => at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false).into(),
            crate::Backend::Postgres => at.into(),
        };
        History { actor, at, stamp, values: Vec::new() }
    }
}

const HISTORY_COLUMNS: [&str; 7] = ["table_name", "record_id", "action", "actor", "at", "before_json", "after_json"];
/// History rows per statement.
const HISTORY_BATCH: usize = 1000;

impl History<'_> {
    async fn push(
        &mut self,
        tx: &mut Tx,
        table: &'static str,
        id: i64,
        action: &'static str,
        before: Option<String>,
        after: Option<String>,
    ) -> Result<()> {
        self.values.extend([table.into(), id.into(), action.into(), self.actor.into(), self.at.into(), before.into(), after.into()]);
        if self.values.len() >= HISTORY_BATCH * HISTORY_COLUMNS.len() {
            self.flush(tx).await?;
        }
        Ok(())
    }

    async fn flush(&mut self, tx: &mut Tx) -> Result<()> {
        let values = std::mem::take(&mut self.values);
        tx.insert_many("change_log", &HISTORY_COLUMNS, values, HISTORY_BATCH).await?;
        Ok(())
    }
}

/// New rows, with ids chosen here, written in multi-row statements as they come: one import of
/// a million rows is neither a million round trips nor a million rows held in memory.
#[derive(Default)]
struct Creates {
    next: HashMap<&'static str, i64>,
    /// Each table's first new id, in the order the tables were first written.
    first: Vec<(&'static str, i64)>,
    pending: Option<Pending>,
}

/// Rows of one table waiting to be written.
struct Pending {
    table: &'static str,
    columns: Vec<&'static str>,
    values: Vec<Value>,
}

impl Pending {
    /// Rows per statement.
    fn batch(&self) -> usize {
        Tx::rows_per_insert(self.columns.len())
    }
}

impl Creates {
    async fn id(&mut self, tx: &mut Tx, table: &'static str) -> Result<i64> {
        let next = match self.next.get(table) {
            Some(n) => *n,
            None => {
                let n = crate::bulk::next_id(tx, table).await?;
                self.first.push((table, n));
                n
            }
        };
        self.next.insert(table, next + 1);
        Ok(next)
    }

    /// The history of every created row: the ids of one table are consecutive, so one row per
    /// table covers them (`record_id ..= record_id_last`), carrying the import's instant, which is
    /// also each row's `created_at` (how [`Store::history`] tells the range's rows from rows that
    /// later reuse a purged id). Like the per-row "create" entries before it, it holds no
    /// content. A million created rows were a million history rows, about a fifth of a
    /// province's write time.
    async fn log(&self, tx: &mut Tx, h: &History<'_>) -> Result<()> {
        let mut values = Vec::new();
        for &(table, first) in &self.first {
            let last = self.next[table] - 1;
            values.extend([table.into(), first.into(), last.into(), "create".into(), h.actor.into(), h.at.into()]);
        }
        if !values.is_empty() {
            let columns = ["table_name", "record_id", "record_id_last", "action", "actor", "at"];
            tx.insert_many("change_log", &columns, values, HISTORY_BATCH).await?;
        }
        Ok(())
    }

    /// Queue one new row (`id`, the values, and the import's instant as `created_at` and
    /// `updated_at`); a full batch is written at once. A row of the same table and columns as the
    /// rows waiting joins them: the column names are compared, not collected, row by row.
    async fn push(&mut self, tx: &mut Tx, table: &'static str, id: i64, values: Vec<(&'static str, Value)>, stamp: &Value) -> Result<()> {
        let joins = self.pending.as_ref().is_some_and(|p| {
            // `id` first, the stamps last.
            p.table == table
                && p.columns.len() == values.len() + 3
                && p.columns[1..=values.len()].iter().zip(&values).all(|(a, (b, _))| std::ptr::eq(*a, *b) || a == b)
        });
        if !joins {
            self.flush(tx).await?;
            let columns = std::iter::once("id").chain(values.iter().map(|(c, _)| *c)).chain(["created_at", "updated_at"]).collect();
            self.pending = Some(Pending { table, columns, values: Vec::new() });
        }
        let p = self.pending.as_mut().expect("set above");
        p.values.reserve(values.len() + 3);
        p.values.push(id.into());
        p.values.extend(values.into_iter().map(|(_, v)| v));
        p.values.extend([stamp.clone(), stamp.clone()]);
        if p.values.len() >= p.batch() * p.columns.len() {
            // Written while the next rows are prepared; the next use of `tx` waits for it.
            let p = self.pending.take().expect("filled above");
            let keep = p.batch();
            tx.insert_many_behind(p.table, &p.columns, p.values, keep).await?;
        }
        Ok(())
    }

    /// Write every pending row (before anything that reads or references them).
    async fn flush(&mut self, tx: &mut Tx) -> Result<()> {
        if let Some(p) = self.pending.take() {
            let keep = p.batch();
            tx.insert_many(p.table, &p.columns, p.values, keep).await?;
        }
        Ok(())
    }
}

/// Set `parent_id` of rows already written, from `(code, parent code, stored parent code)` (the
/// last `None` for a row this import created): only where the parent changed, a few hundred
/// rows a statement (`CASE id WHEN … THEN … END`), not a statement a row (a province has 20,000
/// schools).
async fn set_parents<'a>(
    tx: &mut Tx,
    table: &'static str,
    ids: &Ids,
    links: impl Iterator<Item = (&'a str, Option<&'a str>, Option<Option<&'a str>>)>,
) -> Result<()> {
    let mut changed = Vec::new();
    for (code, parent, stored) in links {
        // Unchanged, or created without a parent (the insert left it empty): nothing to set.
        let unchanged = match stored {
            Some(stored) => stored == parent,
            None => parent.is_none(),
        };
        if unchanged {
            continue;
        }
        let parent = parent.map(|p| require(ids, "parent", p)).transpose()?;
        changed.push((require(ids, "code", code)?, parent));
    }
    for part in changed.chunks(500) {
        let (first, rest) = part.split_first().expect("chunks are not empty");
        let mut case = Expr::case(Expr::col("id").eq(first.0), Expr::val(first.1));
        for (id, parent) in rest {
            case = case.case(Expr::col("id").eq(*id), Expr::val(*parent));
        }
        let ids = part.iter().map(|p| p.0);
        tx.exec(
            Query::update().table(table).value("parent_id", case.finally(Expr::col("parent_id"))).and_where(Expr::col("id").is_in(ids)),
        )
        .await?;
    }
    Ok(())
}

/// Create, update or leave one record, and count it.
#[allow(clippy::too_many_arguments)]
async fn upsert(
    tx: &mut Tx,
    cr: &mut Creates,
    h: &mut History<'_>,
    counts: &mut MergeCounts,
    sheet: &str,
    table: &'static str,
    found: Option<(i64, i64)>,
    values: Vec<(&'static str, Value)>,
    change: Change,
) -> Result<(i64, i64)> {
    let Change { same, before, after } = change;
    if !counts.contains_key(sheet) {
        counts.insert(sheet.to_string(), SheetCounts::default());
    }
    let c = counts.get_mut(sheet).expect("inserted above");
    match found {
        Some(x) if same => {
            c.unchanged += 1;
            Ok(x)
        }
        Some((id, v)) => {
            c.updated += 1;
            update(tx, table, id, v, values, h.at).await?;
            h.push(tx, table, id, "update", before, after).await?;
            Ok((id, v + 1))
        }
        None => {
            c.created += 1;
            let id = cr.id(tx, table).await?;
            cr.push(tx, table, id, values, &h.stamp).await?;
            Ok((id, 1))
        }
    }
}

impl Store {
    /// Merge `incoming` (validated rows) into the database. `existing` is the registry as it was
    /// read for validation, to tell created, updated and unchanged apart. With `dry_run` the
    /// transaction is rolled back and only the counts remain.
    pub async fn merge_dataset(&self, incoming: &Dataset, existing: &Dataset, actor: &str, dry_run: bool) -> Result<MergeCounts> {
        Ok(self.merge_dataset_replacing(incoming, existing, actor, dry_run, None, None).await?.0)
    }

    /// As [`Store::merge_dataset`]; with `replace` (a region code), the region's records that the
    /// file does not hold are removed (soft-deleted, with history) in the same transaction. The
    /// second result lists what was (or, in a dry run, would be) removed, by sheet.
    pub async fn merge_dataset_replacing(
        &self,
        incoming: &Dataset,
        existing: &Dataset,
        actor: &str,
        dry_run: bool,
        replace: Option<&str>,
        audit: Option<&crate::trail::Actor>,
    ) -> Result<(MergeCounts, Removals)> {
        let mut counts: MergeCounts = BTreeMap::new();
        let mut cr = Creates::default();
        let mut tx = self.write_bulk().await?;
        let mut h = History::new(actor, now(), tx.backend());
        if tx.backend() == crate::Backend::Postgres {
            // Ids are chosen here: nobody else inserts into these tables meanwhile.
            tx.raw(crate::bulk::PG_LOCK).await?;
        }

        let outcome = async {
            // 区划
            let mut region_ids = ids(&mut tx, "regions", &["code"], by_code).await?;
            let old: HashMap<&str, &Region> = existing.regions.iter().map(|r| (r.code.as_str(), r)).collect();
            for r in &incoming.regions {
                let values = vec![
                    ("code", r.code.as_str().into()),
                    ("name", r.name.clone().into()),
                    ("parent_code", r.parent.as_ref().map(|p| p.to_string()).into()),
                    ("level", r.level.code().into()),
                ];
                let prev = old.get(r.code.as_str()).copied();
                let found = region_ids.get(r.code.as_str()).copied();
                let x = upsert(&mut tx, &mut cr, &mut h, &mut counts, "区划", "regions", found, values, Change::of(prev, r, json)).await?;
                region_ids.insert(r.code.to_string(), x);
            }

            cr.flush(&mut tx).await?;
            // 学校; parents once every row is in.
            let mut inst_ids = ids(&mut tx, "institutions", &["code"], by_code).await?;
            let old: HashMap<&str, &Institution> = existing.institutions.iter().map(|i| (i.code.as_str(), i)).collect();
            for i in &incoming.institutions {
                if !region_ids.contains_key(i.town.as_str()) {
                    return Err(StoreError::UnknownReference { field: "town", value: i.town.to_string() });
                }
                let values = vec![
                    ("code", i.code.as_str().into()),
                    ("name", i.name.clone().into()),
                    ("kind", i.kind.code().into()),
                    ("ownership", i.ownership.code().into()),
                    ("status", i.status.code().into()),
                    ("town_code", i.town.as_str().into()),
                    ("county_code", i.town.county().into()),
                    ("longitude", i.longitude.into()),
                    ("latitude", i.latitude.into()),
                    ("students", i.students.into()),
                    ("classes", i.classes.into()),
                ];
                let prev = old.get(i.code.as_str()).copied();
                let found = inst_ids.get(i.code.as_str()).copied();
                let x =
                    upsert(&mut tx, &mut cr, &mut h, &mut counts, "学校", "institutions", found, values, Change::of(prev, i, json)).await?;
                inst_ids.insert(i.code.to_string(), x);
            }
            cr.flush(&mut tx).await?;
            let links = incoming.institutions.iter().map(|i| {
                (
                    i.code.as_str(),
                    i.parent.as_ref().map(|p| p.as_str()),
                    old.get(i.code.as_str()).map(|o| o.parent.as_ref().map(|p| p.as_str())),
                )
            });
            set_parents(&mut tx, "institutions", &inst_ids, links).await?;

            cr.flush(&mut tx).await?;
            // People: what the file gives updates the person; a blank phone keeps the one stored.
            let mut person_ids = person_ids(
                &mut tx,
                incoming
                    .persons
                    .iter()
                    .map(|p| &p.id_number)
                    .chain(incoming.staff.iter().map(|s| &s.id_number))
                    .chain(incoming.members.iter().map(|m| &m.id_number))
                    .chain(incoming.instructors.iter().map(|n| &n.id_number)),
            )
            .await?;
            let old_people: HashMap<&str, &Person> = existing.persons.iter().map(|p| (p.id_number.as_str(), p)).collect();
            let sealer = crate::seal::Sealer::new(&*tx.keys_shared()?);
            let deferred = crate::bulk::defer_indexes(&mut tx, "persons", incoming.persons.len()).await?;
            let mut ahead = Ahead::new(
                &incoming.persons,
                |p: &Person| (p.clone(), old_people.get(p.id_number.as_str()).map(|o| (*o).clone())),
                move |(p, prev): (Person, Option<Person>)| {
                    let phone = p.phone.clone().or(prev.as_ref().and_then(|o| o.phone.clone()));
                    // S13: sealed numbers and the blind index.
                    let sealed = (
                        sealer.seal(p.id_number.as_str().as_bytes()),
                        sealer.blind(p.id_number.as_str()),
                        phone.as_ref().map(|x| sealer.seal(x.to_string().as_bytes())),
                    );
                    let merged = Person { phone, ..p };
                    Ok((sealed, Change::of(prev.as_ref(), &merged, masked)))
                },
            );
            while let Some((part, prepared)) = ahead.next().await? {
                for (p, ((id_number, id_hash, phone), change)) in part.iter().zip(prepared) {
                    let values = vec![
                        ("id_number", id_number.into()),
                        ("id_hash", id_hash.into()),
                        ("name", p.name.clone().into()),
                        ("gender", p.gender.code().into()),
                        ("birth_date", p.id_number.birth_date().into()),
                        ("phone", phone.into()),
                    ];
                    let found = person_ids.get(p.id_number.as_str()).copied();
                    let mut scratch = MergeCounts::new();
                    let x = upsert(&mut tx, &mut cr, &mut h, &mut scratch, "", "persons", found, values, change).await?;
                    person_ids.insert(p.id_number.as_str().to_string(), x);
                }
            }

            cr.flush(&mut tx).await?;
            crate::bulk::restore_indexes(&mut tx, deferred).await?;
            // 教职工
            let staff_ids = ids(&mut tx, "staff", &["person_id", "institution_id"], by_person_institution).await?;
            let old: HashMap<(&str, &str), &Staff> =
                existing.staff.iter().map(|s| ((s.id_number.as_str(), s.institution.as_str()), s)).collect();
            let deferred = crate::bulk::defer_indexes(&mut tx, "staff", incoming.staff.len()).await?;
            // A row with no stored record needs nothing from history (`Change::created`): only
            // stored records are copied over to be compared.
            let mut ahead = Ahead::new(
                &incoming.staff,
                |s: &Staff| old.get(&(s.id_number.as_str(), s.institution.as_str())).map(|o| (s.clone(), (*o).clone())),
                |pair: Option<(Staff, Staff)>| Ok(pair.map_or_else(Change::created, |(s, prev)| Change::of(Some(&prev), &s, masked))),
            );
            while let Some((part, prepared)) = ahead.next().await? {
                for (s, change) in part.iter().zip(prepared) {
                    let person = require(&person_ids, "id_number", s.id_number.as_str())?;
                    let inst = require(&inst_ids, "institution", s.institution.as_str())?;
                    let values = Store::staff_values(s, person, inst);
                    let found = if staff_ids.is_empty() { None } else { staff_ids.get(&format!("{person}/{inst}")).copied() };
                    upsert(&mut tx, &mut cr, &mut h, &mut counts, "教职工", "staff", found, values, change).await?;
                }
            }

            cr.flush(&mut tx).await?;
            crate::bulk::restore_indexes(&mut tx, deferred).await?;
            // 党组织; parents once every row is in.
            let mut org_ids = ids(&mut tx, "party_orgs", &["code"], by_code).await?;
            let old: HashMap<&str, &PartyOrg> = existing.orgs.iter().map(|o| (o.code.as_str(), o)).collect();
            for o in &incoming.orgs {
                let values = vec![
                    ("code", o.code.as_str().into()),
                    ("name", o.name.clone().into()),
                    ("kind", o.kind.code().into()),
                    ("region_code", o.region.as_str().into()),
                    ("founded_on", o.founded_on.into()),
                    ("term_start", o.term_start.into()),
                    ("term_years", o.term_years.map(i64::from).into()),
                    ("status", o.status.code().into()),
                ];
                let prev = old.get(o.code.as_str()).copied();
                let found = org_ids.get(o.code.as_str()).copied();
                let x =
                    upsert(&mut tx, &mut cr, &mut h, &mut counts, "党组织", "party_orgs", found, values, Change::of(prev, o, json)).await?;
                org_ids.insert(o.code.to_string(), x);
            }
            cr.flush(&mut tx).await?;
            let links = incoming.orgs.iter().map(|o| {
                (
                    o.code.as_str(),
                    o.parent.as_ref().map(|p| p.as_str()),
                    old.get(o.code.as_str()).map(|x| x.parent.as_ref().map(|p| p.as_str())),
                )
            });
            set_parents(&mut tx, "party_orgs", &org_ids, links).await?;

            cr.flush(&mut tx).await?;
            // 组织覆盖
            let cov_ids = ids(&mut tx, "coverages", &["org_id", "institution_id"], by_org_institution).await?;
            let old: HashMap<(&str, &str), &Coverage> =
                existing.coverages.iter().map(|c| ((c.org.as_str(), c.institution.as_str()), c)).collect();
            for c in &incoming.coverages {
                let org = require(&org_ids, "org", c.org.as_str())?;
                let inst = require(&inst_ids, "institution", c.institution.as_str())?;
                let values = vec![("org_id", org.into()), ("institution_id", inst.into()), ("mode", c.mode.code().into())];
                let prev = old.get(&(c.org.as_str(), c.institution.as_str())).copied();
                let found = cov_ids.get(&format!("{org}/{inst}")).copied();
                upsert(&mut tx, &mut cr, &mut h, &mut counts, "组织覆盖", "coverages", found, values, Change::of(prev, c, json)).await?;
            }

            cr.flush(&mut tx).await?;
            // 党员
            let member_ids = ids(&mut tx, "members", &["person_id"], by_person).await?;
            let old: HashMap<&str, &Member> = existing.members.iter().map(|m| (m.id_number.as_str(), m)).collect();
            let deferred = crate::bulk::defer_indexes(&mut tx, "members", incoming.members.len()).await?;
            let mut ahead = Ahead::new(
                &incoming.members,
                |m: &Member| old.get(m.id_number.as_str()).map(|o| (m.clone(), (*o).clone())),
                |pair: Option<(Member, Member)>| Ok(pair.map_or_else(Change::created, |(m, prev)| Change::of(Some(&prev), &m, masked))),
            );
            while let Some((part, prepared)) = ahead.next().await? {
                for (m, change) in part.iter().zip(prepared) {
                    let person = require(&person_ids, "id_number", m.id_number.as_str())?;
                    let org = require(&org_ids, "org", m.org.as_str())?;
                    let work = m.work_institution.as_ref().map(|w| require(&inst_ids, "work_institution", w.as_str())).transpose()?;
                    let values = Store::member_columns(m, person, org, work);
                    let found = member_ids.get(&person.to_string()).copied();
                    upsert(&mut tx, &mut cr, &mut h, &mut counts, "党员", "members", found, values, change).await?;
                }
            }

            cr.flush(&mut tx).await?;
            crate::bulk::restore_indexes(&mut tx, deferred).await?;
            // 党建指导员
            let instructor_ids = ids(&mut tx, "instructors", &["person_id", "institution_id"], by_person_institution).await?;
            let old: HashMap<(&str, &str), &Instructor> =
                existing.instructors.iter().map(|n| ((n.id_number.as_str(), n.institution.as_str()), n)).collect();
            for n in &incoming.instructors {
                let person = require(&person_ids, "id_number", n.id_number.as_str())?;
                let inst = require(&inst_ids, "institution", n.institution.as_str())?;
                let values = vec![
                    ("person_id", person.into()),
                    ("institution_id", inst.into()),
                    ("assigned_on", n.assigned_on.into()),
                    ("status", n.status.code().into()),
                ];
                let prev = old.get(&(n.id_number.as_str(), n.institution.as_str())).copied();
                let found = instructor_ids.get(&format!("{person}/{inst}")).copied();
                upsert(&mut tx, &mut cr, &mut h, &mut counts, "党建指导员", "instructors", found, values, Change::of(prev, n, masked))
                    .await?;
            }

            cr.flush(&mut tx).await?;
            // 学校业务指标: by school and year (a replace-mode import does not remove past years' figures).
            if !incoming.indicators.is_empty() {
                let inst_ids = ids(&mut tx, "institutions", &["code"], by_code).await?;
                let found: HashMap<(i64, i64), (i64, i64)> = tx
                    .all(Query::select().columns(["id", "version", "institution_id", "year"]).from("school_indicators"), |r: &dyn Row| {
                        Ok(((r.int("institution_id")?, r.int("year")?), (r.int("id")?, r.int("version")?)))
                    })
                    .await?
                    .into_iter()
                    .collect();
                let old: HashMap<(&str, i32), &hongzhu_core::school::SchoolIndicators> =
                    existing.indicators.iter().map(|x| ((x.institution.as_str(), x.year), x)).collect();
                for x in &incoming.indicators {
                    let inst = require(&inst_ids, "institution", x.institution.as_str())?;
                    let mut values = vec![("institution_id", inst.into()), ("year", i64::from(x.year).into())];
                    values.extend(crate::school::indicator_values(&x.values));
                    let prev = old.get(&(x.institution.as_str(), x.year)).copied();
                    upsert(
                        &mut tx,
                        &mut cr,
                        &mut h,
                        &mut counts,
                        "学校业务指标",
                        "school_indicators",
                        found.get(&(inst, i64::from(x.year))).copied(),
                        values,
                        Change::of(prev, x, json),
                    )
                    .await?;
                }
            }
            cr.flush(&mut tx).await?;
            let removals = match replace {
                Some(region) => remove_missing(&mut tx, &mut h, incoming, existing, region).await?,
                None => Removals::new(),
            };
            cr.flush(&mut tx).await?;
            cr.log(&mut tx, &h).await?;
            h.flush(&mut tx).await?;
            if tx.backend() == crate::Backend::Postgres {
                for q in crate::bulk::PG_SEQUENCES {
                    tx.raw(q).await?;
                }
            }
            Ok::<_, StoreError>(removals)
        }
        .await;
        // Back to SQLite's default cache whatever happened (the connection returns to the pool).
        let reset = tx.end_bulk().await;
        let removals = outcome?;
        reset?;
        if dry_run {
            // Dropping the transaction rolls it back.
            drop(tx);
        } else {
            // S9, S11: the import and its audit row commit together.
            if let Some(a) = audit {
                let summary: Vec<String> =
                    counts.iter().map(|(k, c)| format!("{k} +{} ~{} ={} ✕{}", c.created, c.updated, c.unchanged, c.rejected)).collect();
                let removed: usize = removals.values().map(|v| v.len()).sum();
                let entry = crate::trail::AuditEntry {
                    actor: a.clone(),
                    event: "import",
                    object: format!("ledger{}", replace.map(|r| format!(" replace {r}")).unwrap_or_default()),
                    outcome: crate::trail::Outcome::Success,
                    detail: format!("{}; removed {removed}", summary.join("; ")),
                };
                self.audit_in(&mut tx, &entry).await?;
            }
            tx.commit().await?;
        }
        Ok((counts, removals))
    }
}

/// What a replace-mode import removes: per sheet, the names or keys of the records.
pub type Removals = BTreeMap<String, Vec<String>>;

async fn soft_delete(tx: &mut Tx, h: &mut History<'_>, table: &'static str, id: i64, before: Option<String>) -> Result<()> {
    tx.exec(
        Query::update()
            .table(table)
            .value("deleted_at", h.at)
            .value("version", Expr::col("version").add(1))
            .and_where(Expr::col("id").eq(id))
            .and_where(Expr::col("deleted_at").is_null()),
    )
    .await?;
    h.push(tx, table, id, "delete", before, None).await
}

/// Remove the region's records the file does not hold: people's rows first, then coverage,
/// organizations and institutions no longer referenced.
async fn remove_missing(tx: &mut Tx, h: &mut History<'_>, incoming: &Dataset, existing: &Dataset, region: &str) -> Result<Removals> {
    use std::collections::HashSet;
    let prefix = crate::records::region_prefix(region);
    let county: String = prefix.chars().take(6).collect();
    let in_region = |town: &str| town.starts_with(&prefix);
    let region_inst: HashSet<&str> = existing.institutions.iter().filter(|i| in_region(i.town.as_str())).map(|i| i.code.as_str()).collect();
    let mut out = Removals::new();
    let person_ids = person_ids(
        tx,
        existing
            .staff
            .iter()
            .map(|s| &s.id_number)
            .chain(existing.members.iter().map(|m| &m.id_number))
            .chain(existing.instructors.iter().map(|n| &n.id_number)),
    )
    .await?;
    let inst_ids = ids(tx, "institutions", &["code"], by_code).await?;
    let org_ids = ids(tx, "party_orgs", &["code"], by_code).await?;

    let keep_staff: HashSet<(&str, &str)> = incoming.staff.iter().map(|s| (s.id_number.as_str(), s.institution.as_str())).collect();
    let staff_ids = ids(tx, "staff", &["person_id", "institution_id"], by_person_institution).await?;
    for s in existing.staff.iter().filter(|s| region_inst.contains(s.institution.as_str())) {
        if keep_staff.contains(&(s.id_number.as_str(), s.institution.as_str())) {
            continue;
        }
        let key = format!(
            "{}/{}",
            require(&person_ids, "id_number", s.id_number.as_str())?,
            require(&inst_ids, "institution", s.institution.as_str())?
        );
        if let Some((id, _)) = staff_ids.get(&key) {
            soft_delete(tx, h, "staff", *id, masked(s)).await?;
            out.entry("教职工".into()).or_default().push(format!("{} @ {}", s.id_number.masked(), s.institution));
        }
    }
    let keep_members: HashSet<&str> = incoming.members.iter().map(|m| m.id_number.as_str()).collect();
    let member_ids = ids(tx, "members", &["person_id"], by_person).await?;
    let county_orgs: HashSet<&str> =
        existing.orgs.iter().filter(|o| o.region.as_str().starts_with(&county)).map(|o| o.code.as_str()).collect();
    for m in existing.members.iter().filter(|m| county_orgs.contains(m.org.as_str())) {
        if keep_members.contains(m.id_number.as_str()) {
            continue;
        }
        let key = require(&person_ids, "id_number", m.id_number.as_str())?.to_string();
        if let Some((id, _)) = member_ids.get(&key) {
            soft_delete(tx, h, "members", *id, masked(m)).await?;
            out.entry("党员".into()).or_default().push(m.id_number.masked());
        }
    }
    let keep_instructors: HashSet<(&str, &str)> =
        incoming.instructors.iter().map(|n| (n.id_number.as_str(), n.institution.as_str())).collect();
    let instructor_ids = ids(tx, "instructors", &["person_id", "institution_id"], by_person_institution).await?;
    for n in existing.instructors.iter().filter(|n| region_inst.contains(n.institution.as_str())) {
        if keep_instructors.contains(&(n.id_number.as_str(), n.institution.as_str())) {
            continue;
        }
        let key = format!(
            "{}/{}",
            require(&person_ids, "id_number", n.id_number.as_str())?,
            require(&inst_ids, "institution", n.institution.as_str())?
        );
        if let Some((id, _)) = instructor_ids.get(&key) {
            soft_delete(tx, h, "instructors", *id, masked(n)).await?;
            out.entry("党建指导员".into()).or_default().push(format!("{} @ {}", n.id_number.masked(), n.institution));
        }
    }
    let keep_cov: HashSet<(&str, &str)> = incoming.coverages.iter().map(|c| (c.org.as_str(), c.institution.as_str())).collect();
    let cov_ids = ids(tx, "coverages", &["org_id", "institution_id"], by_org_institution).await?;
    for c in existing.coverages.iter().filter(|c| region_inst.contains(c.institution.as_str())) {
        if keep_cov.contains(&(c.org.as_str(), c.institution.as_str())) {
            continue;
        }
        let key = format!("{}/{}", require(&org_ids, "org", c.org.as_str())?, require(&inst_ids, "institution", c.institution.as_str())?);
        if let Some((id, _)) = cov_ids.get(&key) {
            soft_delete(tx, h, "coverages", *id, json(c)).await?;
            out.entry("组织覆盖".into()).or_default().push(format!("{} → {}", c.org, c.institution));
        }
    }
    // Organizations and institutions go only when nothing the file keeps still points at them.
    let used_orgs: HashSet<&str> = incoming
        .members
        .iter()
        .map(|m| m.org.as_str())
        .chain(incoming.coverages.iter().map(|c| c.org.as_str()))
        .chain(incoming.orgs.iter().filter_map(|o| o.parent.as_ref().map(|p| p.as_str())))
        .collect();
    let keep_orgs: HashSet<&str> = incoming.orgs.iter().map(|o| o.code.as_str()).collect();
    let mut gone_orgs: Vec<&PartyOrg> = existing
        .orgs
        .iter()
        .filter(|o| o.region.as_str().starts_with(&county) && !keep_orgs.contains(o.code.as_str()) && !used_orgs.contains(o.code.as_str()))
        .collect();
    // Children before parents.
    gone_orgs.sort_by_key(|o| std::cmp::Reverse(depth(existing, o)));
    for o in gone_orgs {
        let still_parent = existing.orgs.iter().any(|x| x.parent.as_ref() == Some(&o.code) && keep_orgs.contains(x.code.as_str()));
        if still_parent {
            continue;
        }
        if let Some((id, _)) = org_ids.get(o.code.as_str()) {
            tx.exec(
                Query::update()
                    .table("party_orgs")
                    .value("parent_id", Value::BigInt(None))
                    .and_where(Expr::col("parent_id").eq(*id))
                    .and_where(Expr::col("deleted_at").is_not_null()),
            )
            .await?;
            soft_delete(tx, h, "party_orgs", *id, json(o)).await?;
            out.entry("党组织".into()).or_default().push(o.name.clone());
        }
    }
    let keep_inst: HashSet<&str> = incoming.institutions.iter().map(|i| i.code.as_str()).collect();
    let used_inst: HashSet<&str> = incoming
        .staff
        .iter()
        .map(|s| s.institution.as_str())
        .chain(incoming.coverages.iter().map(|c| c.institution.as_str()))
        .chain(incoming.members.iter().filter_map(|m| m.work_institution.as_ref().map(|w| w.as_str())))
        .chain(incoming.institutions.iter().filter_map(|i| i.parent.as_ref().map(|p| p.as_str())))
        .collect();
    for i in existing
        .institutions
        .iter()
        .filter(|i| in_region(i.town.as_str()) && !keep_inst.contains(i.code.as_str()) && !used_inst.contains(i.code.as_str()))
    {
        if let Some((id, _)) = inst_ids.get(i.code.as_str()) {
            soft_delete(tx, h, "institutions", *id, json(i)).await?;
            out.entry("学校".into()).or_default().push(i.name.clone());
        }
    }
    Ok(out)
}

fn depth(d: &Dataset, o: &PartyOrg) -> usize {
    let mut n = 0;
    let mut cur = o.parent.clone();
    while let Some(p) = cur {
        n += 1;
        if n > 64 {
            break;
        }
        cur = d.orgs.iter().find(|x| x.code == p).and_then(|x| x.parent.clone());
    }
    n
}
