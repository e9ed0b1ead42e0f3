//! Loading a whole generated dataset (the demo county, synthetic regions) in one transaction,
//! in multi-row statements. A failure leaves the database as it was.
use std::collections::HashMap;

use hongzhu_core::labels::Labeled;
use hongzhu_core::synth::Dataset;
use sea_query::{Expr, ExprTrait, Func, Query, Value};

use crate::db::{Backend, Store, Tx};
use crate::records::{log_change, now};
use crate::{Result, StoreError};

/// Told what is being loaded and how far along it is.
pub trait BulkProgress: Send {
    fn step(&mut self, what: &str, done: u64, total: u64);
}

impl<F: FnMut(&str, u64, u64) + Send> BulkProgress for F {
    fn step(&mut self, what: &str, done: u64, total: u64) {
        self(what, done, total)
    }
}

/// PostgreSQL identity sequences, moved past the ids a bulk load chose.
pub(crate) const PG_SEQUENCES: &[&str] = &[
    "SELECT setval(pg_get_serial_sequence('regions', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM regions), false)",
    "SELECT setval(pg_get_serial_sequence('institutions', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM institutions), false)",
    "SELECT setval(pg_get_serial_sequence('persons', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM persons), false)",
    "SELECT setval(pg_get_serial_sequence('staff', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM staff), false)",
    "SELECT setval(pg_get_serial_sequence('party_orgs', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM party_orgs), false)",
    "SELECT setval(pg_get_serial_sequence('coverages', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM coverages), false)",
    "SELECT setval(pg_get_serial_sequence('members', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM members), false)",
    "SELECT setval(pg_get_serial_sequence('instructors', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM instructors), false)",
    "SELECT setval(pg_get_serial_sequence('school_indicators', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM school_indicators), false)",
];

pub(crate) const PG_LOCK: &str =
    "LOCK TABLE regions, institutions, persons, staff, party_orgs, coverages, members, instructors, school_indicators IN EXCLUSIVE MODE";

/// The secondary indexes of the three big registry tables, as the migrations create them
/// (SQLite): table, index, and the statements that drop and create it.
const DEFERRABLE_INDEXES: &[(&str, &str, &str, &str)] = &[
    (
        "persons",
        "persons_id_hash_key",
        "DROP INDEX persons_id_hash_key",
        "CREATE UNIQUE INDEX persons_id_hash_key ON persons (id_hash) WHERE deleted_at IS NULL",
    ),
    (
        "staff",
        "staff_person_institution_key",
        "DROP INDEX staff_person_institution_key",
        "CREATE UNIQUE INDEX staff_person_institution_key ON staff (person_id, institution_id) WHERE deleted_at IS NULL",
    ),
    ("staff", "staff_institution_idx", "DROP INDEX staff_institution_idx", "CREATE INDEX staff_institution_idx ON staff (institution_id)"),
    (
        "members",
        "members_person_key",
        "DROP INDEX members_person_key",
        "CREATE UNIQUE INDEX members_person_key ON members (person_id) WHERE deleted_at IS NULL",
    ),
    ("members", "members_org_idx", "DROP INDEX members_org_idx", "CREATE INDEX members_org_idx ON members (org_id)"),
    ("members", "members_work_idx", "DROP INDEX members_work_idx", "CREATE INDEX members_work_idx ON members (work_institution_id)"),
];

/// Before loading `incoming` rows into `table` (SQLite): when the table holds no more than half
/// as many rows as are coming, drop its secondary indexes, inside the transaction, and return
/// the statements that build them again once the rows are in. Building an index from a million
/// rows at once is about a quarter faster than growing it row by row. The indexes come back
/// in the same transaction, so a rollback, a dry run or a kill leaves them as they were, and a
/// unique index that no longer holds fails the import. Only indexes whose stored definition is
/// exactly the one above are dropped: a schema that has moved on keeps its indexes. The import
/// reads these tables whole, never through these indexes.
pub(crate) async fn defer_indexes(tx: &mut Tx, table: &'static str, incoming: usize) -> Result<Vec<&'static str>> {
    if tx.backend() != Backend::Sqlite {
        return Ok(Vec::new());
    }
    let rows = tx.one(Query::select().expr_as(Func::count(Expr::col("id")), "n").from(table), |r| r.int("n")).await?;
    if rows.saturating_mul(2) > incoming as i64 {
        return Ok(Vec::new());
    }
    let mine: Vec<_> = DEFERRABLE_INDEXES.iter().filter(|(t, ..)| *t == table).collect();
    for (_, name, _, create) in &mine {
        let stored = tx
            .opt(
                Query::select()
                    .column("sql")
                    .from("sqlite_master")
                    .and_where(Expr::col("type").eq("index"))
                    .and_where(Expr::col("name").eq(*name)),
                |r| r.text_opt("sql"),
            )
            .await?
            .flatten();
        if stored.as_deref() != Some(*create) {
            return Ok(Vec::new());
        }
    }
    for (_, _, drop, _) in &mine {
        tx.raw(drop).await?;
    }
    Ok(mine.iter().map(|(.., create)| *create).collect())
}

/// Build what [`defer_indexes`] dropped.
pub(crate) async fn restore_indexes(tx: &mut Tx, creates: Vec<&'static str>) -> Result<()> {
    for c in creates {
        tx.raw(c).await?;
    }
    Ok(())
}

pub(crate) async fn next_id(tx: &mut Tx, table: &'static str) -> Result<i64> {
    let max = tx.one(Query::select().expr_as(Func::max(Expr::col("id")), "m").from(table), |r| r.int_opt("m")).await?;
    Ok(max.unwrap_or(0) + 1)
}

/// Insert rows as they are, a few hundred a statement ([`Tx::insert_many`]: rendered once per
/// shape, prepared once per connection, the values moved into the binding).
pub(crate) async fn insert_values(
    tx: &mut Tx,
    table: &'static str,
    columns: &[&'static str],
    rows: Vec<Vec<Value>>,
    progress: &mut dyn BulkProgress,
) -> Result<()> {
    let total = rows.len() as u64;
    let per = Tx::rows_per_insert(columns.len());
    let mut done = 0u64;
    let mut iter = rows.into_iter().peekable();
    while iter.peek().is_some() {
        let mut values = Vec::with_capacity(per * columns.len());
        for row in iter.by_ref().take(per) {
            if row.len() != columns.len() {
                return Err(StoreError::Corrupt(format!("a row for {table} has {} values for {} columns", row.len(), columns.len())));
            }
            values.extend(row);
            done += 1;
        }
        tx.insert_many(table, columns, values, per).await?;
        progress.step(table, done, total);
    }
    Ok(())
}

/// Insert rows of a versioned record table, stamping their created and updated times.
async fn insert_rows(
    tx: &mut Tx,
    table: &'static str,
    columns: &[&'static str],
    mut rows: Vec<Vec<Value>>,
    progress: &mut dyn BulkProgress,
) -> Result<()> {
    let t = now();
    let mut cols: Vec<&'static str> = columns.to_vec();
    cols.extend(["created_at", "updated_at"]);
    for row in &mut rows {
        row.push(t.into());
        row.push(t.into());
    }
    insert_values(tx, table, &cols, rows, progress).await
}

fn unknown(field: &'static str, value: &str) -> StoreError {
    StoreError::UnknownReference { field, value: value.to_string() }
}

impl Store {
    /// Save a generated dataset. Every reference must resolve within it.
    pub async fn load_dataset(&self, d: &Dataset, actor: &str, progress: &mut dyn BulkProgress) -> Result<()> {
        let mut tx = self.write().await?;
        if tx.backend() == Backend::Postgres {
            tx.raw(PG_LOCK).await?;
        }
        // Regions.
        let rows = d
            .regions
            .iter()
            .map(|r| {
                vec![r.code.as_str().into(), r.name.clone().into(), r.parent.as_ref().map(|p| p.to_string()).into(), r.level.code().into()]
            })
            .collect();
        insert_rows(&mut tx, "regions", &["code", "name", "parent_code", "level"], rows, progress).await?;

        // Institutions, with ids chosen here so references resolve without reading back.
        let mut id = next_id(&mut tx, "institutions").await?;
        let mut inst_ids: HashMap<&str, i64> = HashMap::with_capacity(d.institutions.len());
        for i in &d.institutions {
            inst_ids.insert(i.code.as_str(), id);
            id += 1;
        }
        let mut rows = Vec::with_capacity(d.institutions.len());
        for i in &d.institutions {
            let parent = match &i.parent {
                Some(p) => Some(*inst_ids.get(p.as_str()).ok_or_else(|| unknown("parent", p.as_str()))?),
                None => None,
            };
            rows.push(vec![
                inst_ids[i.code.as_str()].into(),
                i.code.as_str().into(),
                i.name.clone().into(),
                i.kind.code().into(),
                i.ownership.code().into(),
                i.status.code().into(),
                i.town.as_str().into(),
                i.town.county().into(),
                Value::BigInt(None),
                i.longitude.into(),
                i.latitude.into(),
                i.students.into(),
                i.classes.into(),
            ]);
            let _ = parent;
        }
        insert_rows(
            &mut tx,
            "institutions",
            &[
                "id",
                "code",
                "name",
                "kind",
                "ownership",
                "status",
                "town_code",
                "county_code",
                "parent_id",
                "longitude",
                "latitude",
                "students",
                "classes",
            ],
            rows,
            progress,
        )
        .await?;
        for i in d.institutions.iter().filter(|i| i.parent.is_some()) {
            let parent = inst_ids[i.parent.as_ref().expect("filtered").as_str()];
            tx.exec(
                Query::update().table("institutions").value("parent_id", parent).and_where(Expr::col("id").eq(inst_ids[i.code.as_str()])),
            )
            .await?;
        }

        // Persons.
        let mut id = next_id(&mut tx, "persons").await?;
        let mut person_ids: HashMap<&str, i64> = HashMap::with_capacity(d.persons.len());
        let mut rows = Vec::with_capacity(d.persons.len());
        for p in &d.persons {
            person_ids.insert(p.id_number.as_str(), id);
            // S13: sealed ID and phone numbers, and the blind index.
            rows.push(vec![
                id.into(),
                tx.seal(p.id_number.as_str())?.into(),
                tx.blind(p.id_number.as_str())?.into(),
                p.name.clone().into(),
                p.gender.code().into(),
                p.id_number.birth_date().into(),
                p.phone.as_ref().map(|x| tx.seal(&x.to_string())).transpose()?.into(),
            ]);
            id += 1;
        }
        insert_rows(&mut tx, "persons", &["id", "id_number", "id_hash", "name", "gender", "birth_date", "phone"], rows, progress).await?;
        let person = |id: &hongzhu_core::IdNumber| person_ids.get(id.as_str()).copied().ok_or_else(|| unknown("id_number", &id.masked()));

        // Staff.
        let mut rows = Vec::with_capacity(d.staff.len());
        for s in &d.staff {
            rows.push(vec![
                person(&s.id_number)?.into(),
                (*inst_ids.get(s.institution.as_str()).ok_or_else(|| unknown("institution", s.institution.as_str()))?).into(),
                s.post.map(|v| v.code()).into(),
                s.leadership_role.map(|v| v.code()).into(),
                s.political_status.code().into(),
                s.development_stage.map(|v| v.code()).into(),
                s.backbone.into(),
                s.head_teacher.into(),
                s.mental_health.into(),
                s.work_start.into(),
            ]);
        }
        insert_rows(
            &mut tx,
            "staff",
            &[
                "person_id",
                "institution_id",
                "post",
                "leadership_role",
                "political_status",
                "development_stage",
                "backbone",
                "head_teacher",
                "mental_health",
                "work_start",
            ],
            rows,
            progress,
        )
        .await?;

        // Organizations.
        let mut id = next_id(&mut tx, "party_orgs").await?;
        let mut org_ids: HashMap<&str, i64> = HashMap::with_capacity(d.orgs.len());
        for o in &d.orgs {
            org_ids.insert(o.code.as_str(), id);
            id += 1;
        }
        let mut rows = Vec::with_capacity(d.orgs.len());
        for o in &d.orgs {
            let parent = match &o.parent {
                Some(p) => Some(*org_ids.get(p.as_str()).ok_or_else(|| unknown("parent", p.as_str()))?),
                None => None,
            };
            rows.push(vec![
                org_ids[o.code.as_str()].into(),
                o.code.as_str().into(),
                o.name.clone().into(),
                o.kind.code().into(),
                parent.into(),
                o.region.as_str().into(),
                o.founded_on.into(),
                o.term_start.into(),
                o.term_years.map(i64::from).into(),
                o.status.code().into(),
            ]);
        }
        // Parents come before children in generated data; a later parent would fail the FK here.
        insert_rows(
            &mut tx,
            "party_orgs",
            &["id", "code", "name", "kind", "parent_id", "region_code", "founded_on", "term_start", "term_years", "status"],
            rows,
            progress,
        )
        .await?;
        let org = |c: &hongzhu_core::OrgCode| org_ids.get(c.as_str()).copied().ok_or_else(|| unknown("org", c.as_str()));
        let inst = |c: &hongzhu_core::InstitutionCode| inst_ids.get(c.as_str()).copied().ok_or_else(|| unknown("institution", c.as_str()));

        let mut rows = Vec::with_capacity(d.coverages.len());
        for c in &d.coverages {
            rows.push(vec![org(&c.org)?.into(), inst(&c.institution)?.into(), c.mode.code().into()]);
        }
        insert_rows(&mut tx, "coverages", &["org_id", "institution_id", "mode"], rows, progress).await?;

        let mut rows = Vec::with_capacity(d.members.len());
        for m in &d.members {
            rows.push(vec![
                person(&m.id_number)?.into(),
                m.category.code().into(),
                m.admitted_on.into(),
                m.full_on.into(),
                org(&m.org)?.into(),
                m.work_institution.as_ref().map(inst).transpose()?.into(),
                m.party_post.map(|p| p.code()).into(),
                m.education.map(|e| e.code()).into(),
            ]);
        }
        insert_rows(
            &mut tx,
            "members",
            &["person_id", "category", "admitted_on", "full_on", "org_id", "work_institution_id", "party_post", "education"],
            rows,
            progress,
        )
        .await?;

        let mut rows = Vec::with_capacity(d.instructors.len());
        for n in &d.instructors {
            rows.push(vec![person(&n.id_number)?.into(), inst(&n.institution)?.into(), n.assigned_on.into(), n.status.code().into()]);
        }
        insert_rows(&mut tx, "instructors", &["person_id", "institution_id", "assigned_on", "status"], rows, progress).await?;

        if tx.backend() == Backend::Postgres {
            for s in PG_SEQUENCES {
                tx.raw(s).await?;
            }
        }
        // One history row per load: what was loaded, by whom (S25).
        let summary = serde_json::json!({
            "regions": d.regions.len(), "institutions": d.institutions.len(), "persons": d.persons.len(),
            "staff": d.staff.len(), "orgs": d.orgs.len(), "coverages": d.coverages.len(),
            "members": d.members.len(), "instructors": d.instructors.len(),
        });
        log_change(&mut tx, "dataset", 0, "bulk_load", actor, None, Some(summary)).await?;
        tx.commit().await
    }
}

#[cfg(test)]
mod tests {
    /// Each deferrable index is created by the SQLite migrations exactly as written here and
    /// never dropped by a later one: otherwise `defer_indexes` would find a different definition
    /// and quietly leave the indexes in place.
    #[test]
    fn deferrable_indexes_are_the_migrations_own() {
        let all: String = crate::migrate::MIGRATIONS.iter().map(|m| m.2).collect();
        for (table, name, drop, create) in super::DEFERRABLE_INDEXES {
            assert!(all.contains(&format!("{create};")), "{create}");
            assert!(!all.contains(drop), "{name} is dropped by a migration");
            assert_eq!(*drop, format!("DROP INDEX {name}"));
            assert!(create.contains(&format!("INDEX {name} ON {table} (")), "{create}");
        }
    }
}
