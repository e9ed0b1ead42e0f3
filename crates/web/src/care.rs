//! 结对帮扶留守儿童 (issue: 党建+, part 3; DOMAIN R6.2; SECURITY S8, S9, S13, S14).
//!
//! Who sees a child's record: the member paired with the child (their phone page), the secretary
//! of the school's organization (their scope), and county staff the security administrator has
//! designated (`can_children`). Other county staff see counts per school and nothing about any
//! child. Every page or answer that shows a child's data writes a `view_sensitive` audit row; a
//! request for a child outside one's scope is answered 404 and writes an `access_denied` row.
//! An export of children's records needs another designated person's approval, is taken once, and
//! is logged with its row count, fields and hash.
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{Datelike, NaiveDate};
use hongzhu_core::care::{self, ChildInput};
use hongzhu_core::labels::{ChildSituation, Guardian, HelpKind, Labeled};
use hongzhu_core::registry::FieldError;
use hongzhu_ledger::table::Cell;
use hongzhu_store::care::{CareCount, ChildRow, PairingRow, VisitRow, Whom};
use hongzhu_store::{InstitutionFilter, Outcome, Role, Scope, StoreError};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::auth::{self, ApiUser, CurrentUser, Lang, PageUser};
use crate::error::{ApiError, AppError};
use crate::i18n::Tr;
use crate::pages::{FormPage, PageResult, audited_xlsx, chrome, local_today as today, own_member, render, zh_en as l};
use crate::view::{Chrome, Field, FieldKind, Opt, attach_errors, enc, label_options};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/children", get(list_page).post(list_search))
        .route("/children/new", get(new_page).post(new_save))
        .route("/children/exports", get(exports_page).post(export_request))
        .route("/children/exports/{id}", post(export_decide))
        .route("/children/export.xlsx", get(export_xlsx))
        .route("/children/pairings/{id}/end", post(end_pairing))
        .route("/children/{id}", get(detail_page))
        .route("/children/{id}/edit", get(edit_page).post(edit_save))
        .route("/children/{id}/pair", post(pair))
        .route("/children/{id}/close", post(close))
        .route("/m/children", get(phone_page))
        .route("/m/children/visits", post(phone_visit))
        .route("/api/v1/children", get(api_list))
        .route("/api/v1/children/{id}", get(api_one))
}

/// What a user may see of children's records.
enum Access {
    /// Full records of the schools in this scope (a school's secretary, designated county staff).
    Records(Scope),
    /// Counts per school only (county staff not designated).
    Counts(Scope),
    /// The children paired with this member now.
    Paired(i64),
}

async fn access(state: &AppState, u: &CurrentUser) -> Result<Access, AppError> {
    match u.user.role {
        Role::CountyAdmin if u.user.can_children => Ok(Access::Records(u.scope.clone())),
        Role::CountyAdmin => Ok(Access::Counts(u.scope.clone())),
        Role::Secretary => Ok(Access::Records(u.scope.clone())),
        Role::Member => Ok(Access::Paired(own_member(state, u).await?.meta.id)),
        _ => Err(AppError::Forbidden),
    }
}

/// The scope whose children's records a user keeps (adds, edits, pairs): secretaries and
/// designated county staff.
async fn keeper(state: &AppState, u: &CurrentUser) -> Result<Scope, AppError> {
    match access(state, u).await? {
        Access::Records(s) => Ok(s),
        _ => Err(AppError::Forbidden),
    }
}

/// A child's record the user keeps: anyone else asking about it (not in scope, not a keeper)
/// gets 404 and an audit row.
async fn kept_child(state: &AppState, u: &CurrentUser, id: i64) -> Result<(), AppError> {
    let ok = match keeper(state, u).await {
        Ok(scope) => state.store.child_in_scope(id, &scope).await?,
        Err(AppError::Forbidden) => false,
        Err(e) => return Err(e),
    };
    if ok { Ok(()) } else { Err(denied(state, u, id).await) }
}

async fn audit_view(state: &AppState, u: &CurrentUser, object: String, detail: String) -> Result<(), AppError> {
    crate::security::audit(state, u.actor.clone(), "view_sensitive", object, Outcome::Success, detail).await
}

/// A child's record outside the user's scope (or none): 404, and the attempt in the audit trail.
async fn denied(state: &AppState, u: &CurrentUser, id: i64) -> AppError {
    let object = format!("child {id}");
    match crate::security::audit(state, u.actor.clone(), "access_denied", object, Outcome::Denied, "outside the user's scope").await {
        Ok(()) => AppError::NotFound,
        Err(e) => e,
    }
}

/// The child's record if the user may see it; otherwise 404 with an audit row.
/// What a user may see of one child: the record, its pairings and visits, and whether the user
/// keeps it (may edit, pair, close).
type Seen = ((ChildRow, Vec<PairingRow>, Vec<VisitRow>), bool);

async fn visible_child(state: &AppState, u: &CurrentUser, id: i64) -> Result<Seen, AppError> {
    let (ok, keeper) = match access(state, u).await {
        Ok(Access::Records(scope)) => (state.store.child_in_scope(id, &scope).await?, true),
        Ok(Access::Paired(member)) => (state.store.paired_now(id, member).await?, false),
        Ok(Access::Counts(_)) => (false, false),
        Err(e) => return Err(e),
    };
    if !ok {
        return Err(denied(state, u, id).await);
    }
    Ok((open_child(state, u, id).await?, keeper))
}

/// A child's record, opened, and the view in the audit trail (the caller has checked the scope).
async fn open_child(state: &AppState, u: &CurrentUser, id: i64) -> Result<(ChildRow, Vec<PairingRow>, Vec<VisitRow>), AppError> {
    let found = state.store.child(id, today().year()).await?.ok_or(AppError::NotFound)?;
    audit_view(state, u, format!("child {id}"), String::new()).await?;
    Ok(found)
}

fn scope_label(u: &CurrentUser) -> String {
    match &u.scope {
        Scope::All => "all".into(),
        Scope::Region(r) => format!("region {r}"),
        Scope::Within { institutions, .. } => {
            format!("{} schools of organization {}", institutions.len(), u.user.org_id.unwrap_or_default())
        }
        Scope::Person(p) => format!("person {p}"),
    }
}

// ------------------------------------------------------------------ the list

/// The list's filters. A name is searched by POST only (a child's name never goes into a URL,
/// where logs and browser history would keep it).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ListQuery {
    school: String,
    #[serde(skip)]
    q: String,
    unpaired: String,
    closed: String,
    msg: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SearchForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    q: String,
    school: String,
    unpaired: String,
    closed: String,
}

#[derive(Template)]
#[template(path = "children.html")]
struct ListPage {
    c: Chrome,
    q: ListQuery,
    counts: Vec<CareCount>,
    totals: (i64, i64, i64),
    /// None: counts only (not designated).
    rows: Option<Vec<ChildRow>>,
    schools: Vec<Opt>,
    today: NaiveDate,
    can_keep: bool,
}

fn filter_rows(rows: Vec<ChildRow>, q: &ListQuery) -> Vec<ChildRow> {
    let needle = q.q.trim();
    rows.into_iter()
        .filter(|c| q.school.trim().is_empty() || c.institution_code == q.school.trim())
        .filter(|c| needle.is_empty() || c.child.name.contains(needle))
        .filter(|c| q.unpaired != "1" || c.pairing.is_none())
        .filter(|c| (q.closed == "1") == c.closed_on.is_some())
        .collect()
}

async fn list_search(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Form(f): Form<SearchForm>) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    let q = ListQuery { school: f.school, q: f.q, unpaired: f.unpaired, closed: f.closed, msg: String::new() };
    render_list(&state, t, &u, q).await
}

async fn list_page(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<ListQuery>) -> PageResult {
    render_list(&state, t, &u, q).await
}

async fn render_list(state: &AppState, t: Tr, u: &CurrentUser, q: ListQuery) -> PageResult {
    let year = today().year();
    let (scope, records) = match access(state, u).await? {
        Access::Paired(_) => return Ok(Redirect::to("/m/children").into_response()),
        Access::Counts(s) => (s, false),
        Access::Records(s) => (s, true),
    };
    let counts = state.store.care_counts(&scope, year).await?;
    let totals = counts.iter().fold((0, 0, 0), |a, c| (a.0 + c.children, a.1 + c.paired, a.2 + c.visited_this_year));
    let rows = if records {
        let rows = filter_rows(state.store.children(Whom::Scope(&scope), year).await?, &q);
        audit_view(state, u, format!("children list ({})", scope_label(u)), format!("{} records shown", rows.len())).await?;
        Some(rows)
    } else {
        None
    };
    let schools = counts.iter().map(|c| Opt { value: c.code.clone(), label: c.name.clone(), selected: c.code == q.school }).collect();
    let title = l(t, "关爱留守儿童", "Left-behind children");
    let c = chrome(state, t, u, "children", title).await.crumb(t.t("menu_plus"), "/commitments").crumb(title, "/children");
    let mut res = render(ListPage { c, q, counts, totals, rows, schools, today: today(), can_keep: records })?;
    no_store(&mut res);
    Ok(res)
}

/// S17: pages with children's data are not kept by the browser.
fn no_store(res: &mut Response) {
    res.headers_mut().insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
}

// ------------------------------------------------------------------ a child's record

#[derive(Template)]
#[template(path = "child.html")]
struct DetailPage {
    c: Chrome,
    row: ChildRow,
    pairings: Vec<PairingRow>,
    visits: Vec<VisitRow>,
    members: Vec<Opt>,
    helps: Vec<(&'static str, &'static str)>,
    today: NaiveDate,
    can_keep: bool,
    msg: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct MsgQuery {
    msg: String,
}

async fn detail_page(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    Query(q): Query<MsgQuery>,
) -> PageResult {
    if u.user.role == Role::Member {
        return Ok(Redirect::to("/m/children").into_response());
    }
    let ((row, pairings, visits), can_keep) = visible_child(&state, &u, id).await?;
    // Members who may be paired: the Party members teaching at the child's school.
    let members = state
        .store
        .members_at_school(row.institution_id)
        .await?
        .into_iter()
        .map(|m| Opt { value: m.id.to_string(), label: format!("{}（{}）", m.name, m.org_name), selected: false })
        .collect();
    let helps = HelpKind::ALL.iter().map(|h| (h.code(), h.label(t.lang()))).collect();
    let title = row.child.name.clone();
    let c = chrome(&state, t, &u, "children", title.clone())
        .await
        .crumb(t.t("menu_plus"), "/commitments")
        .crumb(l(t, "关爱留守儿童", "Left-behind children"), "/children")
        .crumb(title, format!("/children/{id}"));
    let mut res = render(DetailPage { c, row, pairings, visits, members, helps, today: today(), can_keep, msg: q.msg })?;
    no_store(&mut res);
    Ok(res)
}

// ------------------------------------------------------------------ add and edit

fn child_fields(t: Tr, v: &ChildInput, schools: Option<Vec<Opt>>) -> Vec<Field> {
    let mut f = Vec::new();
    if let Some(schools) = schools {
        f.push(Field::new("school", l(t, "学校", "School"), FieldKind::Select(schools), "").required());
    }
    f.push(Field::new("name", l(t, "姓名", "Name"), FieldKind::Text, &v.name).required());
    f.push(
        Field::new(
            "gender",
            l(t, "性别", "Sex"),
            FieldKind::Select(
                ["男", "女"].iter().map(|g| Opt { value: g.to_string(), label: g.to_string(), selected: v.gender == *g }).collect(),
            ),
            &v.gender,
        )
        .required(),
    );
    f.push(Field::new("birth_date", l(t, "出生日期", "Birth date"), FieldKind::Date, &v.birth_date).required().hint(l(
        t,
        "留守儿童指不满 16 周岁的未成年人（规则 R6.2）",
        "a left-behind child is under 16 (rule R6.2)",
    )));
    f.push(Field::new("class_name", l(t, "班级", "Class"), FieldKind::Text, &v.class_name).hint(l(
        t,
        "例如：四年级二班",
        "e.g. Grade 4 Class 2",
    )));
    f.push(
        Field::new(
            "situation",
            l(t, "留守情形", "Why left behind"),
            FieldKind::Select(label_options::<ChildSituation>(t, &v.situation)),
            &v.situation,
        )
        .required(),
    );
    f.push(
        Field::new(
            "guardian",
            l(t, "日常监护人", "Looked after by"),
            FieldKind::Select(label_options::<Guardian>(t, &v.guardian)),
            &v.guardian,
        )
        .required(),
    );
    f.push(Field::new("note", l(t, "帮扶需要说明", "What help is needed"), FieldKind::Text, &v.note).hint(l(
        t,
        "只写帮扶需要的情况，不超过 200 字；不记录身份证号、住址和家长联系方式",
        "only what the help needs, at most 200 characters; no ID number, address or parents' contacts",
    )));
    f
}

async fn school_options(state: &AppState, scope: &Scope, current: &str) -> Result<Vec<Opt>, AppError> {
    Ok(state
        .store
        .institutions(scope, &InstitutionFilter { page: 1, page_size: 1000, ..Default::default() })
        .await?
        .items
        .into_iter()
        .map(|i| Opt { selected: i.record.code.as_str() == current, value: i.record.code.to_string(), label: i.record.name })
        .collect())
}

#[allow(clippy::too_many_arguments)]
async fn child_form(
    state: &AppState,
    t: Tr,
    u: &CurrentUser,
    v: &ChildInput,
    school: &str,
    errors: &[FieldError],
    editing: Option<i64>,
) -> PageResult {
    let scope = keeper(state, u).await?;
    let schools = if editing.is_none() { Some(school_options(state, &scope, school).await?) } else { None };
    let mut fields = child_fields(t, v, schools);
    let problems = attach_errors(&mut fields, errors, t);
    let (title, action, cancel) = match editing {
        Some(id) => (l(t, "修改儿童信息", "Edit the child's record"), format!("/children/{id}/edit"), format!("/children/{id}")),
        None => (l(t, "登记留守儿童", "Add a left-behind child"), "/children/new".to_string(), "/children".to_string()),
    };
    let c = chrome(state, t, u, "children", title)
        .await
        .crumb(t.t("menu_plus"), "/commitments")
        .crumb(l(t, "关爱留守儿童", "Left-behind children"), "/children")
        .crumb(title, action.clone());
    let mut res = render(FormPage { c, action, cancel, version: None, fields, problems })?;
    if !errors.is_empty() {
        *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    no_store(&mut res);
    Ok(res)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ChildForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    school: String,
    #[serde(flatten)]
    child: ChildInput,
}

async fn new_page(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser) -> PageResult {
    child_form(&state, t, &u, &ChildInput::default(), "", &[], None).await
}

async fn new_save(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Form(f): Form<ChildForm>) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    let scope = keeper(&state, &u).await?;
    let school = state.store.institution(&scope, f.school.trim()).await?;
    let checked = care::check_child(&f.child, today());
    let mut errors = checked.as_ref().err().cloned().unwrap_or_default();
    if school.is_none() {
        errors.insert(0, FieldError::new("school", "school", "请选择本组织覆盖的学校", "choose a school in your scope"));
    }
    match (school, checked) {
        (Some(s), Ok(child)) => {
            let id = state.store.add_child(s.meta.id, &child, &u.user.username).await?;
            Ok(Redirect::to(&format!("/children/{id}?msg={}", enc(l(t, "已登记", "added")))).into_response())
        }
        _ => child_form(&state, t, &u, &f.child, &f.school, &errors, None).await,
    }
}

async fn edit_page(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Path(id): Path<i64>) -> PageResult {
    kept_child(&state, &u, id).await?;
    let (row, _, _) = open_child(&state, &u, id).await?;
    let c = &row.child;
    let v = ChildInput {
        name: c.name.clone(),
        gender: c.gender.clone(),
        birth_date: c.birth_date.to_string(),
        class_name: c.class_name.clone(),
        situation: c.situation.clone(),
        guardian: c.guardian.clone(),
        note: c.note.clone(),
    };
    child_form(&state, t, &u, &v, "", &[], Some(id)).await
}

async fn edit_save(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<ChildForm>,
) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    kept_child(&state, &u, id).await?;
    match care::check_child(&f.child, today()) {
        Ok(child) => {
            state.store.update_child(id, &child, &u.user.username).await?;
            Ok(Redirect::to(&format!("/children/{id}?msg={}", enc(l(t, "已保存", "saved")))).into_response())
        }
        Err(errors) => child_form(&state, t, &u, &f.child, "", &errors, Some(id)).await,
    }
}

// ------------------------------------------------------------------ pairing and closing

#[derive(Debug, Default)]
struct PairForm {
    csrf: String,
    member: String,
    started_on: String,
    /// The checked kinds of help (the field repeats).
    help: Vec<String>,
    ended_on: String,
}

/// Read a form whose `help` may repeat (several checkboxes).
fn pair_form(body: &str) -> PairForm {
    let mut f = PairForm::default();
    for (k, v) in url::form_urlencoded::parse(body.as_bytes()) {
        let v = v.into_owned();
        match k.as_ref() {
            "_csrf" => f.csrf = v,
            "member" => f.member = v,
            "started_on" => f.started_on = v,
            "ended_on" => f.ended_on = v,
            "help" => f.help.push(v),
            _ => {}
        }
    }
    f
}

fn back_to(id: i64, msg: &str) -> Response {
    Redirect::to(&format!("/children/{id}?msg={}", enc(msg))).into_response()
}

async fn pair(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Path(id): Path<i64>, body: String) -> PageResult {
    let f = pair_form(&body);
    auth::check_csrf(&u, Some(&f.csrf))?;
    kept_child(&state, &u, id).await?;
    let help = match care::check_help(&f.help) {
        Ok(h) => h,
        Err(e) => return Ok(back_to(id, if t.is_en() { &e.message_en } else { &e.message_zh })),
    };
    let Ok(start) = NaiveDate::parse_from_str(f.started_on.trim(), "%Y-%m-%d") else {
        return Ok(back_to(id, l(t, "结对日期应为 YYYY-MM-DD", "the start date is YYYY-MM-DD")));
    };
    let Ok(member) = f.member.trim().parse::<i64>() else {
        return Ok(back_to(id, l(t, "请选择在该校任教的党员", "choose a member who teaches at the child's school")));
    };
    // The store checks the record is open and the member teaches at the child's school.
    match state.store.pair_child(id, member, start, &help, today(), &u.user.username).await {
        Ok(_) => Ok(back_to(id, l(t, "已结对", "paired"))),
        Err(StoreError::Refused(e)) => Ok(back_to(id, e.message(t.lang()))),
        Err(e) => Err(e.into()),
    }
}

async fn end_pairing(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Path(pid): Path<i64>,
    body: String,
) -> PageResult {
    let f = pair_form(&body);
    auth::check_csrf(&u, Some(&f.csrf))?;
    let Some((child, _, _, _)) = state.store.pairing_parties(pid).await? else { return Err(AppError::NotFound) };
    kept_child(&state, &u, child).await?;
    let on = NaiveDate::parse_from_str(f.ended_on.trim(), "%Y-%m-%d").unwrap_or(today());
    if on > today() {
        return Ok(back_to(child, l(t, "结束日期不能晚于今天", "the end cannot be after today")));
    }
    match state.store.end_pairing(pid, on, &u.user.username).await {
        Ok(()) => Ok(back_to(child, l(t, "结对已结束", "the pairing has ended"))),
        Err(StoreError::Refused(e)) => Ok(back_to(child, e.message(t.lang()))),
        Err(e) => Err(e.into()),
    }
}

async fn close(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Path(id): Path<i64>, body: String) -> PageResult {
    let f = pair_form(&body);
    auth::check_csrf(&u, Some(&f.csrf))?;
    kept_child(&state, &u, id).await?;
    let on = NaiveDate::parse_from_str(f.ended_on.trim(), "%Y-%m-%d").unwrap_or(today());
    if on > today() {
        return Ok(back_to(id, l(t, "结束日期不能晚于今天", "the end cannot be after today")));
    }
    match state.store.close_child(id, on, &u.user.username).await {
        Ok(()) => Ok(back_to(id, l(t, "记录已结束，保存期满后清除", "closed; purged when its retention ends"))),
        Err(StoreError::Refused(e)) => Ok(back_to(id, e.message(t.lang()))),
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------------ the member's phone page

#[derive(Template)]
#[template(path = "children_phone.html")]
struct PhonePage {
    t: Tr,
    csrf: String,
    rows: Vec<ChildRow>,
    helps: Vec<(&'static str, &'static str)>,
    today: NaiveDate,
    msg: String,
}

async fn phone_page(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<MsgQuery>) -> PageResult {
    let m = own_member(&state, &u).await?;
    let rows = state.store.children(Whom::PairedWith(m.meta.id), today().year()).await?;
    audit_view(&state, &u, format!("children paired with member {}", m.meta.id), format!("{} records shown", rows.len())).await?;
    let helps = HelpKind::ALL.iter().map(|h| (h.code(), h.label(t.lang()))).collect();
    let mut res = render(PhonePage { t, csrf: u.csrf.clone(), rows, helps, today: today(), msg: q.msg })?;
    no_store(&mut res);
    Ok(res)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct VisitForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    pairing: String,
    visited_on: String,
    help: String,
    note: String,
}

/// A member records a visit for themselves: the pairing must be theirs (someone else's is not
/// found, and the attempt is audited).
async fn phone_visit(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Form(f): Form<VisitForm>) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    let m = own_member(&state, &u).await?;
    let back = |msg: &str| Redirect::to(&format!("/m/children?msg={}", enc(msg))).into_response();
    let Ok(pairing) = f.pairing.trim().parse::<i64>() else { return Err(AppError::NotFound) };
    let Some((child, owner, _, _)) = state.store.pairing_parties(pairing).await? else { return Err(AppError::NotFound) };
    if owner != m.meta.id {
        return Err(denied(&state, &u, child).await);
    }
    let Ok(on) = NaiveDate::parse_from_str(f.visited_on.trim(), "%Y-%m-%d") else {
        return Ok(back(l(t, "走访日期应为 YYYY-MM-DD", "the visit date is YYYY-MM-DD")));
    };
    let Some(help) = HelpKind::parse(&f.help) else {
        return Ok(back(l(t, "请选择帮扶内容", "choose the kind of help")));
    };
    match state.store.record_visit(pairing, m.meta.id, on, help, &f.note, today(), &u.user.username).await {
        Ok(_) => Ok(back(l(t, "走访已记录", "visit recorded"))),
        Err(StoreError::Refused(e)) => Ok(back(e.message(t.lang()))),
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------------ exports (S14: two people)

const EXPORT_KIND: &str = "children";

/// What an export request covers: the county user's region, or `org:CODE` for a secretary.
fn export_key(u: &CurrentUser) -> String {
    match u.user.role {
        Role::Secretary => format!("org:{}", u.user.org_id.unwrap_or_default()),
        _ => u.user.region_code.clone().unwrap_or_default(),
    }
}

/// Whether a designated county user may decide a request: not their own, and for their region or
/// an organization within it.
async fn may_decide(state: &AppState, u: &CurrentUser, r: &hongzhu_store::ExportRequest) -> Result<bool, AppError> {
    if u.user.role != Role::CountyAdmin || !u.user.can_children || r.requested_by == u.user.id {
        return Ok(false);
    }
    Ok(match r.region.strip_prefix("org:").map(|id| id.parse::<i64>().unwrap_or(0)) {
        Some(org) => match state.store.org_code(org).await? {
            Some(code) => state.store.org(&u.scope, &code).await?.is_some(),
            None => false,
        },
        None => r.region.starts_with(&u.user.region_code.as_deref().map(hongzhu_store::region_prefix).unwrap_or_default()),
    })
}

#[derive(Template)]
#[template(path = "children_exports.html")]
struct ExportsPage {
    c: Chrome,
    requests: Vec<(hongzhu_store::ExportRequest, bool)>,
    me: i64,
    msg: String,
}

async fn exports_page(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<MsgQuery>) -> PageResult {
    keeper(&state, &u).await?;
    let mut requests = Vec::new();
    for r in state.store.export_requests(EXPORT_KIND, "", 200).await? {
        let decide = may_decide(&state, &u, &r).await?;
        if r.requested_by == u.user.id || decide {
            requests.push((r, decide));
        }
    }
    let title = l(t, "儿童信息导出审批", "Exports of children's records");
    let c = chrome(&state, t, &u, "children", title)
        .await
        .crumb(t.t("menu_plus"), "/commitments")
        .crumb(l(t, "关爱留守儿童", "Left-behind children"), "/children")
        .crumb(title, "/children/exports");
    render(ExportsPage { c, requests, me: u.user.id, msg: q.msg })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RequestForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    reason: String,
    action: String,
    note: String,
}

async fn export_request(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Form(f): Form<RequestForm>) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    keeper(&state, &u).await?;
    let back = |msg: &str| Redirect::to(&format!("/children/exports?msg={}", enc(msg))).into_response();
    let reason = f.reason.trim();
    if reason.chars().count() < 4 {
        return Ok(back(l(t, "请写明导出用途（至少 4 个字）", "say what the export is for (at least 4 characters)")));
    }
    let entry = hongzhu_store::AuditEntry {
        actor: u.actor.clone(),
        event: "export_request",
        object: String::new(),
        outcome: Outcome::Success,
        detail: String::new(),
    };
    match state.store.request_export(EXPORT_KIND, &export_key(&u), reason, &entry).await {
        Ok(_) => Ok(back(l(t, "已提交，等待另一位指定人员审批", "sent: another designated person decides"))),
        Err(StoreError::Refused(e)) => Ok(back(e.message(t.lang()))),
        Err(e) => Err(e.into()),
    }
}

async fn export_decide(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<RequestForm>,
) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    let r = state.store.export_request(id).await?.ok_or(AppError::NotFound)?;
    if r.kind != EXPORT_KIND || !may_decide(&state, &u, &r).await? {
        return Err(AppError::Forbidden);
    }
    let approve = match f.action.as_str() {
        "approve" => true,
        "refuse" => false,
        _ => return Err(AppError::BadRequest("action 应为 approve 或 refuse / action must be approve or refuse".into())),
    };
    if approve {
        u.require_reauth(&state.security, "/children/exports")?;
    }
    let entry = hongzhu_store::AuditEntry {
        actor: u.actor.clone(),
        event: "export_decision",
        object: String::new(),
        outcome: Outcome::Success,
        detail: String::new(),
    };
    let msg = match state.store.decide_export(id, approve, &f.note, &entry).await {
        Ok(_) => l(t, "已处理", "decided").to_string(),
        Err(StoreError::Refused(e)) => e.message(t.lang()).to_string(),
        Err(e) => return Err(e.into()),
    };
    Ok(Redirect::to(&format!("/children/exports?msg={}", enc(&msg))).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ExportQuery {
    request: Option<i64>,
}

async fn export_xlsx(State(state): State<AppState>, PageUser(u): PageUser, Query(q): Query<ExportQuery>) -> PageResult {
    let scope = keeper(&state, &u).await?;
    let Some(request) = q.request else { return Err(AppError::ApprovalRequired) };
    state.store.take_export(request, u.user.id, EXPORT_KIND, &export_key(&u)).await?;
    let year = today().year();
    let rows = state.store.children(Whom::Scope(&scope), year).await?;
    let rows: Vec<ChildRow> = rows.into_iter().filter(|c| c.closed_on.is_none()).collect();
    let on = today();
    let cells: Vec<Vec<Cell>> = rows
        .iter()
        .map(|c| {
            let p = c.pairing.as_ref();
            vec![
                Cell::from(c.institution_name.clone()),
                Cell::from(c.child.name.clone()),
                Cell::from(c.child.gender.clone()),
                Cell::from(c.child.birth_date.to_string()),
                Cell::Number(f64::from(c.child.age(on))),
                Cell::from(c.child.class_name.clone()),
                Cell::from(c.child.situation().map(|s| s.zh()).unwrap_or("")),
                Cell::from(c.child.guardian().map(|g| g.zh()).unwrap_or("")),
                Cell::from(p.map(|p| p.member_name.clone()).unwrap_or_default()),
                Cell::from(p.map(|p| p.started_on.to_string()).unwrap_or_default()),
                Cell::from(p.map(|p| p.help.iter().map(|h| h.zh()).collect::<Vec<_>>().join("、")).unwrap_or_default()),
                Cell::Number(c.visits_this_year as f64),
                Cell::from(c.last_visit.map(|d| d.to_string()).unwrap_or_default()),
            ]
        })
        .collect();
    let columns = [
        ("学校", 24.0),
        ("姓名", 10.0),
        ("性别", 6.0),
        ("出生日期", 12.0),
        ("年龄", 6.0),
        ("班级", 12.0),
        ("留守情形", 20.0),
        ("日常监护人", 14.0),
        ("结对党员", 10.0),
        ("结对日期", 12.0),
        ("帮扶内容", 24.0),
        (&format!("{year}年走访次数"), 10.0),
        ("最近走访", 12.0),
    ];
    let columns: Vec<(&str, f64)> = columns.iter().map(|(a, b)| (*a as &str, *b)).collect();
    let bytes = hongzhu_ledger::table::table(&format!("留守儿童结对帮扶台账（{on}）"), "留守儿童", &columns, &cells)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let detail = format!(
        "{} rows; fields: school, name, sex, birth date, age, class, situation, guardian, pairing, help, visits; approved request {request}",
        cells.len()
    );
    audited_xlsx(
        &state,
        &u,
        format!("children ({})", scope_label(&u)),
        &detail,
        bytes,
        &format!("children-{on}.xlsx"),
        &format!("留守儿童-{on}.xlsx"),
    )
    .await
}

// ------------------------------------------------------------------ API

async fn api_list(State(state): State<AppState>, ApiUser(u): ApiUser) -> Result<Response, ApiError> {
    let year = today().year();
    match access(&state, &u).await? {
        Access::Counts(scope) => {
            let counts = state.store.care_counts(&scope, year).await?;
            Ok(axum::Json(json!({"year": year, "counts": counts, "items": null})).into_response())
        }
        Access::Records(scope) => {
            let counts = state.store.care_counts(&scope, year).await?;
            let items: Vec<ChildRow> =
                state.store.children(Whom::Scope(&scope), year).await?.into_iter().filter(|c| c.closed_on.is_none()).collect();
            audit_view(&state, &u, format!("children list ({})", scope_label(&u)), format!("{} records via the API", items.len())).await?;
            Ok(axum::Json(json!({"year": year, "counts": counts, "items": items})).into_response())
        }
        Access::Paired(member) => {
            let items = state.store.children(Whom::PairedWith(member), year).await?;
            audit_view(&state, &u, format!("children paired with member {member}"), format!("{} records via the API", items.len())).await?;
            Ok(axum::Json(json!({"year": year, "counts": null, "items": items})).into_response())
        }
    }
}

async fn api_one(State(state): State<AppState>, ApiUser(u): ApiUser, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let ((row, pairings, visits), _) = visible_child(&state, &u, id).await?;
    Ok(axum::Json(json!({"child": row, "pairings": pairings, "visits": visits})).into_response())
}
