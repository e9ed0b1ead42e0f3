//! The web side: HTML pages (askama, no JavaScript needed), the JSON API under /api/v1, sessions,
//! security headers and the embedded assets. Every page and style is inside the binary.
#![forbid(unsafe_code)]

pub mod account;
pub mod admin;
pub mod api;
pub mod auth;
pub mod campaigns;
pub mod care;
mod charts;
pub mod commitments;
pub mod coverage;
pub mod dashboard;
pub mod development;
pub mod dues;
pub mod error;
pub mod i18n;
pub mod imports;
pub mod life;
pub mod openapi;
pub mod pages;
pub mod school;
pub mod schoolwork;
pub mod security;
pub mod service;
pub mod terms;
pub mod totp;
pub mod transfers;
mod view;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hongzhu_store::Store;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    /// Behind TLS: `__Host-` cookie names, `Secure`, HSTS (S3, S17).
    pub secure_cookies: bool,
    /// The last audit computed, reused while the data has not changed.
    pub audit_cache: coverage::AuditCache,
    /// Uploads being checked or imported.
    pub jobs: imports::Jobs,
    /// Minutes either side of an activity's start when members may check in (a setting:
    /// `HONGZHU_CHECKIN_WINDOW_MINUTES`, default 30).
    pub checkin_window: i64,
    /// R2.12: working days of public notice before admission and full membership (a setting:
    /// `HONGZHU_NOTICE_WORKING_DAYS`, default 5).
    pub notice_working_days: u32,
    /// R4.5: whether a dues base changes from the month pay changes, or is fixed for the year
    /// (a setting: `HONGZHU_DUES_BASE_CHANGE` = `year` (default) or `month`).
    pub dues_base_rule: hongzhu_core::dues::BaseRule,
    /// The county dashboard's figures, reused while the data has not changed (at most a minute).
    pub dashboard_cache: dashboard::Cache,
    /// How the integration scorecard combines its criteria (`HONGZHU_SCORECARD_WEIGHTS`).
    pub scorecard_weights: hongzhu_core::scorecard::Weights,
    /// R6.3: each member's yearly service-hours target (`HONGZHU_SERVICE_HOURS_TARGET`, default 20).
    pub service_target: f64,
    /// SECURITY settings in effect.
    pub security: security::Settings,
    /// S2: failed logins per source address.
    pub throttle: security::Throttle,
}

impl AppState {
    pub fn new(store: Store, secure_cookies: bool) -> Self {
        AppState {
            store,
            secure_cookies,
            audit_cache: Default::default(),
            jobs: Default::default(),
            checkin_window: hongzhu_core::life::CHECKIN_WINDOW_MINUTES,
            notice_working_days: hongzhu_core::development::NOTICE_WORKING_DAYS,
            dues_base_rule: hongzhu_core::dues::BaseRule::FixedForYear,
            dashboard_cache: Default::default(),
            scorecard_weights: Default::default(),
            service_target: hongzhu_core::service::DEFAULT_TARGET_HOURS,
            security: security::Settings::default(),
            throttle: Default::default(),
        }
    }
}

const CSS: &str = include_str!("../assets/app.css");
const JS: &str = include_str!("../assets/app.js");

fn etag(body: &str) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::digest(body.as_bytes());
    format!("\"{}\"", d.iter().take(8).map(|b| format!("{b:02x}")).collect::<String>())
}

fn asset(body: &'static str, mime: &'static str, req_headers: &axum::http::HeaderMap) -> Response {
    let tag = etag(body);
    if req_headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(tag.as_str()) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, tag)]).into_response();
    }
    ([(header::CONTENT_TYPE, mime.to_string()), (header::ETAG, tag), (header::CACHE_CONTROL, "public, max-age=3600".to_string())], body)
        .into_response()
}

/// S17: headers on every response; `no-store` on everything but the static assets.
async fn security_headers(secure: bool, req: Request, next: Next) -> Response {
    let is_asset = req.uri().path().starts_with("/assets/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if secure {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    if !is_asset {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// S16: a state-changing request whose Origin is another site is refused before any handler.
async fn origin_check(req: Request, next: Next) -> Response {
    let changes_state = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if changes_state && let Some(origin) = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = req.headers().get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
        let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or(origin);
        if origin == "null" || origin_host != host {
            let api = req.uri().path().starts_with("/api/");
            return if api { error::ApiError(error::AppError::Csrf).into_response() } else { error::AppError::Csrf.into_response() };
        }
    }
    next.run(req).await
}

async fn fallback(req: Request) -> Response {
    if req.uri().path().starts_with("/api/") {
        error::ApiError(error::AppError::NotFound).into_response()
    } else {
        error::AppError::NotFound.into_response()
    }
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let secure = state.secure_cookies;
    let ctx_state = state.clone();
    Router::new()
        .route("/assets/app.css", get(|h: axum::http::HeaderMap| async move { asset(CSS, "text/css; charset=utf-8", &h) }))
        .route("/assets/app.js", get(|h: axum::http::HeaderMap| async move { asset(JS, "text/javascript; charset=utf-8", &h) }))
        .route("/healthz", get(|| async { "ok" }))
        .merge(pages::routes())
        .merge(account::routes())
        .merge(dues::routes())
        .merge(development::routes())
        .merge(transfers::routes())
        .merge(terms::routes())
        .merge(school::routes())
        .merge(campaigns::routes())
        .merge(commitments::routes())
        .merge(care::routes())
        .merge(service::routes())
        .merge(schoolwork::routes())
        .merge(admin::routes())
        .merge(coverage::routes())
        .merge(imports::routes())
        .merge(life::routes())
        .merge(api::routes())
        .fallback(fallback)
        .layer(middleware::from_fn(origin_check))
        .layer(middleware::from_fn(move |req, next| security::request_context(ctx_state.clone(), req, next)))
        .layer(middleware::from_fn(move |req, next| security_headers(secure, req, next)))
        .with_state(state)
}

/// Every route the router serves, with its methods, for the route × role test matrix and the
/// OpenAPI completeness test.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("GET", "/lang/{to}"),
    ("GET", "/login/second-factor"),
    ("POST", "/login/second-factor"),
    ("GET", "/account"),
    ("GET", "/account/password"),
    ("POST", "/account/password"),
    ("GET", "/account/second-factor"),
    ("POST", "/account/second-factor"),
    ("GET", "/account/reauth"),
    ("POST", "/account/reauth"),
    ("GET", "/admin/users"),
    ("POST", "/admin/users"),
    ("GET", "/admin/users/{id}"),
    ("POST", "/admin/users/{id}"),
    ("GET", "/admin/audit"),
    ("GET", "/admin/audit/export.csv"),
    ("POST", "/admin/audit/verify"),
    ("GET", "/admin/system"),
    ("POST", "/admin/system/backup"),
    ("GET", "/"),
    ("GET", "/institutions"),
    ("GET", "/institutions/new"),
    ("POST", "/institutions/new"),
    ("GET", "/institutions/{code}"),
    ("GET", "/institutions/{code}/edit"),
    ("POST", "/institutions/{code}/edit"),
    ("GET", "/orgs"),
    ("GET", "/orgs/new"),
    ("POST", "/orgs/new"),
    ("GET", "/orgs/{code}"),
    ("GET", "/orgs/{code}/edit"),
    ("POST", "/orgs/{code}/edit"),
    ("GET", "/staff"),
    ("GET", "/staff/new"),
    ("POST", "/staff/new"),
    ("GET", "/staff/{id}"),
    ("POST", "/staff/{id}/unmask"),
    ("GET", "/staff/{id}/edit"),
    ("POST", "/staff/{id}/edit"),
    ("GET", "/members"),
    ("GET", "/members/{id}"),
    ("POST", "/members/{id}/unmask"),
    ("GET", "/members/{id}/edit"),
    ("POST", "/members/{id}/edit"),
    ("GET", "/m"),
    ("GET", "/dues"),
    ("GET", "/development"),
    ("GET", "/dues/ledger"),
    ("GET", "/dues/ledger.xlsx"),
    ("GET", "/dues/bases"),
    ("POST", "/dues/bases"),
    ("GET", "/dues/pay"),
    ("POST", "/dues/pay"),
    ("GET", "/dues/reductions"),
    ("POST", "/dues/reductions"),
    ("POST", "/dues/reductions/{id}"),
    ("GET", "/dues/report"),
    ("GET", "/dues/publish"),
    ("GET", "/api/v1/dues/ledger"),
    ("PUT", "/api/v1/dues/bases"),
    ("POST", "/api/v1/dues/payments"),
    ("GET", "/api/v1/dues/report"),
    ("GET", "/development/people"),
    ("GET", "/development/people.xlsx"),
    ("GET", "/development/due"),
    ("GET", "/development/people/{id}"),
    ("POST", "/development/people/{id}/steps"),
    ("POST", "/development/people/{id}/withdraw"),
    ("GET", "/api/v1/development/people"),
    ("GET", "/api/v1/development/people/{id}"),
    ("POST", "/api/v1/development/people/{id}/steps"),
    ("GET", "/api/v1/development/due"),
    ("GET", "/m/commitments"),
    ("POST", "/m/commitments"),
    ("GET", "/commitments"),
    ("GET", "/commitments/board"),
    ("POST", "/commitments/{id}/review"),
    ("POST", "/commitments/vanguard"),
    ("GET", "/commitments/cards"),
    ("GET", "/api/v1/commitments"),
    ("GET", "/children"),
    ("POST", "/children"),
    ("GET", "/children/new"),
    ("POST", "/children/new"),
    ("GET", "/children/exports"),
    ("POST", "/children/exports"),
    ("POST", "/children/exports/{id}"),
    ("GET", "/children/export.xlsx"),
    ("POST", "/children/pairings/{id}/end"),
    ("GET", "/children/{id}"),
    ("GET", "/children/{id}/edit"),
    ("POST", "/children/{id}/edit"),
    ("POST", "/children/{id}/pair"),
    ("POST", "/children/{id}/close"),
    ("GET", "/m/children"),
    ("POST", "/m/children/visits"),
    ("GET", "/api/v1/children"),
    ("GET", "/api/v1/children/{id}"),
    ("GET", "/m/service"),
    ("POST", "/m/service/register"),
    ("POST", "/m/service/records"),
    ("GET", "/service"),
    ("GET", "/service.xlsx"),
    ("GET", "/service/stations"),
    ("POST", "/service/stations"),
    ("GET", "/service/concerns"),
    ("POST", "/service/concerns"),
    ("POST", "/service/concerns/{id}"),
    ("GET", "/api/v1/service"),
    ("POST", "/api/v1/service/records"),
    ("GET", "/school-work"),
    ("GET", "/school-work.xlsx"),
    ("GET", "/school-work/activities/new"),
    ("POST", "/school-work/activities/new"),
    ("GET", "/teaching"),
    ("GET", "/teaching.xlsx"),
    ("POST", "/teaching/teams"),
    ("GET", "/youth"),
    ("GET", "/youth.xlsx"),
    ("POST", "/youth/units"),
    ("GET", "/api/v1/school-work"),
    ("POST", "/api/v1/school-work/activities"),
    ("GET", "/campaigns"),
    ("POST", "/campaigns"),
    ("GET", "/campaigns/{id}"),
    ("POST", "/campaigns/{id}/apply"),
    ("POST", "/campaigns/{id}/advance"),
    ("GET", "/campaigns/{id}/entries/{entry}"),
    ("POST", "/campaigns/{id}/entries/{entry}"),
    ("GET", "/api/v1/campaigns/{id}"),
    ("POST", "/api/v1/campaigns/{id}/entries/{entry}/scores"),
    ("GET", "/honors"),
    ("GET", "/honors.xlsx"),
    ("GET", "/honors/new"),
    ("POST", "/honors/new"),
    ("POST", "/honors/{id}/delete"),
    ("GET", "/indicators"),
    ("GET", "/indicators.xlsx"),
    ("GET", "/indicators/{code}/{year}"),
    ("POST", "/indicators/{code}/{year}"),
    ("GET", "/scorecard"),
    ("GET", "/api/v1/scorecard"),
    ("GET", "/stats"),
    ("GET", "/stats.xlsx"),
    ("GET", "/api/v1/stats"),
    ("GET", "/api/v1/honors"),
    ("POST", "/api/v1/honors"),
    ("GET", "/api/v1/indicators"),
    ("PUT", "/api/v1/indicators/{code}/{year}"),
    ("GET", "/orgs/terms"),
    ("GET", "/orgs/terms.xlsx"),
    ("GET", "/orgs/{code}/elections"),
    ("POST", "/orgs/{code}/elections"),
    ("GET", "/api/v1/terms"),
    ("POST", "/api/v1/orgs/{code}/elections"),
    ("GET", "/members/transfers"),
    ("GET", "/members/transfers.xlsx"),
    ("GET", "/members/transfers/in"),
    ("POST", "/members/transfers/in"),
    ("GET", "/members/transfers/{id}/letter"),
    ("POST", "/members/transfers/{id}/decision"),
    ("GET", "/members/{id}/relations"),
    ("POST", "/members/{id}/transfer"),
    ("POST", "/members/{id}/status"),
    ("GET", "/api/v1/transfers"),
    ("POST", "/api/v1/transfers/{id}/decision"),
    ("POST", "/api/v1/members/{id}/transfers"),
    ("POST", "/api/v1/members/{id}/status"),
    ("GET", "/coverage"),
    ("GET", "/coverage/print"),
    ("GET", "/coverage/export.xlsx"),
    ("POST", "/coverage/snapshots"),
    ("GET", "/coverage/compare"),
    ("GET", "/coverage/tasks"),
    ("GET", "/coverage/tasks/new"),
    ("POST", "/coverage/tasks/new"),
    ("POST", "/coverage/tasks/{id}"),
    ("GET", "/api/v1/coverage"),
    ("GET", "/data"),
    ("GET", "/data/template.xlsx"),
    ("GET", "/data/export.xlsx"),
    ("POST", "/data/import"),
    ("GET", "/data/import/{token}"),
    ("POST", "/data/import/{token}"),
    ("GET", "/data/import/{token}/errors.xlsx"),
    ("POST", "/api/v1/imports"),
    ("GET", "/api/v1/exports"),
    ("POST", "/data/export-requests"),
    ("POST", "/data/export-requests/{id}"),
    ("GET", "/api/v1/export-requests"),
    ("POST", "/api/v1/export-requests"),
    ("POST", "/api/v1/export-requests/{id}"),
    ("GET", "/life"),
    ("GET", "/life/new"),
    ("POST", "/life/new"),
    ("GET", "/life/compliance"),
    ("GET", "/life/compliance/{org}"),
    ("POST", "/life/compliance/{org}/study"),
    ("GET", "/life/absent"),
    ("GET", "/life/calendar"),
    ("GET", "/life/guides"),
    ("POST", "/life/guides"),
    ("POST", "/life/kinds"),
    ("POST", "/life/kinds/{id}/delete"),
    ("GET", "/life/observation"),
    ("GET", "/life/evaluations"),
    ("POST", "/life/evaluations"),
    ("GET", "/life/book"),
    ("GET", "/life/book.xlsx"),
    ("GET", "/life/{id}"),
    ("GET", "/life/{id}/edit"),
    ("POST", "/life/{id}/edit"),
    ("POST", "/life/{id}/review"),
    ("POST", "/life/{id}/attendance"),
    ("GET", "/life/{id}/qr.svg"),
    ("POST", "/life/{id}/files"),
    ("GET", "/life/files/{fid}"),
    ("POST", "/life/files/{fid}/delete"),
    ("GET", "/m/checkin/{id}"),
    ("POST", "/m/checkin/{id}"),
    ("GET", "/api/v1/activities"),
    ("POST", "/api/v1/activities"),
    ("GET", "/api/v1/activities/{id}"),
    ("PUT", "/api/v1/activities/{id}"),
    ("POST", "/api/v1/activities/{id}/review"),
    ("GET", "/api/v1/activities/{id}/attendance"),
    ("POST", "/api/v1/activities/{id}/checkin"),
    ("GET", "/api/v1/activities/{id}/files"),
    ("POST", "/api/v1/activities/{id}/files"),
    ("GET", "/api/v1/life/compliance"),
    ("GET", "/api/v1/life/absent"),
    ("GET", "/api/v1/life/observation"),
    ("GET", "/api/v1/life/guides"),
    ("POST", "/api/v1/life/guides"),
    ("GET", "/api/v1/life/evaluations"),
    ("PUT", "/api/v1/life/evaluations"),
    ("POST", "/api/v1/life/study"),
    ("GET", "/api/docs"),
    ("POST", "/api/v1/session"),
    ("DELETE", "/api/v1/session"),
    ("POST", "/api/v1/session/second-factor"),
    ("POST", "/api/v1/session/reauth"),
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/api/v1/regions"),
    ("GET", "/api/v1/institutions"),
    ("POST", "/api/v1/institutions"),
    ("GET", "/api/v1/institutions/{code}"),
    ("PUT", "/api/v1/institutions/{code}"),
    ("GET", "/api/v1/orgs"),
    ("POST", "/api/v1/orgs"),
    ("GET", "/api/v1/orgs/{code}"),
    ("PUT", "/api/v1/orgs/{code}"),
    ("GET", "/api/v1/staff"),
    ("POST", "/api/v1/staff"),
    ("GET", "/api/v1/staff/{id}"),
    ("PUT", "/api/v1/staff/{id}"),
    ("GET", "/api/v1/members"),
    ("POST", "/api/v1/members"),
    ("GET", "/api/v1/members/{id}"),
    ("PUT", "/api/v1/members/{id}"),
];
