//! 创建评比: the store side of `hongzhu_core::campaign` — campaigns with their indicators, the
//! schools that apply, self-assessment and each reviewer's independent scores.
use chrono::NaiveDate;
use hongzhu_core::campaign::{self, Indicator};
use hongzhu_core::labels::{HonorLevel, Labeled};
use hongzhu_core::registry::FieldError;
use sea_query::{Expr, ExprTrait, JoinType, Order, Query};
use serde::Serialize;

use crate::db::{Row, Store, Tx};
use crate::records::{Scope, log_change, now, parse_label, scope_institutions};
use crate::{Result, StoreError};

fn refuse(field: &'static str, code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> StoreError {
    StoreError::Refused(FieldError::new(field, code, zh, en))
}

/// A campaign's stage: schools apply and assess themselves, then reviewers score, then the
/// result is published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Open,
    Reviewing,
    Published,
}

impl Stage {
    pub fn code(self) -> &'static str {
        match self {
            Stage::Open => "open",
            Stage::Reviewing => "reviewing",
            Stage::Published => "published",
        }
    }
    pub fn parse(s: &str) -> Option<Stage> {
        [Stage::Open, Stage::Reviewing, Stage::Published].into_iter().find(|x| x.code() == s)
    }
    pub fn zh(self) -> &'static str {
        match self {
            Stage::Open => "申报与自评中",
            Stage::Reviewing => "评审中",
            Stage::Published => "已公布",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            Stage::Open => "applications and self-assessment",
            Stage::Reviewing => "under review",
            Stage::Published => "published",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CampaignRow {
    pub id: i64,
    pub name: String,
    pub year: i32,
    pub level: HonorLevel,
    pub stage: Stage,
    pub entries: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct IndicatorRow {
    pub id: i64,
    #[serde(flatten)]
    pub indicator: Indicator,
}

#[derive(Debug, Clone, Serialize)]
pub struct Score {
    pub indicator_id: i64,
    pub reviewer: String,
    pub score: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct EntryRow {
    pub id: i64,
    pub institution_id: i64,
    pub institution: String,
    pub name: String,
    pub applied_on: NaiveDate,
    pub scores: Vec<Score>,
}

/// The reviewer name of a school's own assessment.
pub const SELF: &str = "self";

/// How many schools applied, beside each campaign row.
fn entries_count() -> sea_query::SimpleExpr {
    Expr::cust("(SELECT COUNT(*) FROM campaign_entries e WHERE e.campaign_id = c.id)")
}

async fn indicators_of(tx: &mut Tx, campaign: i64) -> Result<Vec<IndicatorRow>> {
    tx.all(
        Query::select()
            .columns(["id", "code", "grp", "name", "max_points", "evidence"])
            .from("campaign_indicators")
            .and_where(Expr::col("campaign_id").eq(campaign))
            .order_by("position", Order::Asc),
        |r: &dyn Row| {
            Ok(IndicatorRow {
                id: r.int("id")?,
                indicator: Indicator {
                    code: r.text("code")?,
                    group: r.text("grp")?,
                    name: r.text("name")?,
                    max: r.float_opt("max_points")?.unwrap_or(0.0),
                    evidence: r.text("evidence")?,
                },
            })
        },
    )
    .await
}

async fn campaign_row(tx: &mut Tx, id: i64) -> Result<CampaignRow> {
    let mut q = Query::select();
    q.columns([("c", "id"), ("c", "name"), ("c", "year"), ("c", "level"), ("c", "status")])
        .expr_as(entries_count(), "entries")
        .from_as("campaigns", "c")
        .and_where(Expr::col(("c", "id")).eq(id));
    tx.opt(&q, campaign_of).await?.ok_or(StoreError::NotFound)
}

fn campaign_of(r: &dyn Row) -> Result<CampaignRow> {
    Ok(CampaignRow {
        id: r.int("id")?,
        name: r.text("name")?,
        year: r.int("year")? as i32,
        level: parse_label(&r.text("level")?)?,
        stage: Stage::parse(&r.text("status")?).ok_or_else(|| StoreError::Corrupt("campaigns.status".into()))?,
        entries: r.int("entries")?,
    })
}

impl Store {
    pub async fn campaigns(&self) -> Result<Vec<CampaignRow>> {
        let mut q = Query::select();
        q.columns([("c", "id"), ("c", "name"), ("c", "year"), ("c", "level"), ("c", "status")])
            .expr_as(entries_count(), "entries")
            .from_as("campaigns", "c")
            .order_by(("c", "year"), Order::Desc)
            .order_by(("c", "id"), Order::Desc);
        let mut tx = self.read().await?;
        let rows = tx.all(&q, campaign_of).await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// A campaign with its indicators and entries (with every score), the entries limited to
    /// `scope`'s schools.
    pub async fn campaign(&self, id: i64, scope: &Scope) -> Result<(CampaignRow, Vec<IndicatorRow>, Vec<EntryRow>)> {
        let mut tx = self.read().await?;
        let c = campaign_row(&mut tx, id).await?;
        let indicators = indicators_of(&mut tx, id).await?;
        let mut q = Query::select();
        q.columns([("e", "id"), ("e", "institution_id"), ("e", "applied_on")])
            .expr_as(Expr::col(("i", "code")), "code")
            .column(("i", "name"))
            .from_as("campaign_entries", "e")
            .join_as(JoinType::InnerJoin, "institutions", "i", Expr::col(("i", "id")).equals(("e", "institution_id")))
            .and_where(Expr::col(("e", "campaign_id")).eq(id))
            .order_by(("i", "code"), Order::Asc);
        scope_institutions(&mut q, scope, "i");
        let mut entries = tx
            .all(&q, |r: &dyn Row| {
                Ok(EntryRow {
                    id: r.int("id")?,
                    institution_id: r.int("institution_id")?,
                    institution: r.text("code")?,
                    name: r.text("name")?,
                    applied_on: r.date("applied_on")?,
                    scores: vec![],
                })
            })
            .await?;
        let ids: Vec<i64> = entries.iter().map(|e| e.id).collect();
        if !ids.is_empty() {
            let scores = tx
                .all(
                    Query::select()
                        .columns(["entry_id", "indicator_id", "reviewer", "score"])
                        .from("campaign_scores")
                        .and_where(Expr::col("entry_id").is_in(ids)),
                    |r: &dyn Row| {
                        Ok((
                            r.int("entry_id")?,
                            Score {
                                indicator_id: r.int("indicator_id")?,
                                reviewer: r.text("reviewer")?,
                                score: r.float_opt("score")?.unwrap_or(0.0),
                            },
                        ))
                    },
                )
                .await?;
            let at: std::collections::HashMap<i64, usize> = entries.iter().enumerate().map(|(k, e)| (e.id, k)).collect();
            for (e, s) in scores {
                if let Some(&k) = at.get(&e) {
                    entries[k].scores.push(s);
                }
            }
        }
        tx.commit().await?;
        Ok((c, indicators, entries))
    }

    /// A new campaign with its indicators (checked: points add up to 100).
    pub async fn create_campaign(&self, name: &str, year: i32, level: HonorLevel, indicators: &[Indicator], actor: &str) -> Result<i64> {
        campaign::check_indicators(indicators).map_err(|e| StoreError::Refused(FieldError::from_invalid("indicators", e)))?;
        if name.trim().chars().count() < 2 {
            return Err(refuse("name", "required", "请填写评比名称，如“2019年市级党建示范校创建”", "give the campaign's name"));
        }
        let mut tx = self.write().await?;
        let at = now();
        let id = tx
            .insert_id(
                Query::insert()
                    .into_table("campaigns")
                    .columns(["name", "year", "level", "status", "created_by", "created_at"])
                    .values_panic([
                        name.trim().into(),
                        i64::from(year).into(),
                        level.code().into(),
                        Stage::Open.code().into(),
                        actor.into(),
                        at.into(),
                    ])
                    .returning_col("id"),
            )
            .await?;
        // The indicators in one statement (at most MAX_INDICATORS, checked above).
        let mut values = Vec::with_capacity(indicators.len() * 7);
        for (k, i) in indicators.iter().enumerate() {
            values.extend([
                id.into(),
                (k as i64).into(),
                i.code.clone().into(),
                i.group.clone().into(),
                i.name.clone().into(),
                i.max.into(),
                i.evidence.clone().into(),
            ]);
        }
        let columns = ["campaign_id", "position", "code", "grp", "name", "max_points", "evidence"];
        tx.insert_many("campaign_indicators", &columns, values, 0).await?;
        log_change(&mut tx, "campaigns", id, "create", actor, None, Some(serde_json::json!({"name": name, "year": year}))).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A school applies (while the campaign is open); the school must be in `scope`.
    pub async fn apply_to_campaign(&self, id: i64, scope: &Scope, institution: &str, on: NaiveDate, actor: &str) -> Result<i64> {
        let mut tx = self.write().await?;
        let c = campaign_row(&mut tx, id).await?;
        if c.stage != Stage::Open {
            return Err(refuse(
                "campaign",
                "closed",
                format!("“{}”{}，不再接受申报", c.name, c.stage.zh()),
                "the campaign no longer takes applications",
            ));
        }
        let mut q = Query::select();
        q.column(("i", "id"))
            .from_as("institutions", "i")
            .and_where(Expr::col(("i", "code")).eq(institution.trim()))
            .and_where(Expr::col(("i", "deleted_at")).is_null());
        scope_institutions(&mut q, scope, "i");
        let inst = tx.opt(&q, |r: &dyn Row| r.int("id")).await?.ok_or_else(|| {
            refuse("institution", "unknown", format!("学校代码“{institution}”不存在或不在权限范围内"), "no such school in scope")
        })?;
        let exists = tx
            .opt(
                Query::select()
                    .column("id")
                    .from("campaign_entries")
                    .and_where(Expr::col("campaign_id").eq(id))
                    .and_where(Expr::col("institution_id").eq(inst)),
                |r: &dyn Row| r.int("id"),
            )
            .await?;
        if exists.is_some() {
            return Err(refuse("institution", "applied", "该校已申报本次评比", "the school has applied already"));
        }
        let eid = tx
            .insert_id(
                Query::insert()
                    .into_table("campaign_entries")
                    .columns(["campaign_id", "institution_id", "applied_on", "created_by", "created_at"])
                    .values_panic([id.into(), inst.into(), on.into(), actor.into(), now().into()])
                    .returning_col("id"),
            )
            .await?;
        log_change(
            &mut tx,
            "campaign_entries",
            eid,
            "create",
            actor,
            None,
            Some(serde_json::json!({"campaign": id, "institution": institution})),
        )
        .await?;
        tx.commit().await?;
        Ok(eid)
    }

    /// Save one assessor's scores of an entry (they replace that assessor's earlier ones): the
    /// school's own (`SELF`, while open) or a reviewer's (while under review, never for a school
    /// in `own_schools`). Every score within its indicator's range, or nothing is saved.
    pub async fn save_campaign_scores(
        &self,
        entry: i64,
        reviewer: &str,
        scores: &[(i64, f64)],
        own_schools: &[i64],
        actor: &str,
    ) -> Result<()> {
        let mut tx = self.write().await?;
        let (cid, inst) = tx
            .opt(
                Query::select().columns(["campaign_id", "institution_id"]).from("campaign_entries").and_where(Expr::col("id").eq(entry)),
                |r: &dyn Row| Ok((r.int("campaign_id")?, r.int("institution_id")?)),
            )
            .await?
            .ok_or(StoreError::NotFound)?;
        let c = campaign_row(&mut tx, cid).await?;
        let is_self = reviewer == SELF;
        match (is_self, c.stage) {
            (true, Stage::Open) | (false, Stage::Reviewing) => {}
            (true, _) => {
                return Err(refuse("stage", "stage", "自评只能在申报阶段进行", "self-assessment is made while applications are open"));
            }
            (false, _) => {
                return Err(refuse("stage", "stage", "评审打分只能在评审阶段进行", "reviewers score while the campaign is under review"));
            }
        }
        if !is_self && own_schools.contains(&inst) {
            return Err(refuse(
                "reviewer",
                "own_school",
                "评审人不能给本人所在学校打分，请回避",
                "a reviewer does not score their own school",
            ));
        }
        let indicators = indicators_of(&mut tx, cid).await?;
        for (iid, score) in scores {
            let Some(ind) = indicators.iter().find(|i| i.id == *iid).map(|i| &i.indicator) else {
                return Err(refuse(
                    "indicator",
                    "unknown",
                    "指标不属于本次评比，请在本次评比的指标中打分",
                    "the indicator is not this campaign's",
                ));
            };
            campaign::check_score(ind, *score).map_err(|e| StoreError::Refused(FieldError::from_invalid("score", e)))?;
        }
        tx.exec(
            Query::delete()
                .from_table("campaign_scores")
                .and_where(Expr::col("entry_id").eq(entry))
                .and_where(Expr::col("reviewer").eq(reviewer)),
        )
        .await?;
        let at = now();
        // One statement; each score's indicator was checked to be the campaign's above.
        let values =
            scores.iter().flat_map(|(iid, score)| [entry.into(), (*iid).into(), reviewer.into(), (*score).into(), at.into()]).collect();
        tx.insert_many("campaign_scores", &["entry_id", "indicator_id", "reviewer", "score", "created_at"], values, 0).await?;
        log_change(
            &mut tx,
            "campaign_entries",
            entry,
            "update",
            actor,
            None,
            Some(serde_json::json!({"scores_by": reviewer, "count": scores.len()})),
        )
        .await?;
        tx.commit().await
    }

    /// Move a campaign on: open → reviewing → published.
    pub async fn advance_campaign(&self, id: i64, actor: &str) -> Result<Stage> {
        let mut tx = self.write().await?;
        let c = campaign_row(&mut tx, id).await?;
        let next = match c.stage {
            Stage::Open => Stage::Reviewing,
            Stage::Reviewing => Stage::Published,
            Stage::Published => return Err(refuse("stage", "published", "结果已公布", "the result is published")),
        };
        tx.exec(Query::update().table("campaigns").value("status", next.code()).and_where(Expr::col("id").eq(id))).await?;
        log_change(&mut tx, "campaigns", id, "update", actor, None, Some(serde_json::json!({"status": next.code()}))).await?;
        tx.commit().await?;
        Ok(next)
    }
}

impl Store {
    /// The schools where a person holds a post (a reviewer stands aside from them).
    pub async fn institutions_of_person(&self, person_id: i64) -> Result<Vec<i64>> {
        let mut tx = self.read().await?;
        let rows = tx
            .all(
                Query::select()
                    .column("institution_id")
                    .from("staff")
                    .and_where(Expr::col("person_id").eq(person_id))
                    .and_where(Expr::col("deleted_at").is_null()),
                |r: &dyn Row| r.int("institution_id"),
            )
            .await?;
        tx.commit().await?;
        Ok(rows)
    }
}
