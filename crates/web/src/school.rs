//! 荣誉 and 学校业务指标 (issue: campaigns, honors, indicators — parts 2 and 3): the honors registry
//! with the counts by year the seed reports, and each school's figures per year with class sizes
//! counted by R6.1; pages, Excel and the API.
use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{Datelike, NaiveDate};
use hongzhu_core::labels::{HonorKind, HonorLevel, Labeled};
use hongzhu_core::school::{HonorInput, IndicatorInput, Indicators};
use hongzhu_store::StoreError;
use hongzhu_store::school::{HonorFilter, HonorRow, SchoolYear};
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
        .route("/honors", get(honors_page))
        .route("/honors.xlsx", get(honors_xlsx))
        .route("/honors/new", get(honor_form).post(honor_create))
        .route("/honors/{id}/delete", post(honor_delete))
        .route("/indicators", get(indicators_page))
        .route("/indicators.xlsx", get(indicators_xlsx))
        .route("/indicators/{code}/{year}", get(indicator_form).post(indicator_save))
        .route("/scorecard", get(scorecard_page))
        .route("/api/v1/scorecard", get(api_scorecard))
        .route("/stats", get(stats_page))
        .route("/stats.xlsx", get(stats_xlsx))
        .route("/api/v1/stats", get(api_stats))
        .route("/api/v1/honors", get(api_honors).post(api_honor_create))
        .route("/api/v1/indicators", get(api_indicators))
        .route("/api/v1/indicators/{code}/{year}", axum::routing::put(api_indicator_save))
}

fn year_of(s: &str, default: i32) -> Result<i32, AppError> {
    if s.trim().is_empty() {
        return Ok(default);
    }
    match s.trim().parse::<i32>() {
        Ok(y) if (1949..=2100).contains(&y) => Ok(y),
        _ => Err(AppError::Invalid(vec![hongzhu_core::registry::FieldError::new(
            "year",
            "year",
            format!("年度“{s}”无效，请写四位年份"),
            "year is a four-digit year",
        )])),
    }
}

// ------------------------------------------------------------------ honors

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct HonorQuery {
    year: String,
    level: String,
    kind: String,
    q: String,
    msg: String,
}

fn honor_filter(q: &HonorQuery) -> Result<HonorFilter, AppError> {
    Ok(HonorFilter {
        year: if q.year.trim().is_empty() { None } else { Some(year_of(&q.year, 0)?) },
        level: HonorLevel::from_code(q.level.trim()),
        kind: HonorKind::from_code(q.kind.trim()),
        q: Some(q.q.clone()).filter(|s| !s.trim().is_empty()),
    })
}

#[derive(Template)]
#[template(path = "honors.html")]
struct HonorsPage {
    c: Chrome,
    q: HonorQuery,
    rows: Vec<HonorRow>,
    levels: Vec<(&'static str, &'static str, bool)>,
    kinds: Vec<(&'static str, &'static str, bool)>,
    /// Year, then counts per kind in `count_kinds` order.
    by_year: Vec<(i32, Vec<usize>, usize)>,
    count_kinds: Vec<&'static str>,
    query: String,
}

fn options<T: Labeled>(t: Tr, selected: &str) -> Vec<(&'static str, &'static str, bool)> {
    T::ALL.iter().map(|v| (v.code(), v.label(t.lang()), v.code() == selected)).collect()
}

async fn honors_page(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<HonorQuery>) -> PageResult {
    allowed(&u)?;
    let f = honor_filter(&q)?;
    let rows = state.store.honors(&u.scope, &f).await?;
    // The counts the seed reports: per year, per kind, of what the filter shows.
    let mut years: BTreeMap<i32, Vec<usize>> = BTreeMap::new();
    for h in &rows {
        let e = years.entry(h.honor.year).or_insert_with(|| vec![0; HonorKind::ALL.len()]);
        if let Some(i) = HonorKind::ALL.iter().position(|k| *k == h.honor.kind) {
            e[i] += 1;
        }
    }
    let by_year = years.into_iter().rev().map(|(y, c)| (y, c.clone(), c.iter().sum())).collect();
    let count_kinds = HonorKind::ALL.iter().map(|k| k.label(t.lang())).collect();
    let query = format!("year={}&level={}&kind={}&q={}", enc(&q.year), enc(&q.level), enc(&q.kind), enc(&q.q));
    let title = l(t, "荣誉", "Honors");
    let c = chrome(&state, t, &u, "honors", title).await.crumb(t.t("menu_campaigns"), "/honors").crumb(title, "/honors");
    let levels = options::<HonorLevel>(t, &q.level);
    let kinds = options::<HonorKind>(t, &q.kind);
    render(HonorsPage { c, q, rows, levels, kinds, by_year, count_kinds, query })
}

async fn honors_xlsx(State(state): State<AppState>, PageUser(u): PageUser, Query(q): Query<HonorQuery>) -> PageResult {
    allowed(&u)?;
    let rows = state.store.honors(&u.scope, &honor_filter(&q)?).await?;
    crate::security::audit(
        &state,
        u.actor.clone(),
        "export",
        "honors".to_string(),
        hongzhu_store::Outcome::Success,
        format!("{} honors; xlsx", rows.len()),
    )
    .await?;
    use hongzhu_ledger::table::Cell;
    let cells: Vec<Vec<Cell>> = rows
        .iter()
        .map(|h| {
            vec![
                Cell::Number(f64::from(h.honor.year)),
                Cell::from(h.honor.title.clone()),
                Cell::from(h.honor.kind.zh()),
                Cell::from(h.honor.level.zh()),
                Cell::from(h.holder_name.clone()),
                Cell::from(h.honor.issuer.clone()),
                Cell::from(h.honor.note.clone()),
            ]
        })
        .collect();
    let columns = [("年度", 7.0), ("荣誉名称", 24.0), ("类别", 14.0), ("级别", 8.0), ("获得者", 30.0), ("授予单位", 24.0), ("备注", 20.0)];
    let bytes = hongzhu_ledger::table::table("党建荣誉登记表", "荣誉", &columns, &cells).map_err(|e| AppError::Internal(e.to_string()))?;
    crate::view::xlsx_response(bytes, "honors.xlsx", &format!("党建荣誉-{}.xlsx", today()))
}

#[derive(Template)]
#[template(path = "honor_form.html")]
struct HonorFormPage {
    c: Chrome,
    f: HonorInput,
    levels: Vec<(&'static str, &'static str, bool)>,
    kinds: Vec<(&'static str, &'static str, bool)>,
    errors: Vec<String>,
}

async fn honor_render(state: &AppState, t: Tr, u: &CurrentUser, f: HonorInput, errors: Vec<String>) -> PageResult {
    let title = l(t, "登记荣誉", "Record an honor");
    let c = chrome(state, t, u, "honors", title)
        .await
        .crumb(t.t("menu_campaigns"), "/honors")
        .crumb(l(t, "荣誉", "Honors"), "/honors")
        .crumb(title, "/honors/new");
    let levels = options::<HonorLevel>(t, &f.level);
    let kinds = options::<HonorKind>(t, &f.kind);
    render(HonorFormPage { c, f, levels, kinds, errors })
}

async fn honor_form(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser) -> PageResult {
    allowed(&u)?;
    let f =
        HonorInput { year: (today().year()).to_string(), level: "city".into(), kind: "demonstration_school".into(), ..Default::default() };
    honor_render(&state, t, &u, f, Vec::new()).await
}

async fn add_honor(
    state: &AppState,
    u: &CurrentUser,
    f: &HonorInput,
) -> Result<Result<i64, Vec<hongzhu_core::registry::FieldError>>, AppError> {
    let h = match f.parse(today()) {
        Ok(h) => h,
        Err(e) => return Ok(Err(e)),
    };
    match state.store.add_honor(&u.scope, &h, &u.user.username).await {
        Ok(id) => Ok(Ok(id)),
        Err(StoreError::Refused(e)) => Ok(Err(vec![e])),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct WithCsrf<T> {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(flatten)]
    inner: T,
}

async fn honor_create(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Form(f): Form<WithCsrf<HonorInput>>,
) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    allowed(&u)?;
    match add_honor(&state, &u, &f.inner).await? {
        Ok(_) => Ok(Redirect::to(&format!("/honors?msg={}", enc(l(t, "已登记", "recorded")))).into_response()),
        Err(e) => {
            let msgs = e.iter().map(|e| e.message(t.lang()).to_string()).collect();
            let mut page = honor_render(&state, t, &u, f.inner, msgs).await?;
            *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(page)
        }
    }
}

#[derive(Deserialize)]
struct CsrfOnly {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

async fn honor_delete(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    allowed(&u)?;
    state.store.delete_honor(&u.scope, id, &u.user.username).await?;
    Ok(Redirect::to(&format!("/honors?msg={}", enc(l(t, "已删除", "deleted")))).into_response())
}

// ------------------------------------------------------------------ school indicators

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct IndicatorQuery {
    year: String,
    q: String,
    oversized: String,
    msg: String,
}

struct IndicatorLine {
    s: SchoolYear,
    average: String,
}

#[derive(Template)]
#[template(path = "indicators.html")]
struct IndicatorsPage {
    c: Chrome,
    q: IndicatorQuery,
    year: i32,
    lines: Vec<IndicatorLine>,
    total: Indicators,
    reported: usize,
    schools: usize,
}

fn sum(rows: &[SchoolYear]) -> Indicators {
    let mut t = Indicators::default();
    for i in rows.iter().filter_map(|r| r.indicators.as_ref()) {
        t.students += i.students;
        t.classes += i.classes;
        t.large_classes += i.large_classes;
        t.oversized_classes += i.oversized_classes;
        t.teachers += i.teachers;
        t.building_m2 += i.building_m2;
        t.poor_supported += i.poor_supported;
        t.investment_yuan += i.investment_yuan;
        if let (Some(a), Some(c)) = (i.admitted, i.candidates) {
            t.admitted = Some(t.admitted.unwrap_or(0) + a);
            t.candidates = Some(t.candidates.unwrap_or(0) + c);
        }
    }
    t
}

async fn school_rows(state: &AppState, u: &CurrentUser, q: &IndicatorQuery) -> Result<(i32, Vec<SchoolYear>, usize), AppError> {
    allowed(u)?;
    // Figures are for a school year ending in the summer: last year's until September.
    let t = today();
    let year = year_of(&q.year, if t.month() >= 9 { t.year() } else { t.year() - 1 })?;
    let all = state.store.school_years(&u.scope, year).await?;
    let schools = all.len();
    let name = q.q.trim();
    let rows = all
        .into_iter()
        .filter(|s| name.is_empty() || s.name.contains(name) || s.code == name)
        .filter(|s| q.oversized != "1" || s.indicators.as_ref().is_some_and(|i| i.large_classes + i.oversized_classes > 0))
        .collect();
    Ok((year, rows, schools))
}

async fn indicators_page(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Query(q): Query<IndicatorQuery>,
) -> PageResult {
    let (year, rows, schools) = school_rows(&state, &u, &q).await?;
    let total = sum(&rows);
    let reported = rows.iter().filter(|r| r.indicators.is_some()).count();
    let lines = rows
        .into_iter()
        .map(|s| IndicatorLine {
            average: s.indicators.as_ref().and_then(Indicators::average_class).map(|a| format!("{a:.1}")).unwrap_or_default(),
            s,
        })
        .collect();
    let title = l(t, "学校业务指标", "School indicators");
    let c = chrome(&state, t, &u, "indicators", title).await.crumb(t.t("menu_reports"), "/indicators").crumb(title, "/indicators");
    render(IndicatorsPage { c, q, year, lines, total, reported, schools })
}

async fn indicators_xlsx(State(state): State<AppState>, PageUser(u): PageUser, Query(q): Query<IndicatorQuery>) -> PageResult {
    let (year, rows, _) = school_rows(&state, &u, &q).await?;
    crate::security::audit(
        &state,
        u.actor.clone(),
        "export",
        format!("school indicators {year}"),
        hongzhu_store::Outcome::Success,
        format!("{} schools; xlsx", rows.len()),
    )
    .await?;
    use hongzhu_ledger::table::Cell;
    let n = |v: i64| Cell::Number(v as f64);
    let opt = |v: Option<i64>| v.map(n).unwrap_or_else(|| Cell::from(""));
    let cells: Vec<Vec<Cell>> = rows
        .iter()
        .map(|s| {
            let mut r = vec![Cell::from(s.code.clone()), Cell::from(s.name.clone()), Cell::from(s.kind.zh())];
            match &s.indicators {
                None => r.push(Cell::from("未填报")),
                Some(i) => r.extend([
                    n(i.students),
                    n(i.classes),
                    Cell::from(i.average_class().map(|a| format!("{a:.1}")).unwrap_or_default()),
                    n(i.large_classes),
                    n(i.oversized_classes),
                    n(i.teachers),
                    opt(i.admitted),
                    opt(i.candidates),
                    n(i.poor_supported),
                    n(i.investment_yuan),
                    n(i.building_m2),
                ]),
            }
            r
        })
        .collect();
    let columns = [
        ("代码", 12.0),
        ("学校", 30.0),
        ("类型", 12.0),
        ("在校生", 8.0),
        ("班级", 6.0),
        ("平均班额", 8.0),
        ("大班额", 7.0),
        ("超大班额", 8.0),
        ("专任教师", 8.0),
        ("本科录取", 8.0),
        ("参加高考", 8.0),
        ("资助困难学生", 10.0),
        ("投入（元）", 12.0),
        ("新建改扩建（㎡）", 12.0),
    ];
    let bytes = hongzhu_ledger::table::table(&format!("{year}年学校业务指标"), &format!("{year}年"), &columns, &cells)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    crate::view::xlsx_response(bytes, &format!("indicators-{year}.xlsx"), &format!("学校业务指标-{year}.xlsx"))
}

#[derive(Template)]
#[template(path = "indicator_form.html")]
struct IndicatorFormPage {
    c: Chrome,
    code: String,
    name: String,
    year: i32,
    f: IndicatorInput,
    version: Option<i64>,
    errors: Vec<String>,
}

fn input_of(i: &Indicators) -> IndicatorInput {
    let o = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
    IndicatorInput {
        class_sizes: String::new(),
        students: i.students.to_string(),
        classes: i.classes.to_string(),
        large_classes: i.large_classes.to_string(),
        oversized_classes: i.oversized_classes.to_string(),
        teachers: i.teachers.to_string(),
        building_m2: i.building_m2.to_string(),
        admitted: o(i.admitted),
        candidates: o(i.candidates),
        poor_supported: i.poor_supported.to_string(),
        investment_yuan: i.investment_yuan.to_string(),
    }
}

async fn school_year(state: &AppState, u: &CurrentUser, code: &str, year: i32) -> Result<SchoolYear, AppError> {
    allowed(u)?;
    state.store.school_years(&u.scope, year).await?.into_iter().find(|s| s.code == code).ok_or(AppError::NotFound)
}

/// The form: what to show in it, the version it was read at, and any refusal's messages.
struct FormState {
    f: IndicatorInput,
    version: Option<i64>,
    errors: Vec<String>,
}

async fn form_render(state: &AppState, t: Tr, u: &CurrentUser, s: SchoolYear, year: i32, fs: FormState) -> PageResult {
    let FormState { f, version, errors } = fs;
    let title = format!("{} · {year}", s.name);
    let c = chrome(state, t, u, "indicators", title)
        .await
        .crumb(l(t, "学校业务指标", "School indicators"), format!("/indicators?year={year}"))
        .crumb(s.name.clone(), format!("/indicators/{}/{year}", s.code));
    render(IndicatorFormPage { c, code: s.code, name: s.name, year, f, version, errors })
}

async fn indicator_form(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Path((code, year)): Path<(String, String)>,
) -> PageResult {
    let year = year_of(&year, today().year())?;
    let s = school_year(&state, &u, &code, year).await?;
    let f = s.indicators.as_ref().map(input_of).unwrap_or_default();
    let version = s.version;
    form_render(&state, t, &u, s, year, FormState { f, version, errors: Vec::new() }).await
}

#[derive(Deserialize)]
struct IndicatorForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    /// The version the form was filled from (S24); empty for a first report.
    #[serde(rename = "_version", default)]
    version: String,
    #[serde(flatten)]
    inner: IndicatorInput,
}

async fn indicator_save(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Path((code, year)): Path<(String, String)>,
    Form(f): Form<IndicatorForm>,
) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    // The school years figures are saved for: the same range the ledger import accepts.
    let year = hongzhu_core::school::check_school_year(&year, today())
        .map_err(|e| AppError::Invalid(vec![hongzhu_core::registry::FieldError::from_invalid("year", e)]))?;
    let s = school_year(&state, &u, &code, year).await?;
    let version = f.version.trim().parse::<i64>().ok();
    let errors = match f.inner.parse() {
        Ok(i) => match state.store.save_indicators(&u.scope, &code, year, &i, version, &u.user.username).await {
            Ok(()) => return Ok(Redirect::to(&format!("/indicators?year={year}&msg=saved")).into_response()),
            Err(StoreError::Stale { .. }) => {
                vec![l(t, "已被他人修改，请刷新后重新填写", "changed by someone else: reload and fill in again").to_string()]
            }
            Err(e) => return Err(e.into()),
        },
        Err(e) => e.iter().map(|e| e.message(t.lang()).to_string()).collect(),
    };
    let mut page = form_render(&state, t, &u, s, year, FormState { f: f.inner, version, errors }).await?;
    *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(page)
}

// ------------------------------------------------------------------ API

async fn api_honors(State(state): State<AppState>, ApiUser(u): ApiUser, Query(q): Query<HonorQuery>) -> ApiResult {
    allowed(&u)?;
    let rows = state.store.honors(&u.scope, &honor_filter(&q)?).await?;
    let mut by_year: BTreeMap<i32, BTreeMap<&'static str, usize>> = BTreeMap::new();
    for h in &rows {
        *by_year.entry(h.honor.year).or_default().entry(h.honor.kind.code()).or_default() += 1;
    }
    Ok(axum::Json(json!({"items": rows, "total": rows.len(), "by_year": by_year})).into_response())
}

async fn api_honor_create(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    headers: HeaderMap,
    body: Result<axum::Json<Value>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    crate::api::csrf(&u, &headers)?;
    allowed(&u)?;
    let f: HonorInput = crate::api::input(body)?;
    match add_honor(&state, &u, &f).await? {
        Ok(id) => Ok((StatusCode::CREATED, axum::Json(json!({"id": id}))).into_response()),
        Err(e) => Err(AppError::Invalid(e).into()),
    }
}

async fn api_indicators(State(state): State<AppState>, ApiUser(u): ApiUser, Query(q): Query<IndicatorQuery>) -> ApiResult {
    let (year, rows, _) = school_rows(&state, &u, &q).await?;
    let total = sum(&rows);
    Ok(axum::Json(json!({"year": year, "schools": rows, "total": total})).into_response())
}

async fn api_indicator_save(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    headers: HeaderMap,
    Path((code, year)): Path<(String, String)>,
    body: Result<axum::Json<Value>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    crate::api::csrf(&u, &headers)?;
    let year = hongzhu_core::school::check_school_year(&year, today())
        .map_err(|e| AppError::Invalid(vec![hongzhu_core::registry::FieldError::from_invalid("year", e)]))?;
    let f: IndicatorInput = crate::api::input(body)?;
    school_year(&state, &u, &code, year).await?;
    // S24: replacing a year's figures needs the version read (If-Match); a first report none.
    let expected = headers.get("if-match").and_then(|v| v.to_str().ok()).and_then(|v| v.trim_matches('"').parse::<i64>().ok());
    let i = f.parse().map_err(AppError::Invalid)?;
    state.store.save_indicators(&u.scope, &code, year, &i, expected, &u.user.username).await?;
    Ok(axum::Json(json!({"code": code, "year": year, "indicators": i, "average_class": i.average_class()})).into_response())
}

// ------------------------------------------------------------------ year-end statistics

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct StatsQuery {
    as_of: String,
}

/// The day asked for; by default the last 31 December.
fn as_of(q: &StatsQuery) -> Result<NaiveDate, AppError> {
    if q.as_of.trim().is_empty() {
        return Ok(NaiveDate::from_ymd_opt(today().year() - 1, 12, 31).expect("valid"));
    }
    hongzhu_core::registry::parse_date(&q.as_of).filter(|d| *d <= today()).ok_or_else(|| {
        AppError::Invalid(vec![hongzhu_core::registry::FieldError::new(
            "as_of",
            "date",
            format!("统计日期“{}”无效：请写作 2025-12-31，且不晚于今天", q.as_of),
            "as_of is a date such as 2025-12-31, not in the future",
        )])
    })
}

async fn year_end(state: &AppState, u: &CurrentUser, q: &StatsQuery) -> Result<hongzhu_core::stats::YearEnd, AppError> {
    allowed(u)?;
    let day = as_of(q)?;
    let (members, orgs, changes) = state.store.stats_facts(&u.scope).await?;
    Ok(hongzhu_core::stats::year_end(&members, &orgs, &changes, day))
}

#[derive(Template)]
#[template(path = "stats.html")]
struct StatsPage {
    c: Chrome,
    y: hongzhu_core::stats::YearEnd,
}

impl StatsPage {
    /// The tables in order: title, rows, id.
    fn sections(&self) -> Vec<(&'static str, &[hongzhu_core::stats::Row], &'static str)> {
        let y = &self.y;
        vec![
            ("性别", &y.by_gender, "gender"),
            ("年龄", &y.by_age, "age"),
            ("学历", &y.by_education, "education"),
            ("入党时间", &y.by_joining, "joining"),
            ("党组织（按类别）", &y.orgs, "orgs"),
            ("本年变化", &y.changes, "changes"),
        ]
    }
}

async fn stats_page(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<StatsQuery>) -> PageResult {
    let y = year_end(&state, &u, &q).await?;
    let title = l(t, "党内统计年报", "Year-end statistics");
    let c = chrome(&state, t, &u, "stats", title).await.crumb(t.t("menu_reports"), "/stats").crumb(title, "/stats");
    render(StatsPage { c, y })
}

async fn stats_xlsx(State(state): State<AppState>, PageUser(u): PageUser, Query(q): Query<StatsQuery>) -> PageResult {
    let y = year_end(&state, &u, &q).await?;
    crate::security::audit(
        &state,
        u.actor.clone(),
        "export",
        format!("year-end statistics {}", y.as_of),
        hongzhu_store::Outcome::Success,
        "xlsx".to_string(),
    )
    .await?;
    use hongzhu_ledger::table::Cell;
    let mut rows: Vec<Vec<Cell>> = vec![
        vec![Cell::from("党员"), Cell::from("党员总数"), Cell::Number(y.members as f64)],
        vec![Cell::from("党员"), Cell::from("正式党员"), Cell::Number(y.full as f64)],
        vec![Cell::from("党员"), Cell::from("预备党员"), Cell::Number(y.probationary as f64)],
    ];
    for (section, list) in [
        ("性别", &y.by_gender),
        ("年龄", &y.by_age),
        ("学历", &y.by_education),
        ("入党时间", &y.by_joining),
        ("党组织", &y.orgs),
        ("本年变化", &y.changes),
    ] {
        for r in list.iter() {
            rows.push(vec![Cell::from(section), Cell::from(r.label.clone()), Cell::Number(r.count as f64)]);
        }
    }
    let bytes = hongzhu_ledger::table::table(
        &format!("党内统计年报（截至 {}）", y.as_of),
        "统计",
        &[("类别", 12.0), ("项目", 36.0), ("数量", 10.0)],
        &rows,
    )
    .map_err(|e| AppError::Internal(e.to_string()))?;
    crate::view::xlsx_response(bytes, &format!("stats-{}.xlsx", y.as_of), &format!("党内统计-{}.xlsx", y.as_of))
}

async fn api_stats(State(state): State<AppState>, ApiUser(u): ApiUser, Query(q): Query<StatsQuery>) -> ApiResult {
    let y = year_end(&state, &u, &q).await?;
    Ok(axum::Json(y).into_response())
}

// ------------------------------------------------------------------ the integration scorecard

pub struct CardLine {
    pub code: String,
    pub name: String,
    pub org: Option<(String, String)>,
    /// Passed of 3; the covering organization's life rate; honors held.
    pub coverage: Option<usize>,
    pub life: Option<f64>,
    pub honors: usize,
    pub indicators: Option<Indicators>,
    pub shares: hongzhu_core::scorecard::Shares,
    pub score: Option<f64>,
}

async fn scorecard_lines(state: &AppState, u: &CurrentUser) -> Result<(i32, Vec<CardLine>), AppError> {
    use std::collections::HashMap;
    allowed(u)?;
    let t = today();
    let region = u.user.region_code.clone().unwrap_or_default();
    let computed = crate::coverage::compute(state, &region, t).await?;
    let passed: HashMap<&str, usize> =
        computed.result.outcomes.iter().map(|o| (o.institution.as_str(), o.passed.iter().filter(|p| **p).count())).collect();
    // The covering organization of each school: its own first, then joint, then attached.
    let mut org_of: HashMap<String, (u8, String)> = HashMap::new();
    for c in &computed.data.coverages {
        let rank = c.mode.preference();
        let e = org_of.entry(c.institution.to_string()).or_insert((rank, c.org.to_string()));
        if rank < e.0 {
            *e = (rank, c.org.to_string());
        }
    }
    let org_names: HashMap<String, String> = computed.data.orgs.iter().map(|o| (o.code.to_string(), o.name.clone())).collect();
    let (compliance, _, _) = crate::life::compute_compliance(state, u, t.year()).await?;
    let life: HashMap<String, f64> =
        compliance.iter().filter(|c| c.due() > 0).map(|c| (c.org.to_string(), f64::from(c.met()) / f64::from(c.due()))).collect();
    let mut honors: HashMap<String, usize> = HashMap::new();
    for h in state.store.honors(&u.scope, &HonorFilter::default()).await? {
        if let Some(i) = h.honor.institution {
            *honors.entry(i).or_default() += 1;
        }
    }
    let school_year = if t.month() >= 9 { t.year() } else { t.year() - 1 };
    let weights = state.scorecard_weights.clone();
    let mut lines: Vec<CardLine> = state
        .store
        .school_years(&u.scope, school_year)
        .await?
        .into_iter()
        .filter(|s| passed.contains_key(s.code.as_str()))
        .map(|s| {
            let org = org_of.get(&s.code).map(|(_, o)| (o.clone(), org_names.get(o).cloned().unwrap_or_default()));
            let coverage = passed.get(s.code.as_str()).copied();
            let life_rate = org.as_ref().and_then(|(o, _)| life.get(o)).copied();
            let h = honors.get(&s.code).copied().unwrap_or(0);
            let i = s.indicators.clone();
            let shares = [
                coverage.map(|p| p as f64 / 3.0),
                life_rate,
                Some((h.min(3) as f64) / 3.0),
                i.as_ref().filter(|i| i.classes > 0).map(|i| 1.0 - (i.large_classes + i.oversized_classes) as f64 / i.classes as f64),
                i.as_ref().and_then(|i| match (i.admitted, i.candidates) {
                    (Some(a), Some(c)) if c > 0 => Some(a as f64 / c as f64),
                    _ => None,
                }),
                Some(if i.is_some() { 1.0 } else { 0.0 }),
            ];
            CardLine {
                score: hongzhu_core::scorecard::score(&shares, &weights),
                code: s.code,
                name: s.name,
                org,
                coverage,
                life: life_rate,
                honors: h,
                indicators: i,
                shares,
            }
        })
        .collect();
    lines.sort_by(|a, b| b.score.unwrap_or(-1.0).total_cmp(&a.score.unwrap_or(-1.0)).then(a.code.cmp(&b.code)));
    Ok((school_year, lines))
}

#[derive(Template)]
#[template(path = "scorecard.html")]
struct ScorecardPage {
    c: Chrome,
    year: i32,
    lines: Vec<CardLine>,
    weights: Vec<(&'static str, f64)>,
}

pub fn pct1(x: &Option<f64>) -> String {
    x.map(|v| format!("{:.1}%", v * 100.0)).unwrap_or_else(|| "—".into())
}

async fn scorecard_page(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser) -> PageResult {
    let (year, lines) = scorecard_lines(&state, &u).await?;
    let title = l(t, "党建与业务融合评价", "Integration scorecard");
    let c = chrome(&state, t, &u, "scorecard", title).await.crumb(t.t("menu_reports"), "/stats").crumb(title, "/scorecard");
    let weights = hongzhu_core::scorecard::CRITERIA
        .iter()
        .zip(state.scorecard_weights.0)
        .map(|(c, w)| (if t.is_en() { c.2 } else { c.1 }, w))
        .collect();
    render(ScorecardPage { c, year, lines, weights })
}

async fn api_scorecard(State(state): State<AppState>, ApiUser(u): ApiUser) -> ApiResult {
    let (year, lines) = scorecard_lines(&state, &u).await?;
    let items: Vec<Value> = lines
        .iter()
        .enumerate()
        .map(|(n, x)| {
            let shares: serde_json::Map<String, Value> = hongzhu_core::scorecard::CRITERIA.iter().zip(x.shares).map(|(c, s)| (c.0.to_string(), json!(s))).collect();
            json!({"rank": n + 1, "institution": x.code, "name": x.name, "org": x.org.as_ref().map(|o| o.0.clone()), "score": x.score, "shares": shares, "coverage_passed": x.coverage, "life": x.life, "honors": x.honors})
        })
        .collect();
    let weights: serde_json::Map<String, Value> =
        hongzhu_core::scorecard::CRITERIA.iter().zip(state.scorecard_weights.0).map(|(c, w)| (c.0.to_string(), json!(w))).collect();
    Ok(axum::Json(json!({"school_year": year, "weights": weights, "items": items})).into_response())
}
