//! 创建评比 (issue: campaigns, part 1): campaigns with the "五个好" indicator system, schools
//! applying and assessing themselves, reviewers scoring independently (never their own school),
//! the combined ranking with the evidence Hongzhu already holds beside it (the coverage audit,
//! honors), and publication.
use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Datelike;
use hongzhu_core::campaign::{self, Combined, five_goods};
use hongzhu_core::labels::{HonorLevel, Labeled};
use hongzhu_store::campaigns::{CampaignRow, EntryRow, IndicatorRow, SELF, Stage};
use hongzhu_store::{Role, Scope, StoreError};
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
        .route("/campaigns", get(list_page).post(create))
        .route("/campaigns/{id}", get(detail_page))
        .route("/campaigns/{id}/apply", post(apply))
        .route("/campaigns/{id}/advance", post(advance))
        .route("/campaigns/{id}/entries/{entry}", get(score_page).post(score_save))
        .route("/api/v1/campaigns/{id}", get(api_campaign))
        .route("/api/v1/campaigns/{id}/entries/{entry}/scores", post(api_scores))
}

fn county_only(u: &CurrentUser) -> Result<(), AppError> {
    if u.role() == Role::CountyAdmin { Ok(()) } else { Err(AppError::Forbidden) }
}

/// Who scores as what: a secretary assesses their own school (`self`); the county's staff review.
fn assessor(u: &CurrentUser) -> String {
    if u.role() == Role::Secretary { SELF.to_string() } else { u.user.username.clone() }
}

// ------------------------------------------------------------------ list and create

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ListQuery {
    msg: String,
}

#[derive(Template)]
#[template(path = "campaigns.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<CampaignRow>,
    levels: Vec<(&'static str, &'static str)>,
    year: i32,
    msg: String,
    can_create: bool,
}

async fn list_page(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<ListQuery>) -> PageResult {
    allowed(&u)?;
    let rows = state.store.campaigns().await?;
    let title = l(t, "创建评比", "Campaigns");
    let c = chrome(&state, t, &u, "campaigns", title).await.crumb(title, "/campaigns");
    let levels = HonorLevel::ALL.iter().map(|v| (v.code(), v.label(t.lang()))).collect();
    render(ListPage { c, rows, levels, year: today().year(), msg: q.msg, can_create: u.role() == Role::CountyAdmin })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CreateForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    name: String,
    year: String,
    level: String,
}

async fn create(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Form(f): Form<CreateForm>) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    county_only(&u)?;
    let back = |msg: &str| Redirect::to(&format!("/campaigns?msg={}", enc(msg))).into_response();
    let Some(year) = f.year.trim().parse::<i32>().ok().filter(|y| (2000..=today().year() + 1).contains(y)) else {
        return Ok(back(l(t, "年度无效：请写四位年份", "the year is a four-digit year")));
    };
    let Some(level) = HonorLevel::parse(&f.level) else {
        return Ok(back(l(t, "级别无效", "the level is not valid")));
    };
    match state.store.create_campaign(&f.name, year, level, &five_goods(), &u.user.username).await {
        Ok(id) => Ok(Redirect::to(&format!("/campaigns/{id}")).into_response()),
        Err(StoreError::Refused(e)) => Ok(back(e.message(t.lang()))),
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------------ one campaign

struct Ranked {
    rank: usize,
    e: EntryRow,
    self_total: Option<f64>,
    combined: Combined,
    /// Evidence from the records: checks passed in the coverage audit (of 3), honors held.
    coverage: Option<usize>,
    honors: usize,
}

/// The entries ranked by the reviewers' combined total (then by self-assessment, then name).
fn rank(indicators: &[IndicatorRow], entries: Vec<EntryRow>) -> Vec<(EntryRow, Option<f64>, Combined)> {
    let list: Vec<campaign::Indicator> = indicators.iter().map(|i| i.indicator.clone()).collect();
    let mut out: Vec<(EntryRow, Option<f64>, Combined)> = entries
        .into_iter()
        .map(|e| {
            let by = |who: &str| -> Vec<Option<f64>> {
                indicators.iter().map(|i| e.scores.iter().find(|s| s.reviewer == who && s.indicator_id == i.id).map(|s| s.score)).collect()
            };
            let mut reviewers: Vec<&str> = e.scores.iter().map(|s| s.reviewer.as_str()).filter(|r| *r != SELF).collect();
            reviewers.sort_unstable();
            reviewers.dedup();
            let sheets: Vec<Vec<Option<f64>>> = reviewers.iter().map(|r| by(r)).collect();
            let own = by(SELF);
            let self_total = own.iter().any(Option::is_some).then(|| campaign::round1(own.iter().flatten().sum()));
            let combined = campaign::combine(&list, &sheets);
            (e, self_total, combined)
        })
        .collect();
    out.sort_by(|a, b| {
        b.2.total.total_cmp(&a.2.total).then(b.1.unwrap_or(0.0).total_cmp(&a.1.unwrap_or(0.0))).then(a.0.name.cmp(&b.0.name))
    });
    out
}

#[derive(Template)]
#[template(path = "campaign.html")]
struct DetailPage {
    c: Chrome,
    k: CampaignRow,
    indicators: Vec<IndicatorRow>,
    rows: Vec<Ranked>,
    schools: Vec<(String, String)>,
    is_county: bool,
    msg: String,
}

async fn evidence(state: &AppState, u: &CurrentUser) -> Result<(HashMap<String, usize>, HashMap<String, usize>), AppError> {
    let region = u.user.region_code.clone().unwrap_or_default();
    let computed = crate::coverage::compute(state, &region, hongzhu_core::life::to_local(chrono::Utc::now()).date()).await?;
    let coverage = computed.result.outcomes.iter().map(|o| (o.institution.clone(), o.passed.iter().filter(|p| **p).count())).collect();
    let mut honors: HashMap<String, usize> = HashMap::new();
    for h in state.store.honors(&Scope::All, &Default::default()).await? {
        if let Some(i) = h.honor.institution {
            *honors.entry(i).or_default() += 1;
        }
    }
    Ok((coverage, honors))
}

async fn detail_page(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    Query(q): Query<ListQuery>,
) -> PageResult {
    allowed(&u)?;
    let (k, indicators, entries) = state.store.campaign(id, &u.scope).await?;
    let (coverage, honors) = evidence(&state, &u).await?;
    let rows = rank(&indicators, entries)
        .into_iter()
        .enumerate()
        .map(|(n, (e, self_total, combined))| Ranked {
            rank: n + 1,
            coverage: coverage.get(&e.institution).copied(),
            honors: honors.get(&e.institution).copied().unwrap_or(0),
            e,
            self_total,
            combined,
        })
        .collect();
    let schools = state
        .store
        .institutions(&u.scope, &hongzhu_store::InstitutionFilter { page: 1, page_size: 500, ..Default::default() })
        .await?
        .items
        .into_iter()
        .map(|i| (i.record.code.to_string(), i.record.name))
        .collect();
    let c = chrome(&state, t, &u, "campaigns", k.name.clone())
        .await
        .crumb(l(t, "创建评比", "Campaigns"), "/campaigns")
        .crumb(k.name.clone(), format!("/campaigns/{id}"));
    render(DetailPage { c, k, indicators, rows, schools, is_county: u.role() == Role::CountyAdmin, msg: q.msg })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ApplyForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    institution: String,
}

async fn apply(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<ApplyForm>,
) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    allowed(&u)?;
    let msg = match state.store.apply_to_campaign(id, &u.scope, &f.institution, today(), &u.user.username).await {
        Ok(_) => l(t, "已申报", "applied").to_string(),
        Err(StoreError::Refused(e)) => e.message(t.lang()).to_string(),
        Err(e) => return Err(e.into()),
    };
    Ok(Redirect::to(&format!("/campaigns/{id}?msg={}", enc(&msg))).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CsrfForm {
    #[serde(rename = "_csrf")]
    csrf: String,
}

async fn advance(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    county_only(&u)?;
    let msg = match state.store.advance_campaign(id, &u.user.username).await {
        Ok(s) => if t.is_en() { s.en() } else { s.zh() }.to_string(),
        Err(StoreError::Refused(e)) => e.message(t.lang()).to_string(),
        Err(e) => return Err(e.into()),
    };
    Ok(Redirect::to(&format!("/campaigns/{id}?msg={}", enc(&msg))).into_response())
}

// ------------------------------------------------------------------ scoring

#[derive(Template)]
#[template(path = "campaign_score.html")]
struct ScorePage {
    c: Chrome,
    k: CampaignRow,
    e: EntryRow,
    indicators: Vec<IndicatorRow>,
    /// What Hongzhu's records say for an indicator's evidence (by its evidence text): a summary
    /// and the page with the records.
    found: HashMap<String, (String, String)>,
    mine: HashMap<i64, String>,
    own: HashMap<i64, f64>,
    as_self: bool,
    errors: Vec<String>,
}

async fn entry_of(state: &AppState, u: &CurrentUser, id: i64, entry: i64) -> Result<(CampaignRow, Vec<IndicatorRow>, EntryRow), AppError> {
    allowed(u)?;
    let (k, indicators, entries) = state.store.campaign(id, &u.scope).await?;
    let e = entries.into_iter().find(|e| e.id == entry).ok_or(AppError::NotFound)?;
    Ok((k, indicators, e))
}

async fn score_render(
    state: &AppState,
    t: Tr,
    u: &CurrentUser,
    id: i64,
    entry: i64,
    typed: Option<(HashMap<i64, String>, Vec<String>)>,
) -> PageResult {
    let (k, indicators, e) = entry_of(state, u, id, entry).await?;
    let who = assessor(u);
    let own: HashMap<i64, f64> = e.scores.iter().filter(|s| s.reviewer == SELF).map(|s| (s.indicator_id, s.score)).collect();
    let (mine, errors) = typed.unwrap_or_else(|| {
        (e.scores.iter().filter(|s| s.reviewer == who).map(|s| (s.indicator_id, s.score.to_string())).collect(), Vec::new())
    });
    let title = format!("{} · {}", e.name, l(t, "评分", "scores"));
    let c = chrome(state, t, u, "campaigns", title)
        .await
        .crumb(l(t, "创建评比", "Campaigns"), "/campaigns")
        .crumb(k.name.clone(), format!("/campaigns/{id}"))
        .crumb(e.name.clone(), format!("/campaigns/{id}/entries/{entry}"));
    let found = record_evidence(state, &e, k.year).await?;
    render(ScorePage { c, k, e, indicators, found, mine, own, as_self: who == SELF, errors })
}

impl ScorePage {
    fn found_for(&self, evidence: &str) -> Option<&(String, String)> {
        self.found.get(evidence)
    }
}

/// Evidence drawn from the records instead of typed again (issue: campaigns): for the default
/// indicators' evidence, what Hongzhu holds about the school in the campaign's year.
async fn record_evidence(state: &AppState, e: &EntryRow, year: i32) -> Result<HashMap<String, (String, String)>, AppError> {
    use hongzhu_store::commitments::Whose;
    let mut out = HashMap::new();
    let code = e.institution.clone();
    let one = Scope::Within { orgs: vec![], institutions: vec![e.institution_id] };
    let yes = |b: bool| if b { "✓" } else { "✗" };
    // 1.1 三个全覆盖: the audit of the school's county (cached while the data stands), whoever asks.
    let region = match state.store.institution(&Scope::All, &code).await? {
        Some(i) => i.record.town.county().to_string(),
        None => return Ok(out),
    };
    let computed = crate::coverage::compute(state, &region, hongzhu_core::life::to_local(chrono::Utc::now()).date()).await?;
    if let Some(o) = computed.result.outcomes.iter().find(|o| o.institution == code) {
        out.insert(
            "三个全覆盖核查：班子党员全覆盖".to_string(),
            (
                format!(
                    "今日核查：党员全覆盖 {}，班子党员全覆盖 {}，党组织全覆盖 {}",
                    yes(o.passed[0]),
                    yes(o.passed[1]),
                    yes(o.passed[2])
                ),
                format!("/institutions/{code}"),
            ),
        );
    }
    // 2.1 党员名册、先锋岗.
    let teachers = state.store.members_at_school(e.institution_id).await?;
    let ids: Vec<i64> = teachers.iter().map(|m| m.id).collect();
    let mut posts = 0;
    let mut kept = 0;
    if !ids.is_empty() {
        // The organizations of the members teaching at the school.
        let mut member_orgs: Vec<i64> = teachers.iter().map(|m| m.org_id).collect();
        member_orgs.sort_unstable();
        member_orgs.dedup();
        posts = state.store.vanguard_posts(Whose::Orgs(&member_orgs), year).await?.iter().filter(|p| ids.contains(&p.member_id)).count();
        kept = state
            .store
            .commitments(Whose::Orgs(&member_orgs), year)
            .await?
            .iter()
            .filter(|c| ids.contains(&c.member_id) && c.end_grade.or(c.mid_grade) == Some(hongzhu_core::labels::ReviewGrade::Good))
            .count();
    }
    out.insert(
        "党员名册、党员先锋岗".to_string(),
        (format!("在校党员 {} 名，{year}年先锋岗示范岗 {posts} 个", teachers.len()), format!("/members?institution={code}")),
    );
    // 2.2 发展党员.
    let pipeline = state.store.youth_pipeline(&one, hongzhu_core::life::to_local(chrono::Utc::now()).date()).await?;
    let p = pipeline.first().cloned().unwrap_or_default();
    out.insert(
        "发展党员台账、双培养".to_string(),
        (
            format!("35 岁及以下青年教师在发展中 {} 人，28 岁及以下团员教师 {} 人", p.young_on_the_way, p.league),
            format!("/development/people?institution={code}"),
        ),
    );
    // 3.1 组织生活: the year's activities of the organizations covering the school, held and
    // submitted or accepted (as the compliance figures count them; plans and drafts do not count).
    let covering_rows = state.store.coverages_of_institution(e.institution_id).await?;
    let mut held = 0;
    for c in &covering_rows {
        for status in [hongzhu_core::labels::ActivityStatus::Submitted, hongzhu_core::labels::ActivityStatus::Accepted] {
            let f = hongzhu_store::ActivityFilter {
                org: Some(c.org.to_string()),
                status: Some(status),
                from: chrono::NaiveDate::from_ymd_opt(year, 1, 1),
                to: chrono::NaiveDate::from_ymd_opt(year, 12, 31),
                page: 1,
                page_size: 1,
                ..Default::default()
            };
            held += state.store.activities(&Scope::All, &f).await?.total;
        }
    }
    let first_org = covering_rows.first().map(|c| c.org.to_string()).unwrap_or_default();
    out.insert("组织生活落实情况".to_string(), (format!("{year}年已提交或审核的组织生活记录 {held} 次"), format!("/life?org={first_org}")));
    // 4.1 学校业务指标: the school year that ended in the campaign's year (Y−1 to Y).
    let school_year = year - 1;
    if let Some(y) = state.store.school_years(&one, school_year).await?.into_iter().next()
        && let Some(i) = y.indicators
    {
        let admission = match (i.admitted, i.candidates) {
            (Some(a), Some(c)) if c > 0 => format!("，本科录取 {a}/{c}"),
            _ => String::new(),
        };
        out.insert(
            "学校业务指标".to_string(),
            (
                format!(
                    "{school_year}学年：在校生 {}，{} 个班，大班额 {}、超大班额 {}{admission}",
                    i.students, i.classes, i.large_classes, i.oversized_classes
                ),
                format!("/indicators/{code}/{school_year}"),
            ),
        );
    }
    // 4.2 荣誉: the school's, up to the campaign's year.
    let filter = hongzhu_store::school::HonorFilter { q: Some(e.name.clone()), ..Default::default() };
    let honors: Vec<_> = state
        .store
        .honors(&Scope::All, &filter)
        .await?
        .into_iter()
        .filter(|h| h.honor.institution.as_deref() == Some(code.as_str()) && h.honor.year <= year)
        .collect();
    let latest =
        honors.iter().max_by_key(|h| h.honor.year).map(|h| format!("，最近：{}年{}", h.honor.year, h.honor.title)).unwrap_or_default();
    out.insert(
        "荣誉登记".to_string(),
        (format!("截至{year}年登记荣誉 {} 项{latest}", honors.len()), format!("/honors?q={}", crate::view::enc(&e.name))),
    );
    // 5.1 群众反映: residents' concerns answered at the covering organizations' stations, commitments kept.
    let mut covering = Vec::new();
    for c in &covering_rows {
        if let Some(o) = state.store.org_id(c.org.as_str()).await? {
            covering.push(o);
        }
    }
    let stations: Vec<i64> = state.store.stations(Some(&covering)).await?.iter().map(|s| s.id).collect();
    let concerns = state.store.concerns(&stations).await?;
    let answered = concerns.iter().filter(|c| c.state == hongzhu_core::service::ConcernState::Answered).count();
    out.insert(
        "满意度调查".to_string(),
        (format!("居民说事累计已答复 {answered}/{} 件，{year}年党员承诺践诺好 {kept} 条", concerns.len()), "/service/concerns".to_string()),
    );
    Ok(out)
}

async fn score_page(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Path((id, entry)): Path<(i64, i64)>,
) -> PageResult {
    score_render(&state, t, &u, id, entry, None).await
}

/// The reviewer's own schools: where the person behind the account works (they stand aside).
async fn own_schools(state: &AppState, u: &CurrentUser) -> Result<Vec<i64>, AppError> {
    let Some(person) = u.user.person_id else { return Ok(Vec::new()) };
    Ok(state.store.institutions_of_person(person).await?)
}

/// Parse `score_{indicator}` fields; empty ones are not scored.
fn scores_of(f: &HashMap<String, String>, indicators: &[IndicatorRow], t: Tr) -> Result<Vec<(i64, f64)>, Vec<String>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for i in indicators {
        let v = f.get(&format!("score_{}", i.id)).map(|s| s.trim()).unwrap_or("");
        if v.is_empty() {
            continue;
        }
        match hongzhu_core::normalize_width(v).parse::<f64>() {
            Ok(x) => out.push((i.id, x)),
            Err(_) => errors.push(if t.is_en() {
                format!("{}: “{v}” is not a number", i.indicator.code)
            } else {
                format!("指标 {} 的得分“{v}”不是数字", i.indicator.code)
            }),
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

async fn score_save(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Path((id, entry)): Path<(i64, i64)>,
    body: String,
) -> PageResult {
    let f: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    auth::check_csrf(&u, f.get("_csrf").map(String::as_str))?;
    let (_, indicators, _) = entry_of(&state, &u, id, entry).await?;
    let typed: HashMap<i64, String> =
        indicators.iter().map(|i| (i.id, f.get(&format!("score_{}", i.id)).cloned().unwrap_or_default())).collect();
    let errors = match scores_of(&f, &indicators, t) {
        Ok(scores) => {
            match state.store.save_campaign_scores(entry, &assessor(&u), &scores, &own_schools(&state, &u).await?, &u.user.username).await {
                Ok(()) => {
                    return Ok(Redirect::to(&format!("/campaigns/{id}?msg={}", enc(l(t, "评分已保存", "scores saved")))).into_response());
                }
                Err(StoreError::Refused(e)) => vec![e.message(t.lang()).to_string()],
                Err(e) => return Err(e.into()),
            }
        }
        Err(e) => e,
    };
    let mut page = score_render(&state, t, &u, id, entry, Some((typed, errors))).await?;
    *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(page)
}

// ------------------------------------------------------------------ API

async fn api_campaign(State(state): State<AppState>, ApiUser(u): ApiUser, Path(id): Path<i64>) -> ApiResult {
    allowed(&u)?;
    let (k, indicators, entries) = state.store.campaign(id, &u.scope).await?;
    let ranking: Vec<Value> = rank(&indicators, entries)
        .into_iter()
        .enumerate()
        .map(|(n, (e, self_total, c))| json!({"rank": n + 1, "entry": e.id, "institution": e.institution, "name": e.name, "self_total": self_total, "reviewers": c.reviewers, "total": c.total, "per_indicator": c.per_indicator}))
        .collect();
    Ok(axum::Json(json!({"campaign": k, "indicators": indicators, "ranking": ranking})).into_response())
}

/// `{scores: {"<indicator id>": score, …}}`: a secretary's self-assessment, a reviewer's scores.
async fn api_scores(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    headers: HeaderMap,
    Path((id, entry)): Path<(i64, i64)>,
    body: Result<axum::Json<Value>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    crate::api::csrf(&u, &headers)?;
    let axum::Json(v) = body.map_err(|e| crate::error::json_rejection(e, "对象：{scores: {指标编号: 分数}}"))?;
    let (_, indicators, _) = entry_of(&state, &u, id, entry).await?;
    let mut f: HashMap<String, String> = HashMap::new();
    if let Some(m) = v.get("scores").and_then(Value::as_object) {
        for (k, s) in m {
            f.insert(
                format!("score_{k}"),
                match s {
                    Value::String(x) => x.clone(),
                    other => other.to_string(),
                },
            );
        }
    }
    let scores = scores_of(&f, &indicators, Tr(crate::i18n::Locale::Zh)).map_err(|e| {
        AppError::Invalid(
            e.into_iter().map(|m| hongzhu_core::registry::FieldError::new("scores", "number", m, "a score is not a number")).collect(),
        )
    })?;
    state.store.save_campaign_scores(entry, &assessor(&u), &scores, &own_schools(&state, &u).await?, &u.user.username).await?;
    Ok(axum::Json(json!({"entry": entry, "saved": scores.len(), "as": assessor(&u)})).into_response())
}

/// The stage's label for templates.
pub fn stage_label(s: &Stage, t: &Tr) -> &'static str {
    if t.is_en() { s.en() } else { s.zh() }
}
