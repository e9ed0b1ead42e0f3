//! 亮承诺: the store side of `hongzhu_core::commitment`.
use chrono::NaiveDate;
use hongzhu_core::commitment::{self, Review};
use hongzhu_core::labels::{CommitmentDimension, Labeled, ReviewGrade, VanguardKind};
use hongzhu_core::registry::FieldError;
use sea_query::{Expr, ExprTrait, JoinType, Order, Query};
use serde::Serialize;

use crate::db::{Row, Store};
use crate::records::{log_change, now, parse_label, parse_opt_label};
use crate::{Result, StoreError};

#[derive(Debug, Clone, Serialize)]
pub struct CommitmentRow {
    pub id: i64,
    pub member_id: i64,
    pub name: String,
    pub org_id: i64,
    pub year: i32,
    pub dimension: CommitmentDimension,
    pub content: String,
    pub mid_grade: Option<ReviewGrade>,
    pub mid_note: String,
    pub end_grade: Option<ReviewGrade>,
    pub end_note: String,
}

/// Which commitments: of some organizations' members, or of one member.
pub enum Whose<'a> {
    Orgs(&'a [i64]),
    Member(i64),
}

impl Whose<'_> {
    /// Keep the rows of these members (`m`, the members table, joined by the query).
    fn narrow(&self, q: &mut sea_query::SelectStatement) {
        match self {
            Whose::Orgs(orgs) => q.and_where(Expr::col(("m", "org_id")).is_in(orgs.to_vec())),
            Whose::Member(id) => q.and_where(Expr::col(("m", "id")).eq(*id)),
        };
    }
}

impl Store {
    pub async fn commitments(&self, whose: Whose<'_>, year: i32) -> Result<Vec<CommitmentRow>> {
        let mut q = Query::select();
        q.columns(["id", "member_id", "year", "dimension", "content", "mid_grade", "mid_note", "end_grade", "end_note"].map(|c| ("c", c)))
            .column(("m", "org_id"))
            .column(("pp", "name"))
            .from_as("commitments", "c")
            .join_as(JoinType::InnerJoin, "members", "m", Expr::col(("m", "id")).equals(("c", "member_id")))
            .join_as(JoinType::InnerJoin, "persons", "pp", Expr::col(("pp", "id")).equals(("m", "person_id")))
            .and_where(Expr::col(("m", "deleted_at")).is_null())
            .and_where(Expr::col(("c", "year")).eq(i64::from(year)))
            .order_by(("m", "id"), Order::Asc)
            .order_by(("c", "dimension"), Order::Asc);
        whose.narrow(&mut q);
        let mut tx = self.read().await?;
        let rows = tx
            .all(&q, |r: &dyn Row| {
                Ok(CommitmentRow {
                    id: r.int("id")?,
                    member_id: r.int("member_id")?,
                    name: r.text("name")?,
                    org_id: r.int("org_id")?,
                    year: r.int("year")? as i32,
                    dimension: parse_label(&r.text("dimension")?)?,
                    content: r.text("content")?,
                    mid_grade: parse_opt_label(r.text_opt("mid_grade")?)?,
                    mid_note: r.text("mid_note")?,
                    end_grade: parse_opt_label(r.text_opt("end_grade")?)?,
                    end_note: r.text("end_note")?,
                })
            })
            .await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// A member's commitment for a year and dimension (made or changed until the year-end review).
    pub async fn save_commitment(&self, member_id: i64, year: i32, d: CommitmentDimension, content: &str, actor: &str) -> Result<()> {
        let content = commitment::check_content(content).map_err(|e| StoreError::Refused(FieldError::from_invalid("content", e)))?;
        let mut tx = self.write().await?;
        let existing = tx
            .opt(
                Query::select()
                    .columns(["id", "end_grade"])
                    .from("commitments")
                    .and_where(Expr::col("member_id").eq(member_id))
                    .and_where(Expr::col("year").eq(i64::from(year)))
                    .and_where(Expr::col("dimension").eq(d.code())),
                |r: &dyn Row| Ok((r.int("id")?, r.text_opt("end_grade")?)),
            )
            .await?;
        let at = now();
        let id = match existing {
            Some((_, Some(_))) => {
                return Err(StoreError::Refused(FieldError::new(
                    "content",
                    "reviewed",
                    "年终评价后承诺不再修改",
                    "a commitment reviewed at year-end is final",
                )));
            }
            Some((id, None)) => {
                tx.exec(
                    Query::update()
                        .table("commitments")
                        .values([("content", content.clone().into()), ("updated_at", at.into())])
                        .and_where(Expr::col("id").eq(id)),
                )
                .await?;
                id
            }
            None => {
                tx.insert_id(
                    Query::insert()
                        .into_table("commitments")
                        .columns(["member_id", "year", "dimension", "content", "created_at", "updated_at"])
                        .values_panic([
                            member_id.into(),
                            i64::from(year).into(),
                            d.code().into(),
                            content.clone().into(),
                            at.into(),
                            at.into(),
                        ])
                        .returning_col("id"),
                )
                .await?
            }
        };
        log_change(
            &mut tx,
            "commitments",
            id,
            "update",
            actor,
            None,
            Some(serde_json::json!({"member": member_id, "year": year, "dimension": d.code()})),
        )
        .await?;
        tx.commit().await
    }

    /// The branch's review of a commitment; `acting`: the organizations the reviewer acts for
    /// (`None`: the county, all).
    #[allow(clippy::too_many_arguments)]
    pub async fn review_commitment(
        &self,
        id: i64,
        r: Review,
        grade: ReviewGrade,
        note: &str,
        acting: Option<&[i64]>,
        today: NaiveDate,
        actor: &str,
    ) -> Result<()> {
        let mut tx = self.write().await?;
        let (year, org) = tx
            .opt(
                Query::select()
                    .column(("c", "year"))
                    .column(("m", "org_id"))
                    .from_as("commitments", "c")
                    .join_as(JoinType::InnerJoin, "members", "m", Expr::col(("m", "id")).equals(("c", "member_id")))
                    .and_where(Expr::col(("c", "id")).eq(id)),
                |r: &dyn Row| Ok((r.int("year")? as i32, r.int("org_id")?)),
            )
            .await?
            .ok_or(StoreError::NotFound)?;
        if acting.is_some_and(|a| !a.contains(&org)) {
            return Err(StoreError::NotFound);
        }
        commitment::check_review(r, year, today).map_err(|e| StoreError::Refused(FieldError::from_invalid("review", e)))?;
        let (g, n) = match r {
            Review::Mid => ("mid_grade", "mid_note"),
            Review::End => ("end_grade", "end_note"),
        };
        tx.exec(
            Query::update()
                .table("commitments")
                .values([(g, grade.code().into()), (n, note.trim().into()), ("updated_at", now().into())])
                .and_where(Expr::col("id").eq(id)),
        )
        .await?;
        log_change(&mut tx, "commitments", id, "update", actor, None, Some(serde_json::json!({"review": g, "grade": grade.code()})))
            .await?;
        tx.commit().await
    }
}

/// A member's 先锋岗 or 示范岗 for a year.
#[derive(Debug, Clone, Serialize)]
pub struct VanguardRow {
    pub member_id: i64,
    pub org_id: i64,
    pub year: i32,
    pub kind: VanguardKind,
    pub title: String,
    pub designated_on: NaiveDate,
}

impl Store {
    /// The branch designates a member's post for a year (made again: replaced); `acting`: the
    /// organizations the user acts for (`None`: the county, all).
    #[allow(clippy::too_many_arguments)]
    pub async fn designate_vanguard(
        &self,
        member_id: i64,
        year: i32,
        kind: VanguardKind,
        title: &str,
        on: NaiveDate,
        acting: Option<&[i64]>,
        actor: &str,
    ) -> Result<()> {
        let title = hongzhu_core::service::check_text("title", "岗位名称", title, 4, 30)
            .map_err(|e| StoreError::Refused(FieldError::from_invalid("title", e)))?;
        let mut tx = self.write().await?;
        let org = tx
            .opt(
                Query::select()
                    .column("org_id")
                    .from("members")
                    .and_where(Expr::col("id").eq(member_id))
                    .and_where(Expr::col("deleted_at").is_null()),
                |r: &dyn Row| r.int("org_id"),
            )
            .await?
            .ok_or(StoreError::NotFound)?;
        if acting.is_some_and(|a| !a.contains(&org)) {
            return Err(StoreError::NotFound);
        }
        tx.exec(
            Query::delete()
                .from_table("vanguard_posts")
                .and_where(Expr::col("member_id").eq(member_id))
                .and_where(Expr::col("year").eq(i64::from(year))),
        )
        .await?;
        let id = tx
            .insert_id(
                Query::insert()
                    .into_table("vanguard_posts")
                    .columns(["member_id", "year", "kind", "title", "designated_on", "created_at"])
                    .values_panic([member_id.into(), i64::from(year).into(), kind.code().into(), title.into(), on.into(), now().into()])
                    .returning_col("id"),
            )
            .await?;
        log_change(
            &mut tx,
            "vanguard_posts",
            id,
            "create",
            actor,
            None,
            Some(serde_json::json!({"member": member_id, "kind": kind.code()})),
        )
        .await?;
        tx.commit().await
    }

    /// The posts of some organizations' members, or one member's, in a year.
    pub async fn vanguard_posts(&self, whose: Whose<'_>, year: i32) -> Result<Vec<VanguardRow>> {
        let mut q = Query::select();
        q.columns(["member_id", "year", "kind", "title", "designated_on"].map(|c| ("v", c)))
            .column(("m", "org_id"))
            .from_as("vanguard_posts", "v")
            .join_as(JoinType::InnerJoin, "members", "m", Expr::col(("m", "id")).equals(("v", "member_id")))
            .and_where(Expr::col(("m", "deleted_at")).is_null())
            .and_where(Expr::col(("v", "year")).eq(i64::from(year)));
        whose.narrow(&mut q);
        let mut tx = self.read().await?;
        let rows = tx
            .all(&q, |r: &dyn Row| {
                Ok(VanguardRow {
                    member_id: r.int("member_id")?,
                    org_id: r.int("org_id")?,
                    year: r.int("year")? as i32,
                    kind: parse_label(&r.text("kind")?)?,
                    title: r.text("title")?,
                    designated_on: r.date("designated_on")?,
                })
            })
            .await?;
        tx.commit().await?;
        Ok(rows)
    }
}
