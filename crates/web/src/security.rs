//! Security settings, the request's context (id, source address), the audit helpers, login with
//! lockout and per-address throttling (SECURITY S2, S3, S9, S11).
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use chrono::{Duration, Utc};
use hongzhu_store::{Actor, AuditEntry, Outcome, Role, User};

use crate::AppState;
use crate::auth;
use crate::error::AppError;

/// The settings SECURITY marks *(setting)*, with the 等保 profile as defaults. Read from
/// `HONGZHU_…` variables by `hongzhu serve`; every value is checked when the server starts.
#[derive(Debug, Clone)]
pub struct Settings {
    /// S2: failed logins before the account locks, and for how long.
    pub lockout_attempts: i64,
    pub lockout_minutes: i64,
    /// S2: failed logins from one address within `throttle_minutes` before it must wait.
    pub throttle_failures: usize,
    pub throttle_minutes: i64,
    /// S3.
    pub idle_minutes: i64,
    pub absolute_hours: i64,
    /// S1: days before a password must be changed (0: never).
    pub password_max_age_days: i64,
    /// S1: the password policy: at least this many characters, from this many of the four
    /// classes (lower case, upper case, digits, symbols).
    pub password_min_length: i64,
    pub password_classes: i64,
    /// S4: how long a re-authentication counts.
    pub reauth_minutes: i64,
    /// S5: the system, security and audit administrators must use a second factor.
    pub second_factor_for_admins: bool,
    /// S11: days the audit trail is kept (at least 190).
    pub audit_retention_days: i64,
    /// S15: days a deleted record (and its history) is kept before `hongzhu purge` removes it.
    pub deleted_retention_days: i64,
    /// S15: days a decided export request is kept.
    pub request_retention_days: i64,
    /// Take the client address from the last `X-Forwarded-For` hop (only behind a reverse proxy).
    pub trust_proxy: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            lockout_attempts: 5,
            lockout_minutes: 15,
            throttle_failures: 20,
            throttle_minutes: 15,
            idle_minutes: auth::IDLE_MINUTES,
            absolute_hours: auth::ABSOLUTE_HOURS,
            password_max_age_days: 90,
            password_min_length: 8,
            password_classes: 3,
            reauth_minutes: 10,
            second_factor_for_admins: true,
            audit_retention_days: 365,
            deleted_retention_days: 1825,
            request_retention_days: 365,
            trust_proxy: false,
        }
    }
}

/// The least the audit trail may be kept (S11).
pub const MIN_AUDIT_RETENTION_DAYS: i64 = 190;

impl Settings {
    /// S1: what is wrong with a new password under this policy.
    pub fn password_problem(&self, password: &str) -> Option<String> {
        crate::auth::password_problem_with(password, self.password_min_length as usize, self.password_classes as usize)
    }

    /// Defaults overridden by `HONGZHU_…` variables; a bad value is an error naming the variable
    /// and what it accepts.
    pub fn from_env() -> Result<Settings, String> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Settings, String> {
        let mut s = Settings::default();
        let int = |name: &str, lo: i64, hi: i64, into: &mut i64| -> Result<(), String> {
            if let Some(v) = get(name).filter(|v| !v.trim().is_empty()) {
                match v.trim().parse::<i64>() {
                    Ok(n) if (lo..=hi).contains(&n) => *into = n,
                    _ => {
                        return Err(format!(
                            "{name}=“{v}”无效：应为 {lo} 到 {hi} 之间的整数 / {name} must be a whole number from {lo} to {hi}"
                        ));
                    }
                }
            }
            Ok(())
        };
        int("HONGZHU_LOCKOUT_ATTEMPTS", 3, 20, &mut s.lockout_attempts)?;
        int("HONGZHU_LOCKOUT_MINUTES", 1, 1440, &mut s.lockout_minutes)?;
        let mut tf = s.throttle_failures as i64;
        int("HONGZHU_THROTTLE_FAILURES", 5, 1000, &mut tf)?;
        s.throttle_failures = tf as usize;
        int("HONGZHU_THROTTLE_MINUTES", 1, 1440, &mut s.throttle_minutes)?;
        int("HONGZHU_IDLE_MINUTES", 5, 240, &mut s.idle_minutes)?;
        int("HONGZHU_ABSOLUTE_HOURS", 1, 72, &mut s.absolute_hours)?;
        int("HONGZHU_PASSWORD_MAX_AGE_DAYS", 0, 3650, &mut s.password_max_age_days)?;
        int("HONGZHU_PASSWORD_MIN_LENGTH", 8, 64, &mut s.password_min_length)?;
        int("HONGZHU_PASSWORD_CLASSES", 2, 4, &mut s.password_classes)?;
        int("HONGZHU_REAUTH_MINUTES", 1, 120, &mut s.reauth_minutes)?;
        int("HONGZHU_AUDIT_RETENTION_DAYS", MIN_AUDIT_RETENTION_DAYS, 36500, &mut s.audit_retention_days)?;
        int("HONGZHU_DELETED_RETENTION_DAYS", 30, 36500, &mut s.deleted_retention_days)?;
        int("HONGZHU_REQUEST_RETENTION_DAYS", 30, 36500, &mut s.request_retention_days)?;
        let flag = |name: &str, into: &mut bool| -> Result<(), String> {
            if let Some(v) = get(name).filter(|v| !v.trim().is_empty()) {
                *into = match v.trim() {
                    "1" | "true" | "yes" | "on" => true,
                    "0" | "false" | "no" | "off" => false,
                    _ => return Err(format!("{name}=“{v}”无效：应为 true 或 false / {name} must be true or false")),
                };
            }
            Ok(())
        };
        flag("HONGZHU_SECOND_FACTOR_FOR_ADMINS", &mut s.second_factor_for_admins)?;
        flag("HONGZHU_TRUST_PROXY", &mut s.trust_proxy)?;
        Ok(s)
    }

    /// The settings as (variable, value, what it serves), for the system page and the docs.
    pub fn listing(&self) -> Vec<(&'static str, String, &'static str)> {
        vec![
            ("HONGZHU_LOCKOUT_ATTEMPTS", self.lockout_attempts.to_string(), "S2"),
            ("HONGZHU_LOCKOUT_MINUTES", self.lockout_minutes.to_string(), "S2"),
            ("HONGZHU_THROTTLE_FAILURES", self.throttle_failures.to_string(), "S2"),
            ("HONGZHU_THROTTLE_MINUTES", self.throttle_minutes.to_string(), "S2"),
            ("HONGZHU_IDLE_MINUTES", self.idle_minutes.to_string(), "S3"),
            ("HONGZHU_ABSOLUTE_HOURS", self.absolute_hours.to_string(), "S3"),
            ("HONGZHU_PASSWORD_MAX_AGE_DAYS", self.password_max_age_days.to_string(), "S1"),
            ("HONGZHU_PASSWORD_MIN_LENGTH", self.password_min_length.to_string(), "S1"),
            ("HONGZHU_PASSWORD_CLASSES", self.password_classes.to_string(), "S1"),
            ("HONGZHU_REAUTH_MINUTES", self.reauth_minutes.to_string(), "S4"),
            ("HONGZHU_SECOND_FACTOR_FOR_ADMINS", self.second_factor_for_admins.to_string(), "S5"),
            ("HONGZHU_AUDIT_RETENTION_DAYS", self.audit_retention_days.to_string(), "S11"),
            ("HONGZHU_DELETED_RETENTION_DAYS", self.deleted_retention_days.to_string(), "S15"),
            ("HONGZHU_REQUEST_RETENTION_DAYS", self.request_retention_days.to_string(), "S15"),
            ("HONGZHU_TRUST_PROXY", self.trust_proxy.to_string(), "S9"),
        ]
    }
}

/// Who is asking, as far as the request tells: its id and source address (S9).
#[derive(Debug, Clone)]
pub struct RequestCtx {
    pub id: String,
    pub source: String,
    /// Filled by the session extractor, so the response side can audit a refusal with the user.
    pub actor: Arc<Mutex<Option<Actor>>>,
}

impl RequestCtx {
    /// An actor for this request before anyone has signed in.
    pub fn anonymous(&self, username: &str) -> Actor {
        Actor {
            user_id: None,
            username: username.chars().take(64).collect(),
            role: String::new(),
            source: self.source.clone(),
            request_id: self.id.clone(),
        }
    }

    pub fn for_user(&self, u: &User) -> Actor {
        Actor {
            user_id: Some(u.id),
            username: u.username.clone(),
            role: u.role.code().into(),
            source: self.source.clone(),
            request_id: self.id.clone(),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestCtx {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<RequestCtx>().cloned().unwrap_or_else(|| RequestCtx {
            id: auth::random_token()[..16].to_string(),
            source: "unknown".into(),
            actor: Default::default(),
        }))
    }
}

/// Every request gets an id (echoed as `X-Request-Id`) and its source address; a refusal (403)
/// is written to the audit trail with whoever asked (S9).
pub async fn request_context(state: AppState, mut req: Request, next: Next) -> Response {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string());
    let forwarded = state
        .security
        .trust_proxy
        .then(|| {
            req.headers()
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .map(|s| s.trim().to_string())
        })
        .flatten();
    let ctx = RequestCtx {
        id: auth::random_token()[..16].to_string(),
        source: forwarded.or(peer).unwrap_or_else(|| "unknown".into()),
        actor: Default::default(),
    };
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    req.extensions_mut().insert(ctx.clone());
    let mut res = next.run(req).await;
    if res.status() == StatusCode::FORBIDDEN {
        let actor = ctx.actor.lock().map(|a| a.clone()).unwrap_or_default().unwrap_or_else(|| ctx.anonymous(""));
        let entry = AuditEntry {
            actor,
            event: "access_denied",
            object: format!("{method} {path}"),
            outcome: Outcome::Denied,
            detail: String::new(),
        };
        if let Err(e) = state.store.audit(&entry).await {
            tracing::error!(error = %e, "could not record a refusal in the audit trail");
        }
    }
    if let Ok(v) = HeaderValue::from_str(&ctx.id) {
        res.headers_mut().insert("x-request-id", v);
    }
    res
}

/// Write one event; if the trail cannot take it, the caller's operation must not go on (S11).
pub async fn audit(
    state: &AppState,
    actor: Actor,
    event: &'static str,
    object: impl Into<String>,
    outcome: Outcome,
    detail: impl Into<String>,
) -> Result<(), AppError> {
    state.store.audit(&AuditEntry { actor, event, object: object.into(), outcome, detail: detail.into() }).await.map(|_| ()).map_err(|e| {
        tracing::error!(error = %e, "audit trail unavailable");
        AppError::AuditUnavailable
    })
}

/// S2: failed logins per source address in a sliding window.
#[derive(Clone, Default)]
pub struct Throttle(Arc<Mutex<HashMap<String, VecDeque<Instant>>>>);

impl Throttle {
    fn prune(q: &mut VecDeque<Instant>, window: std::time::Duration) {
        let now = Instant::now();
        while q.front().is_some_and(|t| now.duration_since(*t) > window) {
            q.pop_front();
        }
    }

    /// Minutes to wait, when the address has used up its failures.
    pub fn blocked(&self, source: &str, s: &Settings) -> Option<i64> {
        let window = std::time::Duration::from_secs(s.throttle_minutes as u64 * 60);
        let mut map = self.0.lock().ok()?;
        let q = map.get_mut(source)?;
        Self::prune(q, window);
        if q.len() >= s.throttle_failures {
            let oldest = *q.front()?;
            let left = window.saturating_sub(Instant::now().duration_since(oldest));
            Some((left.as_secs() as i64 + 59) / 60)
        } else {
            None
        }
    }

    pub fn fail(&self, source: &str, s: &Settings) {
        let window = std::time::Duration::from_secs(s.throttle_minutes as u64 * 60);
        if let Ok(mut map) = self.0.lock() {
            // Bounded: addresses whose failures have all aged out are forgotten.
            if map.len() > 10_000 {
                map.retain(|_, q| {
                    Self::prune(q, window);
                    !q.is_empty()
                });
            }
            map.entry(source.to_string()).or_default().push_back(Instant::now());
        }
    }
}

/// Why a login did not go through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginRefusal {
    BadCredentials,
    /// S2: the account is locked for this many more minutes.
    Locked(i64),
    /// S2: this address must wait this many minutes.
    Throttled(i64),
}

impl LoginRefusal {
    pub fn message(&self, en: bool) -> String {
        match (self, en) {
            (LoginRefusal::BadCredentials, false) => "用户名或密码不正确".into(),
            (LoginRefusal::BadCredentials, true) => "Wrong user name or password".into(),
            (LoginRefusal::Locked(m), false) => format!("连续登录失败次数过多，账户已锁定，请 {m} 分钟后再试，或请安全管理员解锁"),
            (LoginRefusal::Locked(m), true) => {
                format!("Too many failed sign-ins: the account is locked for {m} more minutes, or ask the security administrator")
            }
            (LoginRefusal::Throttled(m), false) => format!("此地址登录失败次数过多，请 {m} 分钟后再试"),
            (LoginRefusal::Throttled(m), true) => format!("Too many failed sign-ins from this address: try again in {m} minutes"),
        }
    }
}

// An argon2id hash of nothing anyone types: verifying against it costs what a real check costs,
// so the time taken does not tell which user names exist.
const DECOY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$Jt6pVn1z8m0P0P0m0x0n0Q";

/// Check a user name and password with S2's lockout and throttling, and audit the outcome.
pub async fn authenticate(
    state: &AppState,
    ctx: &RequestCtx,
    username: &str,
    password: &str,
) -> Result<Result<User, LoginRefusal>, AppError> {
    let s = &state.security;
    let username = username.trim();
    if let Some(minutes) = state.throttle.blocked(&ctx.source, s) {
        audit(state, ctx.anonymous(username), "throttled", format!("address {}", ctx.source), Outcome::Denied, "").await?;
        return Ok(Err(LoginRefusal::Throttled(minutes)));
    }
    let user = state.store.user_by_username(username).await?;
    let now = Utc::now();
    let Some(user) = user.filter(|u| !u.disabled) else {
        let _ = auth::verify_password(password, DECOY_HASH);
        state.throttle.fail(&ctx.source, s);
        audit(state, ctx.anonymous(username), "login_failed", format!("user {username}"), Outcome::Failure, "unknown or disabled user")
            .await?;
        return Ok(Err(LoginRefusal::BadCredentials));
    };
    // S2: a locked account refuses even the right password, and costs the same time.
    if let Some(until) = user.locked_until.filter(|t| *t > now) {
        let _ = auth::verify_password(password, DECOY_HASH);
        state.throttle.fail(&ctx.source, s);
        audit(state, ctx.for_user(&user), "login_failed", format!("user {}", user.username), Outcome::Denied, "account locked").await?;
        return Ok(Err(LoginRefusal::Locked(((until - now).num_seconds() + 59) / 60)));
    }
    if auth::verify_password(password, &user.password_hash) {
        if user.failed_logins > 0 || user.locked_until.is_some() {
            state.store.clear_login_failures(user.id).await?;
        }
        return Ok(Ok(user));
    }
    state.throttle.fail(&ctx.source, s);
    let locked = state.store.record_login_failure(user.id, s.lockout_attempts, now + Duration::minutes(s.lockout_minutes)).await?;
    audit(state, ctx.for_user(&user), "login_failed", format!("user {}", user.username), Outcome::Failure, "wrong password").await?;
    if locked {
        audit(
            state,
            ctx.for_user(&user),
            "lockout",
            format!("user {}", user.username),
            Outcome::Success,
            format!("{} failures: locked {} minutes", s.lockout_attempts, s.lockout_minutes),
        )
        .await?;
    }
    Ok(Err(LoginRefusal::BadCredentials))
}

/// The three administrators of 三权分立 (S7) hold no business role.
pub fn is_system_role(r: Role) -> bool {
    matches!(r, Role::SystemAdmin | Role::SecurityAdmin | Role::AuditAdmin)
}

/// S7: which paths a role may reach at all (objects are then checked per scope, S6). The three
/// administrators reach only their own pages; business roles never reach theirs.
pub fn path_allowed(role: Role, path: &str) -> bool {
    let common = path == "/"
        || path.starts_with("/account")
        || path.starts_with("/login/")
        || path == "/logout"
        || path.starts_with("/api/v1/session")
        || path.starts_with("/lang/");
    if common {
        return true;
    }
    let admin_path = |p: &str| path == p || path.starts_with(&format!("{p}/"));
    match role {
        Role::SecurityAdmin => admin_path("/admin/users") || admin_path("/api/v1/admin/users"),
        Role::AuditAdmin => admin_path("/admin/audit") || admin_path("/api/v1/admin/audit"),
        Role::SystemAdmin => admin_path("/admin/system") || path == "/api/docs" || path == "/api/v1/openapi.json",
        _ => !path.starts_with("/admin/") && !path.starts_with("/api/v1/admin/"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_take_env_values_and_refuse_bad_ones() {
        let s = Settings::from_lookup(|k| (k == "HONGZHU_LOCKOUT_ATTEMPTS").then(|| "7".to_string())).unwrap();
        assert_eq!(s.lockout_attempts, 7);
        assert_eq!(s.lockout_minutes, 15);
        let e = Settings::from_lookup(|k| (k == "HONGZHU_AUDIT_RETENTION_DAYS").then(|| "30".to_string())).unwrap_err();
        assert!(e.contains("HONGZHU_AUDIT_RETENTION_DAYS") && e.contains("190"), "{e}");
        let e = Settings::from_lookup(|k| (k == "HONGZHU_TRUST_PROXY").then(|| "maybe".to_string())).unwrap_err();
        assert!(e.contains("true"), "{e}");
    }

    #[test]
    fn throttle_counts_failures_per_address() {
        let s = Settings { throttle_failures: 3, ..Settings::default() };
        let t = Throttle::default();
        for _ in 0..2 {
            t.fail("10.0.0.1", &s);
        }
        assert_eq!(t.blocked("10.0.0.1", &s), None);
        t.fail("10.0.0.1", &s);
        assert_eq!(t.blocked("10.0.0.1", &s), Some(15));
        assert_eq!(t.blocked("10.0.0.2", &s), None);
    }

    #[test]
    fn administrators_reach_only_their_pages() {
        assert!(path_allowed(Role::AuditAdmin, "/admin/audit"));
        assert!(path_allowed(Role::AuditAdmin, "/admin/audit/export.csv"));
        assert!(!path_allowed(Role::AuditAdmin, "/admin/users"));
        assert!(!path_allowed(Role::AuditAdmin, "/institutions"));
        assert!(!path_allowed(Role::SecurityAdmin, "/members"));
        assert!(path_allowed(Role::SecurityAdmin, "/admin/users/3"));
        assert!(!path_allowed(Role::SecurityAdmin, "/admin/usersX"));
        assert!(!path_allowed(Role::SystemAdmin, "/data/export.xlsx"));
        assert!(!path_allowed(Role::CountyAdmin, "/admin/audit"));
        assert!(path_allowed(Role::CountyAdmin, "/institutions"));
        assert!(path_allowed(Role::Member, "/account/password"));
    }
}
