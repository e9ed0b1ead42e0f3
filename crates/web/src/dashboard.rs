//! 首页 for the county (issue: dashboard, part 5): the figures a county leader asks for first —
//! the three coverage rates, members by age, gender and stage, organizations by kind, this
//! year's organizational life, honors, oversized classes, and what needs attention — by town,
//! each linking to the records behind it; `?screen=1` for a meeting-room display.
use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::response::Response;
use chrono::{Datelike, NaiveDate, Utc};
use hongzhu_core::labels::{DevelopmentStage, Gender, Labeled, MemberCategory, OrgKind, TransferStatus};
use hongzhu_store::TaskStatus;
use hongzhu_store::transfers::TransferFilter;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::charts;
use crate::error::AppError;
use crate::i18n::Tr;
use crate::pages::{chrome, render, zh_en as l};
use crate::view::Chrome;

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

pub struct TownLine {
    pub code: String,
    pub name: String,
    pub operating: usize,
    pub rates: [String; 3],
    pub members: usize,
    pub oversized: i64,
}

pub struct Attention {
    pub label: String,
    pub count: usize,
    pub href: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
pub struct DashboardPage {
    pub c: Chrome,
    pub screen: bool,
    pub f: Arc<Figures>,
}

/// What the dashboard shows, computed once per language, scope and data version (and at most a
/// minute old, for writes that leave no change-log row), shared by every request meanwhile.
pub struct Figures {
    pub today: String,
    pub rates: [String; 3],
    pub operating: usize,
    pub members: i64,
    pub full: i64,
    pub orgs: usize,
    pub staff: i64,
    pub life_rate: String,
    /// This month's monthly activities (R3.1–R3.3): done so far of those running this month.
    pub month_done: u32,
    pub month_running: u32,
    /// Campaigns open for applications or under review.
    pub campaigns_open: usize,
    pub honors_this_year: usize,
    pub honors_last_year: usize,
    pub large: i64,
    pub oversized: i64,
    pub towns: Vec<TownLine>,
    pub attention: Vec<Attention>,
    pub age_chart: String,
    pub gender_chart: String,
    pub education_chart: String,
    pub stage_chart: String,
    pub org_chart: String,
}

/// The last figures computed: (language, scope, day, data version), when, and the figures.
#[derive(Clone, Default)]
pub struct Cache(Arc<tokio::sync::Mutex<Option<CacheSlot>>>);

type CacheSlot = (CacheKey, std::time::Instant, Arc<Figures>);

type CacheKey = (&'static str, String, NaiveDate, i64);

/// The county's dashboard; `screen` for the big-screen mode (no menu, large type, refreshing).
pub async fn page(state: &AppState, t: Tr, u: &CurrentUser, screen: bool) -> Result<Response, AppError> {
    let today = hongzhu_core::life::to_local(Utc::now()).date();
    let key: CacheKey = (t.lang(), format!("{:?}", u.scope), today, state.store.data_version().await?);
    let cached = {
        let slot = state.dashboard_cache.0.lock().await;
        slot.as_ref().filter(|(k, at, _)| *k == key && at.elapsed() < std::time::Duration::from_secs(60)).map(|(_, _, f)| f.clone())
    };
    let f = match cached {
        Some(f) => f,
        None => {
            let f = Arc::new(figures(state, t, u).await?);
            *state.dashboard_cache.0.lock().await = Some((key, std::time::Instant::now(), f.clone()));
            f
        }
    };
    let title = if screen { l(t, "教育系统党建工作概览", "Party-building overview") } else { t.t("home_title") };
    let mut c = chrome(state, t, u, "home", title).await;
    if screen {
        c.refresh = Some(300);
    }
    render(DashboardPage { c, screen, f })
}

async fn figures(state: &AppState, t: Tr, u: &CurrentUser) -> Result<Figures, AppError> {
    let today = hongzhu_core::life::to_local(Utc::now()).date();
    let region = u.user.region_code.clone().unwrap_or_default();
    let computed = crate::coverage::compute(state, &region, today).await?;
    let a = &computed.result;
    let data = &computed.data;
    let town_names: BTreeMap<String, String> = data.regions.iter().map(|r| (r.code.to_string(), r.name.clone())).collect();
    let town_of: BTreeMap<&str, &str> = data.institutions.iter().map(|i| (i.code.as_str(), i.town.as_str())).collect();

    // Members: age bands, gender, category (R2.10), by town.
    let profiles = state.store.member_profiles(&u.scope).await?;
    let age = |b: NaiveDate| hongzhu_core::stats::age_on(b, today);
    let bands = [("≤35", 0, 35), ("36–45", 36, 45), ("46–55", 46, 55), ("56+", 56, 200)];
    let age_counts: Vec<(String, usize)> = bands
        .iter()
        .map(|(label, lo, hi)| (label.to_string(), profiles.iter().filter(|p| (*lo..=*hi).contains(&age(p.birth_date))).count()))
        .collect();
    let gender_counts: Vec<(String, usize)> =
        Gender::ALL.iter().map(|g| (g.label(t.lang()).to_string(), profiles.iter().filter(|p| p.gender == *g).count())).collect();
    let full = profiles.iter().filter(|p| p.category == MemberCategory::Full).count();
    // Development stages (DOMAIN §3) beside the probationary members.
    let people = state.store.development_people(&u.scope).await?;
    let mut stage_counts: Vec<(String, usize)> = DevelopmentStage::ALL
        .iter()
        .map(|s| (s.label(t.lang()).to_string(), people.iter().filter(|p| p.development_stage == Some(*s)).count()))
        .collect();
    stage_counts.push((l(t, "预备党员", "Probationary").to_string(), profiles.len() - full));
    let org_counts: Vec<(String, usize)> = OrgKind::ALL
        .iter()
        .map(|k| {
            (
                k.label(t.lang()).to_string(),
                data.orgs.iter().filter(|o| o.kind == *k && o.status == hongzhu_core::labels::OrgStatus::Active).count(),
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect();

    // This year's organizational life (R3.1–R3.3): met of due, across the organizations.
    let (compliance, _, _) = crate::life::compute_compliance(state, u, today.year()).await?;
    let (met, due) = compliance.iter().fold((0u32, 0u32), |(m, d), c| (m + c.met(), d + c.due()));
    let life_rate = if due == 0 { "—".into() } else { pct(f64::from(met) / f64::from(due)) };
    // This month: the monthly activities whose month is running, and how many are done already.
    let (month_done, month_running) = compliance
        .iter()
        .flat_map(|c| c.kinds.iter())
        .filter(|k| k.period == hongzhu_core::life::Period::Month && k.current.is_some())
        .fold((0u32, 0u32), |(d, r), k| (d + u32::from(k.current_done), r + 1));
    let campaigns_open = state.store.campaigns().await?.iter().filter(|k| k.stage != hongzhu_store::campaigns::Stage::Published).count();

    // School indicators (R6.1) of the latest school year.
    let school_year = if today.month() >= 9 { today.year() } else { today.year() - 1 };
    let schools = state.store.school_years(&u.scope, school_year).await?;
    let oversized_by_town = |town: &str| {
        schools
            .iter()
            .filter(|s| s.town == town)
            .filter_map(|s| s.indicators.as_ref())
            .map(|i| i.large_classes + i.oversized_classes)
            .sum::<i64>()
    };
    let large: i64 = schools.iter().filter_map(|s| s.indicators.as_ref()).map(|i| i.large_classes).sum();
    let oversized: i64 = schools.iter().filter_map(|s| s.indicators.as_ref()).map(|i| i.oversized_classes).sum();
    let honors = state.store.honors(&u.scope, &Default::default()).await?;
    let honors_this_year = honors.iter().filter(|h| h.honor.year == today.year()).count();
    let honors_last_year = honors.iter().filter(|h| h.honor.year == today.year() - 1).count();

    // By town: coverage (the audit's outcomes), members, oversized classes.
    let mut by_town: BTreeMap<String, (Vec<[bool; 3]>, usize)> = BTreeMap::new();
    for o in &a.outcomes {
        if let Some(town) = town_of.get(o.institution.as_str()) {
            by_town.entry(town.to_string()).or_default().0.push(o.passed);
        }
    }
    for p in &profiles {
        if let Some(town) = &p.town {
            by_town.entry(town.clone()).or_default().1 += 1;
        }
    }
    let towns = by_town
        .into_iter()
        .map(|(code, (outcomes, members))| {
            let n = outcomes.len();
            let rates = [0, 1, 2].map(|k| pct(hongzhu_core::coverage::rate(outcomes.iter().filter(|o| o[k]).count(), n)));
            TownLine {
                name: town_names.get(&code).cloned().unwrap_or_else(|| code.clone()),
                oversized: oversized_by_town(&code),
                code,
                operating: n,
                rates,
                members,
            }
        })
        .collect();

    // What needs attention, each with where to act.
    let overdue_tasks = state
        .store
        .tasks(&region, None)
        .await?
        .into_iter()
        .filter(|x| x.status != TaskStatus::Verified && x.status != TaskStatus::Done && x.deadline < today && x.gap_present)
        .count();
    let remind = hongzhu_core::coverage::AuditSettings::default().remind_months;
    let ended_terms = data
        .orgs
        .iter()
        .filter(|o| {
            o.term_end().is_some_and(|e| hongzhu_core::term::term_state(e, today, remind) == hongzhu_core::term::TermState::Expired)
        })
        .count();
    let development_overdue =
        people.iter().filter(|c| hongzhu_core::development::progress(&c.history(), today).flags.iter().any(|f| f.overdue)).count();
    let waiting = state
        .store
        .transfers(&u.scope, &TransferFilter { status: Some(TransferStatus::Pending), ..Default::default() })
        .await?
        .into_iter()
        .filter(|x| (today - x.started_on).num_days() > 30)
        .count();
    let attention = vec![
        Attention {
            label: l(t, "整改任务已逾期", "rectification tasks overdue").into(),
            count: overdue_tasks,
            href: "/coverage/tasks".into(),
        },
        Attention {
            label: l(t, "党组织任期已届满（R1.6）", "terms ended (R1.6)").into(),
            count: ended_terms,
            href: "/orgs/terms?state=expired".into(),
        },
        Attention {
            label: l(t, "发展党员逾期事项", "development deadlines missed").into(),
            count: development_overdue,
            href: "/development/due".into(),
        },
        Attention {
            label: l(t, "组织关系转接超过 30 天未接收", "transfers waiting over 30 days").into(),
            count: waiting,
            href: "/members/transfers?status=pending".into(),
        },
        Attention { label: l(t, "三个全覆盖问题", "coverage findings").into(), count: a.findings.len(), href: "/coverage".into() },
    ];

    let age_chart = charts::count_bars(l(t, "党员年龄结构", "Members by age"), &age_counts, charts::CHECK_COLOURS[0]);
    let gender_chart = charts::count_bars(l(t, "党员性别", "Members by gender"), &gender_counts, charts::CHECK_COLOURS[1]);
    let mut education_counts: Vec<(String, usize)> = hongzhu_core::labels::Education::ALL
        .iter()
        .map(|e| (e.label(t.lang()).to_string(), profiles.iter().filter(|p| p.education == Some(*e)).count()))
        .collect();
    education_counts.push((l(t, "未填写", "not recorded").to_string(), profiles.iter().filter(|p| p.education.is_none()).count()));
    let education_chart = charts::count_bars(l(t, "党员学历", "Members by education"), &education_counts, charts::CHECK_COLOURS[1]);
    let stage_chart = charts::count_bars(l(t, "党员发展各阶段", "Development stages"), &stage_counts, charts::CHECK_COLOURS[2]);
    let org_chart = charts::count_bars(l(t, "党组织类别", "Organizations by kind"), &org_counts, charts::CHECK_COLOURS[0]);
    let totals = state.store.totals(&u.scope).await?;
    Ok(Figures {
        today: today.to_string(),
        rates: [a.rates.members, a.rates.leadership, a.rates.organization].map(pct),
        operating: a.institutions.operating,
        members: profiles.len() as i64,
        full: full as i64,
        orgs: data.orgs.len(),
        staff: totals.staff,
        life_rate,
        month_done,
        month_running,
        campaigns_open,
        honors_this_year,
        honors_last_year,
        large,
        oversized,
        towns,
        attention,
        age_chart,
        gender_chart,
        education_chart,
        stage_chart,
        org_chart,
    })
}
