//! 条块结合 (issue: 党建+, part 2): members as head teachers and mental-health teachers against all
//! holders of those posts, safety lessons and mental-health activities given by members;
//! 送教下乡、同课异构 (part 4): teams of member teachers, trips to rural schools, one topic taught by
//! several, and which schools were reached how often; 带团建、带少建 (part 6): League branches and
//! Pioneer brigades with their leaders and guiding organization, their activities, and the
//! young-teacher pipeline (团推优, R2.3).
use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{Datelike, NaiveDate};
use hongzhu_core::labels::{Labeled, SchoolWorkKind, YouthForm, YouthUnitKind};
use hongzhu_core::registry::FieldError;
use hongzhu_core::schoolwork::{self, ActivityInput};
use hongzhu_ledger::table::Cell;
use hongzhu_store::schoolwork::{ActivityRow, PipelineLine, RoleLine, TeamRow, UnitRow};
use hongzhu_store::{InstitutionFilter, OrgRow, Scope, StoreError};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::{self, ApiUser, CurrentUser, Lang, PageUser};
use crate::error::{ApiError, AppError};
use crate::pages::{
    PageResult, acting_orgs as own_orgs, audited_xlsx, chrome, county_or_secretary as allowed, local_today as today, render,
    year_param as year_of, zh_en as l,
};
use crate::view::{Chrome, Opt, enc};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/school-work", get(roles_page))
        .route("/school-work.xlsx", get(roles_xlsx))
        .route("/school-work/activities/new", get(activity_form).post(activity_save))
        .route("/teaching", get(teaching_page))
        .route("/teaching.xlsx", get(teaching_xlsx))
        .route("/teaching/teams", post(team_save))
        .route("/youth", get(youth_page))
        .route("/youth.xlsx", get(youth_xlsx))
        .route("/youth/units", post(unit_save))
        .route("/api/v1/school-work", get(api_list))
        .route("/api/v1/school-work/activities", post(api_add))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct YearQuery {
    year: String,
    msg: String,
    kind: String,
    school: String,
    org: String,
}

// ------------------------------------------------------------------ 条块结合

#[derive(Template)]
#[template(path = "schoolwork.html")]
struct RolesPage {
    c: Chrome,
    year: i32,
    roles: Vec<RoleLine>,
    total: RoleLine,
    activities: Vec<ActivityRow>,
    msg: String,
}

fn sum_roles(roles: &[RoleLine]) -> RoleLine {
    roles.iter().fold(RoleLine::default(), |mut t, r| {
        t.staff += r.staff;
        t.members += r.members;
        t.head_teachers += r.head_teachers;
        t.head_teacher_members += r.head_teacher_members;
        t.mental += r.mental;
        t.mental_members += r.mental_members;
        t
    })
}

async fn roles_page(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<YearQuery>) -> PageResult {
    allowed(&u)?;
    let year = year_of(&q.year);
    let roles = state.store.school_roles(&u.scope).await?;
    let total = sum_roles(&roles);
    let activities = state.store.school_activities(&u.scope, &[SchoolWorkKind::SafetyLesson, SchoolWorkKind::PsychActivity], year).await?;
    let title = l(t, "党员在学校工作中", "Members in school work");
    let c = chrome(&state, t, &u, "schoolwork", title).await.crumb(t.t("menu_plus"), "/commitments").crumb(title, "/school-work");
    render(RolesPage { c, year, roles, total, activities, msg: q.msg })
}

async fn roles_xlsx(State(state): State<AppState>, PageUser(u): PageUser) -> PageResult {
    allowed(&u)?;
    let roles = state.store.school_roles(&u.scope).await?;
    let mut lines = roles.clone();
    let mut total = sum_roles(&roles);
    total.name = "合计".into();
    lines.push(total);
    let cells: Vec<Vec<Cell>> = lines
        .iter()
        .map(|r| {
            vec![
                Cell::from(r.code.clone()),
                Cell::from(r.name.clone()),
                Cell::from(r.town.clone()),
                Cell::Number(r.staff as f64),
                Cell::Number(r.members as f64),
                Cell::Number(r.head_teachers as f64),
                Cell::Number(r.head_teacher_members as f64),
                Cell::Number(r.mental as f64),
                Cell::Number(r.mental_members as f64),
            ]
        })
        .collect();
    let columns = [
        ("学校代码", 12.0),
        ("学校", 28.0),
        ("乡镇", 10.0),
        ("教职工", 8.0),
        ("党员", 8.0),
        ("班主任", 8.0),
        ("其中党员", 8.0),
        ("心理健康教师", 10.0),
        ("其中党员", 8.0),
    ];
    let bytes = hongzhu_ledger::table::table("党员教师担任班主任、心理健康教师情况", "条块结合", &columns, &cells)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    audited_xlsx(
        &state,
        &u,
        "school work roles".into(),
        &format!("{} rows; counts only", cells.len()),
        bytes,
        "school-work.xlsx",
        &format!("党员岗位情况-{}.xlsx", today()),
    )
    .await
}

async fn teaching_xlsx(State(state): State<AppState>, PageUser(u): PageUser, Query(q): Query<YearQuery>) -> PageResult {
    allowed(&u)?;
    let year = year_of(&q.year);
    let activities = state.store.school_activities(&u.scope, &[SchoolWorkKind::TeachingTrip, SchoolWorkKind::SameTopic], year).await?;
    let cells: Vec<Vec<Cell>> = activities
        .iter()
        .map(|a| {
            vec![
                Cell::from(a.held_on.to_string()),
                Cell::from(a.kind.zh()),
                Cell::from(a.title.clone()),
                Cell::from(a.institution_name.clone()),
                Cell::from(a.target_name.clone().unwrap_or_default()),
                Cell::from(a.team.clone().unwrap_or_default()),
                Cell::from(a.members.join("、")),
                Cell::Number(a.lessons as f64),
                Cell::Number(a.participants as f64),
            ]
        })
        .collect();
    let columns = [
        ("日期", 12.0),
        ("类别", 10.0),
        ("课题", 24.0),
        ("派出学校", 24.0),
        ("送教学校", 24.0),
        ("送教团队", 20.0),
        ("执教党员", 24.0),
        ("授课节数", 8.0),
        ("学生人次", 8.0),
    ];
    let bytes = hongzhu_ledger::table::table(&format!("{year}年送教下乡、同课异构记录"), &format!("{year}年"), &columns, &cells)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    audited_xlsx(
        &state,
        &u,
        format!("teaching {year}"),
        &format!("{} rows; fields: date, kind, topic, schools, team, members, lessons", cells.len()),
        bytes,
        &format!("teaching-{year}.xlsx"),
        &format!("送教下乡-{year}.xlsx"),
    )
    .await
}

async fn youth_xlsx(State(state): State<AppState>, PageUser(u): PageUser) -> PageResult {
    allowed(&u)?;
    let units = state.store.youth_units(&u.scope).await?;
    let pipeline = state.store.youth_pipeline(&u.scope, today()).await?;
    // One line per school: its League branch, its Pioneers brigade and its pipeline.
    let mut schools: BTreeMap<String, String> = BTreeMap::new();
    for x in &units {
        schools.insert(x.institution_code.clone(), x.institution_name.clone());
    }
    for p in &pipeline {
        schools.entry(p.code.clone()).or_insert_with(|| p.name.clone());
    }
    let unit = |code: &str, kind: YouthUnitKind| units.iter().find(|x| x.institution_code == code && x.kind == kind);
    let cells: Vec<Vec<Cell>> = schools
        .iter()
        .map(|(code, name)| {
            let mut row = vec![Cell::from(code.clone()), Cell::from(name.clone())];
            for kind in [YouthUnitKind::LeagueBranch, YouthUnitKind::PioneerBrigade] {
                match unit(code, kind) {
                    Some(x) => row.extend([
                        Cell::from(x.name.clone()),
                        Cell::from(x.leader.clone()),
                        Cell::from(x.guiding_org.clone().unwrap_or_default()),
                        Cell::Number(x.members as f64),
                    ]),
                    None => row.extend([Cell::from(""), Cell::from(""), Cell::from(""), Cell::from("")]),
                }
            }
            let p = pipeline.iter().find(|p| &p.code == code);
            row.extend([
                Cell::Number(p.map(|p| p.league).unwrap_or(0) as f64),
                Cell::Number(p.map(|p| p.league_on_the_way).unwrap_or(0) as f64),
                Cell::Number(p.map(|p| p.young_on_the_way).unwrap_or(0) as f64),
                Cell::Number(p.map(|p| p.young_members).unwrap_or(0) as f64),
            ]);
            row
        })
        .collect();
    let columns = [
        ("学校代码", 12.0),
        ("学校", 24.0),
        ("团组织", 24.0),
        ("团委书记", 8.0),
        ("指导党组织", 24.0),
        ("团员", 7.0),
        ("少先队大队", 22.0),
        ("大队辅导员", 8.0),
        ("指导党组织", 24.0),
        ("队员", 7.0),
        ("团员教师（≤28岁）", 10.0),
        ("其中已申请或推优", 10.0),
        ("青年教师在发展中", 10.0),
        ("青年党员", 8.0),
    ];
    let bytes =
        hongzhu_ledger::table::table("带团建带少建情况", "团队组织", &columns, &cells).map_err(|e| AppError::Internal(e.to_string()))?;
    audited_xlsx(
        &state,
        &u,
        "youth units and pipeline".into(),
        &format!("{} rows; units and counts", cells.len()),
        bytes,
        "youth.xlsx",
        &format!("带团建带少建-{}.xlsx", today()),
    )
    .await
}

// ------------------------------------------------------------------ recording an activity

#[derive(Template)]
#[template(path = "schoolwork_form.html")]
struct FormPage {
    c: Chrome,
    kind: SchoolWorkKind,
    kinds: Vec<(&'static str, &'static str, bool)>,
    schools: Vec<Opt>,
    school: String,
    members: Vec<(i64, String, bool)>,
    targets: Vec<Opt>,
    teams: Vec<TeamRow>,
    forms: Vec<(&'static str, &'static str)>,
    f: ActivityInput,
    errors: Vec<String>,
    today: NaiveDate,
}

async fn schools_of(state: &AppState, u: &CurrentUser) -> Result<Vec<Opt>, AppError> {
    Ok(state
        .store
        .institutions(&u.scope, &InstitutionFilter { page: 1, page_size: 1000, ..Default::default() })
        .await?
        .items
        .into_iter()
        .map(|i| Opt { selected: false, value: i.record.code.to_string(), label: i.record.name })
        .collect())
}

/// The Party members teaching at a school (by its code).
async fn members_at(state: &AppState, u: &CurrentUser, school: &str) -> Result<Vec<(i64, String)>, AppError> {
    let Some(inst) = state.store.institution(&u.scope, school).await? else { return Ok(vec![]) };
    Ok(state.store.members_at_school(inst.meta.id).await?.into_iter().map(|m| (m.id, m.name)).collect())
}

#[allow(clippy::too_many_arguments)]
async fn render_form(
    state: &AppState,
    t: crate::i18n::Tr,
    u: &CurrentUser,
    f: ActivityInput,
    school: String,
    chosen: &[i64],
    errors: Vec<String>,
) -> PageResult {
    let kind = SchoolWorkKind::parse(&f.kind).unwrap_or(SchoolWorkKind::SafetyLesson);
    let mut schools = schools_of(state, u).await?;
    let school = if school.is_empty() { schools.first().map(|s| s.value.clone()).unwrap_or_default() } else { school };
    for s in &mut schools {
        s.selected = s.value == school;
    }
    let members = members_at(state, u, &school).await?.into_iter().map(|(id, n)| (id, n, chosen.contains(&id))).collect();
    let targets = if kind == SchoolWorkKind::TeachingTrip {
        state
            .store
            .institutions(&Scope::All, &InstitutionFilter { page: 1, page_size: 1000, ..Default::default() })
            .await?
            .items
            .into_iter()
            .filter(|i| i.record.code.as_str() != school)
            .map(|i| Opt {
                selected: i.record.code.as_str() == f.target,
                value: i.record.code.to_string(),
                label: format!("{}（{}）", i.record.name, i.town_name),
            })
            .collect()
    } else {
        vec![]
    };
    let orgs = own_orgs(state, u).await?;
    let teams = if kind == SchoolWorkKind::TeachingTrip { state.store.teams(orgs.as_deref(), None).await? } else { vec![] };
    let kinds = SchoolWorkKind::ALL.iter().map(|k| (k.code(), k.label(t.lang()), *k == kind)).collect();
    let forms = YouthForm::ALL.iter().map(|x| (x.code(), x.label(t.lang()))).collect();
    let title = l(t, "登记活动", "Record an activity");
    let c =
        chrome(state, t, u, "schoolwork", title).await.crumb(t.t("menu_plus"), "/commitments").crumb(title, "/school-work/activities/new");
    let bad = !errors.is_empty();
    let mut res = render(FormPage { c, kind, kinds, schools, school, members, targets, teams, forms, f, errors, today: today() })?;
    if bad {
        *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

async fn activity_form(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<YearQuery>) -> PageResult {
    allowed(&u)?;
    let f = ActivityInput { kind: q.kind.clone(), held_on: today().to_string(), ..Default::default() };
    render_form(&state, t, &u, f, q.school.clone(), &[], vec![]).await
}

/// Record an activity: the school in the user's scope, the members teaching there.
async fn add_activity(
    state: &AppState,
    u: &CurrentUser,
    school: &str,
    f: &ActivityInput,
    team: &str,
    members: &[i64],
) -> Result<Result<i64, Vec<FieldError>>, AppError> {
    allowed(u)?;
    let Some(inst) = state.store.institution(&u.scope, school.trim()).await? else {
        return Ok(Err(vec![FieldError::new("school", "school", "请选择本人范围内的学校", "choose a school in your scope")]));
    };
    let a = match schoolwork::check_activity(f, inst.record.code.as_str(), members.len(), today()) {
        Ok(a) => a,
        Err(e) => return Ok(Err(e)),
    };
    let team = team.trim().parse::<i64>().ok().filter(|_| a.kind == SchoolWorkKind::TeachingTrip);
    if let Some(tid) = team {
        let orgs = own_orgs(state, u).await?;
        if !state.store.teams(orgs.as_deref(), None).await?.iter().any(|x| x.id == tid) {
            return Ok(Err(vec![FieldError::new("team", "team", "送教团队不存在或不属于本人范围", "no such team in your scope")]));
        }
    }
    match state.store.add_school_activity(inst.meta.id, &a, team, members, &u.user.username).await {
        Ok(id) => Ok(Ok(id)),
        Err(StoreError::Refused(e)) => Ok(Err(vec![e])),
        Err(e) => Err(e.into()),
    }
}

fn where_to(kind: SchoolWorkKind) -> &'static str {
    match kind {
        SchoolWorkKind::SafetyLesson | SchoolWorkKind::PsychActivity => "/school-work",
        SchoolWorkKind::TeachingTrip | SchoolWorkKind::SameTopic => "/teaching",
        _ => "/youth",
    }
}

async fn activity_save(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, body: String) -> PageResult {
    let mut f = ActivityInput::default();
    let (mut csrf, mut school, mut team, mut members) = (String::new(), String::new(), String::new(), Vec::new());
    for (k, v) in url::form_urlencoded::parse(body.as_bytes()) {
        let v = v.into_owned();
        match k.as_ref() {
            "_csrf" => csrf = v,
            "school" => school = v,
            "team" => team = v,
            "members" => members.extend(v.parse::<i64>().ok()),
            "kind" => f.kind = v,
            "held_on" => f.held_on = v,
            "title" => f.title = v,
            "target" => f.target = v,
            "lessons" => f.lessons = v,
            "participants" => f.participants = v,
            "form" => f.form = v,
            "note" => f.note = v,
            _ => {}
        }
    }
    auth::check_csrf(&u, Some(&csrf))?;
    match add_activity(&state, &u, &school, &f, &team, &members).await? {
        Ok(_) => {
            let kind = SchoolWorkKind::parse(&f.kind).unwrap_or(SchoolWorkKind::SafetyLesson);
            Ok(Redirect::to(&format!("{}?msg={}", where_to(kind), enc(l(t, "活动已登记", "recorded")))).into_response())
        }
        Err(errors) => {
            let errors = errors.iter().map(|e| e.message(t.lang()).to_string()).collect();
            render_form(&state, t, &u, f, school, &members, errors).await
        }
    }
}

// ------------------------------------------------------------------ 送教下乡、同课异构

struct Reach {
    code: String,
    name: String,
    trips: i64,
    lessons: i64,
    last: NaiveDate,
}

#[derive(Template)]
#[template(path = "teaching.html")]
struct TeachingPage {
    c: Chrome,
    year: i32,
    teams: Vec<TeamRow>,
    activities: Vec<ActivityRow>,
    reach: Vec<Reach>,
    orgs: Vec<Opt>,
    org_members: Vec<(i64, String)>,
    msg: String,
}

async fn teaching_page(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<YearQuery>) -> PageResult {
    allowed(&u)?;
    let year = year_of(&q.year);
    let orgs_in = own_orgs(&state, &u).await?;
    let teams = state.store.teams(orgs_in.as_deref(), Some(year)).await?;
    let activities = state.store.school_activities(&u.scope, &[SchoolWorkKind::TeachingTrip, SchoolWorkKind::SameTopic], year).await?;
    let mut by: BTreeMap<String, Reach> = BTreeMap::new();
    for a in activities.iter().filter(|a| a.kind == SchoolWorkKind::TeachingTrip) {
        let (Some(code), Some(name)) = (&a.target_code, &a.target_name) else { continue };
        let e = by.entry(code.clone()).or_insert(Reach { code: code.clone(), name: name.clone(), trips: 0, lessons: 0, last: a.held_on });
        e.trips += 1;
        e.lessons += a.lessons;
        e.last = e.last.max(a.held_on);
    }
    let mut reach: Vec<Reach> = by.into_values().collect();
    reach.sort_by(|a, b| b.trips.cmp(&a.trips).then(a.code.cmp(&b.code)));
    let orgs: Vec<OrgRow> = state.store.orgs(&u.scope, None).await?.into_iter().filter(|o| o.member_count > 0).collect();
    let chosen = orgs
        .iter()
        .find(|o| o.record.code.as_str() == q.org)
        .or_else(|| orgs.iter().find(|o| Some(o.meta.id) == u.user.org_id))
        .or(orgs.first());
    let org_members = match chosen {
        Some(o) => state.store.members_of_org(o.meta.id).await?.into_iter().map(|m| (m.id, m.name)).collect(),
        None => vec![],
    };
    let chosen_code = chosen.map(|o| o.record.code.to_string()).unwrap_or_default();
    let orgs = orgs
        .into_iter()
        .map(|o| Opt { selected: o.record.code.as_str() == chosen_code, value: o.record.code.to_string(), label: o.record.name })
        .collect();
    let title = l(t, "送教下乡 · 同课异构", "Teaching support");
    let c = chrome(&state, t, &u, "teaching", title).await.crumb(t.t("menu_plus"), "/commitments").crumb(title, "/teaching");
    render(TeachingPage { c, year, teams, activities, reach, orgs, org_members, msg: q.msg })
}

async fn team_save(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, body: String) -> PageResult {
    let (mut csrf, mut org, mut name, mut members) = (String::new(), String::new(), String::new(), Vec::new());
    for (k, v) in url::form_urlencoded::parse(body.as_bytes()) {
        match k.as_ref() {
            "_csrf" => csrf = v.into_owned(),
            "org" => org = v.into_owned(),
            "name" => name = v.into_owned(),
            "members" => members.extend(v.parse::<i64>().ok()),
            _ => {}
        }
    }
    auth::check_csrf(&u, Some(&csrf))?;
    allowed(&u)?;
    let back = |msg: &str| Redirect::to(&format!("/teaching?org={}&msg={}", enc(&org), enc(msg))).into_response();
    let Some(o) = state.store.org(&u.scope, org.trim()).await? else {
        return Ok(back(l(t, "请选择本人范围内的党组织", "choose an organization in your scope")));
    };
    // The store checks the members belong to the organization.
    match state.store.add_team(o.meta.id, &name, today().year(), &members, &u.user.username).await {
        Ok(_) => Ok(back(l(t, "送教团队已建立", "team made"))),
        Err(StoreError::Refused(e)) => Ok(back(e.message(t.lang()))),
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------------ 带团建、带少建

#[derive(Template)]
#[template(path = "youth.html")]
struct YouthPage {
    c: Chrome,
    year: i32,
    units: Vec<UnitRow>,
    pipeline: Vec<PipelineLine>,
    activities: Vec<ActivityRow>,
    schools: Vec<Opt>,
    orgs: Vec<Opt>,
    unit_kinds: Vec<(&'static str, &'static str)>,
    msg: String,
}

async fn youth_page(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<YearQuery>) -> PageResult {
    allowed(&u)?;
    let year = year_of(&q.year);
    let units = state.store.youth_units(&u.scope).await?;
    let pipeline =
        state.store.youth_pipeline(&u.scope, today()).await?.into_iter().filter(|p| p.league > 0 || p.young_on_the_way > 0).collect();
    let activities =
        state.store.school_activities(&u.scope, &[SchoolWorkKind::LeagueActivity, SchoolWorkKind::PioneerActivity], year).await?;
    let schools = schools_of(&state, &u).await?;
    let orgs = state
        .store
        .orgs(&u.scope, None)
        .await?
        .into_iter()
        .map(|o| Opt { selected: false, value: o.record.code.to_string(), label: o.record.name })
        .collect();
    let unit_kinds = YouthUnitKind::ALL.iter().map(|k| (k.code(), k.label(t.lang()))).collect();
    let title = l(t, "带团建 · 带少建", "Youth League and Young Pioneers");
    let c = chrome(&state, t, &u, "youth", title).await.crumb(t.t("menu_plus"), "/commitments").crumb(title, "/youth");
    render(YouthPage { c, year, units, pipeline, activities, schools, orgs, unit_kinds, msg: q.msg })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct UnitForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    school: String,
    kind: String,
    name: String,
    leader: String,
    org: String,
    members: String,
}

async fn unit_save(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    axum::extract::Form(f): axum::extract::Form<UnitForm>,
) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    allowed(&u)?;
    let back = |msg: &str| Redirect::to(&format!("/youth?msg={}", enc(msg))).into_response();
    let Some(inst) = state.store.institution(&u.scope, f.school.trim()).await? else {
        return Ok(back(l(t, "请选择本人范围内的学校", "choose a school in your scope")));
    };
    let Some(kind) = YouthUnitKind::parse(&f.kind) else {
        return Ok(back(l(t, "请选择团支部或少先队大队", "choose a League branch or a Pioneers brigade")));
    };
    let org = match f.org.trim() {
        "" => None,
        code => Some(state.store.org(&u.scope, code).await?.ok_or(AppError::NotFound)?.meta.id),
    };
    let Ok(members) = (if f.members.trim().is_empty() { Ok(0) } else { f.members.trim().parse::<i64>() }) else {
        return Ok(back(l(t, "人数应为 0 到 10000 的整数", "members is a whole number from 0 to 10,000")));
    };
    match state.store.save_youth_unit(inst.meta.id, kind, &f.name, &f.leader, org, members, &u.user.username).await {
        Ok(()) => Ok(back(l(t, "已保存", "saved"))),
        Err(StoreError::Refused(e)) => Ok(back(e.message(t.lang()))),
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------------ API

async fn api_list(State(state): State<AppState>, ApiUser(u): ApiUser, Query(q): Query<YearQuery>) -> Result<Response, ApiError> {
    allowed(&u)?;
    let year = year_of(&q.year);
    let roles = state.store.school_roles(&u.scope).await?;
    let activities = state.store.school_activities(&u.scope, SchoolWorkKind::ALL, year).await?;
    let units = state.store.youth_units(&u.scope).await?;
    let pipeline = state.store.youth_pipeline(&u.scope, today()).await?;
    Ok(axum::Json(json!({"year": year, "roles": roles, "activities": activities, "youth_units": units, "pipeline": pipeline}))
        .into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ApiActivity {
    school: String,
    kind: String,
    held_on: String,
    title: String,
    target: String,
    team: Option<i64>,
    lessons: Option<i64>,
    participants: Option<i64>,
    form: String,
    note: String,
    members: Vec<i64>,
}

async fn api_add(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    headers: HeaderMap,
    body: Result<axum::Json<Value>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    crate::api::csrf(&u, &headers)?;
    // Members are a list of ids and counts numbers: read as JSON, not as text fields.
    let axum::Json(v) = body.map_err(|e| ApiError(crate::error::json_rejection(e, "对象")))?;
    let b: ApiActivity = serde_json::from_value(v).map_err(|e| AppError::BadRequest(format!("请求体字段有误：{e}")))?;
    let f = ActivityInput {
        kind: b.kind,
        held_on: b.held_on,
        title: b.title,
        target: b.target,
        lessons: b.lessons.map(|n| n.to_string()).unwrap_or_default(),
        participants: b.participants.map(|n| n.to_string()).unwrap_or_default(),
        form: b.form,
        note: b.note,
    };
    match add_activity(&state, &u, &b.school, &f, &b.team.map(|t| t.to_string()).unwrap_or_default(), &b.members).await? {
        Ok(id) => Ok((axum::http::StatusCode::CREATED, axum::Json(json!({"id": id}))).into_response()),
        Err(e) => Err(AppError::Invalid(e).into()),
    }
}
