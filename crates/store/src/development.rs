//! 双培养: per school, the young (≤35) and backbone teachers who are not yet members, by
//! development stage — the pipeline the coverage audit's "develop members" remedy relies on
//! (DOMAIN §3; SUMMARY's first remedy for a school without members).
use chrono::NaiveDate;
use hongzhu_core::development::{self, Context, Outcome, PersonFact, StepRecord};
use hongzhu_core::labels::{CoverageMode, DevelopmentStage, Labeled, MemberCategory, OrgKind, PoliticalStatus};
use hongzhu_core::registry::FieldError;
use sea_query::{Expr, ExprTrait, JoinType, Query};
use serde::Serialize;

use crate::db::{Row, Store, Tx};
use crate::records::{Scope, log_change, now, parse_label, parse_opt_label, scope_institutions};
use crate::{Result, StoreError};

fn refused(field: &'static str, code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> StoreError {
    StoreError::Refused(FieldError::new(field, code, zh, en))
}

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

// ------------------------------------------------------------------ the 25-step record (DOMAIN §3)

/// A recorded step as stored, with who recorded it.
#[derive(Debug, Clone, Serialize)]
pub struct StepRow {
    pub id: i64,
    #[serde(flatten)]
    pub record: StepRecord,
    pub approver_name: Option<String>,
    pub created_by: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// What a step is checked against besides the record: the day, and the public-notice setting
/// (R2.12).
#[derive(Debug, Clone, Copy)]
pub struct Checking {
    pub today: NaiveDate,
    pub notice_working_days: u32,
}

/// A person in the development pipeline: their school post and organization, and their steps.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    pub person_id: i64,
    pub staff_id: i64,
    pub name: String,
    pub birth_date: NaiveDate,
    pub institution: String,
    pub institution_name: String,
    pub institution_id: i64,
    pub political_status: PoliticalStatus,
    pub development_stage: Option<DevelopmentStage>,
    pub backbone: bool,
    /// The organization that develops them: the one covering their school.
    pub org: Option<OrgRef>,
    pub steps: Vec<StepRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OrgRef {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: OrgKind,
}

impl Candidate {
    /// The recorded steps, as the rules read them.
    pub fn history(&self) -> Vec<StepRecord> {
        self.steps.iter().map(|s| s.record.clone()).collect()
    }
}

/// A member who may be named as contact or introducer.
#[derive(Debug, Clone, Serialize)]
pub struct MemberChoice {
    pub member_id: i64,
    pub name: String,
    pub full_on: Option<NaiveDate>,
}

const STEP_COLS: [&str; 19] = [
    "id",
    "person_id",
    "step",
    "done_on",
    "people",
    "days",
    "hours",
    "due",
    "present",
    "yes",
    "approver_org_id",
    "notice_from",
    "notice_to",
    "outcome",
    "extend_months",
    "passed",
    "note",
    "created_by",
    "created_at",
];

fn step_select() -> sea_query::SelectStatement {
    let mut q = Query::select();
    q.columns(STEP_COLS.map(|c| ("d", c)))
        .expr_as(Expr::col(("ao", "code")), "approver_code")
        .expr_as(Expr::col(("ao", "name")), "approver_name")
        .expr_as(Expr::col(("ao", "kind")), "approver_kind")
        .from_as("development_steps", "d")
        .join_as(JoinType::LeftJoin, "party_orgs", "ao", Expr::col(("ao", "id")).equals(("d", "approver_org_id")))
        .and_where(Expr::col(("d", "deleted_at")).is_null())
        .order_by(("d", "person_id"), sea_query::Order::Asc)
        .order_by(("d", "id"), sea_query::Order::Asc);
    q
}

fn step_row(r: &dyn Row) -> Result<(i64, StepRow)> {
    let people = r
        .text("people")?
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<i64>().map_err(|_| StoreError::Corrupt(format!("development_steps.people: {s}"))))
        .collect::<Result<Vec<i64>>>()?;
    let approver = match (r.text_opt("approver_code")?, r.text_opt("approver_kind")?) {
        (Some(c), Some(k)) => Some((c, parse_label::<OrgKind>(&k)?)),
        _ => None,
    };
    let outcome = match (r.text_opt("outcome")?.as_deref(), r.int_opt("extend_months")?) {
        (Some("full"), _) => Some(Outcome::Full),
        (Some("extend"), Some(m)) => Some(Outcome::Extend(u8::try_from(m).unwrap_or(0))),
        _ => None,
    };
    let notice = match (r.date_opt("notice_from")?, r.date_opt("notice_to")?) {
        (Some(a), Some(b)) => Some((a, b)),
        _ => None,
    };
    let step = u8::try_from(r.int("step")?).unwrap_or(0);
    Ok((
        r.int("person_id")?,
        StepRow {
            id: r.int("id")?,
            record: StepRecord {
                step,
                on: r.date("done_on")?,
                people,
                days: r.float_opt("days")?,
                hours: r.float_opt("hours")?,
                due: r.int_opt("due")?,
                present: r.int_opt("present")?,
                yes: r.int_opt("yes")?,
                approver,
                notice,
                outcome,
                passed: r.bool_opt("passed")?,
                note: r.text("note")?,
            },
            approver_name: r.text_opt("approver_name")?,
            created_by: r.text("created_by")?,
            created_at: r.time("created_at")?,
        },
    ))
}

fn candidate_select() -> sea_query::SelectStatement {
    let mut q = Query::select();
    q.expr_as(Expr::col(("s", "id")), "staff_id")
        .columns([("s", "person_id"), ("s", "political_status"), ("s", "development_stage"), ("s", "backbone")])
        .columns([("pp", "name"), ("pp", "birth_date")])
        .expr_as(Expr::col(("i", "id")), "institution_id")
        .expr_as(Expr::col(("i", "code")), "institution_code")
        .expr_as(Expr::col(("i", "name")), "institution_name")
        .from_as("staff", "s")
        .join_as(JoinType::InnerJoin, "persons", "pp", Expr::col(("pp", "id")).equals(("s", "person_id")))
        .join_as(JoinType::InnerJoin, "institutions", "i", Expr::col(("i", "id")).equals(("s", "institution_id")))
        .and_where(Expr::col(("s", "deleted_at")).is_null())
        .and_where(Expr::col(("i", "deleted_at")).is_null());
    q
}

fn candidate_row(r: &dyn Row) -> Result<Candidate> {
    Ok(Candidate {
        person_id: r.int("person_id")?,
        staff_id: r.int("staff_id")?,
        name: r.text("name")?,
        birth_date: r.date("birth_date")?,
        institution: r.text("institution_code")?,
        institution_name: r.text("institution_name")?,
        institution_id: r.int("institution_id")?,
        political_status: parse_label::<PoliticalStatus>(&r.text("political_status")?)?,
        development_stage: parse_opt_label::<DevelopmentStage>(r.text_opt("development_stage")?)?,
        backbone: r.boolean("backbone")?,
        org: None,
        steps: Vec::new(),
    })
}

/// The organization covering each of these institutions: its own first, then a joint one, then
/// the one it is attached to (`CoverageMode::preference`). One query for all of them.
async fn covering_orgs(tx: &mut Tx, institutions: &[i64]) -> Result<std::collections::HashMap<i64, OrgRef>> {
    let rows = tx
        .all(
            Query::select()
                .columns([("o", "id"), ("o", "code"), ("o", "name"), ("o", "kind")])
                .columns([("c", "mode"), ("c", "institution_id")])
                .from_as("coverages", "c")
                .join_as(JoinType::InnerJoin, "party_orgs", "o", Expr::col(("o", "id")).equals(("c", "org_id")))
                .and_where(Expr::col(("c", "institution_id")).is_in(institutions.to_vec()))
                .and_where(Expr::col(("c", "deleted_at")).is_null())
                .and_where(Expr::col(("o", "deleted_at")).is_null()),
            |r: &dyn Row| {
                Ok((
                    r.int("institution_id")?,
                    parse_label::<CoverageMode>(&r.text("mode")?)?.preference(),
                    OrgRef {
                        id: r.int("id")?,
                        code: r.text("code")?,
                        name: r.text("name")?,
                        kind: parse_label::<OrgKind>(&r.text("kind")?)?,
                    },
                ))
            },
        )
        .await?;
    let mut best: std::collections::HashMap<i64, (u8, OrgRef)> = std::collections::HashMap::new();
    for (inst, rank, org) in rows {
        match best.get(&inst) {
            Some((r, o)) if (*r, o.id) <= (rank, org.id) => {}
            _ => {
                best.insert(inst, (rank, org));
            }
        }
    }
    Ok(best.into_iter().map(|(k, (_, o))| (k, o)).collect())
}

async fn covering_org(tx: &mut Tx, institution_id: i64) -> Result<Option<OrgRef>> {
    Ok(covering_orgs(tx, &[institution_id]).await?.remove(&institution_id))
}

async fn load_steps(tx: &mut Tx, person_id: i64) -> Result<Vec<StepRow>> {
    let mut q = step_select();
    q.and_where(Expr::col(("d", "person_id")).eq(person_id));
    Ok(tx.all(&q, step_row).await?.into_iter().map(|(_, s)| s).collect())
}

/// The development stage's code a history puts on the staff post.
fn stage_code(h: &[StepRecord]) -> Option<&'static str> {
    development::stage_of(h).map(|s| s.code())
}

impl Store {
    /// One person's record, by their staff post, within the reader's scope.
    pub async fn development_record(&self, scope: &Scope, staff_id: i64) -> Result<Option<Candidate>> {
        let mut q = candidate_select();
        q.and_where(Expr::col(("s", "id")).eq(staff_id));
        scope_institutions(&mut q, scope, "i");
        let mut tx = self.read().await?;
        let Some(mut c) = tx.opt(&q, candidate_row).await? else {
            tx.commit().await?;
            return Ok(None);
        };
        c.org = covering_org(&mut tx, c.institution_id).await?;
        c.steps = load_steps(&mut tx, c.person_id).await?;
        tx.commit().await?;
        Ok(Some(c))
    }

    /// Everyone in the reader's scope with a development record or a development stage (from the
    /// ledger), with their steps; members whose record is complete are left out.
    pub async fn development_people(&self, scope: &Scope) -> Result<Vec<Candidate>> {
        let mut q = candidate_select();
        scope_institutions(&mut q, scope, "i");
        q.cond_where(sea_query::Cond::any().add(Expr::col(("s", "development_stage")).is_not_null()).add(
            Expr::col(("s", "person_id")).in_subquery(
                Query::select().column("person_id").from("development_steps").and_where(Expr::col("deleted_at").is_null()).take(),
            ),
        ));
        q.order_by(("i", "code"), sea_query::Order::Asc).order_by(("s", "id"), sea_query::Order::Asc);
        let mut tx = self.read().await?;
        let mut people = tx.all(&q, candidate_row).await?;
        let mut steps = step_select();
        let mut in_scope = Query::select();
        in_scope
            .column(("s", "person_id"))
            .from_as("staff", "s")
            .join_as(JoinType::InnerJoin, "institutions", "i", Expr::col(("i", "id")).equals(("s", "institution_id")))
            .and_where(Expr::col(("s", "deleted_at")).is_null());
        scope_institutions(&mut in_scope, scope, "i");
        steps.and_where(Expr::col(("d", "person_id")).in_subquery(in_scope));
        let all = tx.all(&steps, step_row).await?;
        let mut by: std::collections::HashMap<i64, Vec<StepRow>> = std::collections::HashMap::new();
        for (pid, s) in all {
            by.entry(pid).or_default().push(s);
        }
        let mut institutions: Vec<i64> = people.iter().map(|c| c.institution_id).collect();
        institutions.sort_unstable();
        institutions.dedup();
        let orgs = covering_orgs(&mut tx, &institutions).await?;
        for c in &mut people {
            c.steps = by.get(&c.person_id).cloned().unwrap_or_default();
            c.org = orgs.get(&c.institution_id).cloned();
        }
        tx.commit().await?;
        people.retain(|c| c.steps.last().is_none_or(|s| s.record.step < 25));
        Ok(people)
    }

    /// Members of an organization and the organizations under it (a school's 党委 and its
    /// branches), who may be named as contacts or introducers.
    pub async fn member_choices(&self, org_id: i64) -> Result<Vec<MemberChoice>> {
        let orgs = self.org_subtree(org_id).await?;
        let mut tx = self.read().await?;
        let rows = tx
            .all(
                Query::select()
                    .expr_as(Expr::col(("m", "id")), "member_id")
                    .column(("pp", "name"))
                    .column(("m", "full_on"))
                    .column(("m", "category"))
                    .from_as("members", "m")
                    .join_as(JoinType::InnerJoin, "persons", "pp", Expr::col(("pp", "id")).equals(("m", "person_id")))
                    .and_where(Expr::col(("m", "org_id")).is_in(orgs))
                    .and_where(Expr::col(("m", "deleted_at")).is_null())
                    .order_by(("m", "id"), sea_query::Order::Asc),
                member_choice,
            )
            .await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// The Party committees that may approve (R2.9), for the form's choice.
    pub async fn approving_committees(&self) -> Result<Vec<OrgRef>> {
        let mut tx = self.read().await?;
        let rows = tx
            .all(
                Query::select()
                    .columns(["id", "code", "name", "kind"])
                    .from("party_orgs")
                    .and_where(Expr::col("kind").eq(OrgKind::Committee.code()))
                    .and_where(Expr::col("status").eq("active"))
                    .and_where(Expr::col("deleted_at").is_null())
                    .order_by("code", sea_query::Order::Asc),
                |r: &dyn Row| {
                    Ok(OrgRef {
                        id: r.int("id")?,
                        code: r.text("code")?,
                        name: r.text("name")?,
                        kind: parse_label::<OrgKind>(&r.text("kind")?)?,
                    })
                },
            )
            .await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// Record a step: checked against the whole record in the same transaction (DOMAIN §3), then
    /// written with what it changes — the stage on the staff post (steps 1–16), a probationary
    /// member record at approval (step 17, admitted on the branch meeting's day, R2.10), full
    /// membership dated from the end of probation (step 24, R2.10). All or nothing.
    pub async fn record_development_step(
        &self,
        scope: &Scope,
        staff_id: i64,
        input: &StepRecord,
        approver: Option<&str>,
        on: Checking,
        actor: &str,
    ) -> Result<StepRow> {
        let mut tx = self.write().await?;
        let mut q = candidate_select();
        q.and_where(Expr::col(("s", "id")).eq(staff_id));
        scope_institutions(&mut q, scope, "i");
        let c = tx.opt(&q, candidate_row).await?.ok_or(StoreError::NotFound)?;
        let org = covering_org(&mut tx, c.institution_id).await?.ok_or_else(|| {
            refused(
                "org",
                "no_org",
                format!(
                    "{} 尚无党组织覆盖，无法发展党员：请先按覆盖审计的补救措施单独组建、联合组建或挂靠（R1.1、R1.2）",
                    c.institution_name
                ),
                format!("{} is not covered by any organization: set one up, join or attach first (R1.1, R1.2)", c.institution_name),
            )
        })?;
        let steps = load_steps(&mut tx, c.person_id).await?;
        let history: Vec<StepRecord> = steps.iter().map(|s| s.record.clone()).collect();
        if history.is_empty() && c.political_status.is_party_member() {
            return Err(refused("step", "member", format!("{} 已是党员，无需发展", c.name), format!("{} is a member already", c.name)));
        }
        // The approving organization, by code.
        let mut record = input.clone();
        let mut approver_id = None;
        if let Some(code) = approver.filter(|s| !s.trim().is_empty()) {
            let found = tx
                .opt(
                    Query::select()
                        .columns(["id", "code", "kind"])
                        .from("party_orgs")
                        .and_where(Expr::col("code").eq(code.trim()))
                        .and_where(Expr::col("deleted_at").is_null()),
                    |r: &dyn Row| Ok((r.int("id")?, r.text("code")?, parse_label::<OrgKind>(&r.text("kind")?)?)),
                )
                .await?;
            let Some((id, code, kind)) = found else {
                return Err(refused("approver", "approver", format!("组织代码“{code}”不存在"), format!("no organization {code}")));
            };
            approver_id = Some(id);
            record.approver = Some((code, kind));
        }
        let people = if record.people.is_empty() {
            Vec::new()
        } else {
            let mut p = Query::select();
            p.expr_as(Expr::col(("m", "id")), "member_id")
                .column(("pp", "name"))
                .column(("m", "full_on"))
                .column(("m", "category"))
                .from_as("members", "m")
                .join_as(JoinType::InnerJoin, "persons", "pp", Expr::col(("pp", "id")).equals(("m", "person_id")))
                .and_where(Expr::col(("m", "id")).is_in(record.people.clone()))
                .and_where(Expr::col(("m", "deleted_at")).is_null());
            tx.all(&p, member_choice).await?
        };
        let facts: Vec<PersonFact> =
            people.iter().map(|m| PersonFact { member_id: m.member_id, name: m.name.clone(), full_on: m.full_on }).collect();
        let ctx = Context {
            today: on.today,
            birth_date: c.birth_date,
            history: &history,
            people: &facts,
            notice_working_days: on.notice_working_days,
        };
        development::check(&ctx, &record).map_err(|e| StoreError::Refused(FieldError::from_invalid("step", e)))?;

        let at = now();
        let id = insert_step(&mut tx, c.person_id, staff_id, org.id, approver_id, &record, actor, at).await?;
        let mut after = history.clone();
        after.push(record.clone());
        match record.step {
            1..=16 => {
                set_staff(&mut tx, c.person_id, None, Some(stage_code(&after))).await?;
            }
            17 => {
                let admitted = development::admitted_on(&after).expect("step 15 before 17");
                let existing = tx
                    .opt(
                        Query::select()
                            .column("id")
                            .from("members")
                            .and_where(Expr::col("person_id").eq(c.person_id))
                            .and_where(Expr::col("deleted_at").is_null()),
                        |r: &dyn Row| r.int("id"),
                    )
                    .await?;
                if existing.is_some() {
                    return Err(refused(
                        "step",
                        "member",
                        format!("{} 已有党员记录", c.name),
                        format!("{} has a member record already", c.name),
                    ));
                }
                let mid = tx
                    .insert_id(
                        Query::insert()
                            .into_table("members")
                            .columns(["person_id", "category", "admitted_on", "org_id", "work_institution_id", "created_at", "updated_at"])
                            .values_panic([
                                c.person_id.into(),
                                MemberCategory::Probationary.code().into(),
                                admitted.into(),
                                org.id.into(),
                                c.institution_id.into(),
                                at.into(),
                                at.into(),
                            ])
                            .returning_col("id"),
                    )
                    .await?;
                log_change(
                    &mut tx,
                    "members",
                    mid,
                    "create",
                    actor,
                    None,
                    Some(serde_json::json!({"category": "probationary", "admitted_on": admitted, "org": org.code, "by": "development step 17"})),
                )
                .await?;
                set_staff(&mut tx, c.person_id, Some(PoliticalStatus::Probationary), Some(None)).await?;
            }
            24 => {
                let full = development::full_membership_date(&after).expect("step 23 resolved full");
                let n = tx
                    .exec(
                        Query::update()
                            .table("members")
                            .values([
                                ("category", MemberCategory::Full.code().into()),
                                ("full_on", full.into()),
                                ("updated_at", at.into()),
                                ("version", Expr::col("version").add(1)),
                            ])
                            .and_where(Expr::col("person_id").eq(c.person_id))
                            .and_where(Expr::col("deleted_at").is_null()),
                    )
                    .await?;
                if n == 0 {
                    return Err(refused("step", "member", format!("{} 没有党员记录", c.name), format!("{} has no member record", c.name)));
                }
                set_staff(&mut tx, c.person_id, Some(PoliticalStatus::Member), None).await?;
            }
            _ => {}
        }
        log_change(
            &mut tx,
            "development_steps",
            id,
            "create",
            actor,
            None,
            Some(serde_json::json!({"person": c.person_id, "step": record.step, "on": record.on})),
        )
        .await?;
        let row = load_steps(&mut tx, c.person_id).await?.into_iter().find(|s| s.id == id).expect("just written");
        tx.commit().await?;
        Ok(row)
    }

    /// Withdraw the last recorded step of a person to correct a mistake. Steps that changed the
    /// member record (17, 24) are corrected in the member register instead.
    pub async fn withdraw_development_step(&self, scope: &Scope, staff_id: i64, step_id: i64, actor: &str) -> Result<()> {
        let mut tx = self.write().await?;
        let mut q = candidate_select();
        q.and_where(Expr::col(("s", "id")).eq(staff_id));
        scope_institutions(&mut q, scope, "i");
        let c = tx.opt(&q, candidate_row).await?.ok_or(StoreError::NotFound)?;
        let steps = load_steps(&mut tx, c.person_id).await?;
        let Some(last) = steps.last().filter(|s| s.id == step_id) else {
            return Err(refused("step", "not_last", "只能撤回最后记录的一步", "only the last recorded step can be withdrawn"));
        };
        if matches!(last.record.step, 17 | 24) {
            return Err(refused(
                "step",
                "changed_member",
                "此步已更新党员名册（接收预备党员或转正），不能撤回：请在党员名册中更正",
                "this step changed the member register (admission or full membership); correct it there",
            ));
        }
        tx.exec(
            Query::update()
                .table("development_steps")
                .value("deleted_at", now())
                .and_where(Expr::col("id").eq(step_id))
                .and_where(Expr::col("deleted_at").is_null()),
        )
        .await?;
        let rest: Vec<StepRecord> = steps[..steps.len() - 1].iter().map(|s| s.record.clone()).collect();
        if last.record.step <= 16 {
            set_staff(&mut tx, c.person_id, None, Some(stage_code(&rest))).await?;
        }
        log_change(
            &mut tx,
            "development_steps",
            step_id,
            "delete",
            actor,
            Some(serde_json::json!({"person": c.person_id, "step": last.record.step, "on": last.record.on})),
            None,
        )
        .await?;
        tx.commit().await
    }
}

fn member_choice(r: &dyn Row) -> Result<MemberChoice> {
    // A full member without a recorded date (older ledgers) counts as full since long ago.
    let full_on = match (r.date_opt("full_on")?, r.text("category")?.as_str()) {
        (Some(d), _) => Some(d),
        (None, "full") => NaiveDate::from_ymd_opt(1900, 1, 1),
        _ => None,
    };
    Ok(MemberChoice { member_id: r.int("member_id")?, name: r.text("name")?, full_on })
}

/// Update every live staff post of a person: political status, development stage.
async fn set_staff(tx: &mut Tx, person_id: i64, status: Option<PoliticalStatus>, stage: Option<Option<&'static str>>) -> Result<()> {
    let mut u = Query::update();
    u.table("staff")
        .value("updated_at", now())
        .value("version", Expr::col("version").add(1))
        .and_where(Expr::col("person_id").eq(person_id))
        .and_where(Expr::col("deleted_at").is_null());
    if let Some(s) = status {
        u.value("political_status", s.code());
    }
    if let Some(stage) = stage {
        u.value("development_stage", stage);
    }
    tx.exec(&u).await?;
    Ok(())
}

impl Store {
    /// Load generated development records (the demo, synthetic regions): people by ID number,
    /// contacts and introducers resolved to their member records, in one transaction. The
    /// records were checked by the rules when generated (`synth_dev`'s test).
    pub async fn load_development(&self, recs: &[hongzhu_core::synth_dev::GenRecord], actor: &str) -> Result<usize> {
        let mut tx = self.write().await?;
        let mut written = 0;
        let mut orgs: std::collections::HashMap<String, Option<i64>> = std::collections::HashMap::new();
        let at = now();
        for rec in recs {
            let blind = tx.blind(&rec.id_number)?;
            let Some(person_id) = crate::records::id_by(&mut tx, "persons", "id_hash", &blind).await? else { continue };
            let staff = tx
                .opt(
                    Query::select()
                        .expr_as(Expr::col(("s", "id")), "staff_id")
                        .expr_as(Expr::col(("i", "id")), "institution_id")
                        .from_as("staff", "s")
                        .join_as(JoinType::InnerJoin, "institutions", "i", Expr::col(("i", "id")).equals(("s", "institution_id")))
                        .and_where(Expr::col(("s", "person_id")).eq(person_id))
                        .and_where(Expr::col(("i", "code")).eq(rec.institution.as_str()))
                        .and_where(Expr::col(("s", "deleted_at")).is_null()),
                    |r: &dyn Row| Ok((r.int("staff_id")?, r.int("institution_id")?)),
                )
                .await?;
            let Some((staff_id, institution_id)) = staff else { continue };
            let Some(org) = covering_org(&mut tx, institution_id).await? else { continue };
            for (step, who) in rec.steps.iter().zip(&rec.people) {
                let mut people = Vec::new();
                for p in who {
                    let b = tx.blind(p)?;
                    let m = tx
                        .opt(
                            Query::select()
                                .column(("m", "id"))
                                .from_as("members", "m")
                                .join_as(JoinType::InnerJoin, "persons", "pp", Expr::col(("pp", "id")).equals(("m", "person_id")))
                                .and_where(Expr::col(("pp", "id_hash")).eq(b))
                                .and_where(Expr::col(("m", "deleted_at")).is_null()),
                            |r: &dyn Row| r.int("id"),
                        )
                        .await?;
                    people.extend(m);
                }
                let approver = match &step.approver {
                    Some((code, _)) => match orgs.get(code) {
                        Some(id) => *id,
                        None => {
                            let id = crate::records::id_by(&mut tx, "party_orgs", "code", code).await?;
                            orgs.insert(code.clone(), id);
                            id
                        }
                    },
                    None => None,
                };
                let mut step = step.clone();
                step.people = people;
                insert_step(&mut tx, person_id, staff_id, org.id, approver, &step, actor, at).await?;
                written += 1;
            }
        }
        tx.commit().await?;
        Ok(written)
    }
}

/// Write one step's row.
#[allow(clippy::too_many_arguments)]
async fn insert_step(
    tx: &mut Tx,
    person_id: i64,
    staff_id: i64,
    org_id: i64,
    approver_id: Option<i64>,
    r: &StepRecord,
    actor: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<i64> {
    let (outcome, extend) = match r.outcome {
        Some(Outcome::Full) => (Some("full"), None),
        Some(Outcome::Extend(m)) => (Some("extend"), Some(i64::from(m))),
        None => (None, None),
    };
    tx.insert_id(
        Query::insert()
            .into_table("development_steps")
            .columns(STEP_COLS[1..].iter().copied().chain(["staff_id", "org_id"]))
            .values_panic([
                person_id.into(),
                i64::from(r.step).into(),
                r.on.into(),
                r.people.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(",").into(),
                r.days.into(),
                r.hours.into(),
                r.due.into(),
                r.present.into(),
                r.yes.into(),
                approver_id.into(),
                r.notice.map(|n| n.0).into(),
                r.notice.map(|n| n.1).into(),
                outcome.into(),
                extend.into(),
                r.passed.into(),
                r.note.clone().into(),
                actor.into(),
                at.into(),
                staff_id.into(),
                org_id.into(),
            ])
            .returning_col("id"),
    )
    .await
}

impl Store {
    /// Names of members by id, for showing contacts and introducers.
    pub async fn member_names(&self, ids: &[i64]) -> Result<std::collections::HashMap<i64, String>> {
        if ids.is_empty() {
            return Ok(Default::default());
        }
        let mut tx = self.read().await?;
        let rows = tx
            .all(
                Query::select()
                    .expr_as(Expr::col(("m", "id")), "member_id")
                    .column(("pp", "name"))
                    .from_as("members", "m")
                    .join_as(JoinType::InnerJoin, "persons", "pp", Expr::col(("pp", "id")).equals(("m", "person_id")))
                    .and_where(Expr::col(("m", "id")).is_in(ids.to_vec())),
                |r: &dyn Row| Ok((r.int("member_id")?, r.text("name")?)),
            )
            .await?;
        tx.commit().await?;
        Ok(rows.into_iter().collect())
    }
}
