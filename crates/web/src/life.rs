//! 组织生活 (DOMAIN §4): activities and their records, the review flow, attendance and phone
//! check-in with a server-made QR code, compliance (R3.1–R3.3) for the county with drill-down to
//! an organization and its to-do list, members absent from organizational life (R3.5), study
//! hours (R3.4), 民主评议 (R3.3), observation events and the cadres they reach, the monthly
//! themes, the month calendar, and the 三会一课 record book (print and Excel).
use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{Datelike, Duration, NaiveDate, Utc};
use hongzhu_core::labels::{ActivityKind, ActivityStatus, AttendState, Grade, Labeled, OptLabel};
use hongzhu_core::life::{self, Activity, ActivityInput, OrgCompliance, Period, Todo, to_local};
use hongzhu_core::registry::FieldError;
use hongzhu_store::{ActivityFilter, ActivityRow, AttendanceRow, Review, Role, Scope, Turnout};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{self, ApiUser, CurrentUser, Lang, PageUser};
use crate::error::{ApiError, AppError};
use crate::i18n::Tr;
use crate::pages::{local_today as today, zh_en as l};
use crate::view::*;

type PageResult = Result<Response, AppError>;
type ApiResult = Result<Response, ApiError>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/life", get(list))
        .route("/life/new", get(new_form).post(create))
        .route("/life/compliance", get(compliance_page))
        .route("/life/compliance/{org}", get(org_compliance_page))
        .route("/life/compliance/{org}/study", post(study_add))
        .route("/life/absent", get(absent_page))
        .route("/life/calendar", get(calendar_page))
        .route("/life/guides", get(guides_page).post(guide_publish))
        .route("/life/kinds", post(kind_add))
        .route("/life/kinds/{id}/delete", post(kind_remove))
        .route("/life/observation", get(observation_page))
        .route("/life/evaluations", get(evaluations_page).post(evaluations_save))
        .route("/life/book", get(book_page))
        .route("/life/book.xlsx", get(book_xlsx))
        .route("/life/{id}", get(detail))
        .route("/life/{id}/edit", get(edit_form).post(update))
        .route("/life/{id}/review", post(review))
        .route("/life/{id}/attendance", post(mark))
        .route("/life/{id}/qr.svg", get(qr_svg))
        .route("/life/{id}/files", post(upload_file).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)))
        .route("/life/files/{fid}", get(download_file))
        .route("/life/files/{fid}/delete", post(delete_file))
        .route("/m/checkin/{id}", get(checkin_page).post(checkin_submit))
        .route("/api/v1/activities", get(api_list).post(api_create))
        .route("/api/v1/activities/{id}", get(api_get).put(api_update))
        .route("/api/v1/activities/{id}/review", post(api_review))
        .route("/api/v1/activities/{id}/attendance", get(api_attendance))
        .route("/api/v1/activities/{id}/checkin", post(api_checkin))
        .route("/api/v1/activities/{id}/files", get(api_files).post(api_upload).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)))
        .route("/api/v1/life/compliance", get(api_compliance))
        .route("/api/v1/life/absent", get(api_absent))
        .route("/api/v1/life/observation", get(api_observation))
        .route("/api/v1/life/guides", get(api_guides).post(api_guide_publish))
        .route("/api/v1/life/evaluations", get(api_evaluations).put(api_evaluations_save))
        .route("/api/v1/life/study", post(api_study))
}

/// `15:27` in China time.
pub fn local_hm(t: &chrono::DateTime<Utc>) -> String {
    to_local(*t).format("%H:%M").to_string()
}

/// S19: an attachment upload may carry one file of the largest accepted size plus its form.
const UPLOAD_LIMIT: usize = life::ATTACHMENT_MAX_BYTES + 64 * 1024;

fn render<T: Template>(t: T) -> PageResult {
    let body = t.render().map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Html(body).into_response())
}

fn staff_only(u: &CurrentUser) -> Result<(), AppError> {
    if u.role() == Role::Member { Err(AppError::Forbidden) } else { Ok(()) }
}

fn year_of(s: &str) -> Result<i32, AppError> {
    if s.trim().is_empty() {
        return Ok(today().year());
    }
    match s.trim().parse::<i32>() {
        Ok(y) if (2000..=2100).contains(&y) => Ok(y),
        _ => Err(AppError::Invalid(vec![FieldError::new(
            "year",
            "year",
            format!("年度“{s}”无效，请写四位年份，如 2026"),
            "year is a four-digit year",
        )])),
    }
}

/// May this user write the records of the activity's organization?
fn can_write(u: &CurrentUser, org_id: i64) -> bool {
    match (&u.scope, u.role()) {
        (_, Role::Member) => false,
        (Scope::Within { orgs, .. }, Role::Secretary) => orgs.contains(&org_id),
        (_, Role::CountyAdmin) => true,
        _ => false,
    }
}

/// Review is the higher organization's: the county, or a secretary for the organizations under
/// their own (not their own organization's records).
fn can_review(u: &CurrentUser, a: &ActivityRow) -> bool {
    match u.role() {
        Role::CountyAdmin => true,
        Role::Secretary => can_write(u, a.org_id) && u.user.org_id != Some(a.org_id),
        Role::Member | Role::SystemAdmin | Role::SecurityAdmin | Role::AuditAdmin => false,
    }
}

/// Organizations the user may record activities for: (code, name).
async fn writable_orgs(state: &AppState, u: &CurrentUser) -> Result<Vec<(String, String)>, AppError> {
    Ok(state.store.orgs(&u.scope, None).await?.into_iter().map(|o| (o.record.code.to_string(), o.record.name)).collect())
}

fn status_tag(s: ActivityStatus) -> &'static str {
    match s {
        ActivityStatus::Planned => "tag",
        ActivityStatus::Draft => "tag tag-gold",
        ActivityStatus::Submitted => "tag tag-gold",
        ActivityStatus::Accepted => "tag tag-ok",
        ActivityStatus::Returned => "tag tag-danger",
    }
}

// ------------------------------------------------------------------ list

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    org: String,
    kind: String,
    status: String,
    from: String,
    to: String,
    q: String,
    page: Option<u64>,
    page_size: Option<u64>,
}

struct ListLine {
    a: ActivityRow,
    date: String,
    kind: String,
    turnout: Turnout,
    status_class: &'static str,
}

#[derive(Template)]
#[template(path = "life_list.html")]
struct ListPage {
    c: Chrome,
    q: ListQuery,
    orgs: Vec<Opt>,
    kinds: Vec<Opt>,
    statuses: Vec<Opt>,
    rows: Vec<ListLine>,
    pager: Pager,
    problems: Vec<String>,
}

/// Table lines for activities, with their attendance counts; `fmt` formats the local start time.
async fn list_lines(state: &AppState, t: Tr, items: Vec<ActivityRow>, fmt: &str) -> Result<Vec<ListLine>, AppError> {
    let ids: Vec<i64> = items.iter().map(|a| a.id).collect();
    let turnouts = state.store.turnouts(&ids).await?;
    Ok(items
        .into_iter()
        .map(|a| ListLine {
            date: to_local(a.activity.starts_at).format(fmt).to_string(),
            kind: a.kind_label(t.lang()),
            turnout: turnouts.get(&a.id).copied().unwrap_or_default(),
            status_class: status_tag(a.status),
            a,
        })
        .collect())
}

fn filter_of(q: &ListQuery) -> (ActivityFilter, Vec<FieldError>) {
    let mut errors = Vec::new();
    let mut date = |field: &'static str, s: &str| {
        if s.trim().is_empty() {
            return None;
        }
        let d = hongzhu_core::registry::parse_date(s);
        if d.is_none() {
            errors.push(FieldError::new(
                field,
                "date",
                format!("日期“{s}”无效，请写作 2026-11-01"),
                format!("{field}: write a date like 2026-11-01"),
            ));
        }
        d
    };
    let from = date("from", &q.from);
    let to = date("to", &q.to);
    let f = ActivityFilter {
        org: Some(q.org.clone()).filter(|s| !s.is_empty()),
        kind: ActivityKind::parse(&q.kind),
        status: ActivityStatus::parse(&q.status),
        from,
        to,
        q: Some(q.q.clone()).filter(|s| !s.trim().is_empty()),
        page: q.page.unwrap_or(1),
        page_size: q.page_size.unwrap_or(20),
    };
    (f, errors)
}

async fn list(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<ListQuery>) -> PageResult {
    staff_only(&u)?;
    let (f, errors) = filter_of(&q);
    let page = state.store.activities(&u.scope, &f).await?;
    let rows = list_lines(&state, t, page.items, "%Y-%m-%d %H:%M").await?;
    let orgs = writable_orgs(&state, &u)
        .await?
        .into_iter()
        .map(|(code, name)| Opt { selected: code == q.org, value: code, label: name })
        .collect();
    let pager = Pager::new(
        page.total,
        page.page,
        page.page_size,
        "/life",
        &[
            ("org", q.org.clone()),
            ("kind", q.kind.clone()),
            ("status", q.status.clone()),
            ("from", q.from.clone()),
            ("to", q.to.clone()),
            ("q", q.q.clone()),
        ],
    );
    let title = l(t, "活动记录", "Activities");
    let c = crate::pages::chrome(&state, t, &u, "life", title).await.crumb(t.t("menu_life"), "/life").crumb(title, "/life");
    let problems = errors.iter().map(|e| e.message(t.lang()).to_string()).collect();
    render(ListPage {
        c,
        kinds: label_options::<ActivityKind>(t, &q.kind),
        statuses: label_options::<ActivityStatus>(t, &q.status),
        orgs,
        rows,
        pager,
        q,
        problems,
    })
}

// ------------------------------------------------------------------ create / edit

#[derive(Deserialize, Default)]
#[serde(default)]
struct ActivityForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    #[serde(rename = "_version")]
    version: Option<i64>,
    #[serde(flatten)]
    input: ActivityInput,
}

#[derive(Template)]
#[template(path = "life_form.html")]
struct FormPage {
    c: Chrome,
    action: String,
    cancel: String,
    version: Option<i64>,
    v: ActivityInput,
    orgs: Vec<Opt>,
    kinds: Vec<Opt>,
    invite: Vec<(String, String, bool)>,
    host_options: Vec<Opt>,
    errors: Vec<(String, String)>,
    editing: bool,
    guide: Option<String>,
    other_kinds: Vec<String>,
}

impl FormPage {
    fn err(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|e| e.0 == field).map(|e| e.1.as_str())
    }
    fn held(&self) -> bool {
        matches!(self.v.held.as_str(), "1" | "true" | "on")
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NewQuery {
    org: String,
    kind: String,
    date: String,
}

async fn form_page(
    state: &AppState,
    t: Tr,
    u: &CurrentUser,
    v: ActivityInput,
    errors: &[FieldError],
    editing: Option<(i64, i64)>,
    (invited, hosts): (&[String], &[String]),
) -> PageResult {
    let orgs = writable_orgs(state, u).await?;
    let kinds = ActivityKind::ALL
        .iter()
        .filter(|k| **k != ActivityKind::Observation || u.is_admin())
        .map(|k| Opt { value: k.code().into(), label: k.label(t.lang()).into(), selected: k.code() == v.kind || k.zh() == v.kind })
        .collect();
    let invite = if u.is_admin() {
        orgs.iter().map(|(code, name)| (code.clone(), name.clone(), invited.contains(code))).collect()
    } else {
        Vec::new()
    };
    // Host schools of an observation event, chosen when it is made.
    let host_options = if u.is_admin() && editing.is_none() {
        state
            .store
            .institutions(&u.scope, &hongzhu_store::InstitutionFilter { page: 1, page_size: 500, ..Default::default() })
            .await?
            .items
            .into_iter()
            .map(|i| Opt { selected: hosts.contains(&i.record.code.to_string()), value: i.record.code.to_string(), label: i.record.name })
            .collect()
    } else {
        Vec::new()
    };
    let month = hongzhu_core::registry::parse_date(&v.date).unwrap_or_else(today);
    let region = u.user.region_code.clone().unwrap_or_default();
    let guide = state
        .store
        .guides(&region)
        .await?
        .into_iter()
        .find(|g| g.month.year() == month.year() && g.month.month() == month.month())
        .map(|g| format!("{}（{}）", g.topic, g.materials));
    let title = if editing.is_some() { l(t, "编辑活动", "Edit activity") } else { l(t, "登记活动", "New activity") };
    let (action, cancel) = match editing {
        Some((id, _)) => (format!("/life/{id}/edit"), format!("/life/{id}")),
        None => ("/life/new".to_string(), "/life".to_string()),
    };
    let c = crate::pages::chrome(state, t, u, "life", title).await.crumb(t.t("menu_life"), "/life").crumb(title, &action);
    let mut res = render(FormPage {
        c,
        action,
        cancel,
        version: editing.map(|e| e.1),
        orgs: orgs.iter().map(|(code, name)| Opt { value: code.clone(), label: name.clone(), selected: *code == v.org }).collect(),
        kinds,
        invite,
        host_options,
        errors: errors.iter().map(|e| (e.field.to_string(), e.message(t.lang()).to_string())).collect(),
        editing: editing.is_some(),
        guide,
        other_kinds: state.store.activity_kinds(&region).await?.into_iter().map(|k| k.1).collect(),
        v,
    })?;
    if !errors.is_empty() {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

async fn new_form(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<NewQuery>) -> PageResult {
    if !u.can_edit() {
        return Err(AppError::Forbidden);
    }
    let org = if q.org.is_empty() { writable_orgs(&state, &u).await?.into_iter().next().map(|o| o.0).unwrap_or_default() } else { q.org };
    let v = ActivityInput {
        org,
        kind: if q.kind.is_empty() { "theme_day".into() } else { q.kind },
        date: if q.date.is_empty() { today().to_string() } else { q.date },
        time: "15:30".into(),
        ..Default::default()
    };
    form_page(&state, t, &u, v, &[], None, (&[], &[])).await
}

/// The organization of an input must be one the user writes for.
async fn check_org(state: &AppState, u: &CurrentUser, a: &Activity) -> Result<(), Vec<FieldError>> {
    let ok = match state.store.org(&u.scope, a.org.as_str()).await {
        Ok(Some(o)) => can_write(u, o.meta.id),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(vec![FieldError::new("org", "out_of_scope", "该党组织不在您的管理范围内", "the organization is outside your scope")])
    }
}

/// An "other" activity takes its name from the county's list when the county keeps one.
async fn check_kind_name(state: &AppState, u: &CurrentUser, a: &Activity) -> Result<Result<(), Vec<FieldError>>, AppError> {
    if a.kind != ActivityKind::Other {
        return Ok(Ok(()));
    }
    let kinds = state.store.activity_kinds(&u.user.region_code.clone().unwrap_or_default()).await?;
    let name = a.kind_name.as_deref().unwrap_or("");
    if kinds.is_empty() || kinds.iter().any(|k| k.1 == name) {
        return Ok(Ok(()));
    }
    let list = kinds.iter().map(|k| k.1.as_str()).collect::<Vec<_>>().join("、");
    Ok(Err(vec![FieldError::new(
        "kind_name",
        "not_in_list",
        format!("其他活动名称“{name}”不在本县的活动类型中，可选：{list}（县级管理员可在“月度主题”页增加）"),
        format!("\"{name}\" is not one of the county's kinds: {list}"),
    )]))
}

fn invited_of(body: &str) -> Vec<String> {
    url::form_urlencoded::parse(body.as_bytes()).filter(|(k, _)| k == "invited").map(|(_, v)| v.into_owned()).collect()
}

fn hosts_of(body: &str) -> Vec<String> {
    url::form_urlencoded::parse(body.as_bytes()).filter(|(k, v)| k == "hosts" && !v.is_empty()).map(|(_, v)| v.into_owned()).collect()
}

async fn create(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, body: String) -> PageResult {
    let f: ActivityForm = serde_urlencoded_form(&body)?;
    auth::check_csrf(&u, Some(&f.csrf))?;
    if !u.can_edit() {
        return Err(AppError::Forbidden);
    }
    let invited = invited_of(&body);
    let hosts = hosts_of(&body);
    let parsed = f.input.parse(Utc::now());
    let a = match parsed {
        Err(e) => return form_page(&state, t, &u, f.input, &e, None, (&invited, &hosts)).await,
        Ok(a) => a,
    };
    if let Err(e) = check_org(&state, &u, &a).await {
        return form_page(&state, t, &u, f.input, &e, None, (&invited, &hosts)).await;
    }
    if let Err(e) = check_kind_name(&state, &u, &a).await? {
        return form_page(&state, t, &u, f.input, &e, None, (&invited, &hosts)).await;
    }
    if a.kind == ActivityKind::Observation && !u.is_admin() {
        return Err(AppError::Forbidden);
    }
    match state.store.create_activity(&a, &invited, &hosts, &u.user.username).await {
        Ok(row) => Ok(Redirect::to(&format!("/life/{}", row.id)).into_response()),
        Err(hongzhu_store::StoreError::Refused(e)) => form_page(&state, t, &u, f.input, &[e], None, (&invited, &hosts)).await,
        Err(hongzhu_store::StoreError::UnknownReference { field, value }) => {
            let e = FieldError::new(field, "unknown_reference", format!("“{value}”不存在"), format!("{value} does not exist"));
            form_page(&state, t, &u, f.input, &[e], None, (&invited, &hosts)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Forms with repeated keys (`invited`) are read from the raw body.
fn serde_urlencoded_form<T: serde::de::DeserializeOwned>(body: &str) -> Result<T, AppError> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .filter(|(k, _)| k != "invited")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let map: serde_json::Map<String, serde_json::Value> = pairs
        .into_iter()
        .map(|(k, v)| {
            let value = if k == "_version" {
                v.parse::<i64>().map(serde_json::Value::from).unwrap_or(serde_json::Value::Null)
            } else {
                serde_json::Value::String(v)
            };
            (k, value)
        })
        .collect();
    serde_json::from_value(serde_json::Value::Object(map)).map_err(|e| AppError::BadRequest(format!("表单无法读取 / unreadable form: {e}")))
}

async fn load(state: &AppState, u: &CurrentUser, id: i64) -> Result<ActivityRow, AppError> {
    state.store.activity(&u.scope, id).await?.ok_or(AppError::NotFound)
}

async fn edit_form(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Path(id): Path<i64>) -> PageResult {
    let a = load(&state, &u, id).await?;
    if !can_write(&u, a.org_id) {
        return Err(AppError::Forbidden);
    }
    let invited: Vec<String> = state.store.invited_orgs(id).await?.into_iter().map(|o| o.0).collect();
    form_page(&state, t, &u, a.activity.to_input(), &[], Some((id, a.version)), (&invited, &[])).await
}

async fn update(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Path(id): Path<i64>, body: String) -> PageResult {
    let f: ActivityForm = serde_urlencoded_form(&body)?;
    auth::check_csrf(&u, Some(&f.csrf))?;
    let before = load(&state, &u, id).await?;
    if !can_write(&u, before.org_id) {
        return Err(AppError::Forbidden);
    }
    let version = f.version.unwrap_or(before.version);
    let invited = invited_of(&body);
    let a = match f.input.parse(Utc::now()) {
        Err(e) => return form_page(&state, t, &u, f.input, &e, Some((id, version)), (&invited, &[])).await,
        Ok(a) => a,
    };
    if let Err(e) = check_kind_name(&state, &u, &a).await? {
        return form_page(&state, t, &u, f.input, &e, Some((id, version)), (&invited, &[])).await;
    }
    match state.store.update_activity(id, version, &a, &u.user.username).await {
        Ok(_) => Ok(Redirect::to(&format!("/life/{id}")).into_response()),
        Err(hongzhu_store::StoreError::Refused(e)) => form_page(&state, t, &u, f.input, &[e], Some((id, version)), (&invited, &[])).await,
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------------ detail, review, attendance

struct RosterLine {
    r: AttendanceRow,
    post: &'static str,
    state: &'static str,
    state_class: &'static str,
    time: String,
}

#[derive(Template)]
#[template(path = "life_activity.html")]
struct DetailPage {
    c: Chrome,
    a: ActivityRow,
    kind: String,
    when: String,
    status_class: &'static str,
    turnout: Turnout,
    roster: Vec<RosterLine>,
    invited: Vec<(String, String)>,
    hosts: Vec<(String, String)>,
    can_write: bool,
    can_review: bool,
    editable: bool,
    checkin_url: String,
    checkin_open: bool,
    window: i64,
    flash: Option<String>,
    problem: Option<String>,
    states: Vec<Opt>,
    files: Vec<hongzhu_store::AttachmentRow>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DetailQuery {
    msg: String,
}

fn public_base(headers: &HeaderMap, secure: bool) -> String {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("localhost");
    format!("{}://{host}", if secure { "https" } else { "http" })
}

async fn detail(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    Query(q): Query<DetailQuery>,
    headers: HeaderMap,
) -> PageResult {
    if u.role() == Role::Member {
        return Ok(Redirect::to(&format!("/m/checkin/{id}")).into_response());
    }
    let flash = match q.msg.as_str() {
        "submitted" => Some(l(t, "已提交上级党组织审核。", "Submitted for review.").to_string()),
        "accepted" => Some(l(t, "已审核通过。", "Accepted.").to_string()),
        "returned" => Some(l(t, "已退回，并通知该党组织修改。", "Returned to the organization.").to_string()),
        "marked" => Some(l(t, "出勤已更新。", "Attendance updated.").to_string()),
        "uploaded" => Some(l(t, "附件已上传。", "Attachment uploaded.").to_string()),
        "removed" => Some(l(t, "附件已删除。", "Attachment removed.").to_string()),
        _ => None,
    };
    detail_render(&state, t, &u, id, &headers, flash, None).await
}

async fn detail_render(
    state: &AppState,
    t: Tr,
    u: &CurrentUser,
    id: i64,
    headers: &HeaderMap,
    flash: Option<String>,
    problem: Option<String>,
) -> PageResult {
    let a = load(state, u, id).await?;
    let files = state.store.attachments(id).await?;
    let roster = state.store.attendance(id).await?;
    let turnout = state.store.turnouts(&[id]).await?.remove(&id).unwrap_or_default();
    let invited = state.store.invited_orgs(id).await?;
    let hosts = state.store.activity_hosts(id).await?;
    let now = Utc::now();
    let checkin_open = life::checkin_window(a.activity.starts_at, now, state.checkin_window).is_ok();
    let title = a.activity.topic.clone();
    let mut c = crate::pages::chrome(state, t, u, "life", title.clone())
        .await
        .crumb(t.t("menu_life"), "/life")
        .crumb(l(t, "活动记录", "Activities"), "/life")
        .crumb(title, format!("/life/{id}"));
    // While check-in is open the secretary watches attendance arrive: the page reloads itself
    // (a meta refresh, no script).
    if checkin_open {
        c.refresh = Some(20);
    }
    let bad = problem.is_some();
    let mut res = render(DetailPage {
        files,
        problem,
        kind: a.kind_label(t.lang()),
        when: format!("{} · {} {}", to_local(a.activity.starts_at).format("%Y-%m-%d %H:%M"), a.activity.minutes, l(t, "分钟", "min")),
        status_class: status_tag(a.status),
        roster: roster
            .into_iter()
            .map(|r| RosterLine {
                post: r.party_post.label_or_empty(t.lang()),
                state: r.state.label(t.lang()),
                state_class: match r.state {
                    AttendState::Present => "tag tag-ok",
                    AttendState::Leave => "tag tag-gold",
                    AttendState::Absent => "tag tag-danger",
                    AttendState::Due => "tag",
                },
                time: r.checked_in_at.map(|t| to_local(t).format("%H:%M").to_string()).unwrap_or_default(),
                r,
            })
            .collect(),
        can_write: can_write(u, a.org_id),
        can_review: can_review(u, &a),
        editable: matches!(a.status, ActivityStatus::Planned | ActivityStatus::Draft | ActivityStatus::Returned),
        checkin_url: format!("{}/m/checkin/{id}", public_base(headers, state.secure_cookies)),
        checkin_open,
        window: state.checkin_window,
        states: label_options::<AttendState>(t, ""),
        turnout,
        invited,
        hosts,
        flash,
        c,
        a,
    })?;
    if bad {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReviewForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    #[serde(rename = "_version")]
    version: i64,
    step: String,
    reason: String,
}

fn step_of(s: &str) -> Result<Review, AppError> {
    match s {
        "submit" => Ok(Review::Submit),
        "accept" => Ok(Review::Accept),
        "return" => Ok(Review::Return),
        _ => Err(AppError::BadRequest("step: submit, accept or return".into())),
    }
}

async fn do_review(state: &AppState, u: &CurrentUser, id: i64, version: i64, step: Review, reason: &str) -> Result<ActivityRow, AppError> {
    let a = load(state, u, id).await?;
    let allowed = match step {
        Review::Submit => can_write(u, a.org_id),
        Review::Accept | Review::Return => can_review(u, &a),
    };
    if !allowed {
        return Err(AppError::Forbidden);
    }
    Ok(state.store.review_activity(id, version, step, Some(reason), &u.user.username).await?)
}

async fn review(State(state): State<AppState>, PageUser(u): PageUser, Path(id): Path<i64>, Form(f): Form<ReviewForm>) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    let step = step_of(&f.step)?;
    do_review(&state, &u, id, f.version, step, &f.reason).await?;
    let msg = match step {
        Review::Submit => "submitted",
        Review::Accept => "accepted",
        Review::Return => "returned",
    };
    Ok(Redirect::to(&format!("/life/{id}?msg={msg}")).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MarkForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    member: i64,
    state: String,
    reason: String,
}

async fn mark(State(state): State<AppState>, PageUser(u): PageUser, Path(id): Path<i64>, Form(f): Form<MarkForm>) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    let a = load(&state, &u, id).await?;
    if !can_write(&u, a.org_id) {
        return Err(AppError::Forbidden);
    }
    let st = AttendState::parse(&f.state).filter(|s| *s != AttendState::Due).ok_or_else(|| {
        AppError::Invalid(vec![FieldError::new(
            "state",
            "not_in_list",
            "出勤状态可选：出席、请假、缺席",
            "state is present, leave or absent",
        )])
    })?;
    state.store.mark_attendance(id, f.member, st, Some(&f.reason), &u.user.username).await?;
    Ok(Redirect::to(&format!("/life/{id}?msg=marked#roster")).into_response())
}

async fn qr_svg(State(state): State<AppState>, PageUser(u): PageUser, Path(id): Path<i64>, headers: HeaderMap) -> PageResult {
    staff_only(&u)?;
    load(&state, &u, id).await?;
    let url = format!("{}/m/checkin/{id}", public_base(&headers, state.secure_cookies));
    let code =
        qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M).map_err(|e| AppError::Internal(e.to_string()))?;
    let svg = code.render::<qrcode::render::svg::Color>().min_dimensions(240, 240).quiet_zone(true).build();
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

// ------------------------------------------------------------------ attachments

/// The file and the other fields of an upload form. A body over the limit is refused with the
/// limit named.
async fn read_file_form(mut m: Multipart, t: Tr) -> Result<(Option<(String, Vec<u8>)>, HashMap<String, String>), String> {
    let mut file = None;
    let mut fields = HashMap::new();
    let too_big = || {
        if t.is_en() {
            format!("the upload is over the {} MB limit", life::ATTACHMENT_MAX_BYTES >> 20)
        } else {
            format!("上传的文件超过 {} MB 上限；照片请压缩后再上传", life::ATTACHMENT_MAX_BYTES >> 20)
        }
    };
    while let Some(field) = m.next_field().await.map_err(|_| too_big())? {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            let file_name = field.file_name().unwrap_or("").to_string();
            let bytes = field.bytes().await.map_err(|_| too_big())?;
            if !file_name.is_empty() || !bytes.is_empty() {
                file = Some((file_name, bytes.to_vec()));
            }
        } else {
            fields.insert(name, field.text().await.unwrap_or_default());
        }
    }
    Ok((file, fields))
}

async fn upload_file(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    headers: HeaderMap,
    m: Multipart,
) -> PageResult {
    let a = load(&state, &u, id).await?;
    let (file, fields) = match read_file_form(m, t).await {
        Ok(x) => x,
        Err(msg) => {
            // The token could not be read from a body refused for its size: nothing is written,
            // and the page says why.
            let mut res = detail_render(&state, t, &u, id, &headers, None, Some(msg)).await?;
            *res.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
            return Ok(res);
        }
    };
    auth::check_csrf(&u, fields.get("_csrf").map(String::as_str))?;
    if !can_write(&u, a.org_id) {
        return Err(AppError::Forbidden);
    }
    let Some((name, bytes)) = file else {
        return detail_render(
            &state,
            t,
            &u,
            id,
            &headers,
            None,
            Some(l(t, "请选择要上传的照片或文档。", "Choose a photo or document to upload.").to_string()),
        )
        .await;
    };
    match state.store.add_attachment(id, &name, &bytes, &u.user.username).await {
        Ok(_) => Ok(Redirect::to(&format!("/life/{id}?msg=uploaded#files")).into_response()),
        Err(hongzhu_store::StoreError::Refused(e)) => {
            detail_render(&state, t, &u, id, &headers, None, Some(e.message(t.lang()).to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn download_file(State(state): State<AppState>, PageUser(u): PageUser, Path(fid): Path<i64>) -> PageResult {
    staff_only(&u)?;
    let (f, bytes) = state.store.attachment(fid).await?.ok_or(AppError::NotFound)?;
    // The file is seen by whoever may see its activity.
    load(&state, &u, f.activity_id).await?;
    let disposition = if f.is_image() || f.mime == "application/pdf" { "inline" } else { "attachment" };
    Ok((
        [
            (header::CONTENT_TYPE, f.mime.clone()),
            (header::CONTENT_DISPOSITION, format!("{disposition}; filename=\"file-{fid}\"; filename*=UTF-8''{}", enc(&f.name))),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CsrfForm {
    #[serde(rename = "_csrf")]
    csrf: String,
}

async fn delete_file(State(state): State<AppState>, PageUser(u): PageUser, Path(fid): Path<i64>, Form(f): Form<CsrfForm>) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    let (file, _) = state.store.attachment(fid).await?.ok_or(AppError::NotFound)?;
    let a = load(&state, &u, file.activity_id).await?;
    if !can_write(&u, a.org_id) {
        return Err(AppError::Forbidden);
    }
    let id = state.store.delete_attachment(fid, &u.user.username).await?;
    Ok(Redirect::to(&format!("/life/{id}?msg=removed#files")).into_response())
}

async fn api_files(State(state): State<AppState>, ApiUser(u): ApiUser, Path(id): Path<i64>) -> ApiResult {
    staff_only(&u)?;
    load(&state, &u, id).await?;
    Ok(api_json(&state.store.attachments(id).await?))
}

async fn api_upload(
    State(state): State<AppState>,
    Lang(t): Lang,
    ApiUser(u): ApiUser,
    Path(id): Path<i64>,
    headers: HeaderMap,
    m: Multipart,
) -> ApiResult {
    crate::api::csrf(&u, &headers)?;
    let a = load(&state, &u, id).await?;
    if !can_write(&u, a.org_id) {
        return Err(AppError::Forbidden.into());
    }
    let (file, _) = match read_file_form(m, t).await {
        Ok(x) => x,
        Err(msg) => {
            let body = serde_json::json!({"code": "too_large", "message": msg, "field": "file"});
            return Ok((StatusCode::PAYLOAD_TOO_LARGE, axum::Json(body)).into_response());
        }
    };
    let (name, bytes) = file.ok_or_else(|| AppError::BadRequest("缺少 file 字段 / the file field is missing".into()))?;
    let row = state.store.add_attachment(id, &name, &bytes, &u.user.username).await?;
    let mut res = api_json(&row);
    *res.status_mut() = StatusCode::CREATED;
    Ok(res)
}

// ------------------------------------------------------------------ phone check-in

#[derive(Template)]
#[template(path = "checkin.html")]
struct CheckinPage {
    t: Tr,
    csrf: String,
    a: ActivityRow,
    kind: String,
    when: String,
    mine: Option<AttendanceRow>,
    window: String,
    open: bool,
    message: Option<(bool, String)>,
    started: bool,
}

async fn checkin_render(state: &AppState, t: Tr, u: &CurrentUser, id: i64, message: Option<(bool, String)>) -> PageResult {
    let pid = u.user.person_id.ok_or(AppError::Forbidden)?;
    // Those on the roster open the page from the QR code (invited cadres of other schools
    // included), and those whose scope holds the activity; to anyone else it does not exist (S6).
    let a = state.store.activity(&Scope::All, id).await?.ok_or(AppError::NotFound)?;
    let roster = state.store.attendance(id).await?;
    let mine = roster.into_iter().find(|r| r.person_id == pid);
    if mine.is_none() && state.store.activity(&u.scope, id).await?.is_none() {
        return Err(AppError::NotFound);
    }
    let w = Duration::minutes(state.checkin_window);
    let now = Utc::now();
    let status = if message.as_ref().is_some_and(|m| !m.0) { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let mut res = render(CheckinPage {
        t,
        csrf: u.csrf.clone(),
        kind: a.kind_label(t.lang()),
        when: to_local(a.activity.starts_at).format("%Y-%m-%d %H:%M").to_string(),
        window: format!("{} – {}", to_local(a.activity.starts_at - w).format("%H:%M"), to_local(a.activity.starts_at + w).format("%H:%M")),
        open: now >= a.activity.starts_at - w && now <= a.activity.starts_at + w,
        started: now > a.activity.starts_at,
        mine,
        message,
        a,
    })?;
    *res.status_mut() = status;
    Ok(res)
}

async fn checkin_page(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Path(id): Path<i64>) -> PageResult {
    checkin_render(&state, t, &u, id, None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CheckinForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    action: String,
    reason: String,
}

async fn checkin_submit(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<CheckinForm>,
) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    let pid = u.user.person_id.ok_or(AppError::Forbidden)?;
    let leave = (f.action == "leave").then_some(f.reason.as_str());
    match state.store.check_in(id, pid, leave, Utc::now(), state.checkin_window).await {
        Ok(s) => {
            let msg =
                if s == AttendState::Present { l(t, "签到成功", "Checked in") } else { l(t, "请假已登记", "Leave recorded") };
            checkin_render(&state, t, &u, id, Some((true, msg.to_string()))).await
        }
        Err(hongzhu_store::StoreError::Refused(e)) => {
            checkin_render(&state, t, &u, id, Some((false, e.message(t.lang()).to_string()))).await
        }
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------------ compliance

#[derive(Deserialize, Default)]
#[serde(default)]
struct ComplianceQuery {
    year: String,
    town: String,
    behind: String,
}

struct Cell {
    text: String,
    class: &'static str,
    title: String,
}

struct OrgLine {
    code: String,
    name: String,
    town: String,
    cells: Vec<Cell>,
    due: u32,
    met: u32,
    rate: String,
    rate_class: &'static str,
    todos: usize,
}

struct TownLine {
    code: String,
    name: String,
    orgs: usize,
    behind: usize,
    rate: String,
    rate_class: &'static str,
}

#[derive(Template)]
#[template(path = "life_compliance.html")]
struct CompliancePage {
    c: Chrome,
    year: i32,
    as_of: NaiveDate,
    towns: Vec<TownLine>,
    town: String,
    behind_only: bool,
    kinds: Vec<&'static str>,
    rows: Vec<OrgLine>,
    total: (usize, u32, u32, String, usize),
    absent: (usize, usize),
    years: Vec<i32>,
}

fn pct(met: u32, due: u32) -> (String, &'static str) {
    if due == 0 {
        return ("—".into(), "");
    }
    let r = f64::from(met) / f64::from(due);
    (
        format!("{:.1}%", r * 100.0),
        if r >= 0.999 {
            "good"
        } else if r >= 0.8 {
            ""
        } else {
            "bad"
        },
    )
}

/// The compliance of every organization in the user's scope for a year, with towns.
pub async fn compute_compliance(
    state: &AppState,
    u: &CurrentUser,
    year: i32,
) -> Result<(Vec<OrgCompliance>, HashMap<String, (i64, String, String)>, NaiveDate), AppError> {
    let (facts, held, names) = state.store.life_facts(&u.scope, year).await?;
    let t = today();
    let as_of = if year < t.year() { NaiveDate::from_ymd_opt(year, 12, 31).expect("valid") + Duration::days(1) } else { t };
    Ok((life::compliance(&facts, &held, year, as_of), names, as_of))
}

const GRID_KINDS: [ActivityKind; 8] = [
    ActivityKind::ThemeDay,
    ActivityKind::CommitteeMeeting,
    ActivityKind::GroupMeeting,
    ActivityKind::BranchAssembly,
    ActivityKind::Lecture,
    ActivityKind::LifeMeeting,
    ActivityKind::Talk,
    ActivityKind::Review,
];

async fn compliance_page(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Query(q): Query<ComplianceQuery>,
) -> PageResult {
    staff_only(&u)?;
    let year = year_of(&q.year)?;
    let (all, names, as_of) = compute_compliance(&state, &u, year).await?;
    let towns_of = state.store.org_towns().await?;
    let town_names: HashMap<String, String> =
        state.store.regions(&u.scope).await?.into_iter().map(|r| (r.record.code.to_string(), r.record.name)).collect();
    let mut by_town: BTreeMap<String, (usize, usize, u32, u32)> = BTreeMap::new();
    let mut rows = Vec::new();
    let (mut due_all, mut met_all, mut behind_all, mut counted) = (0u32, 0u32, 0usize, 0usize);
    for c in &all {
        if c.kinds.is_empty() {
            continue;
        }
        counted += 1;
        // Organizations above the schools (the county's own) have no town: grouped as "none".
        let town = towns_of.get(c.org.as_str()).cloned().filter(|t| !t.is_empty()).unwrap_or_else(|| "none".to_string());
        let behind = c.missed() > 0;
        let e = by_town.entry(town.clone()).or_default();
        e.0 += 1;
        e.1 += usize::from(behind);
        e.2 += c.met();
        e.3 += c.due();
        due_all += c.due();
        met_all += c.met();
        behind_all += usize::from(behind);
        if (!q.town.is_empty() && q.town != town) || (q.behind == "1" && !behind) {
            continue;
        }
        let cells = GRID_KINDS
            .iter()
            .map(|k| match c.kind(*k) {
                None => Cell { text: "—".into(), class: "muted", title: l(t, "不要求", "not required").into() },
                Some(kc) => {
                    let missed = kc.missed.iter().map(|i| kc.period.label_zh(year, *i)).collect::<Vec<_>>().join("、");
                    Cell {
                        // A yearly item in its running year: done or still open.
                        text: if kc.due == 0 {
                            (if kc.current_done { "✓" } else { "…" }).to_string()
                        } else {
                            format!("{}/{}", kc.met, kc.due)
                        },
                        class: if kc.due == 0 {
                            ""
                        } else if kc.met == kc.due {
                            "good"
                        } else {
                            "bad"
                        },
                        title: if missed.is_empty() {
                            format!("{} {}", kc.rule, k.zh())
                        } else {
                            format!("{} {}：{}未开展", kc.rule, k.zh(), missed)
                        },
                    }
                }
            })
            .collect();
        let (rate, rate_class) = pct(c.met(), c.due());
        rows.push(OrgLine {
            name: names.get(c.org.as_str()).map(|n| n.1.clone()).unwrap_or_default(),
            code: c.org.to_string(),
            town: town_names.get(&town).cloned().unwrap_or_default(),
            cells,
            due: c.due(),
            met: c.met(),
            rate,
            rate_class,
            todos: life::todos(c, as_of).len(),
        });
    }
    rows.sort_by(|a, b| {
        (a.met as f64 / a.due.max(1) as f64)
            .partial_cmp(&(b.met as f64 / b.due.max(1) as f64))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.code.cmp(&b.code))
    });
    let towns = by_town
        .into_iter()
        .map(|(code, (orgs, behind, met, due))| {
            let (rate, rate_class) = pct(met, due);
            TownLine {
                name: town_names.get(&code).cloned().unwrap_or_else(|| l(t, "（未关联学校）", "(no school)").to_string()),
                code,
                orgs,
                behind,
                rate,
                rate_class,
            }
        })
        .collect();
    // R3.5 at a glance: the absence list's counts.
    let (absent_rows, _) = absent_lines(&state, &u, t).await?;
    let escalated = absent_rows.iter().filter(|r| r.escalate).count();
    let absent = (absent_rows.len() - escalated, escalated);
    let title = l(t, "三会一课落实情况", "Compliance");
    let c = crate::pages::chrome(&state, t, &u, "life_compliance", title)
        .await
        .crumb(t.t("menu_life"), "/life")
        .crumb(title, "/life/compliance");
    let (rate, _) = pct(met_all, due_all);
    let this = today().year();
    render(CompliancePage {
        c,
        year,
        as_of,
        towns,
        town: q.town,
        behind_only: q.behind == "1",
        kinds: GRID_KINDS.iter().map(|k| k.label(t.lang())).collect(),
        rows,
        total: (counted, met_all, due_all, rate, behind_all),
        absent,
        years: (this - 3..=this).rev().collect(),
    })
}

struct PeriodCell {
    label: String,
    class: &'static str,
    mark: &'static str,
    /// Months the cell spans, so quarters and the year line up under the months.
    span: u32,
}

struct KindGrid {
    kind: &'static str,
    rule: &'static str,
    period: &'static str,
    cells: Vec<PeriodCell>,
    summary: String,
}

#[derive(Template)]
#[template(path = "life_org.html")]
struct OrgPage {
    c: Chrome,
    code: String,
    name: String,
    year: i32,
    grids: Vec<KindGrid>,
    todos: Vec<Todo>,
    secretary_lectured: Option<bool>,
    rate: String,
    recent: Vec<ListLine>,
    hours: Vec<(i64, String, String, &'static str)>,
    can_write: bool,
    study_error: Option<String>,
    study_saved: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct YearQuery {
    year: String,
    study: String,
}

async fn org_compliance_page(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Path(org): Path<String>,
    Query(q): Query<YearQuery>,
) -> PageResult {
    staff_only(&u)?;
    let year = year_of(&q.year)?;
    let o = state.store.org(&u.scope, &org).await?.ok_or(AppError::NotFound)?;
    let (all, _, as_of) = compute_compliance(&state, &u, year).await?;
    let c = all.into_iter().find(|c| c.org.as_str() == org).ok_or(AppError::NotFound)?;
    let grids = c
        .kinds
        .iter()
        .map(|k| {
            let cells = (1..=k.period.count())
                .map(|i| {
                    let (start, _) = k.period.bounds(year, i);
                    let (class, mark) = if k.missed.contains(&i) {
                        ("bad", "✕")
                    } else if k.current == Some(i) {
                        if k.current_done { ("good", "✓") } else { ("", "…") }
                    } else if start > as_of {
                        ("muted", "")
                    } else if k.due > 0 || k.held > 0 {
                        ("good", "✓")
                    } else {
                        ("muted", "")
                    };
                    PeriodCell {
                        label: if t.is_en() {
                            k.period.label_en(year, i)
                        } else {
                            k.period.label_zh(year, i).replace(&format!("{year}年"), "")
                        },
                        class,
                        mark,
                        span: 12 / k.period.count(),
                    }
                })
                .collect();
            KindGrid {
                kind: k.kind.label(t.lang()),
                rule: k.rule,
                period: match k.period {
                    Period::Month => l(t, "每月", "monthly"),
                    Period::Quarter => l(t, "每季度", "quarterly"),
                    Period::Year => l(t, "每年", "yearly"),
                },
                cells,
                summary: if k.due == 0 { String::new() } else { format!("{}/{}", k.met, k.due) },
            }
        })
        .collect();
    let recent_page =
        state.store.activities(&u.scope, &ActivityFilter { org: Some(org.clone()), page: 1, page_size: 10, ..Default::default() }).await?;
    let recent = list_lines(&state, t, recent_page.items, "%Y-%m-%d").await?;
    // R3.4: study hours of the organization's members this year.
    let members = state
        .store
        .members(&u.scope, &hongzhu_store::PeopleFilter { org: Some(org.clone()), page: 1, page_size: 500, ..Default::default() })
        .await?
        .items;
    let hours_map = state.store.study_hours(&members.iter().map(|m| m.meta.id).collect::<Vec<_>>(), year).await?;
    let hours = members
        .iter()
        .map(|m| {
            let h = hours_map.get(&m.meta.id).copied().unwrap_or(0.0);
            (m.meta.id, m.person.name.clone(), format!("{h:.1}"), if h >= life::STUDY_HOURS_PER_YEAR { "good" } else { "bad" })
        })
        .collect();
    let (rate, _) = pct(c.met(), c.due());
    let title = o.record.name.clone();
    let chrome = crate::pages::chrome(&state, t, &u, "life_compliance", title.clone())
        .await
        .crumb(t.t("menu_life"), "/life")
        .crumb(l(t, "三会一课落实情况", "Compliance"), "/life/compliance")
        .crumb(title, format!("/life/compliance/{org}"));
    render(OrgPage {
        c: chrome,
        name: o.record.name,
        can_write: can_write(&u, o.meta.id),
        code: org,
        year,
        grids,
        todos: life::todos(&c, as_of),
        secretary_lectured: c.secretary_lectured,
        rate,
        recent,
        hours,
        study_error: (!q.study.is_empty() && q.study != "saved").then(|| q.study.clone()),
        study_saved: q.study == "saved",
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct StudyForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    member: i64,
    studied_on: String,
    hours: String,
    content: String,
}

/// R3.4: study outside activities, recorded by the secretary.
async fn study_add(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Path(org): Path<String>,
    Form(f): Form<StudyForm>,
) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    let o = state.store.org(&u.scope, &org).await?.ok_or(AppError::NotFound)?;
    if !can_write(&u, o.meta.id) {
        return Err(AppError::Forbidden);
    }
    let back = |msg: &str| Redirect::to(&format!("/life/compliance/{org}?study={}#study", enc(msg))).into_response();
    let input = life::StudyInput { studied_on: f.studied_on.clone(), hours: f.hours.clone(), content: f.content.clone() };
    let (on, hours, content) = match input.parse(today()) {
        Ok(v) => v,
        Err(e) => return Ok(back(&e.iter().map(|e| e.message(t.lang())).collect::<Vec<_>>().join("；"))),
    };
    match state.store.add_study_record(o.meta.id, f.member, on, hours, &content, &u.user.username).await {
        Ok(()) => Ok(back("saved")),
        Err(hongzhu_store::StoreError::Refused(e)) => Ok(back(e.message(t.lang()))),
        Err(e) => Err(e.into()),
    }
}

/// A secretary's to-do list for the home page: their organizations' open items this year.
pub async fn home_todos(state: &AppState, u: &CurrentUser) -> Result<Vec<(String, String, Todo)>, AppError> {
    if u.role() != Role::Secretary {
        return Ok(Vec::new());
    }
    let (all, names, as_of) = compute_compliance(state, u, today().year()).await?;
    let mut out = Vec::new();
    for c in all {
        let name = names.get(c.org.as_str()).map(|n| n.1.clone()).unwrap_or_default();
        for todo in life::todos(&c, as_of) {
            out.push((c.org.to_string(), name.clone(), todo));
        }
    }
    Ok(out)
}

// ------------------------------------------------------------------ absence (R3.5)

struct AbsentLine {
    member_id: i64,
    name: String,
    org_code: String,
    org_name: String,
    last: String,
    months: u32,
    level: &'static str,
    escalate: bool,
}

#[derive(Template)]
#[template(path = "life_absent.html")]
struct AbsentPage {
    c: Chrome,
    rows: Vec<AbsentLine>,
    begin: NaiveDate,
}

async fn absent_lines(state: &AppState, u: &CurrentUser, t: Tr) -> Result<(Vec<AbsentLine>, NaiveDate), AppError> {
    // A year of attendance decides R3.5 (flag at 3 months, escalate at 6); anyone not seen in it
    // is counted from the year's start at the latest.
    let window = today() - Duration::days(366);
    let presence = state.store.presence(&u.scope, window).await?;
    let begin = state.store.life_records_begin().await?.unwrap_or_else(today).max(window);
    let mut rows: Vec<AbsentLine> = presence
        .into_iter()
        .filter_map(|p| {
            let (months, level) = life::absence(p.last_present, p.admitted_on, begin, today());
            let level = level?;
            Some(AbsentLine {
                member_id: p.member_id,
                name: p.name,
                org_code: p.org_code,
                org_name: p.org_name,
                last: p.last_present.map(|d| d.to_string()).unwrap_or_else(|| {
                    if begin > window {
                        l(t, "记录期内未参加", "none on record")
                    } else {
                        l(t, "一年内未参加", "none within a year")
                    }
                    .to_string()
                }),
                months,
                level: if t.is_en() { level.en() } else { level.zh() },
                escalate: level == life::AbsenceLevel::Escalate,
            })
        })
        .collect();
    rows.sort_by(|a, b| b.months.cmp(&a.months).then(a.org_code.cmp(&b.org_code)));
    Ok((rows, begin))
}

async fn absent_page(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser) -> PageResult {
    staff_only(&u)?;
    let (rows, begin) = absent_lines(&state, &u, t).await?;
    let title = l(t, "未参加组织生活党员", "Members absent from organizational life");
    let c = crate::pages::chrome(&state, t, &u, "life_absent", title).await.crumb(t.t("menu_life"), "/life").crumb(title, "/life/absent");
    render(AbsentPage { c, rows, begin })
}

// ------------------------------------------------------------------ calendar

#[derive(Deserialize, Default)]
#[serde(default)]
struct CalendarQuery {
    month: String,
    org: String,
}

struct Day {
    day: u32,
    date: String,
    in_month: bool,
    today: bool,
    items: Vec<(i64, String, &'static str)>,
    more: usize,
}

#[derive(Template)]
#[template(path = "life_calendar.html")]
struct CalendarPage {
    c: Chrome,
    title_month: String,
    prev: String,
    next: String,
    org: String,
    orgs: Vec<Opt>,
    weeks: Vec<Vec<Day>>,
    guide: Option<(String, String)>,
    weekdays: [&'static str; 7],
    month_value: String,
}

async fn calendar_page(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<CalendarQuery>) -> PageResult {
    staff_only(&u)?;
    let first = if q.month.trim().is_empty() {
        today().with_day(1).expect("day 1")
    } else {
        life::parse_month(&q.month).ok_or_else(|| {
            AppError::Invalid(vec![FieldError::new(
                "month",
                "month",
                format!("月份“{}”无效，请写作 2026-11", q.month),
                "month: write 2026-11",
            )])
        })?
    };
    let next_first = first.checked_add_months(chrono::Months::new(1)).expect("in range");
    let acts = state
        .store
        .activities(
            &u.scope,
            &ActivityFilter {
                org: Some(q.org.clone()).filter(|s| !s.is_empty()),
                from: Some(first),
                to: Some(next_first - Duration::days(1)),
                page: 1,
                page_size: 1000,
                ..Default::default()
            },
        )
        .await?
        .items;
    let mut by_day: HashMap<NaiveDate, Vec<&ActivityRow>> = HashMap::new();
    for a in &acts {
        by_day.entry(a.local_date()).or_default().push(a);
    }
    let start = first - Duration::days(first.weekday().num_days_from_monday() as i64);
    let now = today();
    let mut weeks = Vec::new();
    let mut d = start;
    while d < next_first {
        let mut week = Vec::new();
        for _ in 0..7 {
            let items = by_day.get(&d).map(Vec::as_slice).unwrap_or(&[]);
            let shown: Vec<(i64, String, &'static str)> = items
                .iter()
                .take(4)
                .map(|a| {
                    let label = if q.org.is_empty() {
                        format!("{} · {}", a.kind_label(t.lang()), a.org_name)
                    } else {
                        format!("{} {}", a.kind_label(t.lang()), a.activity.topic)
                    };
                    (a.id, label, if a.status == ActivityStatus::Planned { "cal-plan" } else { "cal-held" })
                })
                .collect();
            week.push(Day {
                day: d.day(),
                date: d.to_string(),
                in_month: d.month() == first.month(),
                today: d == now,
                more: items.len().saturating_sub(4),
                items: shown,
            });
            d += Duration::days(1);
        }
        weeks.push(week);
    }
    let guide = state
        .store
        .guides(&u.user.region_code.clone().unwrap_or_default())
        .await?
        .into_iter()
        .find(|g| g.month == first)
        .map(|g| (g.topic, g.materials));
    let orgs = writable_orgs(&state, &u)
        .await?
        .into_iter()
        .map(|(code, name)| Opt { selected: code == q.org, value: code, label: name })
        .collect();
    let title = l(t, "活动日历", "Calendar");
    let c =
        crate::pages::chrome(&state, t, &u, "life_calendar", title).await.crumb(t.t("menu_life"), "/life").crumb(title, "/life/calendar");
    let fmt_m = |d: NaiveDate| format!("{}-{:02}", d.year(), d.month());
    render(CalendarPage {
        c,
        title_month: if t.is_en() { first.format("%B %Y").to_string() } else { format!("{}年{}月", first.year(), first.month()) },
        prev: fmt_m(first.checked_sub_months(chrono::Months::new(1)).expect("in range")),
        next: fmt_m(next_first),
        month_value: fmt_m(first),
        org: q.org,
        orgs,
        weeks,
        guide,
        weekdays: if t.is_en() {
            ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        } else {
            ["一", "二", "三", "四", "五", "六", "日"]
        },
    })
}

// ------------------------------------------------------------------ monthly themes

#[derive(Template)]
#[template(path = "life_guides.html")]
struct GuidesPage {
    c: Chrome,
    rows: Vec<hongzhu_store::GuideRow>,
    kinds: Vec<(i64, String)>,
    kind_error: Option<String>,
    month: String,
    topic: String,
    materials: String,
    errors: Vec<(String, String)>,
}

impl GuidesPage {
    fn err(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|e| e.0 == field).map(|e| e.1.as_str())
    }
}

async fn guides_render(state: &AppState, t: Tr, u: &CurrentUser, form: GuideForm, errors: Vec<(String, String)>) -> PageResult {
    staff_only(u)?;
    let region = u.user.region_code.clone().unwrap_or_default();
    let rows = state.store.guides(&region).await?;
    let kinds = state.store.activity_kinds(&region).await?;
    let title = l(t, "每月主题党日指导", "Monthly themes");
    let c = crate::pages::chrome(state, t, u, "life_guides", title).await.crumb(t.t("menu_life"), "/life").crumb(title, "/life/guides");
    let bad = !errors.is_empty();
    let next = today().with_day(1).expect("day 1").checked_add_months(chrono::Months::new(1)).expect("in range");
    let mut res = render(GuidesPage {
        c,
        rows,
        kinds,
        kind_error: form.kind_error,
        month: if form.month.is_empty() { format!("{}-{:02}", next.year(), next.month()) } else { form.month },
        topic: form.topic,
        materials: form.materials,
        errors,
    })?;
    if bad {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

async fn guides_page(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser) -> PageResult {
    guides_render(&state, t, &u, GuideForm::default(), vec![]).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GuideForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    month: String,
    topic: String,
    materials: String,
    #[serde(skip)]
    kind_error: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct KindForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    name: String,
}

async fn kind_add(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Form(f): Form<KindForm>) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    if !u.is_admin() {
        return Err(AppError::Forbidden);
    }
    let region = u.user.region_code.clone().unwrap_or_default();
    match state.store.add_activity_kind(&region, &f.name, &u.user.username).await {
        Ok(()) => {
            crate::security::audit(
                &state,
                u.actor.clone(),
                "config_change",
                format!("activity kinds {region}"),
                hongzhu_store::Outcome::Success,
                format!("added “{}”", f.name.trim()),
            )
            .await?;
            Ok(Redirect::to("/life/guides#kinds").into_response())
        }
        Err(hongzhu_store::StoreError::Refused(e)) => {
            guides_render(&state, t, &u, GuideForm { kind_error: Some(e.message(t.lang()).to_string()), ..Default::default() }, vec![])
                .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn kind_remove(State(state): State<AppState>, PageUser(u): PageUser, Path(id): Path<i64>, Form(f): Form<CsrfForm>) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    if !u.is_admin() {
        return Err(AppError::Forbidden);
    }
    state.store.remove_activity_kind(&u.user.region_code.clone().unwrap_or_default(), id, &u.user.username).await?;
    crate::security::audit(
        &state,
        u.actor.clone(),
        "config_change",
        "activity kinds",
        hongzhu_store::Outcome::Success,
        format!("removed kind {id}"),
    )
    .await?;
    Ok(Redirect::to("/life/guides#kinds").into_response())
}

async fn guide_publish(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Form(f): Form<GuideForm>) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    if !u.is_admin() {
        return Err(AppError::Forbidden);
    }
    let input = life::GuideInput { month: f.month.clone(), topic: f.topic.clone(), materials: f.materials.clone() };
    let (month, topic, materials) = match input.parse() {
        Ok(v) => v,
        Err(errors) => {
            let errors = errors.iter().map(|e| (e.field.to_string(), e.message(t.lang()).to_string())).collect();
            return guides_render(&state, t, &u, f, errors).await;
        }
    };
    let region = u.user.region_code.clone().unwrap_or_default();
    state.store.publish_guide(&region, month, &topic, &materials, &u.user.username).await?;
    crate::security::audit(
        &state,
        u.actor.clone(),
        "config_change",
        format!("monthly theme {region} {month}"),
        hongzhu_store::Outcome::Success,
        topic.clone(),
    )
    .await?;
    Ok(Redirect::to("/life/guides").into_response())
}

// ------------------------------------------------------------------ observation events

struct CadreLine {
    name: String,
    post: &'static str,
    org_name: String,
}

#[derive(Template)]
#[template(path = "life_observation.html")]
struct ObservationPage {
    c: Chrome,
    year: i32,
    events: Vec<(ListLine, String)>,
    reached: usize,
    cadres: usize,
    missing: Vec<CadreLine>,
    rate: String,
}

/// The year's observation events in scope, every Party-affairs cadre in scope, and how many
/// events each attended (the seed's 党务干部全覆盖).
async fn observation_year(
    state: &AppState,
    u: &CurrentUser,
    year: i32,
) -> Result<(Vec<ActivityRow>, Vec<hongzhu_store::MemberRow>, HashMap<i64, usize>), AppError> {
    let from = NaiveDate::from_ymd_opt(year, 1, 1).expect("valid");
    let to = NaiveDate::from_ymd_opt(year, 12, 31).expect("valid");
    let filter = ActivityFilter {
        kind: Some(ActivityKind::Observation),
        from: Some(from),
        to: Some(to),
        page: 1,
        page_size: 200,
        ..Default::default()
    };
    let events = state.store.activities(&u.scope, &filter).await?.items;
    let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
    let mut attended: HashMap<i64, usize> = HashMap::new();
    for r in state.store.attendance_of(&ids).await?.into_values().flatten() {
        if r.state == AttendState::Present {
            *attended.entry(r.member_id).or_default() += 1;
        }
    }
    // Members holding a post, then the Party-affairs cadres among them.
    let people = |page| hongzhu_store::PeopleFilter { page, page_size: 500, with_party_post: true, ..Default::default() };
    let first = state.store.members(&u.scope, &people(1)).await?;
    let mut all = first.items;
    for p in 2..=(first.total.max(0) as u64).div_ceil(500) {
        all.extend(state.store.members(&u.scope, &people(p)).await?.items);
    }
    let cadres = all.into_iter().filter(|m| life::is_affairs_cadre(m.party_post)).collect();
    Ok((events, cadres, attended))
}

async fn observation_page(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<YearQuery>) -> PageResult {
    staff_only(&u)?;
    let year = year_of(&q.year)?;
    let (events, cadres, attended) = observation_year(&state, &u, year).await?;
    let reached = cadres.iter().filter(|m| attended.contains_key(&m.meta.id)).count();
    let missing = cadres
        .iter()
        .filter(|m| !attended.contains_key(&m.meta.id))
        .map(|m| CadreLine { name: m.person.name.clone(), post: m.party_post.label_or_empty(t.lang()), org_name: m.org_name.clone() })
        .collect();
    let events = list_lines(&state, t, events, "%Y-%m-%d").await?;
    let mut hosts = state.store.hosts_of(&events.iter().map(|e| e.a.id).collect::<Vec<_>>()).await?;
    let events = events
        .into_iter()
        .map(|e| {
            let names = hosts.remove(&e.a.id).unwrap_or_default().into_iter().map(|h| h.1).collect::<Vec<_>>().join("、");
            (e, names)
        })
        .collect();
    let (rate, _) = pct(reached as u32, cadres.len() as u32);
    let title = l(t, "观摩活动与党务干部覆盖", "Observation events and cadres reached");
    let c = crate::pages::chrome(&state, t, &u, "life_observation", title)
        .await
        .crumb(t.t("menu_life"), "/life")
        .crumb(title, "/life/observation");
    render(ObservationPage { c, year, events, reached, cadres: cadres.len(), missing, rate })
}

// ------------------------------------------------------------------ 民主评议 (R3.3)

#[derive(Template)]
#[template(path = "life_evaluations.html")]
struct EvalPage {
    c: Chrome,
    org: String,
    orgs: Vec<Opt>,
    year: i32,
    rows: Vec<(hongzhu_store::EvaluationRow, Vec<Opt>)>,
    limit: usize,
    excellent: usize,
    can_write: bool,
    errors: Vec<String>,
    saved: bool,
}

async fn eval_render(
    state: &AppState,
    t: Tr,
    u: &CurrentUser,
    (org, year): (String, i32),
    pending: &HashMap<i64, String>,
    errors: Vec<String>,
    saved: bool,
) -> PageResult {
    staff_only(u)?;
    let orgs = writable_orgs(state, u).await?;
    // Without a choice: the organization with the most members of its own (a committee over its
    // branches usually has one or two).
    let org = if org.is_empty() {
        state
            .store
            .orgs(&u.scope, None)
            .await?
            .into_iter()
            .max_by_key(|o| o.member_count)
            .map(|o| o.record.code.to_string())
            .unwrap_or_default()
    } else {
        org
    };
    let row = state.store.org(&u.scope, &org).await?.ok_or(AppError::NotFound)?;
    let list = state.store.evaluations(row.meta.id, year).await?;
    let limit = life::excellent_limit(list.len());
    let excellent = list.iter().filter(|e| e.grade == Some(Grade::Excellent)).count();
    let rows = list
        .into_iter()
        .map(|e| {
            let current = pending.get(&e.member_id).cloned().unwrap_or_else(|| e.grade.map(|g| g.code().to_string()).unwrap_or_default());
            (e, label_options::<Grade>(t, &current))
        })
        .collect();
    let title = l(t, "民主评议党员", "Democratic review");
    let c = crate::pages::chrome(state, t, u, "life_evaluations", title)
        .await
        .crumb(t.t("menu_life"), "/life")
        .crumb(title, "/life/evaluations");
    let bad = !errors.is_empty();
    let mut res = render(EvalPage {
        c,
        orgs: orgs.into_iter().map(|(code, name)| Opt { selected: code == org, value: code, label: name }).collect(),
        org,
        year,
        rows,
        limit,
        excellent,
        can_write: can_write(u, row.meta.id),
        errors,
        saved,
    })?;
    if bad {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EvalGet {
    org: String,
    year: String,
    saved: String,
}

async fn evaluations_page(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<EvalGet>) -> PageResult {
    let year = year_of(&q.year)?;
    eval_render(&state, t, &u, (q.org, year), &HashMap::new(), vec![], q.saved == "1").await
}

async fn evaluations_save(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, body: String) -> PageResult {
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(body.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let get = |k: &str| pairs.iter().find(|p| p.0 == k).map(|p| p.1.clone()).unwrap_or_default();
    auth::check_csrf(&u, Some(&get("_csrf")))?;
    let org = get("org");
    let year = year_of(&get("year"))?;
    let row = state.store.org(&u.scope, &org).await?.ok_or(AppError::NotFound)?;
    if !can_write(&u, row.meta.id) {
        return Err(AppError::Forbidden);
    }
    let mut grades = Vec::new();
    let mut pending = HashMap::new();
    let mut errors = Vec::new();
    for (k, v) in &pairs {
        let Some(id) = k.strip_prefix("grade_").and_then(|s| s.parse::<i64>().ok()) else { continue };
        pending.insert(id, v.clone());
        if v.is_empty() {
            continue;
        }
        match Grade::parse(v) {
            Some(g) => grades.push((id, g)),
            None => errors.push(format!("等次“{v}”不在可选范围内，可选：{}", Grade::accepted_zh())),
        }
    }
    if errors.is_empty() {
        match state.store.save_evaluations(row.meta.id, year, &grades, &u.user.username).await {
            Ok(()) => return Ok(Redirect::to(&format!("/life/evaluations?org={org}&year={year}&saved=1")).into_response()),
            Err(hongzhu_store::StoreError::Refused(e)) => errors.push(e.message(t.lang()).to_string()),
            Err(e) => return Err(e.into()),
        }
    }
    eval_render(&state, t, &u, (org, year), &pending, errors, false).await
}

// ------------------------------------------------------------------ the record book

#[derive(Deserialize, Default)]
#[serde(default)]
struct BookQuery {
    org: String,
    year: String,
}

struct BookEntry {
    a: ActivityRow,
    kind: String,
    when: String,
    present: Vec<String>,
    leave: Vec<String>,
    absent: Vec<String>,
}

#[derive(Template)]
#[template(path = "life_book.html")]
struct BookPage {
    t: Tr,
    org_name: String,
    year: i32,
    entries: Vec<BookEntry>,
    org: String,
}

async fn book_entries(state: &AppState, u: &CurrentUser, t: Tr, org: &str, year: i32) -> Result<(String, Vec<BookEntry>), AppError> {
    staff_only(u)?;
    let o = state.store.org(&u.scope, org).await?.ok_or(AppError::NotFound)?;
    let mut acts = state
        .store
        .activities(
            &u.scope,
            &ActivityFilter {
                org: Some(org.to_string()),
                from: NaiveDate::from_ymd_opt(year, 1, 1),
                to: NaiveDate::from_ymd_opt(year, 12, 31),
                page: 1,
                page_size: 1000,
                ..Default::default()
            },
        )
        .await?
        .items;
    acts.retain(|a| a.activity.held);
    acts.reverse();
    let mut rosters = state.store.attendance_of(&acts.iter().map(|a| a.id).collect::<Vec<_>>()).await?;
    let mut entries = Vec::new();
    for a in acts {
        let roster = rosters.remove(&a.id).unwrap_or_default();
        let pick = |s: AttendState| roster.iter().filter(|r| r.state == s).map(|r| r.name.clone()).collect::<Vec<_>>();
        entries.push(BookEntry {
            kind: a.kind_label(t.lang()),
            when: to_local(a.activity.starts_at).format("%Y-%m-%d %H:%M").to_string(),
            present: pick(AttendState::Present),
            leave: roster
                .iter()
                .filter(|r| r.state == AttendState::Leave)
                .map(|r| format!("{}（{}）", r.name, r.reason.clone().unwrap_or_default()))
                .collect(),
            absent: roster.iter().filter(|r| matches!(r.state, AttendState::Absent | AttendState::Due)).map(|r| r.name.clone()).collect(),
            a,
        });
    }
    Ok((o.record.name, entries))
}

async fn book_page(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<BookQuery>) -> PageResult {
    let year = year_of(&q.year)?;
    let (org_name, entries) = book_entries(&state, &u, t, &q.org, year).await?;
    crate::security::audit(
        &state,
        u.actor.clone(),
        "print",
        format!("record book {} {year}", q.org),
        hongzhu_store::Outcome::Success,
        format!("{} entries", entries.len()),
    )
    .await?;
    render(BookPage { t, org_name, year, entries, org: q.org })
}

async fn book_xlsx(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<BookQuery>) -> PageResult {
    let year = year_of(&q.year)?;
    let (org_name, entries) = book_entries(&state, &u, t, &q.org, year).await?;
    crate::security::audit(
        &state,
        u.actor.clone(),
        "export",
        format!("record book {} {year}", q.org),
        hongzhu_store::Outcome::Success,
        format!("{} entries; xlsx", entries.len()),
    )
    .await?;
    let rows: Vec<hongzhu_ledger::BookRow> = entries
        .into_iter()
        .map(|e| hongzhu_ledger::BookRow {
            when: e.when,
            kind: e.kind,
            topic: e.a.activity.topic,
            place: e.a.activity.place,
            host: e.a.activity.host,
            recorder: e.a.activity.recorder,
            lecturer: e.a.activity.lecturer.unwrap_or_default(),
            due: (e.present.len() + e.leave.len() + e.absent.len()) as i64,
            present: e.present.join("、"),
            leave: e.leave.join("、"),
            absent: e.absent.join("、"),
            content: e.a.activity.content,
            decisions: e.a.activity.decisions,
            status: e.a.status.zh().to_string(),
        })
        .collect();
    let bytes = hongzhu_ledger::record_book(&org_name, year, &rows).map_err(|e| AppError::Internal(e.to_string()))?;
    let name = format!("三会一课记录-{}-{year}.xlsx", q.org);
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"book-{year}.xlsx\"; filename*=UTF-8''{}", enc(&name))),
        ],
        bytes,
    )
        .into_response())
}

// ------------------------------------------------------------------ API

type JsonBody = Result<axum::Json<serde_json::Value>, axum::extract::rejection::JsonRejection>;

fn api_json<T: serde::Serialize>(v: &T) -> Response {
    axum::Json(v).into_response()
}

async fn api_list(State(state): State<AppState>, ApiUser(u): ApiUser, Query(q): Query<ListQuery>) -> ApiResult {
    staff_only(&u)?;
    let (f, errors) = filter_of(&q);
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors).into());
    }
    let page = state.store.activities(&u.scope, &f).await?;
    let ids: Vec<i64> = page.items.iter().map(|a| a.id).collect();
    let turnouts = state.store.turnouts(&ids).await?;
    let items: Vec<serde_json::Value> = page
        .items
        .iter()
        .map(|a| {
            let mut v = serde_json::to_value(a).unwrap_or_default();
            v["turnout"] = serde_json::to_value(turnouts.get(&a.id).copied().unwrap_or_default()).unwrap_or_default();
            v
        })
        .collect();
    Ok(api_json(&serde_json::json!({"items": items, "total": page.total, "page": page.page, "page_size": page.page_size})))
}

async fn api_create(State(state): State<AppState>, ApiUser(u): ApiUser, headers: HeaderMap, body: JsonBody) -> ApiResult {
    crate::api::csrf(&u, &headers)?;
    if !u.can_edit() {
        return Err(AppError::Forbidden.into());
    }
    // `invited` is a list of organization codes; every other field is text.
    let codes = |v: Option<serde_json::Value>, field: &str| -> Result<Vec<String>, AppError> {
        match v {
            None | Some(serde_json::Value::Null) => Ok(Vec::new()),
            Some(serde_json::Value::Array(v)) => v
                .into_iter()
                .map(|x| x.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| AppError::BadRequest(format!("{field} 应为代码的数组 / {field} is an array of codes"))),
            Some(_) => Err(AppError::BadRequest(format!("{field} 应为代码的数组 / {field} is an array of codes"))),
        }
    };
    let mut hosts = Vec::new();
    let (invited, body) = match body {
        Ok(axum::Json(serde_json::Value::Object(mut map))) => {
            hosts = codes(map.remove("hosts"), "hosts")?;
            let invited = codes(map.remove("invited"), "invited")?;
            (invited, Ok(axum::Json(serde_json::Value::Object(map))))
        }
        other => (Vec::new(), other),
    };
    let input: ActivityInput = crate::api::input(body)?;
    let a = input.parse(Utc::now()).map_err(AppError::Invalid)?;
    check_org(&state, &u, &a).await.map_err(AppError::Invalid)?;
    check_kind_name(&state, &u, &a).await?.map_err(AppError::Invalid)?;
    if a.kind == ActivityKind::Observation && !u.is_admin() {
        return Err(AppError::Forbidden.into());
    }
    let row = state.store.create_activity(&a, &invited, &hosts, &u.user.username).await?;
    let mut res = api_json(&row);
    *res.status_mut() = StatusCode::CREATED;
    Ok(res)
}

async fn api_get(State(state): State<AppState>, ApiUser(u): ApiUser, Path(id): Path<i64>) -> ApiResult {
    staff_only(&u)?;
    let a = load(&state, &u, id).await?;
    let mut res = api_json(&a);
    res.headers_mut().insert(header::ETAG, format!("\"{}\"", a.version).parse().expect("ascii"));
    Ok(res)
}

async fn api_update(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: JsonBody,
) -> ApiResult {
    crate::api::csrf(&u, &headers)?;
    let before = load(&state, &u, id).await?;
    if !can_write(&u, before.org_id) {
        return Err(AppError::Forbidden.into());
    }
    let version = crate::api::if_match(&headers)?;
    let input: ActivityInput = crate::api::input(body)?;
    let a = input.parse(Utc::now()).map_err(AppError::Invalid)?;
    check_kind_name(&state, &u, &a).await?.map_err(AppError::Invalid)?;
    Ok(api_json(&state.store.update_activity(id, version, &a, &u.user.username).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ApiReview {
    step: String,
    reason: String,
    version: i64,
}

async fn api_review(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: JsonBody,
) -> ApiResult {
    crate::api::csrf(&u, &headers)?;
    let axum::Json(v) = body.map_err(|e| crate::error::json_rejection(e, "对象"))?;
    let b: ApiReview = serde_json::from_value(v).map_err(|e| AppError::BadRequest(format!("请求体字段有误：{e}")))?;
    let step = step_of(&b.step)?;
    Ok(api_json(&do_review(&state, &u, id, b.version, step, &b.reason).await?))
}

async fn api_attendance(State(state): State<AppState>, ApiUser(u): ApiUser, Path(id): Path<i64>) -> ApiResult {
    staff_only(&u)?;
    load(&state, &u, id).await?;
    let rows = state.store.attendance(id).await?;
    let turnout = state.store.turnouts(&[id]).await?.remove(&id).unwrap_or_default();
    Ok(api_json(&serde_json::json!({"turnout": turnout, "attendance": rows})))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ApiCheckin {
    leave_reason: Option<String>,
}

async fn api_checkin(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: JsonBody,
) -> ApiResult {
    crate::api::csrf(&u, &headers)?;
    let axum::Json(v) = body.map_err(|e| crate::error::json_rejection(e, "对象"))?;
    let b: ApiCheckin = serde_json::from_value(v).map_err(|e| AppError::BadRequest(format!("请求体字段有误：{e}")))?;
    let pid = u.user.person_id.ok_or(AppError::Forbidden)?;
    let s = state.store.check_in(id, pid, b.leave_reason.as_deref(), Utc::now(), state.checkin_window).await?;
    Ok(api_json(&serde_json::json!({"state": s})))
}

async fn api_compliance(State(state): State<AppState>, ApiUser(u): ApiUser, Query(q): Query<YearQuery>) -> ApiResult {
    staff_only(&u)?;
    let year = year_of(&q.year)?;
    let (all, names, as_of) = compute_compliance(&state, &u, year).await?;
    let orgs: Vec<serde_json::Value> = all
        .iter()
        .filter(|c| !c.kinds.is_empty())
        .map(|c| {
            serde_json::json!({
                "org": c.org, "name": names.get(c.org.as_str()).map(|n| n.1.clone()),
                "due": c.due(), "met": c.met(), "rate": c.rate(), "kinds": c.kinds,
                "secretary_lectured": c.secretary_lectured, "todos": life::todos(c, as_of),
            })
        })
        .collect();
    Ok(api_json(&serde_json::json!({"year": year, "as_of": as_of, "orgs": orgs})))
}

async fn api_absent(State(state): State<AppState>, Lang(t): Lang, ApiUser(u): ApiUser) -> ApiResult {
    staff_only(&u)?;
    let (rows, begin) = absent_lines(&state, &u, t).await?;
    let items: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| serde_json::json!({"member_id": r.member_id, "name": r.name, "org": r.org_code, "months": r.months, "level": if r.escalate { "escalate" } else { "flag" }, "rule": "R3.5"}))
        .collect();
    Ok(api_json(&serde_json::json!({"records_begin": begin, "members": items})))
}

async fn api_observation(State(state): State<AppState>, ApiUser(u): ApiUser, Query(q): Query<YearQuery>) -> ApiResult {
    staff_only(&u)?;
    let year = year_of(&q.year)?;
    let (events, cadres, attended) = observation_year(&state, &u, year).await?;
    let cadre = |m: &hongzhu_store::MemberRow| serde_json::json!({"member_id": m.meta.id, "name": m.person.name, "post": m.party_post, "org": m.org, "events": attended.get(&m.meta.id).copied().unwrap_or(0)});
    Ok(api_json(&serde_json::json!({
        "year": year,
        "events": events.iter().map(|e| serde_json::json!({"id": e.id, "topic": e.activity.topic, "starts_at": e.activity.starts_at, "status": e.status})).collect::<Vec<_>>(),
        "cadres": cadres.len(),
        "reached": cadres.iter().filter(|m| attended.contains_key(&m.meta.id)).count(),
        "not_reached": cadres.iter().filter(|m| !attended.contains_key(&m.meta.id)).map(cadre).collect::<Vec<_>>(),
    })))
}

async fn api_guides(State(state): State<AppState>, ApiUser(u): ApiUser) -> ApiResult {
    staff_only(&u)?;
    let region = u.user.region_code.clone().unwrap_or_default();
    let kinds: Vec<String> = state.store.activity_kinds(&region).await?.into_iter().map(|k| k.1).collect();
    Ok(api_json(&serde_json::json!({"guides": state.store.guides(&region).await?, "other_kinds": kinds})))
}

async fn api_guide_publish(State(state): State<AppState>, ApiUser(u): ApiUser, headers: HeaderMap, body: JsonBody) -> ApiResult {
    crate::api::csrf(&u, &headers)?;
    if !u.is_admin() {
        return Err(AppError::Forbidden.into());
    }
    let g: life::GuideInput = crate::api::input(body)?;
    let (month, topic, materials) = g.parse().map_err(AppError::Invalid)?;
    state.store.publish_guide(&u.user.region_code.clone().unwrap_or_default(), month, &topic, &materials, &u.user.username).await?;
    crate::security::audit(
        &state,
        u.actor.clone(),
        "config_change",
        format!("monthly theme {month}"),
        hongzhu_store::Outcome::Success,
        topic.clone(),
    )
    .await?;
    Ok((StatusCode::CREATED, axum::Json(serde_json::json!({"month": month, "topic": topic}))).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EvalApiQuery {
    org: String,
    year: String,
}

async fn api_evaluations(State(state): State<AppState>, ApiUser(u): ApiUser, Query(q): Query<EvalApiQuery>) -> ApiResult {
    staff_only(&u)?;
    let year = year_of(&q.year)?;
    let o = state.store.org(&u.scope, &q.org).await?.ok_or(AppError::NotFound)?;
    let rows = state.store.evaluations(o.meta.id, year).await?;
    Ok(api_json(&serde_json::json!({"org": q.org, "year": year, "limit_excellent": life::excellent_limit(rows.len()), "members": rows})))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ApiGrades {
    org: String,
    year: i32,
    /// Member id → grade (code or Chinese label).
    grades: HashMap<String, String>,
}

async fn api_evaluations_save(State(state): State<AppState>, ApiUser(u): ApiUser, headers: HeaderMap, body: JsonBody) -> ApiResult {
    crate::api::csrf(&u, &headers)?;
    let axum::Json(v) = body.map_err(|e| crate::error::json_rejection(e, "对象"))?;
    let b: ApiGrades = serde_json::from_value(v).map_err(|e| AppError::BadRequest(format!("请求体字段有误：{e}")))?;
    let o = state.store.org(&u.scope, &b.org).await?.ok_or(AppError::NotFound)?;
    if !can_write(&u, o.meta.id) {
        return Err(AppError::Forbidden.into());
    }
    let mut grades = Vec::new();
    for (m, g) in &b.grades {
        let id = m.parse::<i64>().map_err(|_| AppError::BadRequest(format!("grades 的键应为党员编号，而不是“{m}”")))?;
        let grade = Grade::parse(g).ok_or_else(|| {
            AppError::Invalid(vec![FieldError::new(
                "grade",
                "not_in_list",
                format!("等次“{g}”不在可选范围内，可选：{}", Grade::accepted_zh()),
                "grade: excellent, qualified, basic or unqualified",
            )])
        })?;
        grades.push((id, grade));
    }
    state.store.save_evaluations(o.meta.id, b.year, &grades, &u.user.username).await?;
    let rows = state.store.evaluations(o.meta.id, b.year).await?;
    Ok(api_json(&serde_json::json!({"org": b.org, "year": b.year, "members": rows})))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ApiStudy {
    org: String,
    member: String,
    studied_on: String,
    hours: String,
    content: String,
}

async fn api_study(State(state): State<AppState>, ApiUser(u): ApiUser, headers: HeaderMap, body: JsonBody) -> ApiResult {
    crate::api::csrf(&u, &headers)?;
    let b: ApiStudy = crate::api::input(body)?;
    let o = state.store.org(&u.scope, &b.org).await?.ok_or(AppError::NotFound)?;
    if !can_write(&u, o.meta.id) {
        return Err(AppError::Forbidden.into());
    }
    let member = b.member.trim().parse::<i64>().map_err(|_| {
        AppError::Invalid(vec![FieldError::new("member", "invalid", "党员编号无效：请填写党员记录的编号", "member is a member id")])
    })?;
    let input = life::StudyInput { studied_on: b.studied_on.clone(), hours: b.hours.clone(), content: b.content.clone() };
    let (on, hours, content) = input.parse(today()).map_err(AppError::Invalid)?;
    state.store.add_study_record(o.meta.id, member, on, hours, &content, &u.user.username).await?;
    let year = on.year();
    let total = state.store.study_hours(&[member], year).await?.get(&member).copied().unwrap_or(0.0);
    Ok((
        StatusCode::CREATED,
        axum::Json(serde_json::json!({"member": member, "year": year, "hours": total, "required": life::STUDY_HOURS_PER_YEAR})),
    )
        .into_response())
}
