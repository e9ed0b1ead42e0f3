//! 覆盖情况: the coverage audit on a page (rates, charts, tables by town, kind and ownership,
//! findings with their rules and remedies, proposed joint branches), its print view and Excel
//! export, snapshots and their trend, comparing two dates, and rectification tasks (整改).
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{NaiveDate, Utc};
use hongzhu_core::coverage::{AuditResult, AuditSettings, Check, Gap, Names, RemedyKind, audit, warning_zh};
use hongzhu_core::labels::*;
use hongzhu_core::registry::{FieldError, parse_date};
use hongzhu_core::synth::Dataset;
use hongzhu_store::{InstitutionFilter, NewTask, Role, SnapshotRow, TaskRow, TaskStatus};
use serde::Deserialize;
use std::result::Result;

use crate::AppState;
use crate::auth::{self, CurrentUser, Lang, PageUser};
use crate::charts;
use crate::error::{ApiError, AppError};
use crate::i18n::Tr;
use crate::view::*;

type PageResult = Result<Response, AppError>;

/// The audit computed last, keyed by region, date and the data's version.
#[derive(Clone, Default)]
pub struct AuditCache(Arc<tokio::sync::Mutex<CacheSlot>>);

type CacheSlot = Option<(CacheKey, Arc<Computed>)>;

/// Region, date and data version.
type CacheKey = (String, NaiveDate, i64);

/// An audit with the registry it was computed from.
pub struct Computed {
    pub result: AuditResult,
    pub data: Dataset,
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/coverage", get(page))
        .route("/coverage/print", get(print))
        .route("/coverage/export.xlsx", get(export))
        .route("/coverage/snapshots", post(save_snapshot))
        .route("/coverage/compare", get(compare))
        .route("/coverage/tasks", get(tasks))
        .route("/coverage/tasks/new", get(task_form).post(task_create))
        .route("/coverage/tasks/{id}", post(task_update))
        .route("/api/v1/coverage", get(api_coverage))
}

/// Why an audit cannot be run for the request: the field and the message.
fn bad(field: &'static str, zh: String, en: String) -> AppError {
    AppError::Invalid(vec![FieldError::new(field, "invalid", zh, en)])
}

pub fn parse_as_of(s: &str) -> Result<NaiveDate, AppError> {
    if s.trim().is_empty() {
        return Ok(Utc::now().date_naive());
    }
    parse_date(s).ok_or_else(|| {
        bad("as_of", format!("核查日期“{s}”无效，请写作 2026-11-26"), format!("as_of \"{s}\" is not a date: write 2026-11-26"))
    })
}

/// Run (or reuse) the audit of a region as of a date.
pub async fn compute(state: &AppState, region: &str, as_of: NaiveDate) -> Result<Arc<Computed>, AppError> {
    if !region.is_empty() && state.store.region(region).await?.is_none() {
        return Err(bad("region", format!("区划“{region}”不存在"), format!("no region {region}")));
    }
    if let Some(first) = state.store.earliest_record_date(region).await?
        && as_of < first
    {
        return Err(bad("as_of", format!("{as_of} 之前没有数据：最早的记录日期是 {first}"), format!("there is no data before {first}")));
    }
    let version = state.store.data_version().await?;
    let key = (region.to_string(), as_of, version);
    let mut cache = state.audit_cache.0.lock().await;
    if let Some((k, c)) = cache.as_ref()
        && *k == key
    {
        return Ok(c.clone());
    }
    let mut data = state.store.load_registry_for_audit(region).await?;
    let result = audit(&data, as_of, region, &AuditSettings::default());
    // The pages need names, organizations, coverage and members, not the staff: keep the cache small.
    data.staff = Vec::new();
    data.persons = Vec::new();
    let computed = Arc::new(Computed { result, data });
    *cache = Some((key, computed.clone()));
    Ok(computed)
}

/// The region a user audits and, for a secretary, the institutions they may see.
async fn user_region(state: &AppState, u: &CurrentUser) -> Result<(String, Option<HashSet<String>>), AppError> {
    match u.role() {
        Role::Member | Role::SystemAdmin | Role::SecurityAdmin | Role::AuditAdmin => Err(AppError::Forbidden),
        Role::CountyAdmin => Ok((u.user.region_code.clone().unwrap_or_default(), None)),
        Role::Secretary => {
            let codes = state
                .store
                .institutions(&u.scope, &InstitutionFilter { page: 1, page_size: 500, ..Default::default() })
                .await?
                .items
                .into_iter()
                .map(|i| i.record.code.to_string())
                .collect();
            Ok((u.user.region_code.clone().unwrap_or_default(), Some(codes)))
        }
    }
}

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

/// Rates of a set of outcomes.
fn rates_of<'a>(outcomes: impl Iterator<Item = &'a [bool; 3]>) -> (usize, [f64; 3]) {
    let mut n = 0;
    let mut pass = [0usize; 3];
    for o in outcomes {
        n += 1;
        for k in 0..3 {
            if o[k] {
                pass[k] += 1;
            }
        }
    }
    (n, pass.map(|p| hongzhu_core::coverage::rate(p, n)))
}

struct GroupRow {
    key: String,
    label: String,
    operating: usize,
    rates: [String; 3],
    /// "−3" when three institutions fail the check, else empty.
    failing: [String; 3],
    findings: usize,
}

struct Link {
    label: String,
    href: String,
}

struct FindingView {
    check: &'static str,
    gap_code: &'static str,
    gap: &'static str,
    rule: &'static str,
    remedy: String,
    links: Vec<Link>,
    task_href: String,
    has_task: bool,
}

struct InstitutionFindings {
    code: String,
    name: String,
    kind: &'static str,
    town: String,
    items: Vec<FindingView>,
}

struct GroupView {
    id: String,
    members: Vec<Link>,
    full: usize,
}

struct WarningView {
    org: String,
    org_name: String,
    code: &'static str,
    text: &'static str,
    ends_on: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CoverageQuery {
    as_of: String,
    town: String,
    check: String,
}

/// Everything the page and the print view show.
struct Report {
    as_of: NaiveDate,
    region_name: String,
    operating: usize,
    planned: usize,
    rates: [String; 3],
    finding_count: usize,
    by_town: Vec<GroupRow>,
    by_kind: Vec<GroupRow>,
    by_ownership: Vec<GroupRow>,
    institutions: Vec<InstitutionFindings>,
    groups: Vec<GroupView>,
    warnings: Vec<WarningView>,
    town_chart: String,
    kind_chart: String,
}

async fn report(
    state: &AppState,
    u: &CurrentUser,
    t: Tr,
    as_of: NaiveDate,
    town: &str,
    check: &str,
) -> Result<(Report, Arc<Computed>), AppError> {
    let (region, visible) = user_region(state, u).await?;
    let c = compute(state, &region, as_of).await?;
    let a = &c.result;
    let names = Names::new(&c.data);
    let region_name = match region.as_str() {
        "" => "全部区划".to_string(),
        r => state.store.region(r).await?.map(|x| x.record.name).unwrap_or_default(),
    };
    let town_names: HashMap<String, String> = c.data.regions.iter().map(|r| (r.code.to_string(), r.name.clone())).collect();
    let sees = |code: &str| visible.as_ref().is_none_or(|v| v.contains(code));
    let outcomes: Vec<(&hongzhu_core::registry::Institution, [bool; 3])> = a
        .outcomes
        .iter()
        .filter(|o| sees(&o.institution))
        .filter_map(|o| names.institution(&o.institution).map(|i| (i, o.passed)))
        .collect();
    let findings: Vec<&hongzhu_core::coverage::Finding> = a.findings.iter().filter(|f| sees(&f.institution)).collect();
    let (operating, rates) = rates_of(outcomes.iter().map(|o| &o.1));
    let planned =
        if visible.is_none() { a.institutions.planned } else { findings.iter().filter(|f| f.gap == Gap::PlannedWithoutOrg).count() };

    let group_by = |key: &dyn Fn(&hongzhu_core::registry::Institution) -> (String, String)| -> Vec<GroupRow> {
        let mut m: BTreeMap<String, (String, Vec<[bool; 3]>, usize)> = BTreeMap::new();
        for (i, p) in &outcomes {
            let (k, label) = key(i);
            m.entry(k).or_insert_with(|| (label, Vec::new(), 0)).1.push(*p);
        }
        for f in &findings {
            if let Some(i) = names.institution(&f.institution) {
                let (k, label) = key(i);
                m.entry(k).or_insert_with(|| (label, Vec::new(), 0)).2 += 1;
            }
        }
        m.into_iter()
            .map(|(k, (label, ps, nf))| {
                let (n, r) = rates_of(ps.iter());
                let failing = [0, 1, 2].map(|x| match ps.iter().filter(|p| !p[x]).count() {
                    0 => String::new(),
                    n => format!("−{n}"),
                });
                GroupRow { key: k, label, operating: n, rates: r.map(pct), failing, findings: nf }
            })
            .collect()
    };
    let by_town = group_by(&|i| (i.town.to_string(), town_names.get(i.town.as_str()).cloned().unwrap_or_else(|| i.town.to_string())));
    let by_kind = group_by(&|i| (i.kind.code().to_string(), i.kind.label(t.lang()).to_string()));
    let by_ownership = group_by(&|i| (i.ownership.code().to_string(), i.ownership.label(t.lang()).to_string()));

    let open_tasks: HashSet<(String, String)> = state
        .store
        .tasks(&region, None)
        .await?
        .into_iter()
        .filter(|x| x.status != TaskStatus::Verified)
        .map(|x| (x.institution, x.gap))
        .collect();
    let check_filter = Check::ALL.into_iter().find(|c| c.code() == check);
    let mut institutions: Vec<InstitutionFindings> = Vec::new();
    for f in &findings {
        let Some(i) = names.institution(&f.institution) else { continue };
        if !town.is_empty() && i.town.as_str() != town {
            continue;
        }
        if check_filter.is_some_and(|c| c != f.check) {
            continue;
        }
        let mut links = Vec::new();
        if let Some(target) = &f.remedy.target {
            links.push(Link { label: names.institution_name(target), href: format!("/institutions/{target}") });
            if let Some(o) = names.own_org(target) {
                links.push(Link { label: names.org_name(o), href: format!("/orgs/{o}") });
            }
        }
        if let Some(o) = &f.remedy.org {
            links.push(Link { label: names.org_name(o), href: format!("/orgs/{o}") });
        }
        if let Some(m) = &f.remedy.members {
            for code in m.iter().filter(|c| *c != &f.institution) {
                links.push(Link { label: names.institution_name(code), href: format!("/institutions/{code}") });
            }
        }
        let view = FindingView {
            check: if t.is_en() { f.check.en() } else { f.check.zh() },
            gap_code: f.gap.code(),
            gap: if t.is_en() { f.gap.en() } else { f.gap.zh() },
            rule: f.rule,
            remedy: names.remedy_zh(&f.institution, &f.remedy),
            links,
            task_href: format!("/coverage/tasks/new?institution={}&gap={}&as_of={}", enc(&f.institution), f.gap.code(), as_of),
            has_task: open_tasks.contains(&(f.institution.clone(), f.gap.code().to_string())),
        };
        match institutions.last_mut() {
            Some(last) if last.code == f.institution => last.items.push(view),
            _ => institutions.push(InstitutionFindings {
                code: f.institution.clone(),
                name: i.name.clone(),
                kind: i.kind.label(t.lang()),
                town: town_names.get(i.town.as_str()).cloned().unwrap_or_default(),
                items: vec![view],
            }),
        }
    }

    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in &findings {
        if f.remedy.kind == RemedyKind::JoinJoint
            && let (Some(g), Some(m)) = (&f.remedy.group, &f.remedy.members)
        {
            groups.insert(g.clone(), m.clone());
        }
    }
    let full_of = |code: &str| {
        c.data
            .members
            .iter()
            .filter(|m| m.category == MemberCategory::Full && m.work_institution.as_ref().is_some_and(|w| w.as_str() == code))
            .count()
    };
    let mut groups: Vec<GroupView> = groups
        .into_iter()
        .map(|(id, m)| GroupView {
            full: m.iter().map(|code| full_of(code)).sum(),
            members: m.iter().map(|code| Link { label: names.institution_name(code), href: format!("/institutions/{code}") }).collect(),
            id,
        })
        .collect();
    groups.sort_by_key(|g| g.id[1..].parse::<usize>().unwrap_or(0));
    // A secretary sees the warnings of the organizations covering their institutions.
    let visible_orgs: Option<HashSet<&str>> = visible
        .as_ref()
        .map(|v| c.data.coverages.iter().filter(|cv| v.contains(cv.institution.as_str())).map(|cv| cv.org.as_str()).collect());
    let warnings = a
        .warnings
        .iter()
        .filter(|w| visible_orgs.as_ref().is_none_or(|o| o.contains(w.org.as_str())))
        .map(|w| WarningView {
            org: w.org.clone(),
            org_name: names.org_name(&w.org),
            code: w.code,
            text: warning_zh(w.code),
            ends_on: w.ends_on.map(|d| d.to_string()).unwrap_or_default(),
        })
        .collect();

    let labels = |g: &Vec<GroupRow>| g.iter().map(|r| r.label.clone()).collect::<Vec<_>>();
    let series = |g: &Vec<GroupRow>| -> Vec<(&'static str, &'static str, Vec<f64>)> {
        Check::ALL
            .iter()
            .enumerate()
            .map(|(k, ch)| {
                (
                    if t.is_en() { ch.en() } else { ch.zh() },
                    charts::CHECK_COLOURS[k],
                    g.iter().map(|r| r.rates[k].trim_end_matches('%').parse::<f64>().unwrap_or(0.0) / 100.0).collect(),
                )
            })
            .collect()
    };
    let town_chart = charts::rate_bars(if t.is_en() { "Rates by town" } else { "各乡镇街道覆盖率" }, &labels(&by_town), &series(&by_town));
    let mut kind_counts: Vec<(String, usize)> = by_kind.iter().map(|r| (r.label.clone(), r.findings)).filter(|x| x.1 > 0).collect();
    kind_counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let kind_chart =
        charts::count_bars(if t.is_en() { "Findings by kind of school" } else { "各类学校问题数" }, &kind_counts, charts::CHECK_COLOURS[0]);

    Ok((
        Report {
            as_of,
            region_name,
            operating,
            planned,
            rates: rates.map(pct),
            finding_count: findings.len(),
            by_town,
            by_kind,
            by_ownership,
            institutions,
            groups,
            warnings,
            town_chart,
            kind_chart,
        },
        c,
    ))
}

#[derive(Template)]
#[template(path = "coverage.html")]
struct CoveragePage {
    c: Chrome,
    r: Report,
    as_of_input: String,
    town: String,
    check: String,
    towns: Vec<Opt>,
    checks: Vec<Opt>,
    trend: String,
    snapshots: Vec<SnapshotRow>,
    date_error: Option<String>,
}

async fn page(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<CoverageQuery>) -> PageResult {
    let (as_of, date_error) = match parse_as_of(&q.as_of) {
        Ok(d) => (d, None),
        Err(AppError::Invalid(e)) => (Utc::now().date_naive(), e.first().map(|x| x.message(t.lang()).to_string())),
        Err(e) => return Err(e),
    };
    let (r, computed) = match report(&state, &u, t, as_of, &q.town, &q.check).await {
        Ok(x) => x,
        Err(AppError::Invalid(e)) => {
            let msg = e.first().map(|x| x.message(t.lang()).to_string());
            let today = Utc::now().date_naive();
            let (r, c) = report(&state, &u, t, today, &q.town, &q.check).await?;
            return render_page(&state, t, &u, r, c, q, msg).await;
        }
        Err(e) => return Err(e),
    };
    render_page(&state, t, &u, r, computed, q, date_error).await
}

async fn render_page(
    state: &AppState,
    t: Tr,
    u: &CurrentUser,
    r: Report,
    computed: Arc<Computed>,
    q: CoverageQuery,
    date_error: Option<String>,
) -> PageResult {
    let (region, _) = user_region(state, u).await?;
    let snapshots = state.store.snapshots(&region).await?;
    let trend = if snapshots.is_empty() {
        String::new()
    } else {
        let dates: Vec<String> = snapshots.iter().map(|s| s.as_of.to_string()).collect();
        let series: Vec<(&str, &str, Vec<f64>)> = Check::ALL
            .iter()
            .enumerate()
            .map(|(k, ch)| {
                (if t.is_en() { ch.en() } else { ch.zh() }, charts::CHECK_COLOURS[k], snapshots.iter().map(|s| s.rates[k]).collect())
            })
            .collect();
        charts::rate_lines(
            if t.is_en() { "The three rates over time (snapshots)" } else { "三个覆盖率变化趋势（核查快照）" },
            &dates,
            &series,
        )
    };
    let towns = r.by_town.iter().map(|g| Opt { value: g.key.clone(), label: g.label.clone(), selected: g.key == q.town }).collect();
    let checks = Check::ALL
        .iter()
        .map(|c| Opt {
            value: c.code().into(),
            label: if t.is_en() { c.en().into() } else { c.zh().into() },
            selected: c.code() == q.check,
        })
        .collect();
    let _ = computed;
    let title = if t.is_en() { "Coverage (三个全覆盖)" } else { "覆盖情况（三个全覆盖）" };
    let region_label = r.region_name.clone();
    let c = Chrome::new(t, u, "coverage", title).region(region_label).crumb(title, "/coverage");
    let as_of_input = r.as_of.to_string();
    let mut res = askama_render(CoveragePage {
        c,
        r,
        as_of_input,
        town: q.town,
        check: q.check,
        towns,
        checks,
        trend,
        snapshots,
        date_error: date_error.clone(),
    })?;
    if date_error.is_some() {
        *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

fn askama_render<T: Template>(t: T) -> PageResult {
    Ok(Html(t.render().map_err(|e| AppError::Internal(e.to_string()))?).into_response())
}

#[derive(Template)]
#[template(path = "coverage_print.html")]
struct PrintPage {
    r: Report,
    printed_on: String,
}

async fn print(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<CoverageQuery>) -> PageResult {
    let as_of = parse_as_of(&q.as_of)?;
    let (r, _) = report(&state, &u, t, as_of, &q.town, &q.check).await?;
    crate::security::audit(
        &state,
        u.actor.clone(),
        "print",
        format!("coverage audit as of {as_of}"),
        hongzhu_store::Outcome::Success,
        format!("town={} check={}", q.town, q.check),
    )
    .await?;
    askama_render(PrintPage { r, printed_on: Utc::now().date_naive().to_string() })
}

async fn export(State(state): State<AppState>, PageUser(u): PageUser, Query(q): Query<CoverageQuery>) -> PageResult {
    let as_of = parse_as_of(&q.as_of)?;
    let (region, visible) = user_region(&state, &u).await?;
    let c = compute(&state, &region, as_of).await?;
    let mut result = c.result.clone();
    if let Some(v) = &visible {
        result.findings.retain(|f| v.contains(&f.institution));
    }
    let region_name = match region.as_str() {
        "" => "全部区划".to_string(),
        r => state.store.region(r).await?.map(|x| x.record.name).unwrap_or_default(),
    };
    let bytes = hongzhu_ledger::coverage::audit_workbook(&result, &Names::new(&c.data), &region_name)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    crate::security::audit(
        &state,
        u.actor.clone(),
        "export",
        format!("coverage audit workbook {region_name} as of {as_of}"),
        hongzhu_store::Outcome::Success,
        format!("{} findings; {} bytes; sha256={}", result.findings.len(), bytes.len(), crate::auth::token_hash_bytes(&bytes)),
    )
    .await?;
    let file = format!("coverage-{}-{}.xlsx", if region.is_empty() { "all" } else { &region }, as_of);
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file}\"")),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Deserialize)]
struct SnapshotForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    as_of: String,
}

async fn save_snapshot(State(state): State<AppState>, PageUser(u): PageUser, Form(f): Form<SnapshotForm>) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    if !u.is_admin() {
        return Err(AppError::Forbidden);
    }
    let as_of = parse_as_of(&f.as_of)?;
    let (region, _) = user_region(&state, &u).await?;
    let c = compute(&state, &region, as_of).await?;
    state.store.save_snapshot(&c.result, &u.user.username).await?;
    Ok(Redirect::to(&format!("/coverage?as_of={as_of}")).into_response())
}

// ------------------------------------------------------------------ compare

#[derive(Deserialize, Default)]
#[serde(default)]
struct CompareQuery {
    a: String,
    b: String,
}

struct Delta {
    label: &'static str,
    a: String,
    b: String,
    change: String,
    up: bool,
}

struct Change {
    code: String,
    name: String,
    gap: &'static str,
}

#[derive(Template)]
#[template(path = "compare.html")]
struct ComparePage {
    c: Chrome,
    a: String,
    b: String,
    deltas: Vec<Delta>,
    new_findings: Vec<Change>,
    closed_findings: Vec<Change>,
    error: Option<String>,
}

async fn compare(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<CompareQuery>) -> PageResult {
    let today = Utc::now().date_naive();
    let title = if t.is_en() { "Compare two dates" } else { "两个日期对比" };
    let c = Chrome::new(t, &u, "coverage", title)
        .crumb(if t.is_en() { "Coverage" } else { "覆盖情况" }, "/coverage")
        .crumb(title, "/coverage/compare");
    let default_a = state
        .store
        .snapshots(&user_region(&state, &u).await?.0)
        .await?
        .first()
        .map(|s| s.as_of)
        .unwrap_or(today - chrono::Duration::days(180));
    let a_in = if q.a.is_empty() { default_a.to_string() } else { q.a.clone() };
    let b_in = if q.b.is_empty() { today.to_string() } else { q.b.clone() };
    let run = async {
        let (region, visible) = user_region(&state, &u).await?;
        let da = parse_as_of(&a_in)?;
        let db = parse_as_of(&b_in)?;
        let ca = compute(&state, &region, da).await?;
        let cb = compute(&state, &region, db).await?;
        Ok::<_, AppError>((ca, cb, visible))
    };
    let (deltas, new_findings, closed_findings, error) = match run.await {
        Ok((ca, cb, visible)) => {
            let sees = |code: &str| visible.as_ref().is_none_or(|v| v.contains(code));
            let ra = rates_of(ca.result.outcomes.iter().filter(|o| sees(&o.institution)).map(|o| &o.passed)).1;
            let rb = rates_of(cb.result.outcomes.iter().filter(|o| sees(&o.institution)).map(|o| &o.passed)).1;
            let deltas = Check::ALL
                .iter()
                .enumerate()
                .map(|(k, ch)| Delta {
                    label: if t.is_en() { ch.en() } else { ch.zh() },
                    a: pct(ra[k]),
                    b: pct(rb[k]),
                    change: format!("{:+.1}", (rb[k] - ra[k]) * 100.0),
                    up: rb[k] >= ra[k],
                })
                .collect();
            let key = |f: &hongzhu_core::coverage::Finding| (f.institution.clone(), f.gap);
            let in_a: HashSet<_> = ca.result.findings.iter().filter(|f| sees(&f.institution)).map(key).collect();
            let in_b: HashSet<_> = cb.result.findings.iter().filter(|f| sees(&f.institution)).map(key).collect();
            let names = Names::new(&cb.data);
            let view = |(code, gap): &(String, Gap)| Change {
                name: names.institution_name(code),
                code: code.clone(),
                gap: if t.is_en() { gap.en() } else { gap.zh() },
            };
            let mut new: Vec<_> = in_b.difference(&in_a).collect();
            let mut closed: Vec<_> = in_a.difference(&in_b).collect();
            new.sort();
            closed.sort();
            (deltas, new.into_iter().map(view).collect(), closed.into_iter().map(view).collect(), None)
        }
        Err(AppError::Invalid(e)) => (vec![], vec![], vec![], e.first().map(|x| x.message(t.lang()).to_string())),
        Err(e) => return Err(e),
    };
    askama_render(ComparePage { c, a: a_in, b: b_in, deltas, new_findings, closed_findings, error })
}

// ------------------------------------------------------------------ rectification tasks

#[derive(Deserialize, Default)]
#[serde(default)]
struct TaskQuery {
    status: String,
    overdue: String,
}

struct TaskView {
    t: TaskRow,
    name: String,
    gap: &'static str,
    overdue: bool,
    statuses: Vec<Opt>,
}

#[derive(Template)]
#[template(path = "tasks.html")]
struct TasksPage {
    c: Chrome,
    rows: Vec<TaskView>,
    overdue: bool,
    statuses: Vec<Opt>,
    overdue_count: usize,
}

fn status_options(t: Tr, current: &str) -> Vec<Opt> {
    TaskStatus::ALL
        .iter()
        .map(|s| Opt {
            value: s.code().into(),
            label: if t.is_en() { s.en().into() } else { s.zh().into() },
            selected: s.code() == current,
        })
        .collect()
}

async fn tasks(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<TaskQuery>) -> PageResult {
    let (region, visible) = user_region(&state, &u).await?;
    let today = Utc::now().date_naive();
    let all = match &visible {
        None => state.store.tasks(&region, None).await?,
        Some(v) => state.store.tasks(&region, Some(&v.iter().cloned().collect::<Vec<_>>())).await?,
    };
    let names: HashMap<String, String> = state
        .store
        .institutions(&u.scope, &InstitutionFilter { page: 1, page_size: 500, q: None, ..Default::default() })
        .await?
        .items
        .into_iter()
        .map(|i| (i.record.code.to_string(), i.record.name))
        .collect();
    let overdue_count = all.iter().filter(|x| x.overdue(today)).count();
    let only_overdue = q.overdue == "1";
    let rows = all
        .into_iter()
        .filter(|x| q.status.is_empty() || x.status.code() == q.status)
        .filter(|x| !only_overdue || x.overdue(today))
        .map(|x| TaskView {
            name: names.get(&x.institution).cloned().unwrap_or_else(|| x.institution.clone()),
            gap: Gap::from_code(&x.gap).map(|g| if t.is_en() { g.en() } else { g.zh() }).unwrap_or(""),
            overdue: x.overdue(today),
            statuses: status_options(t, x.status.code()),
            t: x,
        })
        .collect();
    let title = if t.is_en() { "Rectification tasks" } else { "整改任务" };
    let c = Chrome::new(t, &u, "tasks", title)
        .crumb(if t.is_en() { "Coverage" } else { "覆盖情况" }, "/coverage")
        .crumb(title, "/coverage/tasks");
    askama_render(TasksPage { c, rows, statuses: status_options(t, &q.status), overdue: only_overdue, overdue_count })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NewTaskQuery {
    institution: String,
    gap: String,
    as_of: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NewTaskForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    institution: String,
    gap: String,
    as_of: String,
    responsible: String,
    deadline: String,
    note: String,
}

#[derive(Template)]
#[template(path = "task_form.html")]
struct TaskFormPage {
    c: Chrome,
    institution: String,
    institution_name: String,
    gap: String,
    gap_text: &'static str,
    remedy: String,
    as_of: String,
    responsible: String,
    deadline: String,
    note: String,
    errors: Vec<(String, String)>,
}

impl TaskFormPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|e| e.0 == field).map(|e| e.1.as_str())
    }
}

async fn task_page(state: &AppState, t: Tr, u: &CurrentUser, f: NewTaskForm, errors: Vec<(String, String)>) -> PageResult {
    if !u.can_edit() {
        return Err(AppError::Forbidden);
    }
    let (region, visible) = user_region(state, u).await?;
    if visible.as_ref().is_some_and(|v| !v.contains(&f.institution)) {
        return Err(AppError::NotFound);
    }
    let as_of = parse_as_of(&f.as_of)?;
    let c = compute(state, &region, as_of).await?;
    let finding = c.result.findings.iter().find(|x| x.institution == f.institution && x.gap.code() == f.gap).ok_or(AppError::NotFound)?;
    let names = Names::new(&c.data);
    let title = if t.is_en() { "New rectification task" } else { "生成整改任务" };
    let chrome = Chrome::new(t, u, "tasks", title)
        .crumb(if t.is_en() { "Coverage" } else { "覆盖情况" }, "/coverage")
        .crumb(title, "/coverage/tasks/new");
    let default_deadline = (Utc::now().date_naive() + chrono::Duration::days(60)).to_string();
    let mut res = askama_render(TaskFormPage {
        c: chrome,
        institution_name: names.institution_name(&f.institution),
        gap_text: finding.gap.zh(),
        remedy: names.remedy_zh(&f.institution, &finding.remedy),
        institution: f.institution,
        gap: f.gap,
        as_of: as_of.to_string(),
        responsible: f.responsible,
        deadline: if f.deadline.is_empty() { default_deadline } else { f.deadline },
        note: f.note,
        errors: errors.clone(),
    })?;
    if !errors.is_empty() {
        *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

async fn task_form(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<NewTaskQuery>) -> PageResult {
    task_page(&state, t, &u, NewTaskForm { institution: q.institution, gap: q.gap, as_of: q.as_of, ..Default::default() }, vec![]).await
}

async fn task_create(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Form(f): Form<NewTaskForm>) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    if !u.can_edit() {
        return Err(AppError::Forbidden);
    }
    let mut errors = Vec::new();
    if f.responsible.trim().is_empty() || f.responsible.chars().count() > 50 {
        errors.push(("responsible".to_string(), "请填写责任人（姓名或岗位，50字以内）".to_string()));
    }
    let today = Utc::now().date_naive();
    let deadline = parse_date(&f.deadline);
    match deadline {
        None => errors.push(("deadline".to_string(), "整改期限不是有效日期，请写作 2027-01-31".to_string())),
        Some(d) if d < today => errors.push(("deadline".to_string(), "整改期限不能早于今天".to_string())),
        _ => {}
    }
    if !errors.is_empty() {
        return task_page(&state, t, &u, f, errors).await;
    }
    let (region, visible) = user_region(&state, &u).await?;
    if visible.as_ref().is_some_and(|v| !v.contains(&f.institution)) {
        return Err(AppError::NotFound);
    }
    let as_of = parse_as_of(&f.as_of)?;
    let c = compute(&state, &region, as_of).await?;
    let finding = c.result.findings.iter().find(|x| x.institution == f.institution && x.gap.code() == f.gap).ok_or(AppError::NotFound)?;
    let task = NewTask {
        region: region.clone(),
        institution: f.institution.clone(),
        check: finding.check.code().to_string(),
        gap: finding.gap.code().to_string(),
        rule: finding.rule.to_string(),
        remedy: serde_json::to_value(&finding.remedy).unwrap_or_default(),
        responsible: f.responsible.trim().to_string(),
        deadline: deadline.expect("checked above"),
        note: Some(f.note.trim().to_string()).filter(|n| !n.is_empty()),
    };
    match state.store.create_task(&task, &u.user.username).await {
        Ok(_) => Ok(Redirect::to("/coverage/tasks").into_response()),
        Err(hongzhu_store::StoreError::Conflict { .. }) => {
            task_page(&state, t, &u, f, vec![("responsible".into(), "该问题已有未验收的整改任务，请在整改任务列表中查看".into())]).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TaskUpdateForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    #[serde(rename = "_version")]
    version: i64,
    status: String,
    note: String,
}

async fn task_update(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<TaskUpdateForm>,
) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    if !u.can_edit() {
        return Err(AppError::Forbidden);
    }
    let task = state.store.task(id).await?.ok_or(AppError::NotFound)?;
    let (_, visible) = user_region(&state, &u).await?;
    if visible.as_ref().is_some_and(|v| !v.contains(&task.institution)) {
        return Err(AppError::NotFound);
    }
    let status = TaskStatus::from_code(&f.status).ok_or_else(|| AppError::BadRequest("status: open, done or verified".into()))?;
    // Verifying is the county's acceptance of the work.
    if status == TaskStatus::Verified && !u.is_admin() {
        return Err(AppError::Forbidden);
    }
    let note = Some(f.note.trim().to_string()).filter(|n| !n.is_empty());
    state.store.update_task(id, f.version, status, note, &u.user.username).await?;
    Ok(Redirect::to("/coverage/tasks").into_response())
}

// ------------------------------------------------------------------ API

#[derive(Deserialize, Default)]
#[serde(default)]
struct ApiQuery {
    as_of: String,
    region: String,
}

async fn api_coverage(
    State(state): State<AppState>,
    crate::auth::ApiUser(u): crate::auth::ApiUser,
    Query(q): Query<ApiQuery>,
) -> Result<Response, ApiError> {
    let (own_region, visible) = user_region(&state, &u).await.map_err(ApiError)?;
    let region = if q.region.is_empty() { own_region.clone() } else { q.region.clone() };
    // S6: a county user audits their region or a part of it.
    if !own_region.is_empty() && !region.starts_with(&hongzhu_store::region_prefix(&own_region)) {
        return Err(ApiError(AppError::NotFound));
    }
    let as_of = parse_as_of(&q.as_of).map_err(ApiError)?;
    let c = compute(&state, &region, as_of).await.map_err(ApiError)?;
    let mut result = c.result.clone();
    if let Some(v) = &visible {
        result.findings.retain(|f| v.contains(&f.institution));
        result.outcomes.retain(|o| v.contains(&o.institution));
        let (n, r) = rates_of(result.outcomes.iter().map(|o| &o.passed));
        result.institutions.operating = n;
        result.rates = hongzhu_core::coverage::Rates { members: r[0], leadership: r[1], organization: r[2] };
    }
    Ok(axum::Json(result).into_response())
}
