//! The HTML pages. Each works without JavaScript; lists are search form + table + pager.
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use hongzhu_core::labels::*;
use hongzhu_core::registry::*;
use hongzhu_core::term::{TermState, term_state};
use hongzhu_store::*;
use serde::Deserialize;
use std::result::Result;

use crate::AppState;
use crate::auth::{self, CurrentUser, Lang, PageUser};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::view::*;

pub(crate) type PageResult = Result<Response, AppError>;

pub(crate) fn render<T: Template>(t: T) -> PageResult {
    let body = t.render().map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Html(body).into_response())
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login_submit))
        .route("/logout", post(logout))
        .route("/lang/{to}", get(switch_lang))
        .route("/", get(home))
        .route("/institutions", get(institutions))
        .route("/institutions/new", get(institution_new).post(institution_create))
        .route("/institutions/{code}", get(institution_detail))
        .route("/institutions/{code}/edit", get(institution_edit).post(institution_update))
        .route("/orgs", get(orgs))
        .route("/orgs/new", get(org_new).post(org_create))
        .route("/orgs/{code}", get(org_detail))
        .route("/orgs/{code}/edit", get(org_edit).post(org_update))
        .route("/staff", get(staff_list))
        .route("/staff/new", get(staff_new).post(staff_create))
        .route("/staff/{id}", get(staff_detail))
        .route("/staff/{id}/unmask", post(staff_unmask))
        .route("/staff/{id}/edit", get(staff_edit).post(staff_update))
        .route("/members", get(member_list))
        .route("/members/{id}", get(member_detail))
        .route("/members/{id}/unmask", post(member_unmask))
        .route("/members/{id}/edit", get(member_edit).post(member_update))
        .route("/m", get(phone_me))
}

fn today() -> chrono::NaiveDate {
    Utc::now().date_naive()
}

async fn region_label(state: &AppState, u: &CurrentUser) -> String {
    match &u.user.region_code {
        Some(code) => state.store.region(code).await.ok().flatten().map(|r| r.record.name).unwrap_or_default(),
        None => String::new(),
    }
}

pub(crate) async fn chrome(state: &AppState, t: Tr, u: &CurrentUser, nav: &'static str, title: impl Into<String>) -> Chrome {
    let label = region_label(state, u).await;
    Chrome::new(t, u, nav, title).region(label)
}

// ------------------------------------------------------------------ login

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    t: Tr,
    error: Option<String>,
    username: String,
}

async fn login_form(Lang(t): Lang) -> PageResult {
    render(LoginPage { t, error: None, username: String::new() })
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
}

async fn login_submit(
    State(state): State<AppState>,
    Lang(t): Lang,
    ctx: crate::security::RequestCtx,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> PageResult {
    let user = match crate::security::authenticate(&state, &ctx, &f.username, &f.password).await? {
        Ok(u) => u,
        Err(refusal) => {
            let status = match refusal {
                crate::security::LoginRefusal::Throttled(_) => axum::http::StatusCode::TOO_MANY_REQUESTS,
                _ => axum::http::StatusCode::UNAUTHORIZED,
            };
            let mut res = render(LoginPage { t, error: Some(refusal.message(t.is_en())), username: f.username })?;
            *res.status_mut() = status;
            return Ok(res);
        }
    };
    // S3: drop any session the browser came with; the new one gets a new id.
    if let Some(old) = auth::cookie(&headers, auth::cookie_name(state.secure_cookies)) {
        state.store.delete_session(&auth::token_hash(old)).await?;
    }
    let stage = auth::stage_after_password(&user, &state.security);
    let (token, _) = auth::start_session(&state, &user, stage).await?;
    crate::security::audit(
        &state,
        ctx.for_user(&user),
        "login",
        format!("user {}", user.username),
        Outcome::Success,
        format!("stage {stage}"),
    )
    .await?;
    let to = crate::account::next_page(&user, stage);
    Ok(([(header::SET_COOKIE, auth::session_cookie(&token, state.secure_cookies))], Redirect::to(to)).into_response())
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

async fn logout(State(state): State<AppState>, auth::PendingUser(u): auth::PendingUser, Form(f): Form<CsrfForm>) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    crate::security::audit(&state, u.actor.clone(), "logout", format!("user {}", u.user.username), Outcome::Success, "").await?;
    state.store.delete_session(&u.session_hash).await?;
    Ok(([(header::SET_COOKIE, auth::clear_cookie(state.secure_cookies))], Redirect::to("/login")).into_response())
}

async fn switch_lang(Path(to): Path<String>, headers: HeaderMap) -> PageResult {
    let lang = if to == "en" { "en" } else { "zh" };
    // Back to the page the user was on, when it is one of ours.
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| rest[i..].to_string()))
        .filter(|p| p.starts_with('/') && !p.starts_with("//"))
        .unwrap_or_else(|| "/".to_string());
    Ok(([(header::SET_COOKIE, format!("lang={lang}; Path=/; Max-Age=31536000; SameSite=Lax"))], Redirect::to(&back)).into_response())
}

// ------------------------------------------------------------------ home

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    c: Chrome,
    totals: Totals,
    todos: Vec<(String, String, hongzhu_core::life::Todo)>,
    /// The secretary's other open work: label, count, where to act.
    due: Vec<(&'static str, usize, &'static str)>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct HomeQuery {
    screen: String,
}

async fn home(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<HomeQuery>) -> PageResult {
    // The county's dashboard (its big-screen mode with `?screen=1`).
    if u.role() == Role::CountyAdmin {
        return crate::dashboard::page(&state, t, &u, q.screen == "1").await;
    }
    match u.role() {
        Role::Member => return Ok(Redirect::to("/m").into_response()),
        Role::SecurityAdmin => return Ok(Redirect::to("/admin/users").into_response()),
        Role::AuditAdmin => return Ok(Redirect::to("/admin/audit").into_response()),
        Role::SystemAdmin => return Ok(Redirect::to("/admin/system").into_response()),
        Role::CountyAdmin | Role::Secretary => {}
    }
    let totals = state.store.totals(&u.scope).await?;
    let todos = crate::life::home_todos(&state, &u).await?;
    let due = secretary_due(&state, t, &u).await?;
    let c = chrome(&state, t, &u, "home", t.t("home_title")).await;
    render(HomePage { c, totals, todos, due })
}

// ------------------------------------------------------------------ institutions

#[derive(Deserialize, Default)]
#[serde(default)]
struct InstitutionQuery {
    q: String,
    town: String,
    kind: String,
    ownership: String,
    status: String,
    sort: String,
    desc: String,
    page: Option<u64>,
    page_size: Option<u64>,
}

struct InstitutionLine {
    row: InstitutionRow,
    staff: i64,
    members: i64,
}

struct SortHead {
    key: &'static str,
    label: &'static str,
    href: String,
    mark: &'static str,
    aria: &'static str,
}

#[derive(Template)]
#[template(path = "institutions.html")]
struct InstitutionsPage {
    c: Chrome,
    q: String,
    towns: Vec<Opt>,
    kinds: Vec<Opt>,
    ownerships: Vec<Opt>,
    statuses: Vec<Opt>,
    lines: Vec<InstitutionLine>,
    heads: Vec<SortHead>,
    pager: Pager,
}

async fn town_options(state: &AppState, u: &CurrentUser, current: &str) -> Result<Vec<Opt>, AppError> {
    let scope = match &u.scope {
        Scope::Region(r) => Scope::Region(r.clone()),
        _ => Scope::All,
    };
    Ok(state
        .store
        .regions(&scope)
        .await?
        .into_iter()
        .filter(|r| r.record.level == RegionLevel::Town)
        .map(|r| Opt { selected: r.record.code.as_str() == current, value: r.record.code.to_string(), label: r.record.name })
        .collect())
}

async fn institutions(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Query(q): Query<InstitutionQuery>,
) -> PageResult {
    let (page, page_size) = page_bounds(q.page, q.page_size);
    let sort = InstitutionSort::parse(&q.sort).unwrap_or_default();
    let desc = q.desc == "1";
    let filter = InstitutionFilter {
        q: Some(q.q.clone()),
        town: Some(q.town.clone()),
        kind: InstitutionKind::from_code(&q.kind),
        ownership: Ownership::from_code(&q.ownership),
        status: InstitutionStatus::from_code(&q.status),
        sort,
        desc,
        page,
        page_size,
    };
    let result = state.store.institutions(&u.scope, &filter).await?;
    let ids: Vec<i64> = result.items.iter().map(|r| r.meta.id).collect();
    let counts = state.store.institution_counts(&ids).await?;
    let lines = result.items.into_iter().zip(counts).map(|(row, (_, staff, members))| InstitutionLine { row, staff, members }).collect();
    let filters = [
        ("q", q.q.clone()),
        ("town", q.town.clone()),
        ("kind", q.kind.clone()),
        ("ownership", q.ownership.clone()),
        ("status", q.status.clone()),
    ];
    let mut sort_filters: Vec<(&str, String)> = filters.to_vec();
    sort_filters.push(("page_size", page_size.to_string()));
    let heads = [("code", "code"), ("name", "name"), ("kind", "kind"), ("town", "town"), ("students", "students")]
        .into_iter()
        .map(|(key, label)| {
            let active = sort.as_str() == key;
            let next_desc = active && !desc;
            let mut f = sort_filters.clone();
            f.push(("sort", key.to_string()));
            if next_desc {
                f.push(("desc", "1".into()));
            }
            let p = Pager::new(0, 1, page_size, "/institutions", &f);
            SortHead {
                key,
                label: t.t(label),
                href: p.base.trim_end_matches('&').to_string(),
                mark: if !active {
                    "↕"
                } else if desc {
                    "↓"
                } else {
                    "↑"
                },
                aria: if !active {
                    "none"
                } else if desc {
                    "descending"
                } else {
                    "ascending"
                },
            }
        })
        .collect();
    let mut pager_filters = filters.to_vec();
    if !q.sort.is_empty() {
        pager_filters.push(("sort", q.sort.clone()));
    }
    if desc {
        pager_filters.push(("desc", "1".into()));
    }
    let pager = Pager::new(result.total, result.page, result.page_size, "/institutions", &pager_filters);
    let c = chrome(&state, t, &u, "institutions", t.t("menu_institutions"))
        .await
        .crumb(t.t("menu_org_admin"), "/orgs")
        .crumb(t.t("menu_institutions"), "/institutions");
    render(InstitutionsPage {
        towns: town_options(&state, &u, &q.town).await?,
        kinds: label_options::<InstitutionKind>(t, &q.kind),
        ownerships: label_options::<Ownership>(t, &q.ownership),
        statuses: label_options::<InstitutionStatus>(t, &q.status),
        c,
        q: q.q,
        lines,
        heads,
        pager,
    })
}

#[derive(Template)]
#[template(path = "institution.html")]
struct InstitutionPage {
    c: Chrome,
    i: InstitutionRow,
    staff_total: i64,
    member_total: i64,
    leaders: Vec<StaffRow>,
    members: Vec<MemberRow>,
    members_total: i64,
    coverages: Vec<CoverageRow>,
    children: Vec<InstitutionRow>,
    instructors: Vec<InstructorRow>,
    history: Vec<ChangeRow>,
}

async fn institution_detail(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Path(code): Path<String>) -> PageResult {
    let i = state.store.institution(&u.scope, &code).await?.ok_or(AppError::NotFound)?;
    let leaders = state
        .store
        .staff(
            &Scope::All,
            &PeopleFilter { institution: Some(code.clone()), leadership_only: true, page: 1, page_size: 50, ..Default::default() },
        )
        .await?;
    let staff = state
        .store
        .staff(&Scope::All, &PeopleFilter { institution: Some(code.clone()), page: 1, page_size: 1, ..Default::default() })
        .await?;
    let members = state
        .store
        .members(&Scope::All, &PeopleFilter { institution: Some(code.clone()), page: 1, page_size: 20, ..Default::default() })
        .await?;
    let coverages = state.store.coverages_of_institution(i.meta.id).await?;
    let children = state.store.child_institutions(i.meta.id).await?;
    let instructors = state.store.instructors_of_institution(i.meta.id).await?;
    let history = state.store.history("institutions", i.meta.id).await?;
    let c = chrome(&state, t, &u, "institutions", i.record.name.clone())
        .await
        .crumb(t.t("menu_institutions"), "/institutions")
        .crumb(i.record.name.clone(), format!("/institutions/{}", i.record.code));
    render(InstitutionPage {
        c,
        staff_total: staff.total,
        member_total: members.total,
        leaders: leaders.items,
        members_total: members.total,
        members: members.items,
        coverages,
        children,
        instructors,
        history,
        i,
    })
}

#[derive(Template)]
#[template(path = "form.html")]
pub(crate) struct FormPage {
    pub(crate) c: Chrome,
    pub(crate) action: String,
    pub(crate) cancel: String,
    pub(crate) version: Option<i64>,
    pub(crate) fields: Vec<Field>,
    pub(crate) problems: Vec<String>,
}

impl FormPage {
    fn has_errors(&self) -> bool {
        self.fields.iter().any(|f| f.error.is_some())
    }
}

async fn institution_fields(state: &AppState, t: Tr, u: &CurrentUser, v: &InstitutionInput, editing: bool) -> Result<Vec<Field>, AppError> {
    let code = if editing {
        Field::new("code", t.t("code"), FieldKind::Readonly, &v.code)
    } else {
        Field::new("code", t.t("code"), FieldKind::Text, &v.code)
    };
    Ok(vec![
        code.required().hint("10位学校标识码，或县内自编代码（4–32位数字、大写字母、-）"),
        Field::new("name", t.t("name"), FieldKind::Text, &v.name).required(),
        Field::new("kind", t.t("kind"), FieldKind::Select(label_options::<InstitutionKind>(t, &v.kind)), "").required(),
        Field::new("ownership", t.t("ownership"), FieldKind::Select(label_options::<Ownership>(t, &v.ownership)), "").required(),
        Field::new(
            "status",
            t.t("status"),
            FieldKind::Select(label_options::<InstitutionStatus>(t, if v.status.is_empty() { "operating" } else { &v.status })),
            "",
        )
        .required(),
        Field::new("town", t.t("town"), FieldKind::Select(town_options(state, u, &v.town).await?), "").required(),
        Field::new("parent", t.t("parent_school"), FieldKind::Text, &v.parent).hint("教学点填写其中心小学的机构代码"),
        Field::new("longitude", t.t("longitude"), FieldKind::Text, &v.longitude).hint("十进制度数，如 116.31"),
        Field::new("latitude", t.t("latitude"), FieldKind::Text, &v.latitude).hint("十进制度数，如 35.07"),
        Field::new("students", t.t("students"), FieldKind::Number, &v.students),
        Field::new("classes", t.t("classes"), FieldKind::Number, &v.classes),
    ])
}

#[derive(Deserialize)]
struct Versioned<T> {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(rename = "_version", default)]
    version: Option<i64>,
    #[serde(flatten)]
    input: T,
}

/// S6: a county administrator creates and edits only inside their region.
fn region_allows(u: &CurrentUser, code: &str) -> bool {
    match &u.scope {
        Scope::Region(r) => code.starts_with(&region_prefix(r)),
        Scope::All => true,
        _ => false,
    }
}

#[allow(clippy::too_many_arguments)]
async fn institution_form(
    state: &AppState,
    t: Tr,
    u: &CurrentUser,
    v: &InstitutionInput,
    errors: &[FieldError],
    flash: Option<String>,
    editing: Option<(String, i64)>,
) -> PageResult {
    let mut fields = institution_fields(state, t, u, v, editing.is_some()).await?;
    let problems = attach_errors(&mut fields, errors, t);
    let (title, action, cancel, version) = match &editing {
        Some((code, version)) => {
            (t.t("edit_institution"), format!("/institutions/{code}/edit"), format!("/institutions/{code}"), Some(*version))
        }
        None => (t.t("new_institution"), "/institutions/new".to_string(), "/institutions".to_string(), None),
    };
    let mut c =
        chrome(state, t, u, "institutions", title).await.crumb(t.t("menu_institutions"), "/institutions").crumb(title, action.clone());
    c.flash = flash;
    let mut res = render(FormPage { c, action, cancel, version, fields, problems })?;
    if !errors.is_empty() {
        *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

async fn institution_new(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser) -> PageResult {
    if !u.is_admin() {
        return Err(AppError::Forbidden);
    }
    institution_form(&state, t, &u, &InstitutionInput::default(), &[], None, None).await
}

fn store_field_error(e: AppError) -> Result<Vec<FieldError>, AppError> {
    match e {
        AppError::Conflict(f) => Ok(vec![FieldError::new(
            f,
            "duplicate",
            format!("{}已存在，不能重复登记", crate::error::field_zh(f)),
            format!("{f} already exists"),
        )]),
        AppError::UnknownReference(f, v) => Ok(vec![FieldError::new(
            f,
            "unknown_reference",
            format!("{}“{v}”不存在，请先登记或检查代码", crate::error::field_zh(f)),
            format!("{f} \"{v}\" does not exist"),
        )]),
        other => Err(other),
    }
}

async fn institution_create(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Form(f): Form<Versioned<InstitutionInput>>,
) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    if !u.is_admin() {
        return Err(AppError::Forbidden);
    }
    let parsed = f.input.parse().and_then(|i| {
        if region_allows(&u, i.town.as_str()) {
            Ok(i)
        } else {
            Err(vec![FieldError::new("town", "out_of_scope", "该乡镇街道不在您管辖的区划内", "the town is outside your region")])
        }
    });
    match parsed {
        Err(errors) => institution_form(&state, t, &u, &f.input, &errors, None, None).await,
        Ok(i) => match state.store.create_institution(&i, &u.user.username).await {
            Ok(row) => Ok(Redirect::to(&format!("/institutions/{}", row.record.code)).into_response()),
            Err(e) => institution_form(&state, t, &u, &f.input, &store_field_error(e.into())?, None, None).await,
        },
    }
}

async fn institution_edit(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Path(code): Path<String>) -> PageResult {
    if !u.can_edit() {
        return Err(AppError::Forbidden);
    }
    let i = state.store.institution(&u.scope, &code).await?.ok_or(AppError::NotFound)?;
    institution_form(&state, t, &u, &InstitutionInput::from_record(&i.record), &[], None, Some((code, i.meta.version))).await
}

async fn institution_update(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Path(code): Path<String>,
    Form(mut f): Form<Versioned<InstitutionInput>>,
) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    if !u.can_edit() {
        return Err(AppError::Forbidden);
    }
    let current = state.store.institution(&u.scope, &code).await?.ok_or(AppError::NotFound)?;
    f.input.code = code.clone();
    let version = f.version.unwrap_or(current.meta.version);
    let editing = Some((code.clone(), version));
    let parsed = f.input.parse().and_then(|i| {
        if u.is_admin() && !region_allows(&u, i.town.as_str()) {
            Err(vec![FieldError::new("town", "out_of_scope", "该乡镇街道不在您管辖的区划内", "the town is outside your region")])
        } else {
            Ok(i)
        }
    });
    match parsed {
        Err(errors) => institution_form(&state, t, &u, &f.input, &errors, None, editing).await,
        Ok(i) => match state.store.update_institution(&code, version, &i, &u.user.username).await {
            Ok(_) => Ok(Redirect::to(&format!("/institutions/{code}")).into_response()),
            Err(StoreError::Stale { current }) => {
                let msg = t.t("stale").replace("{v}", &current.to_string());
                institution_form(&state, t, &u, &f.input, &[], Some(msg), editing).await
            }
            Err(e) => institution_form(&state, t, &u, &f.input, &store_field_error(e.into())?, None, editing).await,
        },
    }
}

// ------------------------------------------------------------------ organizations

struct TreeLine {
    org: OrgRow,
    depth: usize,
    term_end: Option<chrono::NaiveDate>,
    term: &'static str,
}

#[derive(Template)]
#[template(path = "orgs.html")]
struct OrgsPage {
    c: Chrome,
    q: String,
    lines: Vec<TreeLine>,
}

fn term_class(o: &PartyOrg) -> &'static str {
    match o.term_end().map(|e| term_state(e, today(), 6)) {
        Some(TermState::Expired) => "expired",
        Some(TermState::Expiring) => "expiring",
        _ => "",
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SimpleQuery {
    q: String,
}

async fn orgs(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<SimpleQuery>) -> PageResult {
    let rows = state.store.orgs(&u.scope, Some(&q.q)).await?;
    // Depth-first order under each root (an org whose parent is not in view is a root).
    let ids: std::collections::HashSet<i64> = rows.iter().map(|r| r.meta.id).collect();
    let mut lines = Vec::with_capacity(rows.len());
    let mut stack: Vec<(i64, usize)> =
        rows.iter().filter(|r| r.parent_id.is_none_or(|p| !ids.contains(&p))).rev().map(|r| (r.meta.id, 0)).collect();
    while let Some((id, depth)) = stack.pop() {
        let Some(row) = rows.iter().find(|r| r.meta.id == id) else { continue };
        for child in rows.iter().filter(|r| r.parent_id == Some(id)).rev() {
            stack.push((child.meta.id, depth + 1));
        }
        lines.push(TreeLine { term_end: row.record.term_end(), term: term_class(&row.record), org: row.clone(), depth });
    }
    let c = chrome(&state, t, &u, "orgs", t.t("org_tree")).await.crumb(t.t("menu_org_admin"), "/orgs").crumb(t.t("menu_orgs"), "/orgs");
    render(OrgsPage { c, q: q.q, lines })
}

#[derive(Template)]
#[template(path = "org.html")]
struct OrgPage {
    c: Chrome,
    o: OrgRow,
    term_end: Option<chrono::NaiveDate>,
    term: &'static str,
    children: Vec<OrgRow>,
    coverages: Vec<CoverageRow>,
    members: Vec<MemberRow>,
    history: Vec<ChangeRow>,
}

async fn org_detail(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Path(code): Path<String>) -> PageResult {
    let o = state.store.org(&u.scope, &code).await?.ok_or(AppError::NotFound)?;
    let children: Vec<OrgRow> = state.store.orgs(&u.scope, None).await?.into_iter().filter(|r| r.parent_id == Some(o.meta.id)).collect();
    let coverages = state.store.coverages_of_org(o.meta.id).await?;
    let members = state
        .store
        .members(&Scope::All, &PeopleFilter { org: Some(code.clone()), page: 1, page_size: 200, ..Default::default() })
        .await?
        .items;
    let history = state.store.history("party_orgs", o.meta.id).await?;
    let c = chrome(&state, t, &u, "orgs", o.record.name.clone())
        .await
        .crumb(t.t("menu_orgs"), "/orgs")
        .crumb(o.record.name.clone(), format!("/orgs/{code}"));
    render(OrgPage { c, term_end: o.record.term_end(), term: term_class(&o.record), o, children, coverages, members, history })
}

fn org_fields(t: Tr, v: &OrgInput, editing: bool) -> Vec<Field> {
    let code = if editing {
        Field::new("code", t.t("org_code"), FieldKind::Readonly, &v.code)
    } else {
        Field::new("code", t.t("org_code"), FieldKind::Text, &v.code)
    };
    vec![
        code.required().hint("2–32位数字、大写字母、-，如 JX-103-ZXXX"),
        Field::new("name", t.t("org_name"), FieldKind::Text, &v.name).required(),
        Field::new("kind", t.t("org_kind"), FieldKind::Select(label_options::<OrgKind>(t, &v.kind)), "").required(),
        Field::new("parent", t.t("parent_org"), FieldKind::Text, &v.parent).hint("上级组织的组织代码；留空为县教育工委一级"),
        Field::new("region", t.t("region"), FieldKind::Text, &v.region).required().hint("所属县的6位区划代码"),
        Field::new("founded_on", t.t("founded_on"), FieldKind::Date, &v.founded_on),
        Field::new("term_start", t.t("term_start"), FieldKind::Date, &v.term_start),
        Field::new("term_years", t.t("term_years"), FieldKind::Number, &v.term_years)
            .hint("留空按类别默认：党支部、党总支3年，党委5年（R1.6）"),
        Field::new(
            "status",
            t.t("status"),
            FieldKind::Select(label_options::<OrgStatus>(t, if v.status.is_empty() { "active" } else { &v.status })),
            "",
        )
        .required(),
    ]
}

async fn org_form(
    state: &AppState,
    t: Tr,
    u: &CurrentUser,
    v: &OrgInput,
    errors: &[FieldError],
    flash: Option<String>,
    editing: Option<(String, i64)>,
) -> PageResult {
    let mut fields = org_fields(t, v, editing.is_some());
    let problems = attach_errors(&mut fields, errors, t);
    let (title, action, cancel, version) = match &editing {
        Some((code, version)) => (t.t("edit_org"), format!("/orgs/{code}/edit"), format!("/orgs/{code}"), Some(*version)),
        None => (t.t("new_org"), "/orgs/new".to_string(), "/orgs".to_string(), None),
    };
    let mut c = chrome(state, t, u, "orgs", title).await.crumb(t.t("menu_orgs"), "/orgs").crumb(title, action.clone());
    c.flash = flash;
    let mut res = render(FormPage { c, action, cancel, version, fields, problems })?;
    if !errors.is_empty() {
        *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

async fn org_new(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser) -> PageResult {
    if !u.is_admin() {
        return Err(AppError::Forbidden);
    }
    let v = OrgInput { region: u.user.region_code.clone().unwrap_or_default(), ..Default::default() };
    org_form(&state, t, &u, &v, &[], None, None).await
}

fn org_region_check(u: &CurrentUser, o: PartyOrg) -> Result<PartyOrg, Vec<FieldError>> {
    if region_allows(u, o.region.as_str()) {
        Ok(o)
    } else {
        Err(vec![FieldError::new("region", "out_of_scope", "该区划不在您管辖的范围内", "the region is outside yours")])
    }
}

async fn org_create(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Form(f): Form<Versioned<OrgInput>>) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    if !u.is_admin() {
        return Err(AppError::Forbidden);
    }
    match f.input.parse().and_then(|o| org_region_check(&u, o)) {
        Err(errors) => org_form(&state, t, &u, &f.input, &errors, None, None).await,
        Ok(o) => match state.store.create_org(&o, &u.user.username).await {
            Ok(row) => Ok(Redirect::to(&format!("/orgs/{}", row.record.code)).into_response()),
            Err(e) => org_form(&state, t, &u, &f.input, &store_field_error(e.into())?, None, None).await,
        },
    }
}

async fn org_edit(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Path(code): Path<String>) -> PageResult {
    if !u.can_edit() {
        return Err(AppError::Forbidden);
    }
    let o = state.store.org(&u.scope, &code).await?.ok_or(AppError::NotFound)?;
    org_form(&state, t, &u, &OrgInput::from_record(&o.record), &[], None, Some((code, o.meta.version))).await
}

async fn org_update(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Path(code): Path<String>,
    Form(mut f): Form<Versioned<OrgInput>>,
) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    if !u.can_edit() {
        return Err(AppError::Forbidden);
    }
    let current = state.store.org(&u.scope, &code).await?.ok_or(AppError::NotFound)?;
    f.input.code = code.clone();
    if !u.is_admin() {
        // A secretary cannot move their organization in the tree or to another county.
        f.input.parent = current.record.parent.as_ref().map(|p| p.to_string()).unwrap_or_default();
        f.input.region = current.record.region.to_string();
    }
    let version = f.version.unwrap_or(current.meta.version);
    let editing = Some((code.clone(), version));
    match f.input.parse().and_then(|o| org_region_check(&u, o).or_else(|e| if u.is_admin() { Err(e) } else { Ok(current.record.clone()) }))
    {
        Err(errors) => org_form(&state, t, &u, &f.input, &errors, None, editing).await,
        Ok(o) => match state.store.update_org(&code, version, &o, &u.user.username).await {
            Ok(_) => Ok(Redirect::to(&format!("/orgs/{code}")).into_response()),
            Err(StoreError::Stale { current }) => {
                let msg = t.t("stale").replace("{v}", &current.to_string());
                org_form(&state, t, &u, &f.input, &[], Some(msg), editing).await
            }
            Err(e) => org_form(&state, t, &u, &f.input, &store_field_error(e.into())?, None, editing).await,
        },
    }
}

// ------------------------------------------------------------------ staff and members

#[derive(Deserialize, Default)]
#[serde(default)]
struct PeopleQuery {
    q: String,
    institution: String,
    org: String,
    political_status: String,
    category: String,
    page: Option<u64>,
    page_size: Option<u64>,
}

#[derive(Template)]
#[template(path = "staff_list.html")]
struct StaffListPage {
    c: Chrome,
    q: PeopleQuery,
    statuses: Vec<Opt>,
    rows: Vec<StaffRow>,
    pager: Pager,
}

async fn staff_list(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<PeopleQuery>) -> PageResult {
    let (page, page_size) = page_bounds(q.page, q.page_size);
    let f = PeopleFilter {
        q: Some(q.q.clone()),
        institution: Some(q.institution.trim().to_uppercase()),
        political_status: PoliticalStatus::from_code(&q.political_status),
        page,
        page_size,
        ..Default::default()
    };
    let result = state.store.staff(&u.scope, &f).await?;
    // The search box may hold an ID number: never put it in a link (S17).
    let qv = if hongzhu_core::IdNumber::parse(&q.q).is_ok() { String::new() } else { q.q.clone() };
    let pager = Pager::new(
        result.total,
        result.page,
        result.page_size,
        "/staff",
        &[("q", qv), ("institution", q.institution.clone()), ("political_status", q.political_status.clone())],
    );
    let c =
        chrome(&state, t, &u, "staff", t.t("menu_staff")).await.crumb(t.t("menu_org_admin"), "/orgs").crumb(t.t("menu_staff"), "/staff");
    render(StaffListPage { c, statuses: label_options::<PoliticalStatus>(t, &q.political_status), q, rows: result.items, pager })
}

#[derive(Template)]
#[template(path = "member_list.html")]
struct MemberListPage {
    c: Chrome,
    q: PeopleQuery,
    categories: Vec<Opt>,
    rows: Vec<MemberRow>,
    pager: Pager,
}

async fn member_list(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<PeopleQuery>) -> PageResult {
    let (page, page_size) = page_bounds(q.page, q.page_size);
    let f = PeopleFilter {
        q: Some(q.q.clone()),
        org: Some(q.org.trim().to_uppercase()),
        institution: Some(q.institution.trim().to_uppercase()),
        category: MemberCategory::from_code(&q.category),
        page,
        page_size,
        ..Default::default()
    };
    let result = state.store.members(&u.scope, &f).await?;
    let qv = if hongzhu_core::IdNumber::parse(&q.q).is_ok() { String::new() } else { q.q.clone() };
    let pager = Pager::new(
        result.total,
        result.page,
        result.page_size,
        "/members",
        &[("q", qv), ("org", q.org.clone()), ("institution", q.institution.clone()), ("category", q.category.clone())],
    );
    let c = chrome(&state, t, &u, "members", t.t("menu_members"))
        .await
        .crumb(t.t("menu_org_admin"), "/orgs")
        .crumb(t.t("menu_members"), "/members");
    render(MemberListPage { c, categories: label_options::<MemberCategory>(t, &q.category), q, rows: result.items, pager })
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    c: Chrome,
    p: PersonView,
    staff: Vec<StaffRow>,
    member: Option<MemberRow>,
    edit_href: String,
    history: Vec<ChangeRow>,
    /// S8: the numbers in full, for a user with the permission who asked (and re-authenticated).
    unmasked: bool,
    can_unmask: bool,
    unmask_href: String,
}

async fn staff_detail(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Path(id): Path<i64>) -> PageResult {
    staff_page(&state, t, &u, id, false).await
}

async fn staff_page(state: &AppState, t: Tr, u: &CurrentUser, id: i64, unmasked: bool) -> PageResult {
    let s = state.store.staff_one(&u.scope, id).await?.ok_or(AppError::NotFound)?;
    let member = state
        .store
        .members(
            &Scope::All,
            &PeopleFilter { q: Some(s.person.id_number.as_str().to_string()), page: 1, page_size: 1, ..Default::default() },
        )
        .await?
        .items
        .into_iter()
        .next();
    let history = state.store.history("staff", id).await?;
    // S9: a person's record (ID and phone, masked) is a sensitive view; unmasking is its own event.
    let event = if unmasked { "unmask" } else { "view_sensitive" };
    crate::security::audit(state, u.actor.clone(), event, format!("staff {id}"), Outcome::Success, "").await?;
    let c = chrome(state, t, u, "staff", s.person.name.clone())
        .await
        .crumb(t.t("menu_staff"), "/staff")
        .crumb(s.person.name.clone(), format!("/staff/{id}"));
    render(PersonPage {
        c,
        p: s.person.clone(),
        staff: vec![s],
        member,
        edit_href: format!("/staff/{id}/edit"),
        history,
        unmasked,
        can_unmask: u.user.can_unmask,
        unmask_href: format!("/staff/{id}/unmask"),
    })
}

async fn member_detail(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Path(id): Path<i64>) -> PageResult {
    member_page(&state, t, &u, id, false).await
}

async fn member_page(state: &AppState, t: Tr, u: &CurrentUser, id: i64, unmasked: bool) -> PageResult {
    let m = state.store.member(&u.scope, id).await?.ok_or(AppError::NotFound)?;
    let staff = state
        .store
        .staff(
            &Scope::All,
            &PeopleFilter { q: Some(m.person.id_number.as_str().to_string()), page: 1, page_size: 10, ..Default::default() },
        )
        .await?
        .items;
    let history = state.store.history("members", id).await?;
    let event = if unmasked { "unmask" } else { "view_sensitive" };
    crate::security::audit(state, u.actor.clone(), event, format!("member {id}"), Outcome::Success, "").await?;
    let c = chrome(state, t, u, "members", m.person.name.clone())
        .await
        .crumb(t.t("menu_members"), "/members")
        .crumb(m.person.name.clone(), format!("/members/{id}"));
    render(PersonPage {
        c,
        p: m.person.clone(),
        staff,
        edit_href: format!("/members/{id}/edit"),
        member: Some(m),
        history,
        unmasked,
        can_unmask: u.user.can_unmask,
        unmask_href: format!("/members/{id}/unmask"),
    })
}

/// S8: showing the numbers in full needs its own permission (granted by the security
/// administrator), a recent re-authentication (S4), and is audited (S9).
fn may_unmask(state: &AppState, u: &CurrentUser, back: &str) -> Result<(), AppError> {
    if !u.user.can_unmask {
        return Err(AppError::Forbidden);
    }
    u.require_reauth(&state.security, back)
}

async fn staff_unmask(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    may_unmask(&state, &u, &format!("/staff/{id}"))?;
    staff_page(&state, t, &u, id, true).await
}

async fn member_unmask(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    may_unmask(&state, &u, &format!("/members/{id}"))?;
    member_page(&state, t, &u, id, true).await
}

fn staff_fields(t: Tr, v: &StaffInput, editing: bool) -> Vec<Field> {
    let id = if editing {
        Field::new("id_number", t.t("id_number"), FieldKind::Readonly, &hongzhu_core::mask::mask_id(&v.id_number))
    } else {
        Field::new("id_number", t.t("id_number"), FieldKind::Text, &v.id_number)
    };
    vec![
        id.required().hint("18位（旧式15位自动升位），末位X大小写均可"),
        Field::new("name", t.t("person_name"), FieldKind::Text, &v.name).required(),
        Field::new("gender", t.t("gender"), FieldKind::Select(label_options::<Gender>(t, &v.gender)), "").hint("可不填，按身份证号判断"),
        Field::new("phone", t.t("phone"), FieldKind::Text, &if editing && !v.phone.is_empty() { String::new() } else { v.phone.clone() })
            .hint(if editing { "留空表示不修改；填写新的11位手机号以更换" } else { "11位手机号，以1开头" }),
        Field::new("institution", t.t("institution"), FieldKind::Text, &v.institution).required().hint("学校的机构代码"),
        Field::new("post", t.t("post"), FieldKind::Select(label_options::<Post>(t, &v.post)), ""),
        Field::new(
            "leadership_role",
            t.t("leadership_role"),
            FieldKind::Select(label_options::<LeadershipRole>(t, &v.leadership_role)),
            "",
        )
        .hint("填写即属于领导班子"),
        Field::new(
            "political_status",
            t.t("political_status"),
            FieldKind::Select(label_options::<PoliticalStatus>(t, &v.political_status)),
            "",
        )
        .required(),
        Field::new(
            "development_stage",
            t.t("development_stage"),
            FieldKind::Select(label_options::<DevelopmentStage>(t, &v.development_stage)),
            "",
        )
        .hint("仅非党员填写"),
        Field::new("backbone", t.t("backbone"), FieldKind::Checkbox, &v.backbone),
        Field::new("head_teacher", t.t("head_teacher"), FieldKind::Checkbox, &v.head_teacher),
        Field::new("mental_health", t.t("mental_health"), FieldKind::Checkbox, &v.mental_health),
        Field::new("work_start", t.t("work_start"), FieldKind::Date, &v.work_start),
    ]
}

fn staff_input(s: &StaffRow) -> StaffInput {
    let yn = |b: bool| if b { "1".to_string() } else { String::new() };
    StaffInput {
        id_number: s.person.id_number.as_str().to_string(),
        name: s.person.name.clone(),
        gender: s.person.gender.code().into(),
        phone: s.person.phone.as_ref().map(|p| p.to_string()).unwrap_or_default(),
        institution: s.institution.to_string(),
        post: s.post.map(|p| p.code().to_string()).unwrap_or_default(),
        leadership_role: s.leadership_role.map(|p| p.code().to_string()).unwrap_or_default(),
        political_status: s.political_status.code().into(),
        development_stage: s.development_stage.map(|p| p.code().to_string()).unwrap_or_default(),
        backbone: yn(s.backbone),
        head_teacher: yn(s.head_teacher),
        mental_health: yn(s.mental_health),
        work_start: s.work_start.map(|d| d.to_string()).unwrap_or_default(),
    }
}

async fn staff_form(
    state: &AppState,
    t: Tr,
    u: &CurrentUser,
    v: &StaffInput,
    errors: &[FieldError],
    flash: Option<String>,
    editing: Option<(i64, i64)>,
) -> PageResult {
    let mut fields = staff_fields(t, v, editing.is_some());
    let problems = attach_errors(&mut fields, errors, t);
    let (title, action, cancel, version) = match &editing {
        Some((id, version)) => (t.t("edit_staff"), format!("/staff/{id}/edit"), format!("/staff/{id}"), Some(*version)),
        None => (t.t("new_staff"), "/staff/new".to_string(), "/staff".to_string(), None),
    };
    let mut c = chrome(state, t, u, "staff", title).await.crumb(t.t("menu_staff"), "/staff").crumb(title, action.clone());
    c.flash = flash;
    let mut res = render(FormPage { c, action, cancel, version, fields, problems })?;
    if !errors.is_empty() {
        *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

/// A secretary may only put staff into institutions their organization covers.
async fn institution_in_scope(state: &AppState, u: &CurrentUser, code: &hongzhu_core::InstitutionCode) -> Result<bool, AppError> {
    Ok(state.store.institution(&u.scope, code.as_str()).await?.is_some())
}

async fn staff_new(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser) -> PageResult {
    if !u.can_edit() {
        return Err(AppError::Forbidden);
    }
    staff_form(&state, t, &u, &StaffInput::default(), &[], None, None).await
}

fn out_of_scope_institution() -> Vec<FieldError> {
    vec![FieldError::new("institution", "out_of_scope", "该学校不存在或不在您的管理范围内", "no such school in your scope")]
}

async fn staff_create(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Form(f): Form<Versioned<StaffInput>>,
) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    if !u.can_edit() {
        return Err(AppError::Forbidden);
    }
    match f.input.parse(today()) {
        Err(errors) => staff_form(&state, t, &u, &f.input, &errors, None, None).await,
        Ok((p, s)) => {
            if !institution_in_scope(&state, &u, &s.institution).await? {
                return staff_form(&state, t, &u, &f.input, &out_of_scope_institution(), None, None).await;
            }
            match state.store.create_staff(&p, &s, &u.user.username).await {
                Ok(row) => Ok(Redirect::to(&format!("/staff/{}", row.meta.id)).into_response()),
                Err(e) => staff_form(&state, t, &u, &f.input, &store_field_error(e.into())?, None, None).await,
            }
        }
    }
}

async fn staff_edit(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Path(id): Path<i64>) -> PageResult {
    if !u.can_edit() {
        return Err(AppError::Forbidden);
    }
    let s = state.store.staff_one(&u.scope, id).await?.ok_or(AppError::NotFound)?;
    staff_form(&state, t, &u, &staff_input(&s), &[], None, Some((id, s.meta.version))).await
}

async fn staff_update(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    Form(mut f): Form<Versioned<StaffInput>>,
) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    if !u.can_edit() {
        return Err(AppError::Forbidden);
    }
    let current = state.store.staff_one(&u.scope, id).await?.ok_or(AppError::NotFound)?;
    // The ID number is not editable here (it is the person's key), and a blank phone keeps the old one.
    f.input.id_number = current.person.id_number.as_str().to_string();
    if f.input.phone.trim().is_empty() {
        f.input.phone = current.person.phone.as_ref().map(|p| p.to_string()).unwrap_or_default();
    }
    let version = f.version.unwrap_or(current.meta.version);
    let editing = Some((id, version));
    match f.input.parse(today()) {
        Err(errors) => staff_form(&state, t, &u, &f.input, &errors, None, editing).await,
        Ok((p, s)) => {
            if !institution_in_scope(&state, &u, &s.institution).await? {
                return staff_form(&state, t, &u, &f.input, &out_of_scope_institution(), None, editing).await;
            }
            match state.store.update_staff(id, version, &p, &s, &u.user.username).await {
                Ok(_) => Ok(Redirect::to(&format!("/staff/{id}")).into_response()),
                Err(StoreError::Stale { current }) => {
                    let msg = t.t("stale").replace("{v}", &current.to_string());
                    staff_form(&state, t, &u, &f.input, &[], Some(msg), editing).await
                }
                Err(e) => staff_form(&state, t, &u, &f.input, &store_field_error(e.into())?, None, editing).await,
            }
        }
    }
}

fn member_fields(t: Tr, v: &MemberInput) -> Vec<Field> {
    vec![
        Field::new("id_number", t.t("id_number"), FieldKind::Readonly, &hongzhu_core::mask::mask_id(&v.id_number)),
        Field::new("category", t.t("category"), FieldKind::Select(label_options::<MemberCategory>(t, &v.category)), "").required(),
        Field::new("admitted_on", t.t("admitted_on"), FieldKind::Date, &v.admitted_on).required(),
        Field::new("full_on", t.t("full_on"), FieldKind::Date, &v.full_on).hint("正式党员必填，预备党员不填"),
        Field::new("org", t.t("org"), FieldKind::Text, &v.org).required().hint("所在党组织的组织代码"),
        Field::new("work_institution", t.t("work_institution"), FieldKind::Text, &v.work_institution).hint("工作学校的机构代码"),
        Field::new("party_post", t.t("party_post"), FieldKind::Select(label_options::<PartyPost>(t, &v.party_post)), ""),
        Field::new("education", l_edu(t), FieldKind::Select(label_options::<hongzhu_core::labels::Education>(t, &v.education)), ""),
    ]
}

fn member_input(m: &MemberRow) -> MemberInput {
    MemberInput {
        id_number: m.person.id_number.as_str().to_string(),
        category: m.category.code().into(),
        admitted_on: m.admitted_on.to_string(),
        full_on: m.full_on.map(|d| d.to_string()).unwrap_or_default(),
        org: m.org.to_string(),
        work_institution: m.work_institution.as_ref().map(|c| c.to_string()).unwrap_or_default(),
        party_post: m.party_post.map(|p| p.code().to_string()).unwrap_or_default(),
        education: m.education.map(|e| e.code().to_string()).unwrap_or_default(),
    }
}

fn l_edu(t: Tr) -> &'static str {
    zh_en(t, "学历", "Education")
}

#[allow(clippy::too_many_arguments)]
async fn member_form(
    state: &AppState,
    t: Tr,
    u: &CurrentUser,
    v: &MemberInput,
    errors: &[FieldError],
    flash: Option<String>,
    id: i64,
    version: i64,
) -> PageResult {
    let mut fields = member_fields(t, v);
    let problems = attach_errors(&mut fields, errors, t);
    let action = format!("/members/{id}/edit");
    let mut c = chrome(state, t, u, "members", t.t("edit_member"))
        .await
        .crumb(t.t("menu_members"), "/members")
        .crumb(t.t("edit_member"), action.clone());
    c.flash = flash;
    let mut res = render(FormPage { c, action, cancel: format!("/members/{id}"), version: Some(version), fields, problems })?;
    if !errors.is_empty() {
        *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

async fn member_edit(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Path(id): Path<i64>) -> PageResult {
    if !u.can_edit() {
        return Err(AppError::Forbidden);
    }
    let m = state.store.member(&u.scope, id).await?.ok_or(AppError::NotFound)?;
    member_form(&state, t, &u, &member_input(&m), &[], None, id, m.meta.version).await
}

async fn member_update(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    Form(mut f): Form<Versioned<MemberInput>>,
) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    if !u.can_edit() {
        return Err(AppError::Forbidden);
    }
    let current = state.store.member(&u.scope, id).await?.ok_or(AppError::NotFound)?;
    f.input.id_number = current.person.id_number.as_str().to_string();
    let version = f.version.unwrap_or(current.meta.version);
    let parsed = f.input.parse(today());
    let parsed = match parsed {
        Ok(m) if !u.is_admin() && state.store.org(&u.scope, m.org.as_str()).await?.is_none() => {
            Err(vec![FieldError::new("org", "out_of_scope", "该党组织不存在或不在您的管理范围内", "no such organization in your scope")])
        }
        other => other,
    };
    match parsed {
        Err(errors) => member_form(&state, t, &u, &f.input, &errors, None, id, version).await,
        Ok(m) => match state.store.update_member(id, version, &m, &u.user.username).await {
            Ok(_) => Ok(Redirect::to(&format!("/members/{id}")).into_response()),
            Err(StoreError::Stale { current }) => {
                let msg = t.t("stale").replace("{v}", &current.to_string());
                member_form(&state, t, &u, &f.input, &[], Some(msg), id, version).await
            }
            Err(e) => member_form(&state, t, &u, &f.input, &store_field_error(e.into())?, None, id, version).await,
        },
    }
}

// ------------------------------------------------------------------ phone

#[derive(Template)]
#[template(path = "me.html")]
struct MePage {
    t: Tr,
    name: String,
    csrf: String,
    member: Option<MemberRow>,
    staff: Vec<StaffRow>,
    /// Activities of the coming week and the past two days the member is due at.
    upcoming: Vec<(i64, String, String, String)>,
    hours: f64,
}

async fn phone_me(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser) -> PageResult {
    let (member, staff) = match u.user.person_id {
        Some(pid) => {
            let scope = Scope::Person(pid);
            let m =
                state.store.members(&scope, &PeopleFilter { page: 1, page_size: 1, ..Default::default() }).await?.items.into_iter().next();
            let s = state.store.staff(&scope, &PeopleFilter { page: 1, page_size: 10, ..Default::default() }).await?.items;
            (m, s)
        }
        None => (None, vec![]),
    };
    let mut upcoming = Vec::new();
    let mut hours = 0.0;
    if let Some(pid) = u.user.person_id {
        let today = hongzhu_core::life::to_local(chrono::Utc::now()).date();
        let page = state
            .store
            .activities(
                &Scope::Person(pid),
                &hongzhu_store::ActivityFilter {
                    from: Some(today - chrono::Duration::days(2)),
                    to: Some(today + chrono::Duration::days(7)),
                    page: 1,
                    page_size: 20,
                    ..Default::default()
                },
            )
            .await?;
        upcoming = page
            .items
            .into_iter()
            .rev()
            .map(|a| {
                (
                    a.id,
                    hongzhu_core::life::to_local(a.activity.starts_at).format("%m-%d %H:%M").to_string(),
                    a.kind_label(t.lang()),
                    a.activity.topic,
                )
            })
            .collect();
        if let Some(m) = &member {
            hours = state.store.study_hours(&[m.meta.id], chrono::Datelike::year(&today)).await?.get(&m.meta.id).copied().unwrap_or(0.0);
        }
    }
    render(MePage { t, name: u.user.display_name.clone(), csrf: u.csrf.clone(), member, staff, upcoming, hours })
}

// ------------------------------------------------------------------ helpers the page modules share

/// Today in China time.
pub(crate) fn local_today() -> chrono::NaiveDate {
    hongzhu_core::life::to_local(chrono::Utc::now()).date()
}

/// The signed-in person's member record (a member's own pages: commitments, service, pairing).
pub(crate) async fn own_member(state: &AppState, u: &CurrentUser) -> Result<hongzhu_store::MemberRow, AppError> {
    let pid = u.user.person_id.ok_or(AppError::NotFound)?;
    state
        .store
        .members(&Scope::Person(pid), &PeopleFilter { page: 1, page_size: 1, ..Default::default() })
        .await?
        .items
        .into_iter()
        .next()
        .ok_or(AppError::NotFound)
}

/// The organizations a user acts for (`None`: all — a county user without a region). A region's
/// county user acts for the organizations in the region, a secretary for theirs.
pub(crate) async fn acting_orgs(state: &AppState, u: &CurrentUser) -> Result<Option<Vec<i64>>, AppError> {
    Ok(match &u.scope {
        Scope::All => None,
        Scope::Within { orgs, .. } => Some(orgs.clone()),
        Scope::Person(_) => Some(vec![]),
        scope => Some(state.store.orgs(scope, None).await?.into_iter().map(|o| o.meta.id).collect()),
    })
}

/// A `year` parameter (2000–2100), or this year.
pub(crate) fn year_param(s: &str) -> i32 {
    use chrono::Datelike;
    s.trim().parse::<i32>().ok().filter(|y| (2000..=2100).contains(y)).unwrap_or(local_today().year())
}

/// S14: an Excel export is logged (what, row count, fields, the file's hash) before it is handed out.
pub(crate) async fn audited_xlsx(
    state: &AppState,
    u: &CurrentUser,
    object: String,
    detail: &str,
    bytes: Vec<u8>,
    ascii: &str,
    name: &str,
) -> PageResult {
    let digest = crate::auth::token_hash_bytes(&bytes);
    crate::security::audit(
        state,
        u.actor.clone(),
        "export",
        object,
        hongzhu_store::Outcome::Success,
        format!("{detail}; {} bytes; sha256={digest}", bytes.len()),
    )
    .await?;
    crate::view::xlsx_response(bytes, ascii, name)
}

/// The Chinese or the English text, by the page's language.
pub(crate) fn zh_en(t: Tr, zh: &'static str, en: &'static str) -> &'static str {
    if t.is_en() { en } else { zh }
}

/// The Party-work registers (development, dues, transfers, terms, honors, indicators) are the
/// county's and the secretaries'; members and the three administrators have none of them (S6, S7).
pub(crate) fn county_or_secretary(u: &CurrentUser) -> Result<(), AppError> {
    if matches!(u.role(), Role::CountyAdmin | Role::Secretary) { Ok(()) } else { Err(AppError::Forbidden) }
}

/// A secretary's open work beside organizational life: development steps due this month or
/// late (DOMAIN §3), transfers waiting for their acceptance, terms ended or ending (R1.6, R1.7).
async fn secretary_due(state: &AppState, t: Tr, u: &CurrentUser) -> Result<Vec<(&'static str, usize, &'static str)>, AppError> {
    let today = local_today();
    let month_end = crate::development::month_end(today);
    let development = state
        .store
        .development_people(&u.scope)
        .await?
        .iter()
        .filter(|c| {
            let p = hongzhu_core::development::progress(&c.history(), today);
            p.flags.iter().any(|f| f.overdue) || p.due.is_some_and(|d| d.0 <= month_end)
        })
        .count();
    let own: Vec<i64> = match &u.scope {
        Scope::Within { orgs, .. } => orgs.clone(),
        _ => Vec::new(),
    };
    let to_receive = state
        .store
        .transfers(
            &u.scope,
            &hongzhu_store::transfers::TransferFilter { status: Some(hongzhu_core::labels::TransferStatus::Pending), ..Default::default() },
        )
        .await?
        .iter()
        .filter(|x| x.to_org.as_ref().is_some_and(|o| own.contains(&o.id)))
        .count();
    let remind = hongzhu_core::coverage::AuditSettings::default().remind_months;
    let terms = state
        .store
        .orgs(&u.scope, None)
        .await?
        .iter()
        .filter(|o| {
            o.record.term_end().is_some_and(|e| hongzhu_core::term::term_state(e, today, remind) != hongzhu_core::term::TermState::Current)
        })
        .count();
    Ok(vec![
        (zh_en(t, "发展党员本月到期或逾期", "development steps due this month or late"), development, "/development/due"),
        (zh_en(t, "待本组织接收的组织关系", "transfers for you to accept"), to_receive, "/members/transfers?status=pending"),
        (zh_en(t, "任期已届满或 6 个月内届满", "terms ended or ending within 6 months"), terms, "/orgs/terms"),
    ])
}
