//! 结对帮扶留守儿童: the store side of `hongzhu_core::care`. Every child's record, every pairing's
//! agreed help and every visit's note is sealed (S13); what stays plain is the school, the member,
//! the dates. Who may see which child is decided by the caller (the web layer) from the user's scope
//! and designation; this module opens what it is asked for and never writes a child's data into the
//! change log — only ids.
use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use hongzhu_core::care::{self, Child, PairingDetail, VisitDetail};
use hongzhu_core::labels::{HelpKind, Labeled};
use hongzhu_core::registry::FieldError;
use sea_query::{Expr, ExprTrait, JoinType, Order, Query};
use serde::Serialize;

use crate::db::{Row, Store};
use crate::records::{log_change, now};
use crate::{Result, Scope, StoreError};

#[derive(Debug, Clone, Serialize)]
pub struct ChildRow {
    pub id: i64,
    pub institution_id: i64,
    pub institution_code: String,
    pub institution_name: String,
    pub child: Child,
    pub closed_on: Option<NaiveDate>,
    /// The pairing in force, if any.
    pub pairing: Option<PairingRow>,
    pub visits_this_year: i64,
    pub last_visit: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PairingRow {
    pub id: i64,
    pub child_id: i64,
    pub member_id: i64,
    pub member_name: String,
    pub org_id: i64,
    pub started_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
    pub help: Vec<HelpKind>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VisitRow {
    pub id: i64,
    pub pairing_id: i64,
    pub visited_on: NaiveDate,
    pub help: HelpKind,
    pub note: String,
    pub recorded_by: String,
}

/// Counts per school with no child's data: what every county and school user may see.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CareCount {
    pub institution_id: i64,
    pub code: String,
    pub name: String,
    pub town: String,
    pub children: i64,
    pub paired: i64,
    pub visited_this_year: i64,
    pub visits_this_year: i64,
}

/// Whose children a listing is of.
pub enum Whom<'a> {
    /// The children of the schools in a scope (designated county staff, a school's secretary).
    Scope(&'a Scope),
    /// The children a member is paired with now.
    PairedWith(i64),
    /// One child (the caller has checked it may be seen).
    Child(i64),
}

fn refused(field: &'static str, code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> StoreError {
    StoreError::Refused(FieldError::new(field, code, zh, en))
}

/// What is sealed: plain structs of text and dates, which always encode.
fn encode<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("plain structs encode")
}

fn decode<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("a sealed child's record does not decode: {e}")))
}

impl Store {
    /// The pairings of some children (all, or only those in force).
    async fn pairings_of(&self, children: &[i64], in_force_only: bool) -> Result<Vec<PairingRow>> {
        if children.is_empty() {
            return Ok(vec![]);
        }
        let mut q = Query::select();
        q.columns(["id", "child_id", "member_id", "started_on", "ended_on", "sealed"].map(|c| ("p", c)))
            .column(("m", "org_id"))
            .column(("pp", "name"))
            .from_as("child_pairings", "p")
            .join_as(JoinType::InnerJoin, "members", "m", Expr::col(("m", "id")).equals(("p", "member_id")))
            .join_as(JoinType::InnerJoin, "persons", "pp", Expr::col(("pp", "id")).equals(("m", "person_id")))
            .and_where(Expr::col(("p", "child_id")).is_in(children.to_vec()))
            .order_by(("p", "started_on"), Order::Desc)
            .order_by(("p", "id"), Order::Desc);
        if in_force_only {
            q.and_where(Expr::col(("p", "ended_on")).is_null());
        }
        let mut tx = self.read().await?;
        let rows = tx
            .all(&q, |r: &dyn Row| {
                let d: PairingDetail = decode(&r.sealed("sealed")?)?;
                Ok(PairingRow {
                    id: r.int("id")?,
                    child_id: r.int("child_id")?,
                    member_id: r.int("member_id")?,
                    member_name: r.text("name")?,
                    org_id: r.int("org_id")?,
                    started_on: r.date("started_on")?,
                    ended_on: r.date_opt("ended_on")?,
                    help: d.help.iter().filter_map(|h| HelpKind::from_code(h)).collect(),
                })
            })
            .await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// Children's records, opened, with their pairing in force and this year's visits.
    pub async fn children(&self, whom: Whom<'_>, year: i32) -> Result<Vec<ChildRow>> {
        let mut q = Query::select();
        q.columns(["id", "institution_id", "sealed", "closed_on"].map(|c| ("c", c)))
            .expr_as(Expr::col(("i", "code")), "institution_code")
            .expr_as(Expr::col(("i", "name")), "institution_name")
            .from_as("children", "c")
            .join_as(JoinType::InnerJoin, "institutions", "i", Expr::col(("i", "id")).equals(("c", "institution_id")))
            .and_where(Expr::col(("c", "deleted_at")).is_null())
            .order_by(("i", "code"), Order::Asc)
            .order_by(("c", "id"), Order::Asc);
        match whom {
            Whom::Scope(scope) => crate::records::scope_institutions(&mut q, scope, "i"),
            Whom::Child(id) => {
                q.and_where(Expr::col(("c", "id")).eq(id));
            }
            Whom::PairedWith(member) => {
                q.and_where(
                    Expr::col(("c", "id")).in_subquery(
                        Query::select()
                            .column("child_id")
                            .from("child_pairings")
                            .and_where(Expr::col("member_id").eq(member))
                            .and_where(Expr::col("ended_on").is_null())
                            .take(),
                    ),
                );
            }
        }
        let mut tx = self.read().await?;
        let mut rows = tx
            .all(&q, |r: &dyn Row| {
                Ok(ChildRow {
                    id: r.int("id")?,
                    institution_id: r.int("institution_id")?,
                    institution_code: r.text("institution_code")?,
                    institution_name: r.text("institution_name")?,
                    child: decode(&r.sealed("sealed")?)?,
                    closed_on: r.date_opt("closed_on")?,
                    pairing: None,
                    visits_this_year: 0,
                    last_visit: None,
                })
            })
            .await?;
        let ids: Vec<i64> = rows.iter().map(|c| c.id).collect();
        let visits = if ids.is_empty() {
            vec![]
        } else {
            tx.all(
                Query::select()
                    .column(("p", "child_id"))
                    .column(("v", "visited_on"))
                    .from_as("child_visits", "v")
                    .join_as(JoinType::InnerJoin, "child_pairings", "p", Expr::col(("p", "id")).equals(("v", "pairing_id")))
                    .and_where(Expr::col(("p", "child_id")).is_in(ids.clone())),
                |r: &dyn Row| Ok((r.int("child_id")?, r.date("visited_on")?)),
            )
            .await?
        };
        tx.commit().await?;
        let mut by: HashMap<i64, (i64, Option<NaiveDate>)> = HashMap::new();
        for (child, on) in visits {
            let e = by.entry(child).or_default();
            e.0 += i64::from(on.year() == year);
            e.1 = Ord::max(e.1, Some(on));
        }
        let pairings = self.pairings_of(&ids, true).await?;
        for c in &mut rows {
            c.pairing = pairings.iter().find(|p| p.child_id == c.id).cloned();
            if let Some((n, last)) = by.get(&c.id) {
                c.visits_this_year = *n;
                c.last_visit = *last;
            }
        }
        Ok(rows)
    }

    /// One child's record with every pairing and visit (None: no such child).
    pub async fn child(&self, id: i64, year: i32) -> Result<Option<(ChildRow, Vec<PairingRow>, Vec<VisitRow>)>> {
        let Some(row) = self.children(Whom::Child(id), year).await?.into_iter().next() else { return Ok(None) };
        let pairings = self.pairings_of(&[id], false).await?;
        let pids: Vec<i64> = pairings.iter().map(|p| p.id).collect();
        let mut tx = self.read().await?;
        let visits = tx
            .all(
                Query::select()
                    .columns(["id", "pairing_id", "visited_on", "sealed", "recorded_by"])
                    .from("child_visits")
                    .and_where(Expr::col("pairing_id").is_in(pids))
                    .order_by("visited_on", Order::Desc)
                    .order_by("id", Order::Desc),
                |r: &dyn Row| {
                    let d: VisitDetail = decode(&r.sealed("sealed")?)?;
                    Ok(VisitRow {
                        id: r.int("id")?,
                        pairing_id: r.int("pairing_id")?,
                        visited_on: r.date("visited_on")?,
                        help: HelpKind::from_code(&d.help).ok_or_else(|| StoreError::Corrupt("a visit's help".into()))?,
                        note: d.note,
                        recorded_by: r.text("recorded_by")?,
                    })
                },
            )
            .await?;
        tx.commit().await?;
        Ok(Some((row, pairings, visits)))
    }

    /// The school a child's record belongs to (for scope checks before anything is opened).
    pub async fn child_institution(&self, id: i64) -> Result<Option<i64>> {
        let mut tx = self.read().await?;
        let r = tx
            .opt(
                Query::select()
                    .column("institution_id")
                    .from("children")
                    .and_where(Expr::col("id").eq(id))
                    .and_where(Expr::col("deleted_at").is_null()),
                |r: &dyn Row| r.int("institution_id"),
            )
            .await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Whether a child's record (not deleted) is at a school within a scope; `Scope::Person` is
    /// not a scope for children (a member sees only those paired with them: `paired_now`).
    pub async fn child_in_scope(&self, id: i64, scope: &Scope) -> Result<bool> {
        if matches!(scope, Scope::Person(_)) {
            return Ok(false);
        }
        let mut q = Query::select();
        q.column(("c", "id"))
            .from_as("children", "c")
            .join_as(JoinType::InnerJoin, "institutions", "i", Expr::col(("i", "id")).equals(("c", "institution_id")))
            .and_where(Expr::col(("c", "id")).eq(id))
            .and_where(Expr::col(("c", "deleted_at")).is_null());
        crate::records::scope_institutions(&mut q, scope, "i");
        let mut tx = self.read().await?;
        let r = tx.opt(&q, |r: &dyn Row| r.int("id")).await?;
        tx.commit().await?;
        Ok(r.is_some())
    }

    /// Whether a member is paired with a child now.
    pub async fn paired_now(&self, child: i64, member: i64) -> Result<bool> {
        let mut tx = self.read().await?;
        let r = tx
            .opt(
                Query::select()
                    .column("id")
                    .from("child_pairings")
                    .and_where(Expr::col("child_id").eq(child))
                    .and_where(Expr::col("member_id").eq(member))
                    .and_where(Expr::col("ended_on").is_null()),
                |r: &dyn Row| r.int("id"),
            )
            .await?;
        tx.commit().await?;
        Ok(r.is_some())
    }

    /// A pairing's child and member (for scope checks).
    pub async fn pairing_parties(&self, pairing: i64) -> Result<Option<(i64, i64, NaiveDate, Option<NaiveDate>)>> {
        let mut tx = self.read().await?;
        let r = tx
            .opt(
                Query::select()
                    .columns(["child_id", "member_id", "started_on", "ended_on"])
                    .from("child_pairings")
                    .and_where(Expr::col("id").eq(pairing)),
                |r: &dyn Row| Ok((r.int("child_id")?, r.int("member_id")?, r.date("started_on")?, r.date_opt("ended_on")?)),
            )
            .await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Counts per school in a scope, with no child's data opened.
    pub async fn care_counts(&self, scope: &Scope, year: i32) -> Result<Vec<CareCount>> {
        let mut q = Query::select();
        q.expr_as(Expr::col(("i", "id")), "inst")
            .expr_as(Expr::col(("i", "code")), "code")
            .expr_as(Expr::col(("i", "name")), "name")
            .expr_as(Expr::col(("t", "name")), "town")
            .expr_as(Expr::col(("c", "id")), "child_id")
            .from_as("children", "c")
            .join_as(JoinType::InnerJoin, "institutions", "i", Expr::col(("i", "id")).equals(("c", "institution_id")))
            .join_as(JoinType::LeftJoin, "regions", "t", Expr::col(("t", "code")).equals(("i", "town_code")))
            .and_where(Expr::col(("c", "deleted_at")).is_null())
            .and_where(Expr::col(("c", "closed_on")).is_null())
            .order_by(("i", "code"), Order::Asc);
        crate::records::scope_institutions(&mut q, scope, "i");
        let mut tx = self.read().await?;
        let rows = tx
            .all(&q, |r: &dyn Row| {
                Ok((r.int("inst")?, r.text("code")?, r.text("name")?, r.text_opt("town")?.unwrap_or_default(), r.int("child_id")?))
            })
            .await?;
        let child_ids: Vec<i64> = rows.iter().map(|x| x.4).collect();
        let (paired, visits): (Vec<i64>, Vec<(i64, NaiveDate)>) = if child_ids.is_empty() {
            (vec![], vec![])
        } else {
            let paired = tx
                .all(
                    Query::select()
                        .column("child_id")
                        .from("child_pairings")
                        .and_where(Expr::col("child_id").is_in(child_ids.clone()))
                        .and_where(Expr::col("ended_on").is_null()),
                    |r: &dyn Row| r.int("child_id"),
                )
                .await?;
            let visits = tx
                .all(
                    Query::select()
                        .column(("p", "child_id"))
                        .column(("v", "visited_on"))
                        .from_as("child_visits", "v")
                        .join_as(JoinType::InnerJoin, "child_pairings", "p", Expr::col(("p", "id")).equals(("v", "pairing_id")))
                        .and_where(Expr::col(("p", "child_id")).is_in(child_ids)),
                    |r: &dyn Row| Ok((r.int("child_id")?, r.date("visited_on")?)),
                )
                .await?;
            (paired, visits)
        };
        tx.commit().await?;
        let mut out: Vec<CareCount> = Vec::new();
        let mut inst_of: HashMap<i64, usize> = HashMap::new();
        for (inst, code, name, town, child) in rows {
            if out.last().is_none_or(|c| c.institution_id != inst) {
                out.push(CareCount { institution_id: inst, code, name, town, ..Default::default() });
            }
            out.last_mut().expect("just pushed").children += 1;
            inst_of.insert(child, out.len() - 1);
        }
        for c in paired {
            if let Some(&i) = inst_of.get(&c) {
                out[i].paired += 1;
            }
        }
        let mut seen = std::collections::HashSet::new();
        for (c, on) in visits {
            if on.year() != year {
                continue;
            }
            if let Some(&i) = inst_of.get(&c) {
                out[i].visits_this_year += 1;
                if seen.insert(c) {
                    out[i].visited_this_year += 1;
                }
            }
        }
        Ok(out)
    }

    /// Add a child's record to a school (R6.2 checked by the caller's `care::check_child`).
    pub async fn add_child(&self, institution_id: i64, c: &Child, actor: &str) -> Result<i64> {
        let mut tx = self.write().await?;
        let at = now();
        let sealed = tx.seal(&encode(c))?;
        let id = tx
            .insert_id(
                Query::insert()
                    .into_table("children")
                    .columns(["institution_id", "sealed", "created_at", "updated_at"])
                    .values_panic([institution_id.into(), sealed.into(), at.into(), at.into()])
                    .returning_col("id"),
            )
            .await?;
        log_change(&mut tx, "children", id, "create", actor, None, Some(serde_json::json!({"institution": institution_id}))).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn update_child(&self, id: i64, c: &Child, actor: &str) -> Result<()> {
        let mut tx = self.write().await?;
        let sealed = tx.seal(&encode(c))?;
        let n = tx
            .exec(
                Query::update()
                    .table("children")
                    .values([("sealed", sealed.into()), ("updated_at", now().into())])
                    .and_where(Expr::col("id").eq(id))
                    .and_where(Expr::col("deleted_at").is_null()),
            )
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        log_change(&mut tx, "children", id, "update", actor, None, None).await?;
        tx.commit().await
    }

    /// Close a child's record (no longer left behind, turned 16, left the school): the pairing in
    /// force ends the same day. The record is purged when its retention ends (S15).
    pub async fn close_child(&self, id: i64, on: NaiveDate, actor: &str) -> Result<()> {
        let mut tx = self.write().await?;
        let n = tx
            .exec(
                Query::update()
                    .table("children")
                    .values([("closed_on", on.into()), ("updated_at", now().into())])
                    .and_where(Expr::col("id").eq(id))
                    .and_where(Expr::col("closed_on").is_null())
                    .and_where(Expr::col("deleted_at").is_null()),
            )
            .await?;
        if n == 0 {
            return Err(refused(
                "child",
                "closed",
                "该记录已结束（或已删除），无需再结束",
                "the record is already closed or does not exist",
            ));
        }
        tx.exec(
            Query::update()
                .table("child_pairings")
                .value("ended_on", on)
                .and_where(Expr::col("child_id").eq(id))
                .and_where(Expr::col("ended_on").is_null()),
        )
        .await?;
        log_change(&mut tx, "children", id, "update", actor, None, Some(serde_json::json!({"closed_on": on}))).await?;
        tx.commit().await
    }

    /// Pair a child with a member. One pairing in force at a time: end the old one first.
    pub async fn pair_child(
        &self,
        child_id: i64,
        member_id: i64,
        start: NaiveDate,
        help: &[HelpKind],
        today: NaiveDate,
        actor: &str,
    ) -> Result<i64> {
        care::check_pairing_start(start, today).map_err(|e| StoreError::Refused(FieldError::from_invalid("started_on", e)))?;
        if help.is_empty() {
            return Err(refused("help", "help", "请至少选择一项帮扶内容", "choose at least one kind of help"));
        }
        let mut tx = self.write().await?;
        // The child's record is open (a closed one is not paired again).
        let school = tx
            .opt(
                Query::select()
                    .column("institution_id")
                    .from("children")
                    .and_where(Expr::col("id").eq(child_id))
                    .and_where(Expr::col("closed_on").is_null())
                    .and_where(Expr::col("deleted_at").is_null()),
                |r: &dyn Row| r.int("institution_id"),
            )
            .await?
            .ok_or_else(|| {
                refused("child", "closed", "该儿童的记录已结束，不能再结对", "the child's record is closed: it cannot be paired")
            })?;
        let open = tx
            .opt(
                Query::select()
                    .column("id")
                    .from("child_pairings")
                    .and_where(Expr::col("child_id").eq(child_id))
                    .and_where(Expr::col("ended_on").is_null()),
                |r: &dyn Row| r.int("id"),
            )
            .await?;
        if open.is_some() {
            return Err(refused(
                "member",
                "paired",
                "该儿童已有结对党员：请先结束原结对",
                "the child is already paired: end that pairing first",
            ));
        }
        // The member teaches at the child's school.
        let member_ok = tx
            .opt(
                Query::select()
                    .column("id")
                    .from("members")
                    .and_where(Expr::col("id").eq(member_id))
                    .and_where(Expr::col("work_institution_id").eq(school))
                    .and_where(Expr::col("deleted_at").is_null()),
                |r: &dyn Row| r.int("id"),
            )
            .await?;
        if member_ok.is_none() {
            return Err(refused("member", "member", "请选择在该儿童学校任教的党员", "choose a member who teaches at the child's school"));
        }
        let detail = PairingDetail { help: help.iter().map(|h| h.code().to_string()).collect() };
        let sealed = tx.seal(&encode(&detail))?;
        let id = tx
            .insert_id(
                Query::insert()
                    .into_table("child_pairings")
                    .columns(["child_id", "member_id", "started_on", "sealed", "created_at"])
                    .values_panic([child_id.into(), member_id.into(), start.into(), sealed.into(), now().into()])
                    .returning_col("id"),
            )
            .await?;
        log_change(&mut tx, "child_pairings", id, "create", actor, None, Some(serde_json::json!({"child": child_id, "member": member_id})))
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn end_pairing(&self, pairing: i64, on: NaiveDate, actor: &str) -> Result<()> {
        let Some((_, _, start, None)) = self.pairing_parties(pairing).await? else {
            return Err(refused("pairing", "ended", "该结对已结束", "the pairing has already ended"));
        };
        if on < start {
            return Err(refused(
                "ended_on",
                "before_start",
                format!("结束日期不能早于结对日期 {start}"),
                format!("the end cannot be before the start, {start}"),
            ));
        }
        let mut tx = self.write().await?;
        tx.exec(
            Query::update()
                .table("child_pairings")
                .value("ended_on", on)
                .and_where(Expr::col("id").eq(pairing))
                .and_where(Expr::col("ended_on").is_null()),
        )
        .await?;
        log_change(&mut tx, "child_pairings", pairing, "update", actor, None, Some(serde_json::json!({"ended_on": on}))).await?;
        tx.commit().await
    }

    /// A visit, recorded by the paired member themselves: `member_id` is the signed-in member's,
    /// never taken from a form; a pairing of someone else's is not found.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_visit(
        &self,
        pairing: i64,
        member_id: i64,
        on: NaiveDate,
        help: HelpKind,
        note: &str,
        today: NaiveDate,
        actor: &str,
    ) -> Result<i64> {
        let Some((_, owner, start, end)) = self.pairing_parties(pairing).await? else { return Err(StoreError::NotFound) };
        if owner != member_id {
            return Err(StoreError::NotFound);
        }
        care::check_visit(on, start, end, today).map_err(|e| StoreError::Refused(FieldError::from_invalid("visited_on", e)))?;
        let note = care::check_visit_note(note).map_err(|e| StoreError::Refused(FieldError::from_invalid("note", e)))?;
        let detail = VisitDetail { help: help.code().into(), note };
        let mut tx = self.write().await?;
        let sealed = tx.seal(&encode(&detail))?;
        let id = tx
            .insert_id(
                Query::insert()
                    .into_table("child_visits")
                    .columns(["pairing_id", "visited_on", "sealed", "recorded_by", "created_at"])
                    .values_panic([pairing.into(), on.into(), sealed.into(), actor.into(), now().into()])
                    .returning_col("id"),
            )
            .await?;
        log_change(&mut tx, "child_visits", id, "create", actor, None, Some(serde_json::json!({"pairing": pairing}))).await?;
        tx.commit().await?;
        Ok(id)
    }
}
