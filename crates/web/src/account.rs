//! The signed-in user's own security: the second step of a login (S5), a password change (S1),
//! setting up a second factor (S5), typing the password again before a sensitive action (S4),
//! and their recent sign-ins.
use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use chrono::Utc;
use hongzhu_store::{AuditFilter, AuditRow, Outcome, User, UserChange};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{self, PageUser, PendingUser};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::pages::chrome;
use crate::security;
use crate::view::Chrome;

use crate::pages::{PageResult, render};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login/second-factor", get(second_factor_form).post(second_factor_submit))
        .route("/account", get(overview))
        .route("/account/password", get(password_form).post(password_submit))
        .route("/account/second-factor", get(enrol_form).post(enrol_submit))
        .route("/account/reauth", get(reauth_form).post(reauth_submit))
}

/// S4: the password typed again; audited either way, and when right the session counts as
/// re-authenticated from now. Pages and the API share it.
pub(crate) async fn reauthenticate(state: &AppState, u: &auth::CurrentUser, password: &str, via: &str) -> Result<bool, AppError> {
    let ok = auth::verify_password(password, &u.user.password_hash);
    let outcome = if ok { Outcome::Success } else { Outcome::Failure };
    security::audit(state, u.actor.clone(), "reauth", format!("user {}", u.user.username), outcome, via).await?;
    if ok {
        state.store.update_session(&u.session_hash, None, Some(Utc::now())).await?;
    }
    Ok(ok)
}

/// How the second step of a login went.
pub(crate) enum SecondStep {
    /// Right: the session moved on to this stage.
    Done(&'static str),
    Wrong,
    /// Wrong once too often: the account is locked and the session ended (S2).
    Locked,
}

/// S5 with S2: check the code, audit it, count a wrong one toward the lockout like a wrong
/// password, and on a right one move the session on. Pages and the API share it.
pub(crate) async fn second_step(state: &AppState, u: &auth::CurrentUser, code: &str, via: &str) -> Result<SecondStep, AppError> {
    let ok = check_second_factor(state, &u.user, code)?;
    let who = format!("user {}", u.user.username);
    security::audit(state, u.actor.clone(), "second_factor", who.clone(), if ok { Outcome::Success } else { Outcome::Failure }, via)
        .await?;
    if ok {
        state.store.clear_login_failures(u.user.id).await?;
        let stage = auth::stage_after_second_factor(&u.user, &state.security);
        state.store.update_session(&u.session_hash, Some(stage), None).await?;
        return Ok(SecondStep::Done(stage));
    }
    let s = &state.security;
    let until = Utc::now() + chrono::Duration::minutes(s.lockout_minutes);
    if state.store.record_login_failure(u.user.id, s.lockout_attempts, until).await? {
        state.store.delete_session(&u.session_hash).await?;
        security::audit(state, u.actor.clone(), "lockout", who, Outcome::Success, "wrong second-factor codes").await?;
        return Ok(SecondStep::Locked);
    }
    Ok(SecondStep::Wrong)
}

/// S5: check a typed code against the user's sealed secret.
pub fn check_second_factor(state: &AppState, user: &User, code: &str) -> Result<bool, AppError> {
    let Some(sealed) = &user.totp_sealed else { return Ok(false) };
    let secret = state.store.unseal(sealed)?;
    Ok(crate::totp::verify(&secret, code, Utc::now().timestamp().max(0) as u64))
}

/// A card page for a step of signing in or a sensitive action (no menu: the session may not be
/// complete yet).
#[derive(Template)]
#[template(path = "account_step.html")]
struct StepPage {
    t: Tr,
    /// "second_factor", "enrol", "password", "reauth".
    mode: &'static str,
    csrf: String,
    error: Option<String>,
    notice: Option<String>,
    next: String,
    /// Enrolment: the QR code (SVG), the secret as text, and the sealed secret for the form.
    qr_svg: String,
    secret_text: String,
    sealed: String,
}

impl StepPage {
    fn new(t: Tr, mode: &'static str, u: &auth::CurrentUser) -> Self {
        StepPage {
            t,
            mode,
            csrf: u.csrf.clone(),
            error: None,
            notice: None,
            next: String::new(),
            qr_svg: String::new(),
            secret_text: String::new(),
            sealed: String::new(),
        }
    }
}

fn lang(headers: &axum::http::HeaderMap) -> Tr {
    Tr(crate::i18n::Locale::from_cookie(auth::cookie(headers, "lang")))
}

/// After a step owed at sign-in, the session's next stage and the page for it.
async fn advance(state: &AppState, u: &auth::CurrentUser, user: &User) -> PageResult {
    let stage = auth::stage_after_second_factor(user, &state.security);
    state.store.update_session(&u.session_hash, Some(stage), None).await?;
    Ok(Redirect::to(next_page(user, stage)).into_response())
}

pub(crate) fn next_page(user: &User, stage: &str) -> &'static str {
    match stage {
        "full" if user.role == hongzhu_store::Role::Member => "/m",
        "full" => "/",
        other => auth::stage_page(other),
    }
}

// ------------------------------------------------------------------ second step of a login

async fn second_factor_form(headers: axum::http::HeaderMap, PendingUser(u): PendingUser) -> PageResult {
    if u.stage != "second_factor" {
        return Ok(Redirect::to(auth::stage_page(&u.stage)).into_response());
    }
    render(StepPage::new(lang(&headers), "second_factor", &u))
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    code: String,
}

async fn second_factor_submit(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    PendingUser(u): PendingUser,
    Form(f): Form<CodeForm>,
) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    let t = lang(&headers);
    if u.stage != "second_factor" {
        return Ok(Redirect::to(auth::stage_page(&u.stage)).into_response());
    }
    match second_step(&state, &u, &f.code, "login").await? {
        SecondStep::Done(stage) => Ok(Redirect::to(next_page(&u.user, stage)).into_response()),
        SecondStep::Locked => Ok(Redirect::to("/login").into_response()),
        SecondStep::Wrong => {
            let mut p = StepPage::new(t, "second_factor", &u);
            p.error = Some(if t.is_en() {
                "The code is wrong or expired: type the 6 digits the app shows now.".into()
            } else {
                "验证码不正确或已过期：请输入验证器当前显示的 6 位数字。".into()
            });
            let mut res = render(p)?;
            *res.status_mut() = axum::http::StatusCode::UNAUTHORIZED;
            Ok(res)
        }
    }
}

// ------------------------------------------------------------------ overview

#[derive(Template)]
#[template(path = "account.html")]
struct OverviewPage {
    c: Chrome,
    user: User,
    password_age_days: i64,
    max_age_days: i64,
    logins: Vec<AuditRow>,
    second_factor_required: bool,
}

async fn overview(State(state): State<AppState>, headers: axum::http::HeaderMap, PageUser(u): PageUser) -> PageResult {
    let t = lang(&headers);
    let logins = state
        .store
        .audit_rows(&AuditFilter {
            username: Some(u.user.username.clone()),
            text: Some(format!("user {}", u.user.username)),
            page: 1,
            page_size: 10,
            ..Default::default()
        })
        .await?
        .items;
    let title = if t.is_en() { "Account security" } else { "账户安全" };
    let c = chrome(&state, t, &u, "account", title).await.crumb(title, "/account");
    render(OverviewPage {
        password_age_days: (Utc::now() - u.user.password_set_at()).num_days(),
        max_age_days: state.security.password_max_age_days,
        second_factor_required: security::is_system_role(u.user.role) && state.security.second_factor_for_admins,
        user: u.user.clone(),
        logins,
        c,
    })
}

// ------------------------------------------------------------------ password

async fn password_form(headers: axum::http::HeaderMap, PendingUser(u): PendingUser) -> PageResult {
    if !matches!(u.stage.as_str(), "full" | "password_change") {
        return Ok(Redirect::to(auth::stage_page(&u.stage)).into_response());
    }
    let t = lang(&headers);
    let mut p = StepPage::new(t, "password", &u);
    if u.stage == "password_change" {
        p.notice = Some(if t.is_en() {
            "Your password is temporary or older than the policy allows: choose a new one to go on.".into()
        } else {
            "您的密码是临时密码或已超过有效期，请设置新密码后继续。".into()
        });
    }
    render(p)
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    repeat: String,
}

async fn password_submit(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    PendingUser(u): PendingUser,
    Form(f): Form<PasswordForm>,
) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    if !matches!(u.stage.as_str(), "full" | "password_change") {
        return Ok(Redirect::to(auth::stage_page(&u.stage)).into_response());
    }
    let t = lang(&headers);
    let problem = if !auth::verify_password(&f.current, &u.user.password_hash) {
        Some(if t.is_en() { "The current password is wrong.".to_string() } else { "当前密码不正确。".to_string() })
    } else if f.new != f.repeat {
        Some(if t.is_en() { "The two new passwords differ.".into() } else { "两次输入的新密码不一致。".into() })
    } else if f.new == f.current {
        Some(if t.is_en() {
            "The new password must differ from the current one.".into()
        } else {
            "新密码不能与当前密码相同。".into()
        })
    } else {
        state.security.password_problem(&f.new)
    };
    if let Some(e) = problem {
        let mut p = StepPage::new(t, "password", &u);
        p.error = Some(e);
        let mut res = render(p)?;
        *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(res);
    }
    let entry = hongzhu_store::AuditEntry {
        actor: u.actor.clone(),
        event: "password_change",
        object: format!("user {}", u.user.username),
        outcome: Outcome::Success,
        detail: "own password; other sessions ended".into(),
    };
    let user = state
        .store
        .change_user(
            u.user.id,
            &UserChange {
                password_hash: Some(auth::hash_password(&f.new)),
                keep_session: Some(u.session_hash.clone()),
                ..Default::default()
            },
            &entry,
        )
        .await?;
    if u.stage == "password_change" {
        return advance(&state, &u, &user).await;
    }
    Ok(Redirect::to("/account?changed=password").into_response())
}

// ------------------------------------------------------------------ second factor set-up

fn qr(uri: &str) -> Result<String, AppError> {
    let code =
        qrcode::QrCode::with_error_correction_level(uri.as_bytes(), qrcode::EcLevel::M).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(code.render::<qrcode::render::svg::Color>().min_dimensions(200, 200).quiet_zone(true).build())
}

fn enrol_page(state: &AppState, t: Tr, u: &auth::CurrentUser, secret: Option<Vec<u8>>) -> Result<StepPage, AppError> {
    let secret = secret.unwrap_or_else(crate::totp::new_secret);
    let mut p = StepPage::new(t, "enrol", u);
    p.qr_svg = qr(&crate::totp::otpauth_uri(&u.user.username, &secret))?;
    p.secret_text =
        crate::totp::base32(&secret).as_bytes().chunks(4).map(|c| std::str::from_utf8(c).unwrap_or("")).collect::<Vec<_>>().join(" ");
    p.sealed = state.store.seal(&secret)?;
    if u.stage == "enrol_second_factor" {
        p.notice = Some(if t.is_en() {
            "Administrator accounts must use a second factor (SECURITY S5): set it up to go on.".into()
        } else {
            "管理员账户必须使用两步验证（安全要求 S5），请完成设置后继续。".into()
        });
    }
    Ok(p)
}

async fn enrol_form(State(state): State<AppState>, headers: axum::http::HeaderMap, PendingUser(u): PendingUser) -> PageResult {
    if !matches!(u.stage.as_str(), "full" | "enrol_second_factor") {
        return Ok(Redirect::to(auth::stage_page(&u.stage)).into_response());
    }
    render(enrol_page(&state, lang(&headers), &u, None)?)
}

#[derive(Deserialize)]
struct EnrolForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    sealed: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    action: String,
}

async fn enrol_submit(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    PendingUser(u): PendingUser,
    Form(f): Form<EnrolForm>,
) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    if !matches!(u.stage.as_str(), "full" | "enrol_second_factor") {
        return Ok(Redirect::to(auth::stage_page(&u.stage)).into_response());
    }
    let t = lang(&headers);
    let object = format!("user {}", u.user.username);
    if f.action == "remove" {
        if u.stage != "full" {
            return Err(AppError::Forbidden);
        }
        if security::is_system_role(u.user.role) && state.security.second_factor_for_admins {
            return Err(AppError::BadRequest("管理员账户必须使用两步验证，不能关闭 / administrators must keep a second factor".into()));
        }
        u.require_reauth(&state.security, "/account")?;
        let entry = hongzhu_store::AuditEntry {
            actor: u.actor.clone(),
            event: "second_factor",
            object,
            outcome: Outcome::Success,
            detail: "removed".into(),
        };
        state.store.change_user(u.user.id, &UserChange { totp_sealed: Some(None), ..Default::default() }, &entry).await?;
        return Ok(Redirect::to("/account?changed=second_factor").into_response());
    }
    let secret = state
        .store
        .unseal(&f.sealed)
        .map_err(|_| AppError::BadRequest("表单已失效，请重新打开此页 / the form expired: open the page again".into()))?;
    if !crate::totp::verify(&secret, &f.code, Utc::now().timestamp().max(0) as u64) {
        let mut p = enrol_page(&state, t, &u, Some(secret))?;
        p.error = Some(if t.is_en() {
            "The code is wrong: scan the QR code again and type the 6 digits the app shows now.".into()
        } else {
            "验证码不正确：请重新扫描二维码，并输入验证器当前显示的 6 位数字。".into()
        });
        let mut res = render(p)?;
        *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(res);
    }
    let entry = hongzhu_store::AuditEntry {
        actor: u.actor.clone(),
        event: "second_factor",
        object,
        outcome: Outcome::Success,
        detail: "set up".into(),
    };
    let user = state
        .store
        .change_user(u.user.id, &UserChange { totp_sealed: Some(Some(state.store.seal(&secret)?)), ..Default::default() }, &entry)
        .await?;
    if u.stage == "enrol_second_factor" {
        return advance(&state, &u, &user).await;
    }
    Ok(Redirect::to("/account?changed=second_factor").into_response())
}

// ------------------------------------------------------------------ re-authentication (S4)

#[derive(Deserialize, Default)]
#[serde(default)]
struct NextQuery {
    next: String,
}

/// Only a path of this site: never an address elsewhere.
fn safe_next(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') { next.to_string() } else { "/".to_string() }
}

async fn reauth_form(headers: axum::http::HeaderMap, PageUser(u): PageUser, Query(q): Query<NextQuery>) -> PageResult {
    let mut p = StepPage::new(lang(&headers), "reauth", &u);
    p.next = safe_next(&q.next);
    render(p)
}

#[derive(Deserialize)]
struct ReauthForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

async fn reauth_submit(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    PageUser(u): PageUser,
    Form(f): Form<ReauthForm>,
) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    let t = lang(&headers);
    if !reauthenticate(&state, &u, &f.password, "page").await? {
        let mut p = StepPage::new(t, "reauth", &u);
        p.next = safe_next(&f.next);
        p.error = Some(if t.is_en() { "The password is wrong.".into() } else { "密码不正确。".into() });
        let mut res = render(p)?;
        *res.status_mut() = axum::http::StatusCode::UNAUTHORIZED;
        return Ok(res);
    }
    Ok(([(header::CACHE_CONTROL, "no-store")], Redirect::to(&safe_next(&f.next))).into_response())
}

#[cfg(test)]
mod tests {
    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(super::safe_next("/data/export.xlsx?region=370828"), "/data/export.xlsx?region=370828");
        assert_eq!(super::safe_next("//evil.example/x"), "/");
        assert_eq!(super::safe_next("https://evil.example/"), "/");
        assert_eq!(super::safe_next("/\\evil"), "/");
    }
}
