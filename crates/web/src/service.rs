//! 在职党员到社区报到、党员教师联系群众 (issue: 党建+, part 5; DOMAIN R6.3) and 党员教师志愿者+
//! 课后服务 (part 2): members register at their community and record their own service on the phone;
//! the branch and the county see each member's hours against the yearly target; service stations
//! take residents' concerns (居民说事) through raised → assigned → handled → answered.
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{Datelike, NaiveDate};
use hongzhu_core::labels::{Labeled, ServiceKind};
use hongzhu_core::service::ConcernState;
use hongzhu_ledger::table::Cell;
use hongzhu_store::service::{Concern, ServiceLine, ServiceRecord, Station};
use hongzhu_store::{OrgRow, StoreError};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::auth::{self, ApiUser, CurrentUser, Lang, PageUser};
use crate::error::{ApiError, AppError};
use crate::i18n::Tr;
use crate::pages::{
    PageResult, acting_orgs, audited_xlsx, chrome, county_or_secretary as allowed, local_today as today, own_member, render, year_param,
    zh_en as l,
};
use crate::view::{Chrome, Opt, enc};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/m/service", get(phone_page))
        .route("/m/service/register", post(phone_register))
        .route("/m/service/records", post(phone_record))
        .route("/service", get(list_page))
        .route("/service.xlsx", get(list_xlsx))
        .route("/service/stations", get(stations_page).post(station_add))
        .route("/service/concerns", get(concerns_page).post(concern_raise))
        .route("/service/concerns/{id}", post(concern_step))
        .route("/api/v1/service", get(api_lines))
        .route("/api/v1/service/records", post(api_record))
}

fn hours(tenths: i64) -> String {
    let h = tenths as f64 / 10.0;
    if tenths % 10 == 0 { format!("{h:.0}") } else { format!("{h:.1}") }
}

// ------------------------------------------------------------------ the member's phone page

#[derive(Template)]
#[template(path = "service_phone.html")]
struct PhonePage {
    t: Tr,
    csrf: String,
    line: Option<ServiceLine>,
    records: Vec<ServiceRecord>,
    kinds: Vec<(&'static str, &'static str)>,
    stations: Vec<Station>,
    target: f64,
    percent: u32,
    today: NaiveDate,
    msg: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct MsgQuery {
    msg: String,
    org: String,
    year: String,
    state: String,
}

async fn phone_page(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<MsgQuery>) -> PageResult {
    let m = own_member(&state, &u).await?;
    let year = today().year();
    let org = state.store.org_id(m.org.as_str()).await?.ok_or(AppError::NotFound)?;
    let line = state.store.service_lines(&[org], year).await?.into_iter().find(|l| l.member_id == m.meta.id);
    let records = state.store.service_records(m.meta.id, year).await?;
    let stations = state.store.stations(None).await?;
    let target = state.service_target;
    let percent = line.as_ref().map(|l| ((l.community_hours() / target) * 100.0).min(100.0) as u32).unwrap_or(0);
    let kinds = ServiceKind::ALL.iter().map(|k| (k.code(), k.label(t.lang()))).collect();
    render(PhonePage { t, csrf: u.csrf.clone(), line, records, kinds, stations, target, percent, today: today(), msg: q.msg })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RegisterForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    community: String,
    registered_on: String,
}

fn phone_back(msg: &str) -> Response {
    Redirect::to(&format!("/m/service?msg={}", enc(msg))).into_response()
}

async fn phone_register(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Form(f): Form<RegisterForm>) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    let m = own_member(&state, &u).await?;
    let Ok(on) = NaiveDate::parse_from_str(f.registered_on.trim(), "%Y-%m-%d") else {
        return Ok(phone_back(l(t, "报到日期应为 YYYY-MM-DD", "the date is YYYY-MM-DD")));
    };
    match state.store.register_service(m.meta.id, &f.community, on, today(), &u.user.username).await {
        Ok(()) => Ok(phone_back(l(t, "已登记报到社区", "registered"))),
        Err(StoreError::Refused(e)) => Ok(phone_back(e.message(t.lang()))),
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RecordForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    /// A member named by the form: only the signed-in member's own id is accepted.
    #[serde(alias = "member_id")]
    member: String,
    served_on: String,
    kind: String,
    hours: String,
    content: String,
    station: String,
}

/// Record one's own service: the form names no member; the record is the signed-in member's.
async fn save_record(state: &AppState, u: &CurrentUser, f: &RecordForm) -> Result<i64, AppError> {
    let m = own_member(state, u).await?;
    if !f.member.trim().is_empty() && f.member.trim() != m.meta.id.to_string() {
        return Err(AppError::Invalid(vec![hongzhu_core::registry::FieldError::new(
            "member",
            "someone_else",
            "只能记录本人的服务，不能替他人记录",
            "you record your own service only, not someone else's",
        )]));
    }
    let on = NaiveDate::parse_from_str(f.served_on.trim(), "%Y-%m-%d").map_err(|_| {
        AppError::Invalid(vec![hongzhu_core::registry::FieldError::new(
            "served_on",
            "date",
            "服务日期应为 YYYY-MM-DD",
            "the date is YYYY-MM-DD",
        )])
    })?;
    let kind = ServiceKind::parse(&f.kind).ok_or_else(|| {
        AppError::Invalid(vec![hongzhu_core::registry::FieldError::new(
            "kind",
            "kind",
            format!("服务类别应为：{}", ServiceKind::accepted_zh()),
            "choose the kind of service",
        )])
    })?;
    let station = f.station.trim().parse::<i64>().ok();
    match state.store.record_service(m.meta.id, on, kind, &f.hours, &f.content, station, today(), &u.user.username).await {
        Ok(id) => Ok(id),
        Err(StoreError::Refused(e)) => Err(AppError::Invalid(vec![e])),
        Err(e) => Err(e.into()),
    }
}

async fn phone_record(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Form(f): Form<RecordForm>) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    match save_record(&state, &u, &f).await {
        Ok(_) => Ok(phone_back(l(t, "服务记录已保存", "recorded"))),
        Err(AppError::Invalid(e)) => Ok(phone_back(&e.iter().map(|e| e.message(t.lang()).to_string()).collect::<Vec<_>>().join("；"))),
        Err(e) => Err(e),
    }
}

// ------------------------------------------------------------------ the branch's and county's view

#[derive(Template)]
#[template(path = "service.html")]
struct ListPage {
    c: Chrome,
    /// Several organizations and none chosen: one line per organization.
    by_org: Vec<OrgLine>,
    org: String,
    orgs: Vec<Opt>,
    lines: Vec<ServiceLine>,
    target: f64,
    year: i32,
    registered: usize,
    met: usize,
    total_tenths: i64,
    after_tenths: i64,
}

struct OrgLine {
    code: String,
    name: String,
    members: usize,
    registered: usize,
    met: usize,
    tenths: i64,
}

/// The organizations a user may look at (with members), and the one chosen.
async fn chosen_orgs(state: &AppState, u: &CurrentUser, asked: &str) -> Result<(Vec<OrgRow>, Vec<i64>), AppError> {
    let orgs: Vec<OrgRow> = state.store.orgs(&u.scope, None).await?.into_iter().filter(|o| o.member_count > 0).collect();
    let ids = match asked.trim() {
        "" => orgs.iter().map(|o| o.meta.id).collect(),
        code => vec![orgs.iter().find(|o| o.record.code.as_str() == code).ok_or(AppError::NotFound)?.meta.id],
    };
    Ok((orgs, ids))
}

async fn list_page(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<MsgQuery>) -> PageResult {
    allowed(&u)?;
    let year = year_param(&q.year);
    let (orgs, ids) = chosen_orgs(&state, &u, &q.org).await?;
    let lines = state.store.service_lines(&ids, year).await?;
    let target = state.service_target;
    let registered = lines.iter().filter(|l| l.community.is_some()).count();
    let met = lines.iter().filter(|l| l.met(target)).count();
    let total_tenths = lines.iter().map(|l| l.community_tenths).sum();
    let after_tenths = lines.iter().map(|l| l.after_school_tenths).sum();
    let by_org: Vec<OrgLine> = if q.org.trim().is_empty() && orgs.len() > 1 {
        orgs.iter()
            .map(|o| {
                let mine: Vec<&ServiceLine> = lines.iter().filter(|x| x.org_id == o.meta.id).collect();
                OrgLine {
                    code: o.record.code.to_string(),
                    name: o.record.name.clone(),
                    members: mine.len(),
                    registered: mine.iter().filter(|x| x.community.is_some()).count(),
                    met: mine.iter().filter(|x| x.met(target)).count(),
                    tenths: mine.iter().map(|x| x.community_tenths).sum(),
                }
            })
            .filter(|o| o.members > 0)
            .collect()
    } else {
        vec![]
    };
    let orgs = orgs
        .into_iter()
        .map(|o| Opt { selected: o.record.code.as_str() == q.org, value: o.record.code.to_string(), label: o.record.name })
        .collect();
    let title = l(t, "党员进社区服务", "Community service");
    let c = chrome(&state, t, &u, "service", title).await.crumb(t.t("menu_plus"), "/commitments").crumb(title, "/service");
    render(ListPage { c, by_org, org: q.org.clone(), orgs, lines, target, year, registered, met, total_tenths, after_tenths })
}

async fn list_xlsx(State(state): State<AppState>, PageUser(u): PageUser, Query(q): Query<MsgQuery>) -> PageResult {
    allowed(&u)?;
    let year = year_param(&q.year);
    let (_, ids) = chosen_orgs(&state, &u, &q.org).await?;
    let lines = state.store.service_lines(&ids, year).await?;
    let target = state.service_target;
    let cells: Vec<Vec<Cell>> = lines
        .iter()
        .map(|x| {
            vec![
                Cell::from(x.org_name.clone()),
                Cell::from(x.name.clone()),
                Cell::from(x.community.clone().unwrap_or_default()),
                Cell::from(x.registered_on.map(|d| d.to_string()).unwrap_or_default()),
                Cell::Number(x.community_hours()),
                Cell::Number(target),
                Cell::from(if x.met(target) { "达到" } else { "未达到" }),
                Cell::Number(x.after_school_hours()),
            ]
        })
        .collect();
    let columns = [
        ("党组织", 26.0),
        ("党员", 10.0),
        ("报到社区", 20.0),
        ("报到日期", 12.0),
        ("社区服务时长", 12.0),
        ("年度目标", 10.0),
        ("是否达到", 10.0),
        ("课后服务时长", 12.0),
    ];
    let bytes = hongzhu_ledger::table::table(&format!("{year}年在职党员到社区报到服务台账"), &format!("{year}年"), &columns, &cells)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    audited_xlsx(
        &state,
        &u,
        format!("service {year} org {}", if q.org.is_empty() { "all" } else { &q.org }),
        &format!("{} rows; fields: organization, member, community, date, hours, target", cells.len()),
        bytes,
        &format!("service-{year}.xlsx"),
        &format!("党员社区服务-{year}.xlsx"),
    )
    .await
}

// ------------------------------------------------------------------ stations and concerns

#[derive(Template)]
#[template(path = "service_stations.html")]
struct StationsPage {
    c: Chrome,
    stations: Vec<Station>,
    orgs: Vec<Opt>,
    today: NaiveDate,
    msg: String,
}

async fn own_station_orgs(state: &AppState, u: &CurrentUser) -> Result<Option<Vec<i64>>, AppError> {
    allowed(u)?;
    acting_orgs(state, u).await
}

async fn stations_page(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<MsgQuery>) -> PageResult {
    let orgs_in = own_station_orgs(&state, &u).await?;
    let stations = state.store.stations(orgs_in.as_deref()).await?;
    let orgs = state
        .store
        .orgs(&u.scope, None)
        .await?
        .into_iter()
        .map(|o| Opt { selected: false, value: o.record.code.to_string(), label: o.record.name })
        .collect();
    let title = l(t, "党员服务站", "Service stations");
    let c = chrome(&state, t, &u, "service", title)
        .await
        .crumb(t.t("menu_plus"), "/commitments")
        .crumb(l(t, "党员进社区服务", "Community service"), "/service")
        .crumb(title, "/service/stations");
    render(StationsPage { c, stations, orgs, today: today(), msg: q.msg })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct StationForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    org: String,
    name: String,
    community: String,
    opened_on: String,
}

async fn station_add(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Form(f): Form<StationForm>) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    allowed(&u)?;
    let back = |msg: &str| Redirect::to(&format!("/service/stations?msg={}", enc(msg))).into_response();
    let Some(org) = state.store.org(&u.scope, f.org.trim()).await? else {
        return Ok(back(l(t, "请选择本人范围内的党组织", "choose an organization in your scope")));
    };
    let Ok(on) = NaiveDate::parse_from_str(f.opened_on.trim(), "%Y-%m-%d") else {
        return Ok(back(l(t, "设立日期应为 YYYY-MM-DD", "the date is YYYY-MM-DD")));
    };
    if on > today() {
        return Ok(back(l(t, "设立日期不能晚于今天", "the date cannot be after today")));
    }
    match state.store.add_station(org.meta.id, &f.name, &f.community, on, &u.user.username).await {
        Ok(_) => Ok(back(l(t, "服务站已添加", "station added"))),
        Err(StoreError::Refused(e)) => Ok(back(e.message(t.lang()))),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "service_concerns.html")]
struct ConcernsPage {
    c: Chrome,
    concerns: Vec<Concern>,
    stations: Vec<Station>,
    members: Vec<(i64, Vec<Opt>)>,
    states: Vec<(&'static str, &'static str, bool)>,
    counts: [usize; 4],
    today: NaiveDate,
    msg: String,
}

async fn concerns_page(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<MsgQuery>) -> PageResult {
    let orgs_in = own_station_orgs(&state, &u).await?;
    let stations = state.store.stations(orgs_in.as_deref()).await?;
    let ids: Vec<i64> = stations.iter().map(|s| s.id).collect();
    let all = state.store.concerns(&ids).await?;
    let mut counts = [0usize; 4];
    for c in &all {
        counts[ConcernState::ALL.iter().position(|s| *s == c.state).unwrap_or(0)] += 1;
    }
    let concerns: Vec<Concern> = all.into_iter().filter(|c| q.state.is_empty() || c.state.code() == q.state).collect();
    // Members who may be assigned: those of the station's organization.
    let mut members = Vec::new();
    for org in stations.iter().map(|s| s.org_id).collect::<std::collections::BTreeSet<_>>() {
        let list = state
            .store
            .members_of_org(org)
            .await?
            .into_iter()
            .map(|m| Opt { selected: false, value: m.id.to_string(), label: m.name })
            .collect();
        members.push((org, list));
    }
    let states = ConcernState::ALL.iter().map(|s| (s.code(), if t.is_en() { s.en() } else { s.zh() }, s.code() == q.state)).collect();
    let title = l(t, "居民说事", "Residents' concerns");
    let c = chrome(&state, t, &u, "service", title)
        .await
        .crumb(t.t("menu_plus"), "/commitments")
        .crumb(l(t, "党员进社区服务", "Community service"), "/service")
        .crumb(title, "/service/concerns");
    render(ConcernsPage { c, concerns, stations, members, states, counts, today: today(), msg: q.msg })
}

impl ConcernsPage {
    fn members_of(&self, org: &i64) -> &[Opt] {
        self.members.iter().find(|(o, _)| o == org).map(|(_, m)| m.as_slice()).unwrap_or(&[])
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ConcernForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    station: String,
    raised_on: String,
    content: String,
    to: String,
    member: String,
    text: String,
}

async fn concern_raise(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Form(f): Form<ConcernForm>) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    let orgs_in = own_station_orgs(&state, &u).await?;
    let back = |msg: &str| Redirect::to(&format!("/service/concerns?msg={}", enc(msg))).into_response();
    let stations = state.store.stations(orgs_in.as_deref()).await?;
    let Some(station) = f.station.trim().parse::<i64>().ok().filter(|s| stations.iter().any(|x| x.id == *s)) else {
        return Ok(back(l(t, "请选择服务站", "choose a station")));
    };
    let Ok(on) = NaiveDate::parse_from_str(f.raised_on.trim(), "%Y-%m-%d") else {
        return Ok(back(l(t, "反映日期应为 YYYY-MM-DD", "the date is YYYY-MM-DD")));
    };
    match state.store.raise_concern(station, on, &f.content, today(), &u.user.username).await {
        Ok(_) => Ok(back(l(t, "已登记，请分派承办党员", "recorded: assign a member"))),
        Err(StoreError::Refused(e)) => Ok(back(e.message(t.lang()))),
        Err(e) => Err(e.into()),
    }
}

async fn concern_step(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<ConcernForm>,
) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    let orgs_in = own_station_orgs(&state, &u).await?;
    let back = |msg: &str| Redirect::to(&format!("/service/concerns?msg={}", enc(msg))).into_response();
    let stations = state.store.stations(orgs_in.as_deref()).await?;
    let ids: Vec<i64> = stations.iter().map(|s| s.id).collect();
    if !state.store.concerns(&ids).await?.iter().any(|c| c.id == id) {
        return Err(AppError::NotFound);
    }
    let Some(to) = ConcernState::from_code(f.to.trim()) else {
        return Ok(back(l(t, "请选择下一步", "choose the next step")));
    };
    // The store checks the member assigned belongs to the station's organization.
    let member = f.member.trim().parse::<i64>().ok();
    match state.store.step_concern(id, to, member, &f.text, today(), &u.user.username).await {
        Ok(()) => Ok(back(if t.is_en() { to.en() } else { to.zh() })),
        Err(StoreError::Refused(e)) => Ok(back(e.message(t.lang()))),
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------------ API

async fn api_lines(State(state): State<AppState>, ApiUser(u): ApiUser, Query(q): Query<MsgQuery>) -> Result<Response, ApiError> {
    allowed(&u)?;
    let year = year_param(&q.year);
    let (_, ids) = chosen_orgs(&state, &u, &q.org).await?;
    let lines = state.store.service_lines(&ids, year).await?;
    let target = state.service_target;
    let items: Vec<serde_json::Value> = lines
        .iter()
        .map(|x| {
            json!({"member_id": x.member_id, "name": x.name, "org": x.org_name, "community": x.community, "registered_on": x.registered_on,
                "community_hours": x.community_hours(), "after_school_hours": x.after_school_hours(), "met": x.met(target)})
        })
        .collect();
    Ok(axum::Json(json!({"year": year, "target_hours": target, "items": items})).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ApiRecord {
    served_on: String,
    kind: String,
    hours: String,
    content: String,
    station: String,
    member_id: String,
}

async fn api_record(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    headers: axum::http::HeaderMap,
    body: Result<axum::Json<serde_json::Value>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    crate::api::csrf(&u, &headers)?;
    let b: ApiRecord = crate::api::input(body)?;
    let f = RecordForm {
        csrf: String::new(),
        member: b.member_id,
        served_on: b.served_on,
        kind: b.kind,
        hours: b.hours,
        content: b.content,
        station: b.station,
    };
    let id = save_record(&state, &u, &f).await?;
    Ok((axum::http::StatusCode::CREATED, axum::Json(json!({"id": id})).into_response()).into_response())
}

/// Hours for templates.
pub fn fmt_hours(tenths: &i64) -> String {
    hours(*tenths)
}
