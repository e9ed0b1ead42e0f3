//! 换届选举 (R1.4–R1.7): the store side of `hongzhu_core::election`. Recording an election is one
//! transaction: the record, the new term (R1.6) and the posts it fills.
use std::collections::HashMap;

use chrono::NaiveDate;
use hongzhu_core::election::{self, ELECTED_POSTS, Election, Eligible, Remark};
use hongzhu_core::labels::{Labeled, MemberCategory, OrgKind, PartyPost};
use hongzhu_core::registry::FieldError;
use sea_query::{Expr, ExprTrait, JoinType, Order, Query};
use serde::Serialize;

use crate::db::{Row, Store, Tx};
use crate::records::{log_change, now, parse_label, parse_opt_label};
use crate::{Result, StoreError};

#[derive(Debug, Clone, Serialize)]
pub struct ResultRow {
    pub member_id: i64,
    pub person_name: String,
    pub post: PartyPost,
    pub votes: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ElectionRow {
    pub id: i64,
    pub org_id: i64,
    pub held_on: NaiveDate,
    pub due: i64,
    pub present: i64,
    pub term_years: i64,
    pub remarks: String,
    pub note: String,
    pub created_by: String,
    pub results: Vec<ResultRow>,
}

/// A member who may stand, with the post they hold now.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    pub member_id: i64,
    pub name: String,
    pub full_on: Option<NaiveDate>,
    pub post: Option<PartyPost>,
    /// In this organization itself (not one under it).
    pub direct: bool,
}

async fn candidates_in(tx: &mut Tx, org_id: i64) -> Result<Vec<Candidate>> {
    let orgs = crate::records::subtree_in(tx, org_id).await?;
    let rows = tx
        .all(
            Query::select()
                .expr_as(Expr::col(("m", "id")), "member_id")
                .columns([("m", "full_on"), ("m", "category"), ("m", "party_post"), ("m", "org_id")])
                .column(("pp", "name"))
                .from_as("members", "m")
                .join_as(JoinType::InnerJoin, "persons", "pp", Expr::col(("pp", "id")).equals(("m", "person_id")))
                .and_where(Expr::col(("m", "org_id")).is_in(orgs))
                .and_where(Expr::col(("m", "deleted_at")).is_null())
                .order_by(("m", "org_id"), Order::Asc)
                .order_by(("m", "id"), Order::Asc),
            |r: &dyn Row| {
                let category: MemberCategory = parse_label(&r.text("category")?)?;
                // A full member with no date recorded (older ledgers) counts as full long since.
                let full_on = match (r.date_opt("full_on")?, category) {
                    (Some(d), _) => Some(d),
                    (None, MemberCategory::Full) => NaiveDate::from_ymd_opt(1900, 1, 1),
                    _ => None,
                };
                Ok((
                    r.int("org_id")?,
                    Candidate {
                        member_id: r.int("member_id")?,
                        name: r.text("name")?,
                        full_on,
                        post: parse_opt_label(r.text_opt("party_post")?)?,
                        direct: false,
                    },
                ))
            },
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|(o, mut c)| {
            c.direct = o == org_id;
            c
        })
        .collect())
}

impl Store {
    /// An organization's elections, newest first, with their results.
    pub async fn elections(&self, org_id: i64) -> Result<Vec<ElectionRow>> {
        let mut tx = self.read().await?;
        let mut rows = tx
            .all(
                Query::select()
                    .columns(["id", "org_id", "held_on", "due", "present", "term_years", "remarks", "note", "created_by"])
                    .from("elections")
                    .and_where(Expr::col("org_id").eq(org_id))
                    .order_by("held_on", Order::Desc)
                    .order_by("id", Order::Desc),
                |r: &dyn Row| {
                    Ok(ElectionRow {
                        id: r.int("id")?,
                        org_id: r.int("org_id")?,
                        held_on: r.date("held_on")?,
                        due: r.int("due")?,
                        present: r.int("present")?,
                        term_years: r.int("term_years")?,
                        remarks: r.text("remarks")?,
                        note: r.text("note")?,
                        created_by: r.text("created_by")?,
                        results: vec![],
                    })
                },
            )
            .await?;
        let ids: Vec<i64> = rows.iter().map(|e| e.id).collect();
        if !ids.is_empty() {
            let results = tx
                .all(
                    Query::select()
                        .columns(["election_id", "member_id", "person_name", "post", "votes"])
                        .from("election_results")
                        .and_where(Expr::col("election_id").is_in(ids))
                        .order_by("id", Order::Asc),
                    |r: &dyn Row| {
                        Ok((
                            r.int("election_id")?,
                            ResultRow {
                                member_id: r.int("member_id")?,
                                person_name: r.text("person_name")?,
                                post: parse_label(&r.text("post")?)?,
                                votes: r.int("votes")?,
                            },
                        ))
                    },
                )
                .await?;
            for (eid, res) in results {
                if let Some(e) = rows.iter_mut().find(|e| e.id == eid) {
                    e.results.push(res);
                }
            }
        }
        tx.commit().await?;
        Ok(rows)
    }

    /// The date of each organization's last recorded election.
    pub async fn last_elections(&self) -> Result<HashMap<i64, NaiveDate>> {
        let mut tx = self.read().await?;
        let rows = tx
            .all(Query::select().columns(["org_id", "held_on"]).from("elections"), |r: &dyn Row| Ok((r.int("org_id")?, r.date("held_on")?)))
            .await?;
        tx.commit().await?;
        let mut out: HashMap<i64, NaiveDate> = HashMap::new();
        for (o, d) in rows {
            let e = out.entry(o).or_insert(d);
            if d > *e {
                *e = d;
            }
        }
        Ok(out)
    }

    /// Who may stand: the members of the organization and those under it.
    pub async fn election_candidates(&self, org_id: i64) -> Result<Vec<Candidate>> {
        let mut tx = self.read().await?;
        let c = candidates_in(&mut tx, org_id).await?;
        tx.commit().await?;
        Ok(c)
    }

    /// Record an election (checked in the same transaction): the record, the new term from its
    /// day (R1.6), and its posts — the elected posts held before in this organization are
    /// cleared and the new ones set.
    pub async fn record_election(&self, org_id: i64, e: &Election, today: NaiveDate, actor: &str) -> Result<(i64, Vec<Remark>)> {
        let mut tx = self.write().await?;
        let kind: OrgKind = tx
            .opt(Query::select().column("kind").from("party_orgs").and_where(Expr::col("id").eq(org_id)), |r: &dyn Row| {
                parse_label(&r.text("kind")?)
            })
            .await?
            .ok_or(StoreError::NotFound)?;
        let candidates = candidates_in(&mut tx, org_id).await?;
        let full_direct = tx
            .all(
                Query::select()
                    .column("id")
                    .from("members")
                    .and_where(Expr::col("org_id").eq(org_id))
                    .and_where(Expr::col("category").eq(MemberCategory::Full.code()))
                    .and_where(Expr::col("deleted_at").is_null()),
                |r: &dyn Row| r.int("id"),
            )
            .await?
            .len();
        let eligible: Vec<Eligible> =
            candidates.iter().map(|c| Eligible { member_id: c.member_id, name: c.name.clone(), full_on: c.full_on }).collect();
        let remarks = election::check(e, kind, full_direct, &eligible, today)
            .map_err(|x| StoreError::Refused(FieldError::from_invalid("election", x)))?;
        let at = now();
        let remark_text = remarks.iter().map(|r| r.zh.clone()).collect::<Vec<_>>().join("；");
        let id = tx
            .insert_id(
                Query::insert()
                    .into_table("elections")
                    .columns(["org_id", "held_on", "due", "present", "term_years", "remarks", "note", "created_by", "created_at"])
                    .values_panic([
                        org_id.into(),
                        e.held_on.into(),
                        e.due.into(),
                        e.present.into(),
                        i64::from(e.term_years).into(),
                        remark_text.into(),
                        e.note.clone().into(),
                        actor.into(),
                        at.into(),
                    ])
                    .returning_col("id"),
            )
            .await?;
        // The posts of the last term: held in this organization itself, or by those its last
        // election filled.
        let previous: Vec<i64> = tx
            .all(
                Query::select()
                    .column(("r", "member_id"))
                    .from_as("election_results", "r")
                    .join_as(JoinType::InnerJoin, "elections", "e", Expr::col(("e", "id")).equals(("r", "election_id")))
                    .and_where(Expr::col(("e", "org_id")).eq(org_id))
                    .and_where(Expr::col(("e", "id")).ne(id)),
                |r: &dyn Row| r.int("member_id"),
            )
            .await?;
        let elected_codes: Vec<&str> = ELECTED_POSTS.iter().map(|p| p.code()).collect();
        let direct: Vec<i64> = candidates.iter().filter(|c| c.direct).map(|c| c.member_id).collect();
        let holders: Vec<i64> = direct.into_iter().chain(previous).collect();
        if !holders.is_empty() {
            tx.exec(
                Query::update()
                    .table("members")
                    .values([
                        ("party_post", Option::<String>::None.into()),
                        ("updated_at", at.into()),
                        ("version", Expr::col("version").add(1)),
                    ])
                    .and_where(Expr::col("id").is_in(holders))
                    .and_where(Expr::col("party_post").is_in(elected_codes)),
            )
            .await?;
        }
        for r in &e.results {
            let name = candidates.iter().find(|c| c.member_id == r.member_id).map(|c| c.name.clone()).unwrap_or_default();
            tx.exec(
                Query::insert()
                    .into_table("election_results")
                    .columns(["election_id", "member_id", "person_name", "post", "votes"])
                    .values_panic([id.into(), r.member_id.into(), name.into(), r.post.code().into(), r.votes.into()]),
            )
            .await?;
            tx.exec(
                Query::update()
                    .table("members")
                    .values([("party_post", r.post.code().into()), ("updated_at", at.into()), ("version", Expr::col("version").add(1))])
                    .and_where(Expr::col("id").eq(r.member_id)),
            )
            .await?;
        }
        tx.exec(
            Query::update()
                .table("party_orgs")
                .values([
                    ("term_start", e.held_on.into()),
                    ("term_years", i64::from(e.term_years).into()),
                    ("updated_at", at.into()),
                    ("version", Expr::col("version").add(1)),
                ])
                .and_where(Expr::col("id").eq(org_id)),
        )
        .await?;
        log_change(
            &mut tx,
            "party_orgs",
            org_id,
            "update",
            actor,
            None,
            Some(serde_json::json!({"election": id, "term_start": e.held_on, "term_years": e.term_years, "elected": e.results.len()})),
        )
        .await?;
        tx.commit().await?;
        Ok((id, remarks))
    }
}
