//! 双培养: per school, the young (≤35) and backbone teachers who are not yet members, by
//! development stage — the pipeline the coverage audit's "develop members" remedy relies on
//! (DOMAIN §3; SUMMARY's first remedy for a school without members).
use chrono::NaiveDate;
use hongzhu_core::labels::{DevelopmentStage, PoliticalStatus};
use sea_query::{Expr, ExprTrait, JoinType, Query};
use serde::Serialize;

use crate::Result;
use crate::db::{Row, Store};
use crate::records::{Scope, parse_label, parse_opt_label, scope_institutions};

#[derive(Debug, Clone, Default, Serialize)]
pub struct PipelineRow {
    pub institution: String,
    pub name: String,
    pub town: String,
    /// Members (full and probationary) on the staff.
    pub members: i64,
    /// Non-member teachers aged 35 or less.
    pub young: i64,
    /// Non-member backbone teachers.
    pub backbone: i64,
    /// Of the young or backbone non-members: at each stage.
    pub applicants: i64,
    pub activists: i64,
    pub candidates: i64,
}

impl Store {
    /// The pipeline per school in `scope`; `young_born_after`: a teacher born after this date is
    /// 35 or younger.
    pub async fn dual_training(&self, scope: &Scope, young_born_after: NaiveDate) -> Result<Vec<PipelineRow>> {
        let mut q = Query::select();
        q.columns([("i", "code"), ("i", "name"), ("i", "town_code")])
            .columns([("s", "political_status"), ("s", "development_stage"), ("s", "backbone")])
            .column(("pp", "birth_date"))
            .from_as("staff", "s")
            .join_as(JoinType::InnerJoin, "persons", "pp", Expr::col(("pp", "id")).equals(("s", "person_id")))
            .join_as(JoinType::InnerJoin, "institutions", "i", Expr::col(("i", "id")).equals(("s", "institution_id")))
            .and_where(Expr::col(("s", "deleted_at")).is_null())
            .and_where(Expr::col(("i", "deleted_at")).is_null());
        scope_institutions(&mut q, scope, "i");
        let mut tx = self.read().await?;
        let rows = tx
            .all(&q, |r: &dyn Row| {
                Ok((
                    r.text("code")?,
                    r.text("name")?,
                    r.text("town_code")?,
                    parse_label::<PoliticalStatus>(&r.text("political_status")?)?,
                    parse_opt_label::<DevelopmentStage>(r.text_opt("development_stage")?)?,
                    r.boolean("backbone")?,
                    r.date("birth_date")?,
                ))
            })
            .await?;
        tx.commit().await?;
        let mut by: std::collections::BTreeMap<(String, String), PipelineRow> = Default::default();
        for (code, name, town, status, stage, backbone, born) in rows {
            let row = by.entry((town.clone(), code.clone())).or_insert_with(|| PipelineRow {
                institution: code,
                name,
                town,
                ..Default::default()
            });
            if status.is_party_member() {
                row.members += 1;
                continue;
            }
            let young = born > young_born_after;
            row.young += i64::from(young);
            row.backbone += i64::from(backbone);
            if young || backbone {
                match stage {
                    Some(DevelopmentStage::Applicant) => row.applicants += 1,
                    Some(DevelopmentStage::Activist) => row.activists += 1,
                    Some(DevelopmentStage::Candidate) => row.candidates += 1,
                    None => {}
                }
            }
        }
        Ok(by.into_values().collect())
    }
}
