//! 条块结合、送教下乡、同课异构、带团建带少建: the store side of `hongzhu_core::schoolwork`.
use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use hongzhu_core::labels::{Labeled, SchoolWorkKind, YouthForm, YouthUnitKind};
use hongzhu_core::registry::FieldError;
use hongzhu_core::schoolwork::Activity;
use sea_query::{Expr, ExprTrait, JoinType, Order, Query};
use serde::Serialize;

use crate::db::{Row, Store};
use crate::records::{log_change, now, parse_label, parse_opt_label, scope_institutions};
use crate::{Result, Scope, StoreError};

#[derive(Debug, Clone, Serialize)]
pub struct ActivityRow {
    pub id: i64,
    pub institution_code: String,
    pub institution_name: String,
    pub kind: SchoolWorkKind,
    pub held_on: NaiveDate,
    pub title: String,
    pub target_code: Option<String>,
    pub target_name: Option<String>,
    pub team: Option<String>,
    pub lessons: i64,
    pub participants: i64,
    pub form: Option<YouthForm>,
    pub note: String,
    pub members: Vec<String>,
}

/// Head teachers and mental-health teachers of a school, and how many of them are members.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RoleLine {
    pub code: String,
    pub name: String,
    pub town: String,
    pub staff: i64,
    pub members: i64,
    pub head_teachers: i64,
    pub head_teacher_members: i64,
    pub mental: i64,
    pub mental_members: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TeamRow {
    pub id: i64,
    pub name: String,
    pub org_name: String,
    pub year: i32,
    pub members: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnitRow {
    pub id: i64,
    pub institution_code: String,
    pub institution_name: String,
    pub kind: YouthUnitKind,
    pub name: String,
    pub leader: String,
    pub guiding_org: Option<String>,
    pub members: i64,
}

/// 团推优 and the young-teacher pipeline of a school (R2.3): League members among its teachers
/// (28 and under), those of them on the way to membership, young teachers (35 and under) on the
/// way, and young members.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PipelineLine {
    pub code: String,
    pub name: String,
    pub league: i64,
    pub league_on_the_way: i64,
    pub young_on_the_way: i64,
    pub young_members: i64,
}

/// The youngest age the League keeps its members (共青团章程: 14–28).
pub const LEAGUE_AGE: i32 = 28;
/// 青年教师: 35 and under.
pub const YOUNG_AGE: i32 = 35;

/// A Party member to choose in a form (a school's teachers, an organization's members).
#[derive(Debug, Clone, Serialize)]
pub struct TeacherMember {
    pub id: i64,
    pub name: String,
    pub org_id: i64,
    pub org_name: String,
}

impl Store {
    /// The Party members whose work is at a school (the register's 工作单位), by organization.
    /// One definition for pairing a child, recording an activity and choosing a team.
    pub async fn members_at_school(&self, institution_id: i64) -> Result<Vec<TeacherMember>> {
        self.members_where(Expr::col(("m", "work_institution_id")).eq(institution_id)).await
    }

    /// The Party members of an organization (a team's, a station's), every one of them.
    pub async fn members_of_org(&self, org_id: i64) -> Result<Vec<TeacherMember>> {
        self.members_where(Expr::col(("m", "org_id")).eq(org_id)).await
    }

    async fn members_where(&self, cond: Expr) -> Result<Vec<TeacherMember>> {
        let mut tx = self.read().await?;
        let rows = tx
            .all(
                Query::select()
                    .expr_as(Expr::col(("m", "id")), "id")
                    .expr_as(Expr::col(("p", "name")), "name")
                    .expr_as(Expr::col(("m", "org_id")), "org_id")
                    .expr_as(Expr::col(("o", "name")), "org_name")
                    .from_as("members", "m")
                    .join_as(JoinType::InnerJoin, "persons", "p", Expr::col(("p", "id")).equals(("m", "person_id")))
                    .join_as(JoinType::InnerJoin, "party_orgs", "o", Expr::col(("o", "id")).equals(("m", "org_id")))
                    .and_where(cond)
                    .and_where(Expr::col(("m", "deleted_at")).is_null())
                    .order_by(("o", "code"), Order::Asc)
                    .order_by(("m", "id"), Order::Asc),
                |r: &dyn Row| {
                    Ok(TeacherMember { id: r.int("id")?, name: r.text("name")?, org_id: r.int("org_id")?, org_name: r.text("org_name")? })
                },
            )
            .await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// Activities of some kinds in a year at the schools of a scope (as organizer), newest first.
    pub async fn school_activities(&self, scope: &Scope, kinds: &[SchoolWorkKind], year: i32) -> Result<Vec<ActivityRow>> {
        let mut q = Query::select();
        q.columns(["id", "kind", "held_on", "title", "lessons", "participants", "form", "note"].map(|c| ("a", c)))
            .expr_as(Expr::col(("i", "code")), "institution_code")
            .expr_as(Expr::col(("i", "name")), "institution_name")
            .expr_as(Expr::col(("x", "code")), "target_code")
            .expr_as(Expr::col(("x", "name")), "target_name")
            .expr_as(Expr::col(("t", "name")), "team")
            .from_as("school_activities", "a")
            .join_as(JoinType::InnerJoin, "institutions", "i", Expr::col(("i", "id")).equals(("a", "institution_id")))
            .join_as(JoinType::LeftJoin, "institutions", "x", Expr::col(("x", "id")).equals(("a", "target_institution_id")))
            .join_as(JoinType::LeftJoin, "teaching_teams", "t", Expr::col(("t", "id")).equals(("a", "team_id")))
            .and_where(Expr::col(("a", "kind")).is_in(kinds.iter().map(|k| k.code()).collect::<Vec<_>>()))
            .and_where(Expr::col(("a", "held_on")).gte(NaiveDate::from_ymd_opt(year, 1, 1).expect("valid")))
            .and_where(Expr::col(("a", "held_on")).lte(NaiveDate::from_ymd_opt(year, 12, 31).expect("valid")))
            .order_by(("a", "held_on"), Order::Desc)
            .order_by(("a", "id"), Order::Desc);
        scope_institutions(&mut q, scope, "i");
        let mut tx = self.read().await?;
        let mut rows = tx
            .all(&q, |r: &dyn Row| {
                Ok(ActivityRow {
                    id: r.int("id")?,
                    institution_code: r.text("institution_code")?,
                    institution_name: r.text("institution_name")?,
                    kind: parse_label(&r.text("kind")?)?,
                    held_on: r.date("held_on")?,
                    title: r.text("title")?,
                    target_code: r.text_opt("target_code")?,
                    target_name: r.text_opt("target_name")?,
                    team: r.text_opt("team")?,
                    lessons: r.int("lessons")?,
                    participants: r.int("participants")?,
                    form: parse_opt_label(r.text_opt("form")?)?,
                    note: r.text("note")?,
                    members: vec![],
                })
            })
            .await?;
        let ids: Vec<i64> = rows.iter().map(|a| a.id).collect();
        if !ids.is_empty() {
            let names = tx
                .all(
                    Query::select()
                        .column(("am", "activity_id"))
                        .column(("p", "name"))
                        .from_as("school_activity_members", "am")
                        .join_as(JoinType::InnerJoin, "members", "m", Expr::col(("m", "id")).equals(("am", "member_id")))
                        .join_as(JoinType::InnerJoin, "persons", "p", Expr::col(("p", "id")).equals(("m", "person_id")))
                        .and_where(Expr::col(("am", "activity_id")).is_in(ids))
                        .order_by(("m", "id"), Order::Asc),
                    |r: &dyn Row| Ok((r.int("activity_id")?, r.text("name")?)),
                )
                .await?;
            let pos: HashMap<i64, usize> = rows.iter().enumerate().map(|(i, a)| (a.id, i)).collect();
            for (a, n) in names {
                if let Some(&i) = pos.get(&a) {
                    rows[i].members.push(n);
                }
            }
        }
        tx.commit().await?;
        Ok(rows)
    }

    /// Record an activity of a school with the members who took part (checked by the caller's
    /// `schoolwork::check_activity`; the members are checked here to work at the school).
    pub async fn add_school_activity(
        &self,
        institution_id: i64,
        a: &Activity,
        team: Option<i64>,
        members: &[i64],
        actor: &str,
    ) -> Result<i64> {
        let mut tx = self.write().await?;
        let target = match &a.target {
            Some(code) => Some(
                tx.opt(Query::select().column("id").from("institutions").and_where(Expr::col("code").eq(code.clone())), |r: &dyn Row| {
                    r.int("id")
                })
                .await?
                .ok_or_else(|| {
                    StoreError::Refused(FieldError::new(
                        "target",
                        "target",
                        format!("学校代码“{code}”不存在，请从列表中选择送教学校"),
                        "no such school",
                    ))
                })?,
            ),
            None => None,
        };
        // The members, each once, all of them teaching at the school.
        let mut members = members.to_vec();
        members.sort_unstable();
        members.dedup();
        let mut at_school: Vec<i64> = tx
            .all(
                Query::select()
                    .column("id")
                    .from("members")
                    .and_where(Expr::col("work_institution_id").eq(institution_id))
                    .and_where(Expr::col("deleted_at").is_null())
                    .and_where(Expr::col("id").is_in(members.clone())),
                |r: &dyn Row| r.int("id"),
            )
            .await?;
        at_school.sort_unstable();
        at_school.dedup();
        if at_school != members {
            return Err(StoreError::Refused(FieldError::new(
                "members",
                "members",
                "只能选择在本校任教的党员",
                "choose members who teach at the school",
            )));
        }
        let id = tx
            .insert_id(
                Query::insert()
                    .into_table("school_activities")
                    .columns([
                        "institution_id",
                        "kind",
                        "held_on",
                        "title",
                        "target_institution_id",
                        "team_id",
                        "lessons",
                        "participants",
                        "form",
                        "note",
                        "created_by",
                        "created_at",
                    ])
                    .values_panic([
                        institution_id.into(),
                        a.kind.code().into(),
                        a.held_on.into(),
                        a.title.clone().into(),
                        target.into(),
                        team.into(),
                        a.lessons.into(),
                        a.participants.into(),
                        a.form.map(|f| f.code()).into(),
                        a.note.clone().into(),
                        actor.into(),
                        now().into(),
                    ])
                    .returning_col("id"),
            )
            .await?;
        for &m in &members {
            tx.exec(
                Query::insert()
                    .into_table("school_activity_members")
                    .columns(["activity_id", "member_id"])
                    .values_panic([id.into(), m.into()]),
            )
            .await?;
        }
        log_change(
            &mut tx,
            "school_activities",
            id,
            "create",
            actor,
            None,
            Some(serde_json::json!({"kind": a.kind.code(), "members": members.len()})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Head teachers and mental-health teachers per school, and the members among them (条块结合).
    pub async fn school_roles(&self, scope: &Scope) -> Result<Vec<RoleLine>> {
        let mut q = Query::select();
        q.expr_as(Expr::col(("i", "code")), "code")
            .expr_as(Expr::col(("i", "name")), "name")
            .expr_as(Expr::col(("t", "name")), "town")
            .column(("s", "political_status"))
            .column(("s", "head_teacher"))
            .column(("s", "mental_health"))
            .from_as("staff", "s")
            .join_as(JoinType::InnerJoin, "institutions", "i", Expr::col(("i", "id")).equals(("s", "institution_id")))
            .join_as(JoinType::LeftJoin, "regions", "t", Expr::col(("t", "code")).equals(("i", "town_code")))
            .and_where(Expr::col(("s", "deleted_at")).is_null())
            .and_where(Expr::col(("i", "deleted_at")).is_null())
            .order_by(("i", "code"), Order::Asc);
        scope_institutions(&mut q, scope, "i");
        let mut tx = self.read().await?;
        let rows = tx
            .all(&q, |r: &dyn Row| {
                Ok((
                    r.text("code")?,
                    r.text("name")?,
                    r.text_opt("town")?.unwrap_or_default(),
                    r.text("political_status")?,
                    r.boolean("head_teacher")?,
                    r.boolean("mental_health")?,
                ))
            })
            .await?;
        tx.commit().await?;
        let mut out: Vec<RoleLine> = Vec::new();
        for (code, name, town, status, head, mental) in rows {
            if out.last().is_none_or(|l| l.code != code) {
                out.push(RoleLine { code, name, town, ..Default::default() });
            }
            let l = out.last_mut().expect("just pushed");
            let member = status == "member" || status == "probationary";
            l.staff += 1;
            l.members += i64::from(member);
            l.head_teachers += i64::from(head);
            l.head_teacher_members += i64::from(head && member);
            l.mental += i64::from(mental);
            l.mental_members += i64::from(mental && member);
        }
        Ok(out)
    }

    pub async fn add_team(&self, org_id: i64, name: &str, year: i32, members: &[i64], actor: &str) -> Result<i64> {
        let name = hongzhu_core::service::check_text("name", "团队名称", name, 4, 40)
            .map_err(|e| StoreError::Refused(FieldError::from_invalid("name", e)))?;
        let mut members = members.to_vec();
        members.sort_unstable();
        members.dedup();
        if members.is_empty() {
            return Err(StoreError::Refused(FieldError::new("members", "members", "请选择团队成员", "choose the team's members")));
        }
        let mut tx = self.write().await?;
        let of_org = tx
            .all(
                Query::select()
                    .column("id")
                    .from("members")
                    .and_where(Expr::col("org_id").eq(org_id))
                    .and_where(Expr::col("deleted_at").is_null())
                    .and_where(Expr::col("id").is_in(members.clone())),
                |r: &dyn Row| r.int("id"),
            )
            .await?;
        if of_org.len() != members.len() {
            return Err(StoreError::Refused(FieldError::new(
                "members",
                "members",
                "团队成员须为该党组织的党员，请在名单中勾选",
                "choose the team's members from the organization's list",
            )));
        }
        let id = tx
            .insert_id(
                Query::insert()
                    .into_table("teaching_teams")
                    .columns(["org_id", "name", "year", "created_at"])
                    .values_panic([org_id.into(), name.into(), i64::from(year).into(), now().into()])
                    .returning_col("id"),
            )
            .await?;
        for m in members {
            tx.exec(
                Query::insert().into_table("teaching_team_members").columns(["team_id", "member_id"]).values_panic([id.into(), m.into()]),
            )
            .await?;
        }
        log_change(&mut tx, "teaching_teams", id, "create", actor, None, None).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The teaching teams of some organizations (`None`: all), of a year or of every year.
    pub async fn teams(&self, orgs: Option<&[i64]>, year: Option<i32>) -> Result<Vec<TeamRow>> {
        let mut q = Query::select();
        q.columns(["id", "name", "year"].map(|c| ("t", c)))
            .expr_as(Expr::col(("o", "name")), "org_name")
            .from_as("teaching_teams", "t")
            .join_as(JoinType::InnerJoin, "party_orgs", "o", Expr::col(("o", "id")).equals(("t", "org_id")))
            .order_by(("t", "id"), Order::Asc);
        if let Some(y) = year {
            q.and_where(Expr::col(("t", "year")).eq(i64::from(y)));
        }
        if let Some(o) = orgs {
            q.and_where(Expr::col(("t", "org_id")).is_in(o.to_vec()));
        }
        let mut tx = self.read().await?;
        let mut teams = tx
            .all(&q, |r: &dyn Row| {
                Ok(TeamRow {
                    id: r.int("id")?,
                    name: r.text("name")?,
                    org_name: r.text("org_name")?,
                    year: r.int("year")? as i32,
                    members: vec![],
                })
            })
            .await?;
        let ids: Vec<i64> = teams.iter().map(|t| t.id).collect();
        if !ids.is_empty() {
            let names = tx
                .all(
                    Query::select()
                        .column(("tm", "team_id"))
                        .column(("p", "name"))
                        .from_as("teaching_team_members", "tm")
                        .join_as(JoinType::InnerJoin, "members", "m", Expr::col(("m", "id")).equals(("tm", "member_id")))
                        .join_as(JoinType::InnerJoin, "persons", "p", Expr::col(("p", "id")).equals(("m", "person_id")))
                        .and_where(Expr::col(("tm", "team_id")).is_in(ids)),
                    |r: &dyn Row| Ok((r.int("team_id")?, r.text("name")?)),
                )
                .await?;
            for (t, n) in names {
                if let Some(team) = teams.iter_mut().find(|x| x.id == t) {
                    team.members.push(n);
                }
            }
        }
        tx.commit().await?;
        Ok(teams)
    }

    /// A school's League branch or Pioneers brigade, made or changed.
    #[allow(clippy::too_many_arguments)]
    pub async fn save_youth_unit(
        &self,
        institution_id: i64,
        kind: YouthUnitKind,
        name: &str,
        leader: &str,
        guiding_org: Option<i64>,
        members: i64,
        actor: &str,
    ) -> Result<()> {
        let name = hongzhu_core::service::check_text("name", "组织名称", name, 4, 40)
            .map_err(|e| StoreError::Refused(FieldError::from_invalid("name", e)))?;
        let leader = hongzhu_core::service::check_text("leader", "负责人", leader, 2, 20)
            .map_err(|e| StoreError::Refused(FieldError::from_invalid("leader", e)))?;
        if !(0..=10_000).contains(&members) {
            return Err(StoreError::Refused(FieldError::new("members", "members", "人数应为 0 到 10000", "members from 0 to 10,000")));
        }
        let mut tx = self.write().await?;
        tx.exec(
            Query::delete()
                .from_table("youth_units")
                .and_where(Expr::col("institution_id").eq(institution_id))
                .and_where(Expr::col("kind").eq(kind.code())),
        )
        .await?;
        let id = tx
            .insert_id(
                Query::insert()
                    .into_table("youth_units")
                    .columns(["institution_id", "kind", "name", "leader", "guiding_org_id", "members", "updated_at"])
                    .values_panic([
                        institution_id.into(),
                        kind.code().into(),
                        name.into(),
                        leader.into(),
                        guiding_org.into(),
                        members.into(),
                        now().into(),
                    ])
                    .returning_col("id"),
            )
            .await?;
        log_change(&mut tx, "youth_units", id, "update", actor, None, None).await?;
        tx.commit().await
    }

    pub async fn youth_units(&self, scope: &Scope) -> Result<Vec<UnitRow>> {
        let mut q = Query::select();
        q.columns(["id", "kind", "name", "leader", "members"].map(|c| ("u", c)))
            .expr_as(Expr::col(("i", "code")), "institution_code")
            .expr_as(Expr::col(("i", "name")), "institution_name")
            .expr_as(Expr::col(("o", "name")), "guiding_org")
            .from_as("youth_units", "u")
            .join_as(JoinType::InnerJoin, "institutions", "i", Expr::col(("i", "id")).equals(("u", "institution_id")))
            .join_as(JoinType::LeftJoin, "party_orgs", "o", Expr::col(("o", "id")).equals(("u", "guiding_org_id")))
            .order_by(("i", "code"), Order::Asc)
            .order_by(("u", "kind"), Order::Asc);
        scope_institutions(&mut q, scope, "i");
        let mut tx = self.read().await?;
        let rows = tx
            .all(&q, |r: &dyn Row| {
                Ok(UnitRow {
                    id: r.int("id")?,
                    institution_code: r.text("institution_code")?,
                    institution_name: r.text("institution_name")?,
                    kind: parse_label(&r.text("kind")?)?,
                    name: r.text("name")?,
                    leader: r.text("leader")?,
                    guiding_org: r.text_opt("guiding_org")?,
                    members: r.int("members")?,
                })
            })
            .await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// The young-teacher pipeline per school (团推优, R2.3).
    pub async fn youth_pipeline(&self, scope: &Scope, today: NaiveDate) -> Result<Vec<PipelineLine>> {
        let mut q = Query::select();
        q.expr_as(Expr::col(("i", "code")), "code")
            .expr_as(Expr::col(("i", "name")), "name")
            .column(("s", "political_status"))
            .column(("s", "development_stage"))
            .column(("p", "birth_date"))
            .from_as("staff", "s")
            .join_as(JoinType::InnerJoin, "institutions", "i", Expr::col(("i", "id")).equals(("s", "institution_id")))
            .join_as(JoinType::InnerJoin, "persons", "p", Expr::col(("p", "id")).equals(("s", "person_id")))
            .and_where(Expr::col(("s", "deleted_at")).is_null())
            .and_where(Expr::col(("p", "birth_date")).gt(NaiveDate::from_ymd_opt(today.year() - YOUNG_AGE - 1, 1, 1).expect("valid")))
            .order_by(("i", "code"), Order::Asc);
        scope_institutions(&mut q, scope, "i");
        let mut tx = self.read().await?;
        let rows = tx
            .all(&q, |r: &dyn Row| {
                Ok((r.text("code")?, r.text("name")?, r.text("political_status")?, r.text_opt("development_stage")?, r.date("birth_date")?))
            })
            .await?;
        tx.commit().await?;
        let mut out: Vec<PipelineLine> = Vec::new();
        for (code, name, status, stage, birth) in rows {
            let age = hongzhu_core::stats::age_on(birth, today);
            if age > YOUNG_AGE {
                continue;
            }
            if out.last().is_none_or(|l| l.code != code) {
                out.push(PipelineLine { code, name, ..Default::default() });
            }
            let l = out.last_mut().expect("just pushed");
            let league = status == "league" && age <= LEAGUE_AGE;
            l.league += i64::from(league);
            l.league_on_the_way += i64::from(league && stage.is_some());
            l.young_on_the_way += i64::from(stage.is_some());
            l.young_members += i64::from(status == "member" || status == "probationary");
        }
        Ok(out)
    }
}
