//! The three administrators of 三权分立 (SECURITY S7): the security administrator's accounts and
//! roles, the audit administrator's trail (S9–S11), the system administrator's settings and
//! backups (S22). None of these pages shows business data; business roles never reach them.
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use chrono::{DateTime, NaiveDate, Utc};
use hongzhu_store::trail::EVENTS;
use hongzhu_store::{AuditEntry, AuditFilter, AuditRow, NewUser, Outcome, ROLES, Role, User, UserChange};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{self, CurrentUser, Lang, PageUser};
use crate::error::AppError;
use crate::pages::chrome;
use crate::security;
use crate::view::{Chrome, Pager};

use crate::pages::{PageResult, render};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(users).post(user_create))
        .route("/admin/users/{id}", get(user_form).post(user_change))
        .route("/admin/audit", get(audit_list))
        .route("/admin/audit/export.csv", get(audit_export))
        .route("/admin/audit/verify", post(audit_verify))
        .route("/admin/system", get(system))
        .route("/admin/system/backup", post(system_backup))
}

/// A time as China-local text.
pub fn local_time<T: std::borrow::Borrow<DateTime<Utc>>>(t: T) -> String {
    let t = *t.borrow();
    hongzhu_core::life::to_local(t).format("%Y-%m-%d %H:%M:%S").to_string()
}

pub fn outcome_label(code: &str, en: bool) -> &'static str {
    Outcome::from_code(code).map(|o| o.label(en)).unwrap_or("?")
}

fn only(u: &CurrentUser, role: Role) -> Result<(), AppError> {
    if u.role() == role { Ok(()) } else { Err(AppError::Forbidden) }
}

// ------------------------------------------------------------------ accounts (security administrator)

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    c: Chrome,
    users: Vec<User>,
    roles: Vec<(&'static str, &'static str)>,
    form: UserForm,
    errors: Vec<String>,
    /// A temporary password to hand over, shown once.
    issued: Option<(String, String)>,
    now: DateTime<Utc>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct UserForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    username: String,
    display_name: String,
    role: String,
    region: String,
    org: String,
    person: String,
    action: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct IssuedQuery {
    issued: String,
}

fn role_options(en: bool) -> Vec<(&'static str, &'static str)> {
    ROLES.iter().map(|r| (r.code(), if en { r.en() } else { r.zh() })).collect()
}

async fn users_page(
    state: &AppState,
    t: crate::i18n::Tr,
    u: &CurrentUser,
    form: UserForm,
    errors: Vec<String>,
    issued: Option<(String, String)>,
) -> PageResult {
    let title = if t.is_en() { "Accounts and roles" } else { "账户与角色" };
    let c = chrome(state, t, u, "admin_users", title).await.crumb(title, "/admin/users");
    let users = state.store.users().await?;
    let mut res = render(UsersPage { c, users, roles: role_options(t.is_en()), form, errors: errors.clone(), issued, now: Utc::now() })?;
    if !errors.is_empty() {
        *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

async fn users(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser) -> PageResult {
    only(&u, Role::SecurityAdmin)?;
    users_page(&state, t, &u, UserForm { role: "secretary".into(), ..Default::default() }, vec![], None).await
}

/// The scope a role needs, checked: (region, organization id, person id).
async fn scope_for(
    state: &AppState,
    f: &UserForm,
    role: Role,
    en: bool,
) -> Result<(Option<String>, Option<i64>, Option<i64>), Vec<String>> {
    let mut errors = vec![];
    let region = f.region.trim();
    let region = if region.is_empty() {
        None
    } else {
        match state.store.region(region).await {
            Ok(Some(_)) => Some(region.to_string()),
            _ => {
                errors.push(if en {
                    format!("Region “{region}” does not exist: give a county or town code such as 370828.")
                } else {
                    format!("区划代码“{region}”不存在：请填写县或乡镇的区划代码，如 370828。")
                });
                None
            }
        }
    };
    let mut org = None;
    let mut person = None;
    match role {
        Role::CountyAdmin if region.is_none() && errors.is_empty() => errors.push(if en {
            "A county or town administrator needs the region they look after.".into()
        } else {
            "县级或乡镇管理员须填写所管辖的区划代码。".into()
        }),
        Role::Secretary => match state.store.org_id(f.org.trim()).await {
            Ok(Some(id)) if !f.org.trim().is_empty() => org = Some(id),
            _ => errors.push(if en {
                format!("A secretary needs their organization's code (e.g. JX-YZ-DW); “{}” is not one.", f.org.trim())
            } else {
                format!("党组织书记须填写所在党组织的代码（如 JX-YZ-DW）；“{}”不存在。", f.org.trim())
            }),
        },
        Role::Member => match f.person.trim().parse::<i64>() {
            Ok(p) if p > 0 => person = Some(p),
            _ => errors.push(if en {
                "A member account needs the member's number (shown on their page in the member list).".into()
            } else {
                "党员账户须填写该党员的编号（党员名册中其页面地址上的数字）。".into()
            }),
        },
        _ => {}
    }
    if errors.is_empty() { Ok((region, org, person)) } else { Err(errors) }
}

async fn user_create(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Form(f): Form<UserForm>) -> PageResult {
    only(&u, Role::SecurityAdmin)?;
    auth::check_csrf(&u, Some(&f.csrf))?;
    let en = t.is_en();
    let mut errors = vec![];
    let username = f.username.trim().to_string();
    if username.len() < 3 || username.len() > 32 || !username.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
    {
        errors.push(if en {
            "User name: 3–32 letters, digits, . _ -".to_string()
        } else {
            "用户名：3 至 32 位字母、数字或 . _ -".to_string()
        });
    } else if state.store.user_by_username(&username).await?.is_some() {
        errors.push(if en { format!("User name “{username}” is taken.") } else { format!("用户名“{username}”已被使用。") });
    }
    let display_name = f.display_name.trim().to_string();
    if display_name.is_empty() || display_name.chars().count() > 40 {
        errors.push(if en { "Name: 1–40 characters.".into() } else { "姓名/名称：1 至 40 个字。".into() });
    }
    let Some(role) = Role::from_code(&f.role) else {
        errors.push(if en { "Choose a role.".into() } else { "请选择角色。".into() });
        return users_page(&state, t, &u, f, errors, None).await;
    };
    let scope = match scope_for(&state, &f, role, en).await {
        Ok(s) => Some(s),
        Err(e) => {
            errors.extend(e);
            None
        }
    };
    let (Some((region, org, person)), true) = (scope, errors.is_empty()) else {
        return users_page(&state, t, &u, f, errors, None).await;
    };
    let password = auth::generate_password();
    let entry = AuditEntry {
        actor: u.actor.clone(),
        event: "user_create",
        object: format!("user {username}"),
        outcome: Outcome::Success,
        detail: format!("role {}", role.code()),
    };
    let created = state
        .store
        .create_user_audited(
            &NewUser {
                username: username.clone(),
                password_hash: auth::hash_password(&password),
                display_name,
                role,
                region_code: region,
                org_id: org,
                person_id: person,
            },
            &entry,
            true,
        )
        .await?;
    users_page(&state, t, &u, UserForm { role: "secretary".into(), ..Default::default() }, vec![], Some((created.username, password))).await
}

#[derive(Template)]
#[template(path = "admin_user.html")]
struct UserPage {
    c: Chrome,
    user: User,
    roles: Vec<(&'static str, &'static str)>,
    form: UserForm,
    errors: Vec<String>,
    issued: Option<String>,
    locked: bool,
}

async fn user_page(
    state: &AppState,
    t: crate::i18n::Tr,
    u: &CurrentUser,
    user: User,
    form: Option<UserForm>,
    errors: Vec<String>,
    issued: Option<String>,
) -> PageResult {
    let org_code = match user.org_id {
        Some(id) => state.store.org_code(id).await?.unwrap_or_default(),
        None => String::new(),
    };
    let form = form.unwrap_or_else(|| UserForm {
        role: user.role.code().into(),
        region: user.region_code.clone().unwrap_or_default(),
        org: org_code,
        person: user.person_id.map(|p| p.to_string()).unwrap_or_default(),
        display_name: user.display_name.clone(),
        ..Default::default()
    });
    let c = chrome(state, t, u, "admin_users", user.username.clone())
        .await
        .crumb(if t.is_en() { "Accounts" } else { "账户与角色" }, "/admin/users");
    let locked = user.locked_until.is_some_and(|l| l > Utc::now());
    let mut res = render(UserPage { c, user, roles: role_options(t.is_en()), form, errors: errors.clone(), issued, locked })?;
    if !errors.is_empty() {
        *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

async fn user_form(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    Query(q): Query<IssuedQuery>,
) -> PageResult {
    only(&u, Role::SecurityAdmin)?;
    let user = state.store.user_by_id(id).await?.ok_or(AppError::NotFound)?;
    let _ = q.issued;
    user_page(&state, t, &u, user, None, vec![], None).await
}

async fn user_change(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<UserForm>,
) -> PageResult {
    only(&u, Role::SecurityAdmin)?;
    auth::check_csrf(&u, Some(&f.csrf))?;
    let user = state.store.user_by_id(id).await?.ok_or(AppError::NotFound)?;
    let en = t.is_en();
    let object = format!("user {}", user.username);
    let entry = |detail: String| AuditEntry {
        actor: u.actor.clone(),
        event: "user_change",
        object: object.clone(),
        outcome: Outcome::Success,
        detail,
    };
    match f.action.as_str() {
        "unlock" => {
            state.store.change_user(id, &UserChange { unlock: true, ..Default::default() }, &entry("unlocked".into())).await?;
        }
        "disable" | "enable" => {
            if id == u.user.id {
                return user_page(
                    &state,
                    t,
                    &u,
                    user,
                    Some(f),
                    vec![if en { "You cannot disable your own account.".into() } else { "不能停用自己的账户。".into() }],
                    None,
                )
                .await;
            }
            let d = f.action == "disable";
            state
                .store
                .change_user(
                    id,
                    &UserChange { disabled: Some(d), ..Default::default() },
                    &entry(if d { "disabled" } else { "enabled" }.into()),
                )
                .await?;
        }
        "reset_password" => {
            u.require_reauth(&state.security, &format!("/admin/users/{id}"))?;
            let password = auth::generate_password();
            let change = UserChange {
                password_hash: Some(auth::hash_password(&password)),
                password_is_temporary: true,
                unlock: true,
                ..Default::default()
            };
            let e = AuditEntry { event: "password_change", ..entry("reset by the security administrator; temporary".into()) };
            let user = state.store.change_user(id, &change, &e).await?;
            return user_page(&state, t, &u, user, None, vec![], Some(password)).await;
        }
        "grant_unmask" | "revoke_unmask" => {
            // S8: a permission like a role: asked for with the password again (S4).
            u.require_reauth(&state.security, &format!("/admin/users/{id}"))?;
            let grant = f.action == "grant_unmask";
            if grant && !matches!(user.role, Role::CountyAdmin | Role::Secretary) {
                return user_page(
                    &state,
                    t,
                    &u,
                    user,
                    Some(f),
                    vec![if en {
                        "Only county administrators and secretaries may be allowed to show numbers in full.".into()
                    } else {
                        "只有县级管理员和党组织书记可以授予查看完整号码的权限。".into()
                    }],
                    None,
                )
                .await;
            }
            let detail = if grant { "may show ID and phone numbers in full" } else { "may no longer show numbers in full" };
            state.store.change_user(id, &UserChange { can_unmask: Some(grant), ..Default::default() }, &entry(detail.into())).await?;
        }
        "grant_children" | "revoke_children" => {
            // S8: the designation for left-behind children's records (R6.2), county staff only.
            u.require_reauth(&state.security, &format!("/admin/users/{id}"))?;
            let grant = f.action == "grant_children";
            if grant && user.role != Role::CountyAdmin {
                return user_page(
                    &state,
                    t,
                    &u,
                    user,
                    Some(f),
                    vec![if en {
                        "Only county administrators may be designated for children's records (school secretaries see their own schools' children).".into()
                    } else {
                        "只有县级管理员可以被指定查看留守儿童信息（学校党组织书记可查看本校儿童）。".into()
                    }],
                    None,
                )
                .await;
            }
            let detail =
                if grant { "designated for left-behind children's records" } else { "no longer designated for children's records" };
            state.store.change_user(id, &UserChange { can_children: Some(grant), ..Default::default() }, &entry(detail.into())).await?;
        }
        "reset_second_factor" => {
            u.require_reauth(&state.security, &format!("/admin/users/{id}"))?;
            let e = AuditEntry { event: "second_factor", ..entry("removed by the security administrator".into()) };
            state.store.change_user(id, &UserChange { totp_sealed: Some(None), ..Default::default() }, &e).await?;
        }
        _ => {
            // A role or scope change (S4: after typing the password again; S7: not one's own).
            let Some(role) = Role::from_code(&f.role) else {
                return user_page(
                    &state,
                    t,
                    &u,
                    user,
                    Some(f),
                    vec![if en { "Choose a role.".into() } else { "请选择角色。".into() }],
                    None,
                )
                .await;
            };
            if id == u.user.id && role != user.role {
                return user_page(
                    &state,
                    t,
                    &u,
                    user,
                    Some(f),
                    vec![if en { "You cannot change your own role.".into() } else { "不能变更自己的角色。".into() }],
                    None,
                )
                .await;
            }
            let (region, org, person) = match scope_for(&state, &f, role, en).await {
                Ok(s) => s,
                Err(errors) => return user_page(&state, t, &u, user, Some(f), errors, None).await,
            };
            let name = f.display_name.trim();
            if name.is_empty() || name.chars().count() > 40 {
                return user_page(
                    &state,
                    t,
                    &u,
                    user,
                    Some(f.clone()),
                    vec![if en { "Name: 1–40 characters.".into() } else { "姓名/名称：1 至 40 个字。".into() }],
                    None,
                )
                .await;
            }
            let scope_changes = role != user.role || region != user.region_code || org != user.org_id || person != user.person_id;
            if scope_changes {
                u.require_reauth(&state.security, &format!("/admin/users/{id}"))?;
            }
            let change = UserChange {
                role: scope_changes.then(|| (role, region.clone(), org, person)),
                display_name: Some(name.to_string()),
                ..Default::default()
            };
            state
                .store
                .change_user(
                    id,
                    &change,
                    &entry(format!("role {} → {}; region {:?}; org {:?}; person {:?}", user.role.code(), role.code(), region, org, person)),
                )
                .await?;
        }
    }
    Ok(Redirect::to(&format!("/admin/users/{id}")).into_response())
}

// ------------------------------------------------------------------ audit trail (audit administrator)

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct AuditQuery {
    from: String,
    to: String,
    user: String,
    event: String,
    outcome: String,
    q: String,
    page: Option<u64>,
    page_size: Option<u64>,
}

impl AuditQuery {
    fn filter(&self, page_size: u64) -> Result<AuditFilter, AppError> {
        let date = |s: &str, what: &str| -> Result<Option<NaiveDate>, AppError> {
            if s.trim().is_empty() {
                return Ok(None);
            }
            hongzhu_core::registry::parse_date(s.trim())
                .map(Some)
                .ok_or_else(|| AppError::BadRequest(format!("{what}“{s}”不是有效日期，请写作 2026-11-26")))
        };
        Ok(AuditFilter {
            from: date(&self.from, "起始日期")?,
            to: date(&self.to, "截止日期")?,
            username: Some(self.user.trim().to_string()),
            event: Some(self.event.clone()),
            outcome: Some(self.outcome.clone()),
            text: Some(self.q.trim().to_string()),
            page: self.page.unwrap_or(1),
            page_size,
        })
    }

    /// The filters in use, for the trail's own record of the query.
    fn describe(&self) -> String {
        let parts: Vec<String> = [
            ("from", &self.from),
            ("to", &self.to),
            ("user", &self.user),
            ("event", &self.event),
            ("outcome", &self.outcome),
            ("q", &self.q),
        ]
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", v.trim()))
        .collect();
        if parts.is_empty() { "all rows".into() } else { parts.join(" ") }
    }

    fn link(&self) -> String {
        use crate::view::enc;
        format!(
            "from={}&to={}&user={}&event={}&outcome={}&q={}",
            enc(&self.from),
            enc(&self.to),
            enc(&self.user),
            enc(&self.event),
            enc(&self.outcome),
            enc(&self.q)
        )
    }
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
struct AuditPage {
    c: Chrome,
    q: AuditQuery,
    rows: Vec<AuditRow>,
    pager: Pager,
    events: Vec<(&'static str, &'static str)>,
    verify: Option<hongzhu_store::VerifyReport>,
    retention_days: i64,
    link: String,
}

async fn audit_page(
    state: &AppState,
    t: crate::i18n::Tr,
    u: &CurrentUser,
    q: AuditQuery,
    verify: Option<hongzhu_store::VerifyReport>,
) -> PageResult {
    let filter = q.filter(q.page_size.unwrap_or(50).clamp(10, 100))?;
    // S9: the audit administrator's queries are themselves audited, before the answer is given.
    security::audit(state, u.actor.clone(), "audit_query", "audit_log", Outcome::Success, q.describe()).await?;
    let page = state.store.audit_rows(&filter).await?;
    let link = q.link();
    let pager = Pager::new(
        page.total,
        page.page,
        page.page_size,
        "/admin/audit",
        &[
            ("from", q.from.clone()),
            ("to", q.to.clone()),
            ("user", q.user.clone()),
            ("event", q.event.clone()),
            ("outcome", q.outcome.clone()),
            ("q", q.q.clone()),
        ],
    );
    let title = if t.is_en() { "Audit trail" } else { "审计日志" };
    let c = chrome(state, t, u, "admin_audit", title).await.crumb(title, "/admin/audit");
    let events = EVENTS.iter().map(|e| (e.0, if t.is_en() { e.2 } else { e.1 })).collect();
    render(AuditPage { c, q, rows: page.items, pager, events, verify, retention_days: state.security.audit_retention_days, link })
}

async fn audit_list(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<AuditQuery>) -> PageResult {
    only(&u, Role::AuditAdmin)?;
    audit_page(&state, t, &u, q, None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CsrfOnly {
    #[serde(rename = "_csrf")]
    csrf: String,
}

async fn audit_verify(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Form(f): Form<CsrfOnly>) -> PageResult {
    only(&u, Role::AuditAdmin)?;
    auth::check_csrf(&u, Some(&f.csrf))?;
    let report = state.store.audit_verify().await?;
    let outcome = if report.ok() { Outcome::Success } else { Outcome::Failure };
    security::audit(
        &state,
        u.actor.clone(),
        "audit_verify",
        "audit_log",
        outcome,
        format!("rows={} problems={}", report.rows, report.problems.len()),
    )
    .await?;
    audit_page(&state, t, &u, AuditQuery::default(), Some(report)).await
}

fn csv_field(s: &str) -> String {
    // S20 for CSV too: a cell that a spreadsheet would run as a formula starts with a quote.
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_string() };
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s }
}

/// The filtered trail as CSV (UTF-8 with a byte-order mark, so Excel opens it in Chinese).
async fn audit_export(State(state): State<AppState>, PageUser(u): PageUser, Query(q): Query<AuditQuery>) -> PageResult {
    only(&u, Role::AuditAdmin)?;
    let mut filter = q.filter(10_000)?;
    filter.page = 1;
    let mut out = String::from("\u{feff}id,time_utc,user,role,source,event,object,outcome,request_id,detail\n");
    let mut rows = 0u64;
    loop {
        let page = state.store.audit_rows(&filter).await?;
        for r in &page.items {
            rows += 1;
            let line = [
                r.id.to_string(),
                r.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                r.username.clone(),
                r.role.clone(),
                r.source.clone(),
                r.event.clone(),
                r.object.clone(),
                r.outcome.clone(),
                r.request_id.clone(),
                r.detail.clone(),
            ]
            .iter()
            .map(|f| csv_field(f))
            .collect::<Vec<_>>()
            .join(",");
            out.push_str(&line);
            out.push('\n');
        }
        if (page.page * page.page_size) as i64 >= page.total || page.items.is_empty() {
            break;
        }
        filter.page += 1;
    }
    let digest = crate::auth::token_hash(&out);
    security::audit(
        &state,
        u.actor.clone(),
        "audit_export",
        "audit_log",
        Outcome::Success,
        format!("{}; rows={rows}; sha256={digest}", q.describe()),
    )
    .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"audit-log.csv\"".to_string()),
        ],
        out,
    )
        .into_response())
}

// ------------------------------------------------------------------ system (system administrator)

#[derive(Template)]
#[template(path = "admin_system.html")]
struct SystemPage {
    c: Chrome,
    version: &'static str,
    backend: &'static str,
    database: String,
    schema: i64,
    keys: String,
    settings: Vec<(&'static str, String, &'static str)>,
    backups: Vec<(String, u64, String)>,
    message: Option<String>,
}

async fn system_page(state: &AppState, t: crate::i18n::Tr, u: &CurrentUser, message: Option<String>) -> PageResult {
    let title = if t.is_en() { "System" } else { "系统管理" };
    let c = chrome(state, t, u, "admin_system", title).await.crumb(title, "/admin/system");
    let backups = state
        .store
        .backup_dir()
        .and_then(|d| std::fs::read_dir(d).ok())
        .map(|rd| {
            let mut v: Vec<(String, u64, String)> = rd
                .filter_map(|e| e.ok())
                .filter(|e| e.file_name().to_string_lossy().ends_with(".db"))
                .map(|e| {
                    let m = e.metadata().ok();
                    let when = m.as_ref().and_then(|m| m.modified().ok()).map(|t| local_time(DateTime::<Utc>::from(t))).unwrap_or_default();
                    (e.file_name().to_string_lossy().to_string(), m.map(|m| m.len()).unwrap_or(0), when)
                })
                .collect();
            v.sort_by(|a, b| b.0.cmp(&a.0));
            v.truncate(20);
            v
        })
        .unwrap_or_default();
    render(SystemPage {
        c,
        version: env!("CARGO_PKG_VERSION"),
        backend: match state.store.backend() {
            hongzhu_store::Backend::Sqlite => "SQLite",
            hongzhu_store::Backend::Postgres => "PostgreSQL",
        },
        database: state.store.url_redacted(),
        schema: state.store.schema_version().await?,
        keys: state.store.keys_origin(),
        settings: state.security.listing(),
        backups,
        message,
    })
}

async fn system(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser) -> PageResult {
    only(&u, Role::SystemAdmin)?;
    system_page(&state, t, &u, None).await
}

/// S22: an online backup now (SQLite; PostgreSQL is backed up with `hongzhu backup`, pg_dump).
async fn system_backup(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Form(f): Form<CsrfOnly>) -> PageResult {
    only(&u, Role::SystemAdmin)?;
    auth::check_csrf(&u, Some(&f.csrf))?;
    let Some(dir) = state.store.backup_dir() else {
        return system_page(
            &state,
            t,
            &u,
            Some(if t.is_en() {
                "PostgreSQL is backed up with `hongzhu backup FILE` (pg_dump) on the server; see docs/security.md.".into()
            } else {
                "PostgreSQL 数据库请在服务器上用 `hongzhu backup 文件` 备份（调用 pg_dump），见 docs/security.md。".into()
            }),
        )
        .await;
    };
    let name = format!("hongzhu-{}.db", hongzhu_core::life::to_local(Utc::now()).format("%Y%m%d-%H%M%S"));
    let dest = dir.join(&name);
    // Recorded first, so the copy holds its own record (S9, S11).
    security::audit(&state, u.actor.clone(), "backup", name.clone(), Outcome::Success, "started").await?;
    let result = state.store.backup_sqlite(&dest).await;
    if let Err(e) = &result {
        security::audit(&state, u.actor.clone(), "backup", name.clone(), Outcome::Failure, e.to_string()).await?;
    }
    let msg = match result {
        Ok(_) => {
            if t.is_en() {
                format!("Backup written and checked: {name}")
            } else {
                format!("备份已写入并通过完整性检查：{name}")
            }
        }
        Err(e) => {
            if t.is_en() {
                format!("Backup failed: {e}")
            } else {
                format!("备份失败：{e}")
            }
        }
    };
    system_page(&state, t, &u, Some(msg)).await
}
