//! 任期与换届 (R1.4–R1.7): every organization's term with its end and state — current, ending
//! within the reminder months (R1.7), ended (R1.6) — and the election record that starts the next
//! term and fills the posts, with the attendance and majority rules checked.
use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::NaiveDate;
use hongzhu_core::election::{ELECTED_POSTS, ElectionInput};
use hongzhu_core::labels::{Labeled, OrgStatus};
use hongzhu_core::term::{TermState, term_state};
use hongzhu_store::elections::{Candidate, ElectionRow};
use hongzhu_store::{OrgRow, StoreError};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::{self, ApiUser, CurrentUser, Lang, PageUser};
use crate::error::{ApiError, AppError};
use crate::i18n::Tr;
use crate::pages::{PageResult, chrome, county_or_secretary as allowed, local_today as today, render, zh_en as l};
use crate::view::{Chrome, enc};

type ApiResult = Result<Response, ApiError>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orgs/terms", get(terms_page))
        .route("/orgs/terms.xlsx", get(terms_xlsx))
        .route("/orgs/{code}/elections", get(elections_page).post(election_submit))
        .route("/api/v1/terms", get(api_terms))
        .route("/api/v1/orgs/{code}/elections", axum::routing::post(api_election))
}

/// R1.7: months before the end when the higher level reminds (as the coverage audit uses).
fn remind_months() -> u32 {
    hongzhu_core::coverage::AuditSettings::default().remind_months
}

struct TermLine {
    code: String,
    name: String,
    kind: &'static str,
    start: Option<NaiveDate>,
    years: i32,
    end: Option<NaiveDate>,
    state: &'static str,
    last_election: Option<NaiveDate>,
}

impl TermLine {
    fn state_label(&self, t: &Tr) -> &'static str {
        match self.state {
            "expired" => l(*t, "已届满（R1.6）", "ended (R1.6)"),
            "expiring" => l(*t, "即将届满（R1.7）", "ending soon (R1.7)"),
            "current" => l(*t, "本届", "current"),
            _ => l(*t, "未记录任期", "no term recorded"),
        }
    }
    fn json(&self) -> Value {
        json!({"org": self.code, "name": self.name, "term_start": self.start, "term_years": self.years, "term_end": self.end, "state": self.state, "last_election": self.last_election})
    }
}

async fn term_lines(state: &AppState, u: &CurrentUser, t: Tr) -> Result<Vec<TermLine>, AppError> {
    let last = state.store.last_elections().await?;
    let today = today();
    let mut lines: Vec<TermLine> = state
        .store
        .orgs(&u.scope, None)
        .await?
        .into_iter()
        .filter(|o| o.record.status == OrgStatus::Active)
        .map(|o| {
            let end = o.record.term_end();
            let st = match end.map(|e| term_state(e, today, remind_months())) {
                Some(TermState::Expired) => "expired",
                Some(TermState::Expiring) => "expiring",
                Some(TermState::Current) => "current",
                None => "none",
            };
            TermLine {
                code: o.record.code.to_string(),
                name: o.record.name.clone(),
                kind: o.record.kind.label(t.lang()),
                start: o.record.term_start,
                years: o.record.term_years_or_default(),
                end,
                state: st,
                last_election: last.get(&o.meta.id).copied(),
            }
        })
        .collect();
    let rank = |s: &str| match s {
        "expired" => 0,
        "expiring" => 1,
        "none" => 2,
        _ => 3,
    };
    lines.sort_by_key(|x| (rank(x.state), x.end));
    Ok(lines)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TermsQuery {
    state: String,
}

#[derive(Template)]
#[template(path = "terms.html")]
struct TermsPage {
    c: Chrome,
    lines: Vec<TermLine>,
    counts: (usize, usize, usize),
    q: TermsQuery,
}

async fn terms_page(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<TermsQuery>) -> PageResult {
    allowed(&u)?;
    let all = term_lines(&state, &u, t).await?;
    let counts = (
        all.iter().filter(|x| x.state == "expired").count(),
        all.iter().filter(|x| x.state == "expiring").count(),
        all.iter().filter(|x| x.state == "none").count(),
    );
    let lines = all.into_iter().filter(|x| q.state.is_empty() || x.state == q.state).collect();
    let title = l(t, "任期与换届", "Terms and elections");
    let c = chrome(&state, t, &u, "orgs", title).await.crumb(t.t("menu_org_admin"), "/orgs").crumb(title, "/orgs/terms");
    render(TermsPage { c, lines, counts, q })
}

async fn terms_xlsx(State(state): State<AppState>, PageUser(u): PageUser) -> PageResult {
    allowed(&u)?;
    let zh = Tr(crate::i18n::Locale::Zh);
    let lines = term_lines(&state, &u, zh).await?;
    crate::security::audit(
        &state,
        u.actor.clone(),
        "export",
        "terms".to_string(),
        hongzhu_store::Outcome::Success,
        format!("{} organizations; xlsx", lines.len()),
    )
    .await?;
    use hongzhu_ledger::table::Cell;
    let d = |x: Option<NaiveDate>| Cell::from(x.map(|d| d.to_string()).unwrap_or_default());
    let rows: Vec<Vec<Cell>> = lines
        .iter()
        .map(|x| {
            vec![
                Cell::from(x.code.clone()),
                Cell::from(x.name.clone()),
                Cell::from(x.kind),
                d(x.start),
                Cell::Number(f64::from(x.years)),
                d(x.end),
                Cell::from(x.state_label(&zh)),
                d(x.last_election),
            ]
        })
        .collect();
    let columns = [
        ("代码", 14.0),
        ("党组织", 36.0),
        ("类别", 10.0),
        ("本届起始", 12.0),
        ("任期（年）", 9.0),
        ("届满日期", 12.0),
        ("状态", 16.0),
        ("最近选举", 12.0),
    ];
    let bytes = hongzhu_ledger::table::table(&format!("党组织任期与换届情况（{}）", today()), "任期", &columns, &rows)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    crate::view::xlsx_response(bytes, "terms.xlsx", &format!("党组织任期-{}.xlsx", today()))
}

// ------------------------------------------------------------------ one organization's elections

#[derive(Template)]
#[template(path = "elections.html")]
struct ElectionsPage {
    c: Chrome,
    o: OrgRow,
    end: Option<NaiveDate>,
    history: Vec<ElectionRow>,
    candidates: Vec<Candidate>,
    posts: Vec<(&'static str, &'static str)>,
    errors: Vec<String>,
    input: ElectionInput,
    typed: bool,
    saved: Option<String>,
    today: String,
}

impl ElectionsPage {
    fn post_of(&self, member: &i64) -> String {
        if self.typed {
            return self.input.results.iter().find(|r| r.0 == member.to_string()).map(|r| r.1.clone()).unwrap_or_default();
        }
        self.candidates
            .iter()
            .find(|c| c.member_id == *member)
            .and_then(|c| c.post)
            .filter(|p| ELECTED_POSTS.contains(p))
            .map(|p| p.code().to_string())
            .unwrap_or_default()
    }
    fn votes_of(&self, member: &i64) -> String {
        self.input.results.iter().find(|r| r.0 == member.to_string()).map(|r| r.2.clone()).unwrap_or_default()
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SavedQuery {
    saved: String,
}

async fn org_in_scope(state: &AppState, u: &CurrentUser, code: &str) -> Result<OrgRow, AppError> {
    allowed(u)?;
    state.store.org(&u.scope, code).await?.ok_or(AppError::NotFound)
}

/// `back`: the refusal's messages and what was typed, when the form comes back.
async fn elections_render(
    state: &AppState,
    t: Tr,
    u: &CurrentUser,
    o: OrgRow,
    back: Option<(Vec<String>, ElectionInput)>,
    saved: Option<String>,
) -> PageResult {
    let typed = back.is_some();
    let (errors, input) = back.unwrap_or_default();
    let history = state.store.elections(o.meta.id).await?;
    let mut candidates = state.store.election_candidates(o.meta.id).await?;
    // The committee of the term ending first: they are usually the ones re-elected or replaced.
    candidates.sort_by_key(|c| !c.post.is_some_and(hongzhu_core::election::is_elected_post));
    let posts = ELECTED_POSTS.iter().map(|p| (p.code(), p.label(t.lang()))).collect();
    let title = format!("{} · {}", o.record.name, l(t, "换届选举", "elections"));
    let c = chrome(state, t, u, "orgs", title)
        .await
        .crumb(t.t("menu_org_admin"), "/orgs")
        .crumb(l(t, "任期与换届", "Terms and elections"), "/orgs/terms")
        .crumb(o.record.name.clone(), format!("/orgs/{}/elections", o.record.code));
    let end = o.record.term_end();
    render(ElectionsPage { c, o, end, history, candidates, posts, errors, input, typed, saved, today: today().to_string() })
}

async fn elections_page(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Path(code): Path<String>,
    Query(q): Query<SavedQuery>,
) -> PageResult {
    let o = org_in_scope(&state, &u, &code).await?;
    let saved = Some(q.saved).filter(|s| !s.is_empty());
    elections_render(&state, t, &u, o, None, saved).await
}

/// The form: `post_{member}` and `votes_{member}` per candidate.
fn form_input(body: &str) -> (ElectionInput, String) {
    let mut f: HashMap<String, String> = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(body.as_bytes()) {
        f.insert(k.into_owned(), v.into_owned());
    }
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let mut results: Vec<(String, String, String)> =
        f.iter().filter_map(|(k, v)| k.strip_prefix("post_").map(|m| (m.to_string(), v.clone(), get(&format!("votes_{m}"))))).collect();
    results.sort();
    let input = ElectionInput {
        held_on: get("held_on"),
        due: get("due"),
        present: get("present"),
        term_years: get("term_years"),
        note: get("note"),
        results,
    };
    (input, get("_csrf"))
}

async fn save(
    state: &AppState,
    u: &CurrentUser,
    o: &OrgRow,
    input: &ElectionInput,
) -> Result<Result<(i64, Vec<String>, Vec<String>), Vec<hongzhu_core::registry::FieldError>>, AppError> {
    let e = match input.parse(o.record.kind) {
        Ok(e) => e,
        Err(errs) => return Ok(Err(errs)),
    };
    match state.store.record_election(o.meta.id, &e, today(), &u.user.username).await {
        Ok((id, remarks)) => Ok(Ok((id, remarks.iter().map(|r| r.zh.clone()).collect(), remarks.iter().map(|r| r.en.clone()).collect()))),
        Err(StoreError::Refused(e)) => Ok(Err(vec![e])),
        Err(e) => Err(e.into()),
    }
}

async fn election_submit(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Path(code): Path<String>,
    body: String,
) -> PageResult {
    let (input, csrf) = form_input(&body);
    auth::check_csrf(&u, Some(&csrf))?;
    let o = org_in_scope(&state, &u, &code).await?;
    match save(&state, &u, &o, &input).await? {
        Ok((_, zh, en)) => {
            let remarks = if t.is_en() { en } else { zh };
            let msg = if remarks.is_empty() { "1".to_string() } else { remarks.join("；") };
            Ok(Redirect::to(&format!("/orgs/{code}/elections?saved={}", enc(&msg))).into_response())
        }
        Err(errs) => {
            let msgs = errs.iter().map(|e| e.message(t.lang()).to_string()).collect();
            let mut page = elections_render(&state, t, &u, o, Some((msgs, input)), None).await?;
            *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(page)
        }
    }
}

// ------------------------------------------------------------------ API

async fn api_terms(State(state): State<AppState>, Lang(t): Lang, ApiUser(u): ApiUser) -> ApiResult {
    allowed(&u)?;
    let lines = term_lines(&state, &u, t).await?;
    Ok(axum::Json(json!({"remind_months": remind_months(), "items": lines.iter().map(TermLine::json).collect::<Vec<_>>()})).into_response())
}

/// `{held_on, due, present, term_years, note, results: [{member, post, votes}]}`.
async fn api_election(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: Result<axum::Json<Value>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    crate::api::csrf(&u, &headers)?;
    let axum::Json(v) = body.map_err(|e| crate::error::json_rejection(e, "对象：{held_on, due, present, results}"))?;
    let text = |x: Option<&Value>| match x {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    let results = v
        .get("results")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(|r| (text(r.get("member")), text(r.get("post")), text(r.get("votes")))).collect())
        .unwrap_or_default();
    let input = ElectionInput {
        held_on: text(v.get("held_on")),
        due: text(v.get("due")),
        present: text(v.get("present")),
        term_years: text(v.get("term_years")),
        note: text(v.get("note")),
        results,
    };
    let o = org_in_scope(&state, &u, &code).await?;
    match save(&state, &u, &o, &input).await? {
        Ok((id, zh, _)) => {
            let o = state.store.org(&u.scope, &code).await?.ok_or(AppError::NotFound)?;
            Ok((
                StatusCode::CREATED,
                axum::Json(
                    json!({"election": id, "org": code, "term_start": o.record.term_start, "term_end": o.record.term_end(), "remarks": zh}),
                ),
            )
                .into_response())
        }
        Err(errs) => Err(AppError::Invalid(errs).into()),
    }
}
