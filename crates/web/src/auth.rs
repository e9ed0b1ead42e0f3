//! Passwords (argon2id), server-side sessions, the signed-in user and their scope (S1, S3, S6, S16).
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use chrono::{Duration, Utc};
use hongzhu_store::{Actor, Role, Scope, SessionRow, Store, User};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::{ApiError, AppError};
use crate::i18n::{Locale, Tr};
use crate::security::{self, RequestCtx, Settings};

pub fn hash_password(password: &str) -> String {
    Argon2::default().hash_password(password.as_bytes()).expect("argon2 with default parameters hashes any password").to_string()
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// A password policy check (S1) with the default policy: ≥8 characters from at least 3 of:
/// lower, upper, digits, symbols.
pub fn password_problem(password: &str) -> Option<String> {
    password_problem_with(password, 8, 3)
}

/// The policy as set (`HONGZHU_PASSWORD_MIN_LENGTH`, `HONGZHU_PASSWORD_CLASSES`).
pub fn password_problem_with(password: &str, min_len: usize, classes: usize) -> Option<String> {
    let have = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    if password.chars().count() < min_len || have.iter().filter(|c| **c).count() < classes {
        Some(format!(
            "密码至少{min_len}位，并包含小写字母、大写字母、数字、符号中的至少{}类 / at least {min_len} characters from {classes} of: lower case, upper case, digits, symbols",
            ["", "一", "两", "三", "四"][classes.min(4)]
        ))
    } else {
        None
    }
}

/// A random password that passes the policy, for generated accounts.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).expect("the OS has randomness");
    let mut s: String = bytes.iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect();
    s.push_str("-7a");
    s
}

pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS has randomness");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of some bytes, in hex (file hashes in the export log, S14).
pub fn token_hash_bytes(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

pub fn token_hash(token: &str) -> String {
    token_hash_bytes(token.as_bytes())
}

/// S3: session lifetimes.
pub const IDLE_MINUTES: i64 = 30;
pub const ABSOLUTE_HOURS: i64 = 12;

pub fn cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-hongzhu_session" } else { "hongzhu_session" }
}

pub fn session_cookie(token: &str, secure: bool) -> String {
    let mut c = format!("{}={token}; Path=/; HttpOnly; SameSite=Lax", cookie_name(secure));
    if secure {
        c.push_str("; Secure");
    }
    c
}

pub fn clear_cookie(secure: bool) -> String {
    let mut c = format!("{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0", cookie_name(secure));
    if secure {
        c.push_str("; Secure");
    }
    c
}

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

/// A new session for `user` (a new id every login: fixation-safe, S3), at `stage`.
pub async fn start_session(state: &AppState, user: &User, stage: &str) -> Result<(String, String), AppError> {
    let token = random_token();
    let csrf = random_token();
    let now = Utc::now();
    state
        .store
        .create_session(&SessionRow {
            id_hash: token_hash(&token),
            user_id: user.id,
            csrf_token: csrf.clone(),
            created_at: now,
            last_seen_at: now,
            expires_at: now + Duration::hours(state.security.absolute_hours),
            stage: stage.to_string(),
            // Typing the password to sign in counts as a re-authentication (S4).
            reauth_at: Some(now),
        })
        .await?;
    Ok((token, csrf))
}

/// What a session still owes once the password was right (S1, S5).
pub fn stage_after_password(user: &User, s: &Settings) -> &'static str {
    if user.has_second_factor() { "second_factor" } else { stage_after_second_factor(user, s) }
}

/// What a session still owes once the second factor, if any, was right.
pub fn stage_after_second_factor(user: &User, s: &Settings) -> &'static str {
    if security::is_system_role(user.role) && s.second_factor_for_admins && !user.has_second_factor() {
        "enrol_second_factor"
    } else if password_expired(user, s) {
        "password_change"
    } else {
        "full"
    }
}

/// S1: the password is older than the policy allows (a temporary one always is).
pub fn password_expired(user: &User, s: &Settings) -> bool {
    s.password_max_age_days > 0 && user.password_set_at() + Duration::days(s.password_max_age_days) <= Utc::now()
}

/// The page that takes a session's owed step.
pub fn stage_page(stage: &str) -> &'static str {
    match stage {
        "second_factor" => "/login/second-factor",
        "enrol_second_factor" => "/account/second-factor",
        "password_change" => "/account/password",
        _ => "/",
    }
}

/// The signed-in user of a request, with what they may see.
#[derive(Clone)]
pub struct CurrentUser {
    pub user: User,
    pub csrf: String,
    pub session_hash: String,
    pub scope: Scope,
    /// Who this is for the audit trail, with the request's id and source (S9).
    pub actor: Actor,
    /// "full", or the step the session still owes.
    pub stage: String,
    pub reauth_at: Option<chrono::DateTime<Utc>>,
}

impl CurrentUser {
    pub fn role(&self) -> Role {
        self.user.role
    }
    pub fn is_admin(&self) -> bool {
        self.user.role == Role::CountyAdmin
    }
    /// Secretaries and administrators edit the registry within their scope; members do not.
    pub fn can_edit(&self) -> bool {
        matches!(self.user.role, Role::CountyAdmin | Role::Secretary)
    }

    /// S4: refuse a sensitive action unless the password was typed again lately; `next` is
    /// where the re-authentication page sends the user back.
    pub fn require_reauth(&self, s: &Settings, next: &str) -> Result<(), AppError> {
        match self.reauth_at {
            Some(t) if t + Duration::minutes(s.reauth_minutes) > Utc::now() => Ok(()),
            _ => Err(AppError::ReauthRequired(next.to_string())),
        }
    }
}

/// What a role may see (S6).
pub async fn resolve_scope(store: &Store, user: &User) -> Result<Scope, AppError> {
    Ok(match user.role {
        Role::CountyAdmin => match &user.region_code {
            Some(r) => Scope::Region(r.clone()),
            None => Scope::All,
        },
        Role::Secretary => {
            let orgs = match user.org_id {
                Some(o) => store.org_subtree(o).await?,
                None => vec![],
            };
            let institutions = store.covered_institution_ids(&orgs).await?;
            Scope::Within { orgs, institutions }
        }
        Role::Member => Scope::Person(user.person_id.unwrap_or(-1)),
        // S7: the three administrators see no business data at all.
        Role::SystemAdmin | Role::SecurityAdmin | Role::AuditAdmin => Scope::Within { orgs: vec![], institutions: vec![] },
    })
}

async fn load(parts: &Parts, state: &AppState, allow_pending: bool) -> Result<Option<CurrentUser>, AppError> {
    let Some(token) = cookie(&parts.headers, cookie_name(state.secure_cookies)) else {
        return Ok(None);
    };
    let hash = token_hash(token);
    let Some(session) = state.store.session(&hash).await? else {
        return Ok(None);
    };
    let now = Utc::now();
    // S3: idle and absolute timeouts.
    if session.expires_at <= now || session.last_seen_at + Duration::minutes(state.security.idle_minutes) <= now {
        state.store.delete_session(&hash).await?;
        return Ok(None);
    }
    let Some(user) = state.store.user_by_id(session.user_id).await? else {
        return Ok(None);
    };
    if user.disabled {
        return Ok(None);
    }
    if now - session.last_seen_at > Duration::seconds(60) {
        state.store.touch_session(&hash, now).await?;
    }
    let ctx = parts.extensions.get::<RequestCtx>().cloned().unwrap_or_else(|| RequestCtx {
        id: random_token()[..16].to_string(),
        source: "unknown".into(),
        actor: Default::default(),
    });
    let actor = ctx.for_user(&user);
    if let Ok(mut slot) = ctx.actor.lock() {
        *slot = Some(actor.clone());
    }
    if session.stage != "full" && !allow_pending {
        return Err(AppError::StagePending(session.stage));
    }
    // S7: the administrators reach only their pages, business roles never reach those.
    if !security::path_allowed(user.role, parts.uri.path()) {
        return Err(AppError::Forbidden);
    }
    let scope = resolve_scope(&state.store, &user).await?;
    Ok(Some(CurrentUser {
        user,
        csrf: session.csrf_token,
        session_hash: hash,
        scope,
        actor,
        stage: session.stage,
        reauth_at: session.reauth_at,
    }))
}

/// Pages a session may reach while it still owes a step (the second factor, enrolment, a new
/// password): the user, whatever their stage.
pub struct PendingUser(pub CurrentUser);

impl FromRequestParts<AppState> for PendingUser {
    type Rejection = axum::response::Response;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        use axum::response::IntoResponse;
        let api = parts.uri.path().starts_with("/api/");
        let fail = |e: AppError| if api { ApiError(e).into_response() } else { e.into_response() };
        match load(parts, state, true).await {
            Ok(Some(u)) => Ok(PendingUser(u)),
            Ok(None) => Err(fail(if api { AppError::Unauthorized } else { AppError::LoginRequired })),
            Err(e) => Err(fail(e)),
        }
    }
}

/// Pages: a visitor without a session is sent to the login page.
pub struct PageUser(pub CurrentUser);

impl FromRequestParts<AppState> for PageUser {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match load(parts, state, false).await? {
            Some(u) => Ok(PageUser(u)),
            None => Err(AppError::LoginRequired),
        }
    }
}

/// API: a call without a session answers 401.
pub struct ApiUser(pub CurrentUser);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match load(parts, state, false).await.map_err(ApiError)? {
            Some(u) => Ok(ApiUser(u)),
            None => Err(ApiError(AppError::Unauthorized)),
        }
    }
}

/// The request's locale.
pub struct Lang(pub Tr);

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Lang(Tr(Locale::from_cookie(cookie(&parts.headers, "lang")))))
    }
}

/// S16: a state-changing request must carry the session's CSRF token, and its Origin (when
/// sent) must be this server.
pub fn check_csrf(user: &CurrentUser, given: Option<&str>) -> Result<(), AppError> {
    match given {
        Some(t) if constant_time_eq(t.as_bytes(), user.csrf.as_bytes()) => Ok(()),
        _ => Err(AppError::Csrf),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ() {
        let h1 = hash_password("Abcdef12!");
        let h2 = hash_password("Abcdef12!");
        assert_ne!(h1, h2, "salted");
        assert!(h1.starts_with("$argon2id$"));
        assert!(verify_password("Abcdef12!", &h1));
        assert!(!verify_password("Abcdef12?", &h1));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn policy() {
        assert!(password_problem("short1A").is_some());
        assert!(password_problem("alllowercase").is_some());
        assert!(password_problem("lower1234").is_some());
        assert!(password_problem("Lower1234").is_none());
        assert!(password_problem(&generate_password()).is_none());
        assert!(password_problem_with("Lower1234", 12, 3).unwrap().contains("至少12位"));
        assert!(password_problem_with("Lower1234", 8, 4).is_some());
        assert!(password_problem_with("Lower-1234", 8, 4).is_none());
    }

    #[test]
    fn cookies_parse() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "a=1; hongzhu_session=abc; lang=en".parse().unwrap());
        assert_eq!(cookie(&h, "hongzhu_session"), Some("abc"));
        assert_eq!(cookie(&h, "lang"), Some("en"));
        assert_eq!(cookie(&h, "x"), None);
    }
}
