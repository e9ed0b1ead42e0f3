//! 数据导入导出: the ledger workbook through the browser and the API. An upload is checked
//! first (a dry run: counts and problems, nothing written), then imported on confirmation.
//! Long checks run in the background while the page shows how far they are and refreshes
//! itself. Uploaded files live in memory only, never under a served path, and are dropped after
//! use or after an hour (S19).
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use hongzhu_ledger::read::{Limits, SheetData, read};
use hongzhu_ledger::validate::{Problem, Severity, validate};
use hongzhu_store::{MergeCounts, Store};
use serde::Deserialize;
use serde_json::json;
use std::result::Result;

use crate::AppState;
use crate::auth::{self, ApiUser, CurrentUser, Lang, PageUser};
use crate::error::{ApiError, AppError};

use crate::view::*;

/// The import report of spec/LEDGER.md.
#[derive(Debug, Clone)]
pub struct Report {
    pub ok: bool,
    pub written: bool,
    pub counts: MergeCounts,
    pub problems: Vec<Problem>,
    /// Replace mode only: what was (or would be) removed, by sheet.
    pub removed: hongzhu_store::Removals,
}

impl Report {
    pub fn json(&self) -> serde_json::Value {
        let mut j = json!({"ok": self.ok, "counts": self.counts, "problems": self.problems});
        if !self.removed.is_empty() {
            j["removed"] = json!(self.removed);
        }
        j
    }
}

/// How an import treats records it does not mention.
#[derive(Debug, Clone, Copy, Default)]
pub struct Mode<'a> {
    pub dry_run: bool,
    pub partial: bool,
    /// Replace mode: the region whose records missing from the file are removed.
    pub replace: Option<&'a str>,
}

/// Read, validate and (unless strict with errors, or a dry run) write in one transaction.
/// Returns the report and the sheets as read (for the error workbook).
pub async fn run_import(
    store: &Store,
    bytes: Vec<u8>,
    dry_run: bool,
    partial: bool,
    actor: &hongzhu_store::Actor,
    region: Option<&str>,
) -> Result<(Report, Vec<SheetData>), hongzhu_store::StoreError> {
    run_import_mode(store, bytes, Mode { dry_run, partial, replace: None }, actor, region).await
}

/// [`run_import`] with every option, replace mode included.
pub async fn run_import_mode(
    store: &Store,
    bytes: Vec<u8>,
    mode: Mode<'_>,
    actor: &hongzhu_store::Actor,
    region: Option<&str>,
) -> Result<(Report, Vec<SheetData>), hongzhu_store::StoreError> {
    let Mode { dry_run, partial, replace } = mode;
    let sheets = match tokio::task::spawn_blocking(move || read(bytes, &Limits::default())).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            let p = Problem {
                sheet: String::new(),
                row: 0,
                header: String::new(),
                value: String::new(),
                code: "unreadable",
                severity: Severity::Error,
                message: e.to_string(),
            };
            return Ok((
                Report { ok: false, written: false, counts: Default::default(), problems: vec![p], removed: Default::default() },
                vec![],
            ));
        }
        Err(e) => return Err(hongzhu_store::StoreError::Corrupt(e.to_string())),
    };
    let existing = store.load_registry("").await?;
    let today = chrono::Utc::now().date_naive();
    let (v, existing, sheets) = tokio::task::spawn_blocking(move || {
        let v = validate(&sheets, &existing, today);
        (v, existing, sheets)
    })
    .await
    .map_err(|e| hongzhu_store::StoreError::Corrupt(e.to_string()))?;
    let mut v = v;
    // S6: a county user imports only their own region's records.
    if let Some(own) = region.filter(|r| !r.is_empty()) {
        let prefix = hongzhu_store::region_prefix(own);
        // Each school's town, the file's over the database's: looked up once per indicator row.
        let mut towns: std::collections::HashMap<&str, &str> =
            existing.institutions.iter().map(|i| (i.code.as_str(), i.town.as_str())).collect();
        towns.extend(v.data.institutions.iter().map(|i| (i.code.as_str(), i.town.as_str())));
        let outside: Vec<String> = v
            .data
            .institutions
            .iter()
            .filter(|i| !i.town.as_str().starts_with(&prefix))
            .map(|i| i.name.clone())
            .chain(v.data.orgs.iter().filter(|o| !o.region.as_str().starts_with(&prefix[..prefix.len().min(6)])).map(|o| o.name.clone()))
            // 学校业务指标 rows: the school (in the file or in the database) is in the region.
            .chain(
                v.data
                    .indicators
                    .iter()
                    .filter(|x| !towns.get(x.institution.as_str()).is_some_and(|t| t.starts_with(&prefix)))
                    .map(|x| format!("{}（{}学年业务指标）", x.institution, x.year)),
            )
            .collect();
        if !outside.is_empty() {
            let shown: Vec<String> = outside.iter().take(5).cloned().collect();
            v.problems.insert(
                0,
                Problem {
                    sheet: String::new(),
                    row: 0,
                    header: String::new(),
                    value: shown.join("、"),
                    code: "out_of_scope",
                    severity: Severity::Error,
                    message: format!(
                        "文件中有{}条记录不属于您管辖的区划{own}（如：{}），只能导入本区划的数据",
                        outside.len(),
                        shown.join("、")
                    ),
                },
            );
            let counts =
                v.rows.keys().map(|k| (k.clone(), hongzhu_store::SheetCounts { rejected: v.rows[k], ..Default::default() })).collect();
            return Ok((Report { ok: false, written: false, counts, problems: v.problems, removed: Default::default() }, sheets));
        }
    }
    let errors = v.has_errors();
    let mut counts: MergeCounts = Default::default();
    for sheet in v.rows.keys() {
        counts.entry(sheet.clone()).or_default().rejected = *v.rejected.get(sheet).unwrap_or(&0);
    }
    let mut removed = hongzhu_store::Removals::new();
    // Replace mode removes records, so it never runs on a file with errors.
    let written = if errors && (!partial || replace.is_some()) {
        false
    } else {
        let (merged, gone) = store.merge_dataset_replacing(&v.data, &existing, &actor.username, dry_run, replace, Some(actor)).await?;
        for (sheet, m) in merged {
            let c = counts.entry(sheet).or_default();
            c.created = m.created;
            c.updated = m.updated;
            c.unchanged = m.unchanged;
        }
        removed = gone;
        !dry_run
    };
    Ok((Report { ok: !errors, written, counts, problems: v.problems, removed }, sheets))
}

/// An upload being checked or imported, for its owner only.
pub struct Job {
    owner: i64,
    file_name: String,
    bytes: Option<Vec<u8>>,
    stage: &'static str,
    started: Instant,
    partial: bool,
    report: Option<Report>,
    sheets: Vec<SheetData>,
    imported: bool,
    failed: Option<String>,
}

#[derive(Clone, Default)]
pub struct Jobs(Arc<Mutex<HashMap<String, Job>>>);

impl Jobs {
    fn sweep(&self) {
        let mut m = self.0.lock().expect("jobs lock");
        m.retain(|_, j| j.started.elapsed() < Duration::from_secs(3600));
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/data", get(data_page))
        .route("/data/template.xlsx", get(template))
        .route("/data/export.xlsx", get(export_page))
        .route("/data/import", post(upload))
        .route("/data/import/{token}", get(job_page).post(confirm))
        .route("/data/import/{token}/errors.xlsx", get(errors_workbook))
        .route("/api/v1/imports", post(api_import))
        .route("/api/v1/exports", get(api_export))
        .route("/data/export-requests", post(request_full_export))
        .route("/data/export-requests/{id}", post(decide_full_export))
        .route("/api/v1/export-requests", get(api_export_requests).post(api_request_full_export))
        .route("/api/v1/export-requests/{id}", post(api_decide_full_export))
        // S19: uploads up to the workbook limit (50 MB) plus the form around it.
        .layer(DefaultBodyLimit::max(51 * 1024 * 1024))
}

fn admin(u: &CurrentUser) -> Result<(), AppError> {
    if u.is_admin() { Ok(()) } else { Err(AppError::Forbidden) }
}

fn xlsx(bytes: Vec<u8>, name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        bytes,
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "data.html")]
struct DataPage {
    c: Chrome,
    regions: Vec<Opt>,
    /// S14: requests for unmasked exports in the user's region: their own and others' to decide.
    requests: Vec<hongzhu_store::ExportRequest>,
    me: i64,
}

async fn data_page(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser) -> Result<Response, AppError> {
    admin(&u)?;
    let scope = match &u.scope {
        hongzhu_store::Scope::Region(r) => hongzhu_store::Scope::Region(r.clone()),
        _ => hongzhu_store::Scope::All,
    };
    let regions = state
        .store
        .regions(&scope)
        .await?
        .into_iter()
        .filter(|r| u.user.region_code.as_deref().is_none_or(|own| r.record.code.as_str().starts_with(&hongzhu_store::region_prefix(own))))
        .map(|r| Opt {
            selected: Some(r.record.code.as_str()) == u.user.region_code.as_deref(),
            value: r.record.code.to_string(),
            label: format!("{} {}", r.record.code, r.record.name),
        })
        .collect();
    let title = t.t("menu_data");
    let c = Chrome::new(t, &u, "data", title).crumb(title, "/data");
    let requests = state.store.export_requests("ledger_full", &own_prefix(&u), 30).await?;
    Ok(Html(DataPage { c, regions, requests, me: u.user.id }.render().map_err(|e| AppError::Internal(e.to_string()))?).into_response())
}

async fn template(PageUser(u): PageUser) -> Result<Response, AppError> {
    admin(&u)?;
    let bytes = hongzhu_ledger::write::template().map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(xlsx(bytes, "hongzhu-ledger-template.xlsx"))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ExportQuery {
    region: String,
    full: String,
    /// S14: the approved request an unmasked export is taken under.
    request: Option<i64>,
}

/// The region prefix of what a county user looks after ("" for everything).
fn own_prefix(u: &CurrentUser) -> String {
    u.user.region_code.as_deref().map(hongzhu_store::region_prefix).unwrap_or_default()
}

/// The region an export is of: the one asked for, or the user's own.
fn export_region_code(u: &CurrentUser, asked: &str) -> String {
    if asked.is_empty() { u.user.region_code.clone().unwrap_or_default() } else { asked.to_string() }
}

/// S14: an unmasked export goes only under an approved request of the user's, once.
async fn take_approval(state: &AppState, u: &CurrentUser, q: &ExportQuery) -> Result<Option<i64>, AppError> {
    if q.full != "1" {
        return Ok(None);
    }
    let Some(id) = q.request else { return Err(AppError::ApprovalRequired) };
    let region = export_region_code(u, &q.region);
    state.store.take_export(id, u.user.id, "ledger_full", &region).await?;
    Ok(Some(id))
}

async fn export_region(state: &AppState, u: &CurrentUser, region: &str, full: bool) -> Result<(Vec<u8>, String), AppError> {
    let own = u.user.region_code.clone().unwrap_or_default();
    let region = if region.is_empty() { own.clone() } else { region.to_string() };
    // S6: a county user exports their region or a part of it.
    if !own.is_empty() && !region.starts_with(&hongzhu_store::region_prefix(&own)) {
        return Err(AppError::NotFound);
    }
    if !region.is_empty() && state.store.region(&region).await?.is_none() {
        return Err(AppError::Invalid(vec![hongzhu_core::registry::FieldError::new(
            "region",
            "unknown_region",
            format!("区划“{region}”不存在"),
            "no such region",
        )]));
    }
    let data = state.store.load_registry(&region).await?;
    let bytes = tokio::task::spawn_blocking(move || hongzhu_ledger::write::export(&data, !full))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let name = format!(
        "hongzhu-{}-{}{}.xlsx",
        if region.is_empty() { "all" } else { &region },
        chrono::Utc::now().date_naive(),
        if full { "" } else { "-masked" }
    );
    Ok((bytes, name))
}

async fn export_page(State(state): State<AppState>, PageUser(u): PageUser, Query(q): Query<ExportQuery>) -> Result<Response, AppError> {
    admin(&u)?;
    // S4: a bulk export of a region asks for the password again.
    u.require_reauth(
        &state.security,
        &format!(
            "/data/export.xlsx?region={}&full={}{}",
            crate::view::enc(&q.region),
            crate::view::enc(&q.full),
            q.request.map(|r| format!("&request={r}")).unwrap_or_default()
        ),
    )?;
    let approval = take_approval(&state, &u, &q).await?;
    let (bytes, name) = export_region(&state, &u, &q.region, q.full == "1").await?;
    audited_export(&state, &u, &q, approval, &bytes, &name).await?;
    Ok(xlsx(bytes, &name))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RequestForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    region: String,
    reason: String,
    action: String,
    note: String,
}

/// S14: ask for an unmasked export; another administrator decides.
async fn request_full_export(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    axum::extract::Form(f): axum::extract::Form<RequestForm>,
) -> Result<Response, AppError> {
    admin(&u)?;
    auth::check_csrf(&u, Some(&f.csrf))?;
    let region = export_region_code(&u, &f.region);
    if !region.starts_with(&own_prefix(&u)) {
        return Err(AppError::NotFound);
    }
    state.store.request_export("ledger_full", &region, &f.reason, &entry(&u, "export_request")).await?;
    Ok(Redirect::to("/data#full").into_response())
}

fn entry(u: &CurrentUser, event: &'static str) -> hongzhu_store::AuditEntry {
    hongzhu_store::AuditEntry {
        actor: u.actor.clone(),
        event,
        object: String::new(),
        outcome: hongzhu_store::Outcome::Success,
        detail: String::new(),
    }
}

async fn decide(
    state: &AppState,
    u: &CurrentUser,
    id: i64,
    action: &str,
    note: &str,
    back: &str,
) -> Result<hongzhu_store::ExportRequest, AppError> {
    admin(u)?;
    let r = state.store.export_request(id).await?.ok_or(AppError::NotFound)?;
    if !r.region.starts_with(&own_prefix(u)) {
        return Err(AppError::NotFound);
    }
    let approve = match action {
        "approve" => true,
        "refuse" => false,
        _ => return Err(AppError::BadRequest("action 应为 approve 或 refuse / action must be approve or refuse".into())),
    };
    // Approving an unmasked export is itself sensitive (S4).
    if approve {
        u.require_reauth(&state.security, back)?;
    }
    Ok(state.store.decide_export(id, approve, note, &entry(u, "export_decision")).await?)
}

async fn decide_full_export(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    axum::extract::Form(f): axum::extract::Form<RequestForm>,
) -> Result<Response, AppError> {
    auth::check_csrf(&u, Some(&f.csrf))?;
    decide(&state, &u, id, &f.action, &f.note, "/data#full").await?;
    Ok(Redirect::to("/data#full").into_response())
}

async fn api_export_requests(State(state): State<AppState>, ApiUser(u): ApiUser) -> Result<Response, ApiError> {
    admin(&u).map_err(ApiError)?;
    let items = state.store.export_requests("ledger_full", &own_prefix(&u), 100).await?;
    Ok(axum::Json(serde_json::json!({"items": items})).into_response())
}

#[derive(Deserialize)]
struct RequestBody {
    #[serde(default)]
    region: String,
    #[serde(default)]
    reason: String,
}

async fn api_request_full_export(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    headers: axum::http::HeaderMap,
    body: Result<axum::Json<RequestBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    auth::check_csrf(&u, headers.get("x-csrf-token").and_then(|v| v.to_str().ok())).map_err(ApiError)?;
    admin(&u).map_err(ApiError)?;
    let axum::Json(b) = body.map_err(|e| ApiError(crate::error::json_rejection(e, "{\"region\", \"reason\"}")))?;
    let region = export_region_code(&u, &b.region);
    if !region.starts_with(&own_prefix(&u)) {
        return Err(ApiError(AppError::NotFound));
    }
    let id = state.store.request_export("ledger_full", &region, &b.reason, &entry(&u, "export_request")).await?;
    let r = state.store.export_request(id).await?.ok_or(AppError::NotFound)?;
    Ok((axum::http::StatusCode::CREATED, axum::Json(r)).into_response())
}

#[derive(Deserialize)]
struct DecisionBody {
    #[serde(default)]
    action: String,
    #[serde(default)]
    note: String,
}

async fn api_decide_full_export(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<i64>,
    headers: axum::http::HeaderMap,
    body: Result<axum::Json<DecisionBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    auth::check_csrf(&u, headers.get("x-csrf-token").and_then(|v| v.to_str().ok())).map_err(ApiError)?;
    let axum::Json(b) = body.map_err(|e| ApiError(crate::error::json_rejection(e, "{\"action\": \"approve\"|\"refuse\"}")))?;
    let r = decide(&state, &u, id, &b.action, &b.note, "/api/v1/export-requests").await.map_err(ApiError)?;
    Ok(axum::Json(r).into_response())
}

/// S9, S14: every export is logged with its filter, fields and the file's hash, before the file
/// is handed out (S11: no record, no file).
async fn audited_export(
    state: &AppState,
    u: &CurrentUser,
    q: &ExportQuery,
    approval: Option<i64>,
    bytes: &[u8],
    name: &str,
) -> Result<(), AppError> {
    let digest = crate::auth::token_hash_bytes(bytes);
    let fields = if q.full == "1" { "all sheets; ID and phone numbers in full" } else { "all sheets; ID and phone numbers masked" };
    crate::security::audit(
        state,
        u.actor.clone(),
        "export",
        format!("ledger region {}", if q.region.is_empty() { u.user.region_code.clone().unwrap_or_default() } else { q.region.clone() }),
        hongzhu_store::Outcome::Success,
        format!(
            "{name}; {fields}{}; {} bytes; sha256={digest}",
            approval.map(|a| format!("; approved request {a}")).unwrap_or_default(),
            bytes.len()
        ),
    )
    .await
}

/// The file and options of an upload form.
async fn read_upload(mut m: Multipart) -> Result<(String, Vec<u8>, HashMap<String, String>), AppError> {
    let mut file = None;
    let mut fields = HashMap::new();
    while let Some(field) = m.next_field().await.map_err(|e| AppError::BadRequest(format!("上传失败：{e}")))? {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            let file_name = field.file_name().unwrap_or("upload.xlsx").to_string();
            let bytes = field.bytes().await.map_err(|e| AppError::BadRequest(format!("上传失败（文件超过50MB？）：{e}")))?;
            file = Some((file_name, bytes.to_vec()));
        } else {
            let v = field.text().await.unwrap_or_default();
            fields.insert(name, v);
        }
    }
    let (name, bytes) = file.ok_or_else(|| AppError::BadRequest("请选择要导入的文件（.xlsx、.xls 或 .ods）".into()))?;
    Ok((name, bytes, fields))
}

fn checked(v: Option<&String>) -> bool {
    v.is_some_and(|v| matches!(v.as_str(), "1" | "on" | "true"))
}

async fn upload(State(state): State<AppState>, PageUser(u): PageUser, m: Multipart) -> Result<Response, AppError> {
    admin(&u)?;
    let (file_name, bytes, fields) = read_upload(m).await?;
    auth::check_csrf(&u, fields.get("_csrf").map(String::as_str))?;
    let partial = checked(fields.get("partial"));
    state.jobs.sweep();
    let token = auth::random_token()[..24].to_string();
    state.jobs.0.lock().expect("jobs lock").insert(
        token.clone(),
        Job {
            owner: u.user.id,
            file_name,
            bytes: Some(bytes.clone()),
            stage: "checking",
            started: Instant::now(),
            partial,
            report: None,
            sheets: vec![],
            imported: false,
            failed: None,
        },
    );
    // The check (a dry run) runs in the background; the page follows it.
    let jobs = state.jobs.clone();
    let store = state.store.clone();
    let actor = u.actor.clone();
    let region = u.user.region_code.clone();
    let tk = token.clone();
    tokio::spawn(async move {
        let result = run_import(&store, bytes, true, partial, &actor, region.as_deref()).await;
        let mut m = jobs.0.lock().expect("jobs lock");
        if let Some(j) = m.get_mut(&tk) {
            match result {
                Ok((report, sheets)) => {
                    j.report = Some(report);
                    j.sheets = sheets;
                    j.stage = "checked";
                }
                Err(e) => {
                    j.failed = Some(e.to_string());
                    j.stage = "failed";
                }
            }
        }
    });
    Ok(Redirect::to(&format!("/data/import/{token}")).into_response())
}

struct CountRow {
    sheet: String,
    created: usize,
    updated: usize,
    unchanged: usize,
    rejected: usize,
}

#[derive(Template)]
#[template(path = "import_job.html")]
struct JobPage {
    c: Chrome,
    token: String,
    file_name: String,
    stage: &'static str,
    seconds: u64,
    partial: bool,
    ok: bool,
    imported: bool,
    failed: Option<String>,
    counts: Vec<CountRow>,
    problems: Vec<Problem>,
    error_count: usize,
    warning_count: usize,
    can_import: bool,
}

async fn job_page(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    admin(&u)?;
    let page = {
        let m = state.jobs.0.lock().expect("jobs lock");
        let j = m.get(&token).filter(|j| j.owner == u.user.id).ok_or(AppError::NotFound)?;
        let report = j.report.clone();
        let counts: Vec<CountRow> = report
            .as_ref()
            .map(|r| {
                hongzhu_ledger::validate::SHEETS
                    .iter()
                    .filter_map(|(s, _)| {
                        r.counts.get(*s).map(|c| CountRow {
                            sheet: s.to_string(),
                            created: c.created,
                            updated: c.updated,
                            unchanged: c.unchanged,
                            rejected: c.rejected,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let problems: Vec<Problem> = report.as_ref().map(|r| r.problems.iter().take(500).cloned().collect()).unwrap_or_default();
        let error_count = report.as_ref().map(|r| r.problems.iter().filter(|p| p.severity == Severity::Error).count()).unwrap_or(0);
        let warning_count = report.as_ref().map(|r| r.problems.iter().filter(|p| p.severity == Severity::Warning).count()).unwrap_or(0);
        let ok = report.as_ref().is_some_and(|r| r.ok);
        let title = t.t("menu_data");
        JobPage {
            c: Chrome::new(t, &u, "data", title).crumb(title, "/data").crumb(j.file_name.clone(), format!("/data/import/{token}")),
            file_name: j.file_name.clone(),
            stage: j.stage,
            seconds: j.started.elapsed().as_secs(),
            partial: j.partial,
            ok,
            imported: j.imported,
            failed: j.failed.clone(),
            can_import: j.stage == "checked" && !j.imported && (ok || j.partial) && !counts_empty(&counts),
            counts,
            problems,
            error_count,
            warning_count,
            token,
        }
    };
    let mut res = Html(page.render().map_err(|e| AppError::Internal(e.to_string()))?).into_response();
    if page.stage == "checking" || page.stage == "importing" {
        // Without script: the page refreshes itself until the work is done.
        res.headers_mut().insert(header::REFRESH, axum::http::HeaderValue::from_static("1"));
    }
    Ok(res)
}

fn counts_empty(c: &[CountRow]) -> bool {
    c.iter().all(|r| r.created + r.updated + r.unchanged == 0)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ConfirmForm {
    #[serde(rename = "_csrf")]
    csrf: String,
}

async fn confirm(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(token): Path<String>,
    axum::extract::Form(f): axum::extract::Form<ConfirmForm>,
) -> Result<Response, AppError> {
    admin(&u)?;
    auth::check_csrf(&u, Some(&f.csrf))?;
    let (bytes, partial) = {
        let mut m = state.jobs.0.lock().expect("jobs lock");
        let j = m.get_mut(&token).filter(|j| j.owner == u.user.id).ok_or(AppError::NotFound)?;
        if j.stage != "checked" || j.imported {
            return Ok(Redirect::to(&format!("/data/import/{token}")).into_response());
        }
        j.stage = "importing";
        (j.bytes.take().unwrap_or_default(), j.partial)
    };
    let jobs = state.jobs.clone();
    let store = state.store.clone();
    let actor = u.actor.clone();
    let region = u.user.region_code.clone();
    let tk = token.clone();
    tokio::spawn(async move {
        let result = run_import(&store, bytes, false, partial, &actor, region.as_deref()).await;
        let mut m = jobs.0.lock().expect("jobs lock");
        if let Some(j) = m.get_mut(&tk) {
            match result {
                Ok((report, _)) => {
                    j.imported = report.written;
                    j.report = Some(report);
                    j.stage = "done";
                }
                Err(e) => {
                    j.failed = Some(e.to_string());
                    j.stage = "failed";
                }
            }
        }
    });
    Ok(Redirect::to(&format!("/data/import/{token}")).into_response())
}

async fn errors_workbook(State(state): State<AppState>, PageUser(u): PageUser, Path(token): Path<String>) -> Result<Response, AppError> {
    admin(&u)?;
    let (sheets, problems, name) = {
        let m = state.jobs.0.lock().expect("jobs lock");
        let j = m.get(&token).filter(|j| j.owner == u.user.id).ok_or(AppError::NotFound)?;
        (j.sheets.clone(), j.report.as_ref().map(|r| r.problems.clone()).unwrap_or_default(), j.file_name.clone())
    };
    if sheets.is_empty() {
        return Err(AppError::NotFound);
    }
    let bytes = hongzhu_ledger::write::error_workbook(&sheets, &problems).map_err(|e| AppError::Internal(e.to_string()))?;
    let stem = name.rsplit_once('.').map(|x| x.0.to_string()).unwrap_or(name);
    let safe: String = stem.chars().filter(|c| !matches!(c, '"' | '\\' | '/' | '\r' | '\n')).collect();
    Ok(xlsx(bytes, &format!("{safe}-错误说明.xlsx")))
}

async fn api_import(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    headers: axum::http::HeaderMap,
    m: Multipart,
) -> Result<Response, ApiError> {
    auth::check_csrf(&u, headers.get("x-csrf-token").and_then(|v| v.to_str().ok())).map_err(ApiError)?;
    admin(&u).map_err(ApiError)?;
    let (_, bytes, fields) = read_upload(m).await.map_err(ApiError)?;
    let dry_run = checked(fields.get("dry_run"));
    let partial = checked(fields.get("partial"));
    let (report, _) = run_import(&state.store, bytes, dry_run, partial, &u.actor, u.user.region_code.as_deref()).await?;
    let status = if report.ok || report.written { axum::http::StatusCode::OK } else { axum::http::StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, axum::Json(report.json())).into_response())
}

async fn api_export(State(state): State<AppState>, ApiUser(u): ApiUser, Query(q): Query<ExportQuery>) -> Result<Response, ApiError> {
    admin(&u).map_err(ApiError)?;
    u.require_reauth(&state.security, "/api/v1/exports").map_err(ApiError)?;
    let approval = take_approval(&state, &u, &q).await.map_err(ApiError)?;
    let (bytes, name) = export_region(&state, &u, &q.region, q.full == "1").await.map_err(ApiError)?;
    audited_export(&state, &u, &q, approval, &bytes, &name).await.map_err(ApiError)?;
    Ok(xlsx(bytes, &name))
}
