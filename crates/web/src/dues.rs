//! 党费 (DOMAIN §5): the calculator (R4.2–R4.3), and the ledger built on the same rules — each
//! member's base for the year (R4.1, R4.5), the month-by-month record of an organization (due,
//! paid, unpaid, by proxy, back payments and their ≤6-month flag, R4.4), reductions with the
//! branch's review and the higher committee's approval (R4.4), the yearly report with its
//! publication view, Excel, and the API.
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post, put};
use chrono::{Datelike, NaiveDate};
use hongzhu_core::dues::{BACK_PAYMENT_MONTHS, Base, DUES_CATEGORIES, Dues, DuesCategory, Fen, due_in, monthly_dues, months_late};
use hongzhu_core::registry::{FieldError, parse_date};
use hongzhu_store::dues::{DuesMember, ReductionRow, ReductionStep};
use hongzhu_store::{OrgRow, Scope, StoreError};
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
        .route("/dues", get(calculator))
        .route("/dues/ledger", get(ledger_page))
        .route("/dues/ledger.xlsx", get(ledger_xlsx))
        .route("/dues/bases", get(bases_page).post(bases_save))
        .route("/dues/pay", get(pay_page).post(pay_save))
        .route("/dues/reductions", get(reductions_page).post(reduction_apply))
        .route("/dues/reductions/{id}", post(reduction_decide))
        .route("/dues/report", get(report_page))
        .route("/dues/publish", get(publish_page))
        .route("/api/v1/dues/ledger", get(api_ledger))
        .route("/api/v1/dues/bases", put(api_bases))
        .route("/api/v1/dues/payments", post(api_payments))
        .route("/api/v1/dues/report", get(api_report))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DuesQuery {
    base: String,
    category: String,
}

#[derive(Template)]
#[template(path = "dues.html")]
struct DuesPage {
    c: Chrome,
    base: String,
    category: &'static str,
    categories: Vec<(&'static str, &'static str)>,
    result: Option<Dues>,
    error: Option<String>,
}

async fn calculator(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<DuesQuery>) -> PageResult {
    let en = t.is_en();
    let category = DuesCategory::from_code(&q.category).unwrap_or(DuesCategory::InService);
    let mut error = None;
    let result = if q.base.trim().is_empty() && category.uses_base() {
        None
    } else if category.uses_base() {
        match Fen::parse_yuan(&q.base) {
            Ok(base) => Some(monthly_dues(category, base)),
            Err(e) => {
                error = Some(if en { e.message_en } else { e.message_zh });
                None
            }
        }
    } else {
        Some(monthly_dues(category, Fen(0)))
    };
    let title = if en { "Dues" } else { "党费计算" };
    let c = chrome(&state, t, &u, "dues", title).await.crumb(title, "/dues");
    let categories = DUES_CATEGORIES.iter().map(|c| (c.code(), if en { c.en() } else { c.zh() })).collect();
    let failed = error.is_some();
    let mut res = render(DuesPage { c, base: q.base, category: category.code(), categories, result, error })?;
    if failed {
        *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

// ------------------------------------------------------------------ the ledger

fn bad(field: &'static str, zh: String, en: &str) -> AppError {
    AppError::Invalid(vec![FieldError::new(field, field, zh, en)])
}

fn year_of(s: &str) -> Result<i32, AppError> {
    if s.trim().is_empty() {
        return Ok(today().year());
    }
    match s.trim().parse::<i32>() {
        Ok(y) if (2000..=2100).contains(&y) => Ok(y),
        _ => Err(bad("year", format!("年度“{s}”无效，请写四位年份，如 2026"), "year is a four-digit year")),
    }
}

/// The organization asked for, within the user's scope (the user's own by default).
async fn org_of(state: &AppState, u: &CurrentUser, code: &str) -> Result<OrgRow, AppError> {
    let code = code.trim();
    if code.is_empty() {
        let orgs = state.store.orgs(&u.scope, None).await?;
        let own = u.user.org_id.and_then(|id| orgs.iter().find(|o| o.meta.id == id && o.member_count > 0).cloned());
        return own.or_else(|| orgs.into_iter().find(|o| o.member_count > 0)).ok_or(AppError::NotFound);
    }
    state.store.org(&u.scope, code).await?.ok_or(AppError::NotFound)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LedgerQuery {
    org: String,
    year: String,
    month: String,
    msg: String,
}

struct MonthCell {
    text: String,
    class: &'static str,
    title: String,
}

struct LedgerLine {
    member_id: i64,
    name: String,
    category: &'static str,
    monthly: String,
    cells: Vec<MonthCell>,
    due: Fen,
    paid: Fen,
    unpaid: u32,
    late: u32,
}

/// The twelve months of a member (R4.2–R4.5), and the year's due and paid so far.
fn ledger_line(t: Tr, m: &DuesMember, year: i32, today: NaiveDate) -> LedgerLine {
    let now = (today.year(), today.month());
    let admitted = (m.admitted_on.year(), m.admitted_on.month());
    let (mut due, mut paid, mut unpaid, mut late_count) = (Fen(0), Fen(0), 0, 0);
    let mut cells = Vec::new();
    for month in 1..=12u32 {
        let here = (year, month);
        let payment = m.payments.iter().find(|p| p.month == month);
        let owed = due_in(&m.bases, &m.reductions, year, month);
        let cell = if here < admitted {
            MonthCell { text: "—".into(), class: "muted", title: l(t, "尚未入党", "not yet a member").into() }
        } else if let Some(p) = payment {
            paid.0 += p.amount_fen;
            if here <= now {
                due.0 += owed.map(|f| f.0).unwrap_or(p.amount_fen);
            }
            let late = months_late(year, month, p.paid_on);
            let mut text = Fen(p.amount_fen).yuan();
            let mut title = format!("{} {}", l(t, "交纳于", "paid on"), p.paid_on);
            if late > 0 {
                text.push_str(l(t, " 补", " late"));
                title.push_str(&if t.is_en() { format!(", {late} months late") } else { format!("，补交 {late} 个月") });
            }
            if !p.proxy.is_empty() {
                text.push_str(l(t, " 代", " proxy"));
                title.push_str(&format!("，{}{}", l(t, "代缴：", "paid by "), p.proxy));
            }
            let class = if late > BACK_PAYMENT_MONTHS {
                late_count += 1;
                title.push_str(l(t, "（补交超过 6 个月，R4.4）", " (over 6 months, R4.4)"));
                "bad"
            } else {
                "good"
            };
            MonthCell { text, class, title }
        } else if here > now {
            MonthCell { text: String::new(), class: "", title: String::new() }
        } else {
            match owed {
                None => MonthCell {
                    text: l(t, "未核定", "no base").into(),
                    class: "muted",
                    title: l(t, "尚未核定缴费基数", "no base recorded").into(),
                },
                Some(Fen(0)) => MonthCell {
                    text: l(t, "免交", "exempt").into(),
                    class: "muted",
                    title: l(t, "经批准免交（R4.4）", "exempt by approval (R4.4)").into(),
                },
                // The month under way is still to be paid, not yet owed.
                Some(f) if here == now => {
                    due.0 += f.0;
                    MonthCell {
                        text: l(t, "待交", "to pay").into(),
                        class: "muted",
                        title: format!("{} {}", l(t, "本月应交", "due this month"), f.yuan()),
                    }
                }
                Some(f) => {
                    due.0 += f.0;
                    unpaid += 1;
                    MonthCell {
                        text: l(t, "未交", "unpaid").into(), class: "bad", title: format!("{} {}", l(t, "应交", "due"), f.yuan())
                    }
                }
            }
        };
        cells.push(cell);
    }
    let current = m.bases.iter().filter(|b| b.from_month <= now.1 || year < now.0).max_by_key(|b| b.from_month).or(m.bases.first());
    LedgerLine {
        member_id: m.member_id,
        name: m.name.clone(),
        category: current.map(|b| if t.is_en() { b.category.en() } else { b.category.zh() }).unwrap_or("—"),
        monthly: current.map(|b| b.monthly().yuan()).unwrap_or_else(|| "—".into()),
        cells,
        due,
        paid,
        unpaid,
        late: late_count,
    }
}

struct Totals {
    members: usize,
    due: Fen,
    paid: Fen,
    unpaid_members: usize,
    late: u32,
    no_base: usize,
}

fn totals(lines: &[LedgerLine], members: &[DuesMember]) -> Totals {
    Totals {
        members: lines.len(),
        due: Fen(lines.iter().map(|x| x.due.0).sum()),
        paid: Fen(lines.iter().map(|x| x.paid.0).sum()),
        unpaid_members: lines.iter().filter(|x| x.unpaid > 0).count(),
        late: lines.iter().map(|x| x.late).sum(),
        no_base: members.iter().filter(|m| m.bases.is_empty()).count(),
    }
}

#[derive(Template)]
#[template(path = "dues_ledger.html")]
struct LedgerPage {
    c: Chrome,
    org: OrgRow,
    orgs: Vec<(String, String)>,
    year: i32,
    lines: Vec<LedgerLine>,
    sum: Totals,
    month_paid: Vec<String>,
    msg: String,
    tab: &'static str,
}

async fn ledger_data(state: &AppState, u: &CurrentUser, q: &LedgerQuery) -> Result<(OrgRow, i32, Vec<DuesMember>), AppError> {
    allowed(u)?;
    let year = year_of(&q.year)?;
    let org = org_of(state, u, &q.org).await?;
    let members = state.store.dues_members(&[org.meta.id], year).await?;
    Ok((org, year, members))
}

async fn org_choices(state: &AppState, u: &CurrentUser) -> Result<Vec<(String, String)>, AppError> {
    Ok(state
        .store
        .orgs(&u.scope, None)
        .await?
        .into_iter()
        .filter(|o| o.member_count > 0)
        .map(|o| (o.record.code.to_string(), o.record.name))
        .collect())
}

async fn ledger_page(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<LedgerQuery>) -> PageResult {
    let (org, year, members) = ledger_data(&state, &u, &q).await?;
    let today = today();
    let lines: Vec<LedgerLine> = members.iter().map(|m| ledger_line(t, m, year, today)).collect();
    let month_paid = (1..=12u32)
        .map(|mo| Fen(members.iter().flat_map(|m| m.payments.iter()).filter(|p| p.month == mo).map(|p| p.amount_fen).sum()).yuan())
        .collect();
    let sum = totals(&lines, &members);
    let title = l(t, "党费台账", "Dues ledger");
    let c = chrome(&state, t, &u, "dues", title).await.crumb(l(t, "党费", "Dues"), "/dues").crumb(title, "/dues/ledger");
    let orgs = org_choices(&state, &u).await?;
    render(LedgerPage { c, org, orgs, year, lines, sum, month_paid, msg: q.msg, tab: "ledger" })
}

async fn ledger_xlsx(State(state): State<AppState>, PageUser(u): PageUser, Query(q): Query<LedgerQuery>) -> PageResult {
    let (org, year, members) = ledger_data(&state, &u, &q).await?;
    let zh = Tr(crate::i18n::Locale::Zh);
    let lines: Vec<LedgerLine> = members.iter().map(|m| ledger_line(zh, m, year, today())).collect();
    crate::security::audit(
        &state,
        u.actor.clone(),
        "export",
        format!("dues ledger {} {year}", org.record.code),
        hongzhu_store::Outcome::Success,
        format!("{} members; xlsx", lines.len()),
    )
    .await?;
    use hongzhu_ledger::table::Cell;
    let mut columns: Vec<(String, f64)> = vec![("姓名".into(), 9.0), ("类别".into(), 10.0), ("月应交".into(), 9.0)];
    columns.extend((1..=12).map(|m| (format!("{m}月"), 9.0)));
    columns.extend([("应交合计".to_string(), 10.0), ("已交合计".to_string(), 10.0), ("未交月数".to_string(), 8.0)]);
    let rows: Vec<Vec<Cell>> = lines
        .iter()
        .map(|x| {
            let mut r = vec![Cell::from(x.name.clone()), Cell::from(x.category), Cell::from(x.monthly.clone())];
            r.extend(x.cells.iter().map(|c| Cell::from(c.text.clone())));
            r.extend([Cell::from(x.due.yuan()), Cell::from(x.paid.yuan()), Cell::Number(f64::from(x.unpaid))]);
            r
        })
        .collect();
    let cols: Vec<(&str, f64)> = columns.iter().map(|(a, b)| (a.as_str(), *b)).collect();
    let bytes = hongzhu_ledger::table::table(&format!("{} {year}年党费收缴台账", org.record.name), &format!("{year}年党费"), &cols, &rows)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let name = format!("党费台账-{}-{year}.xlsx", org.record.code);
    crate::view::xlsx_response(bytes, &format!("dues-{year}.xlsx"), &name)
}

// ------------------------------------------------------------------ bases

struct BaseLine {
    member_id: i64,
    name: String,
    category: String,
    base: String,
    farmer: String,
    from_month: String,
    monthly: String,
}

#[derive(Template)]
#[template(path = "dues_bases.html")]
struct BasesPage {
    c: Chrome,
    org: OrgRow,
    year: i32,
    lines: Vec<BaseLine>,
    categories: Vec<(&'static str, &'static str)>,
    errors: Vec<String>,
    by_month: bool,
    tab: &'static str,
}

async fn bases_render(
    state: &AppState,
    t: Tr,
    u: &CurrentUser,
    org: OrgRow,
    year: i32,
    lines: Vec<BaseLine>,
    errors: Vec<String>,
) -> PageResult {
    let title = l(t, "核定缴费基数", "Dues bases");
    let c = chrome(state, t, u, "dues", title)
        .await
        .crumb(l(t, "党费", "Dues"), "/dues")
        .crumb(l(t, "党费台账", "Dues ledger"), format!("/dues/ledger?org={}&year={year}", org.record.code))
        .crumb(title, "/dues/bases");
    let categories = DUES_CATEGORIES.iter().map(|c| (c.code(), if t.is_en() { c.en() } else { c.zh() })).collect();
    let by_month = state.dues_base_rule == hongzhu_core::dues::BaseRule::FromMonthOfChange;
    render(BasesPage { c, org, year, lines, categories, errors, by_month, tab: "bases" })
}

async fn bases_page(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<LedgerQuery>) -> PageResult {
    let (org, year, members) = ledger_data(&state, &u, &q).await?;
    let lines = members
        .iter()
        .map(|m| {
            let b = m.bases.iter().max_by_key(|b| b.from_month);
            BaseLine {
                member_id: m.member_id,
                name: m.name.clone(),
                category: b.map(|b| b.category.code()).unwrap_or("in_service").to_string(),
                base: b.map(|b| b.base.yuan()).unwrap_or_default(),
                farmer: b.and_then(|b| b.farmer_amount).map(|f| f.yuan()).unwrap_or_default(),
                from_month: b.map(|b| b.from_month.to_string()).unwrap_or_else(|| "1".into()),
                monthly: b.map(|b| b.monthly().yuan()).unwrap_or_default(),
            }
        })
        .collect();
    bases_render(&state, t, &u, org, year, lines, Vec::new()).await
}

/// One row of the bases form, as typed.
#[derive(Default)]
struct RawBase {
    member: String,
    category: String,
    base: String,
    farmer: String,
    from_month: String,
}

/// The rows of a bases form: `member`, `category`, `base`, `farmer`, `from_month`, repeated in step.
fn base_rows(body: &str) -> (Vec<RawBase>, HashMap<String, String>) {
    let mut rows: Vec<RawBase> = Vec::new();
    let mut other = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(body.as_bytes()) {
        let v = v.into_owned();
        if k == "member" {
            rows.push(RawBase { member: v, from_month: "1".into(), ..Default::default() });
            continue;
        }
        match (k.as_ref(), rows.last_mut()) {
            ("category", Some(r)) => r.category = v,
            ("base", Some(r)) => r.base = v,
            ("farmer", Some(r)) => r.farmer = v,
            ("from_month", Some(r)) => r.from_month = v,
            _ => {
                other.insert(k.into_owned(), v);
            }
        }
    }
    (rows, other)
}

/// Parse a base row; a row with no base (and a category that needs one) is skipped.
fn parse_base(name: &str, category: &str, base: &str, farmer: &str, from_month: &str) -> Result<Option<Base>, String> {
    let cat = DuesCategory::parse(category).ok_or_else(|| format!("{name}：党员类别“{category}”无效"))?;
    if cat.uses_base() && base.trim().is_empty() {
        return Ok(None);
    }
    let base = if cat.uses_base() { Fen::parse_yuan(base).map_err(|e| format!("{name}：{}", e.message_zh))? } else { Fen(0) };
    let farmer = if cat == DuesCategory::Farmer && !farmer.trim().is_empty() {
        Some(Fen::parse_yuan(farmer).map_err(|e| format!("{name}：{}", e.message_zh))?)
    } else {
        None
    };
    let from_month = from_month.trim().parse::<u32>().map_err(|_| format!("{name}：起始月份“{from_month}”应为 1–12"))?;
    Ok(Some(Base { from_month, category: cat, base, farmer_amount: farmer }))
}

async fn bases_save(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, body: String) -> PageResult {
    let (rows, other) = base_rows(&body);
    auth::check_csrf(&u, other.get("_csrf").map(String::as_str))?;
    let q = LedgerQuery {
        org: other.get("org").cloned().unwrap_or_default(),
        year: other.get("year").cloned().unwrap_or_default(),
        ..Default::default()
    };
    let (org, year, members) = ledger_data(&state, &u, &q).await?;
    let names: HashMap<i64, String> = members.iter().map(|m| (m.member_id, m.name.clone())).collect();
    let mut errors = Vec::new();
    let mut parsed = Vec::new();
    for r in &rows {
        let id = r.member.parse::<i64>().unwrap_or(0);
        let name = names.get(&id).cloned().unwrap_or_else(|| format!("#{}", r.member));
        match parse_base(&name, &r.category, &r.base, &r.farmer, &r.from_month) {
            Ok(Some(b)) => parsed.push((id, b)),
            Ok(None) => {}
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        match state.store.set_dues_bases(org.meta.id, year, &parsed, state.dues_base_rule, &u.user.username).await {
            Ok(n) => {
                let msg = if t.is_en() { format!("{n} bases saved") } else { format!("已核定 {n} 名党员的缴费基数") };
                return Ok(Redirect::to(&format!("/dues/ledger?org={}&year={year}&msg={}", org.record.code, enc(&msg))).into_response());
            }
            Err(StoreError::Refused(e)) => errors.push(e.message(t.lang()).to_string()),
            Err(e) => return Err(e.into()),
        }
    }
    // Nothing saved: the form comes back with what was typed.
    let lines = rows
        .into_iter()
        .map(|r| {
            let id = r.member.parse::<i64>().unwrap_or(0);
            BaseLine {
                member_id: id,
                name: names.get(&id).cloned().unwrap_or_default(),
                category: r.category,
                base: r.base,
                farmer: r.farmer,
                from_month: r.from_month,
                monthly: String::new(),
            }
        })
        .collect();
    let mut page = bases_render(&state, t, &u, org, year, lines, errors).await?;
    *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(page)
}

// ------------------------------------------------------------------ payments

struct PayLine {
    member_id: i64,
    name: String,
    due: String,
    paid: Option<String>,
    member_yet: bool,
}

#[derive(Template)]
#[template(path = "dues_pay.html")]
struct PayPage {
    c: Chrome,
    org: OrgRow,
    year: i32,
    month: u32,
    lines: Vec<PayLine>,
    errors: Vec<String>,
    today: String,
    tab: &'static str,
}

async fn pay_render(state: &AppState, t: Tr, u: &CurrentUser, q: &LedgerQuery, errors: Vec<String>) -> PageResult {
    let (org, year, members) = ledger_data(state, u, q).await?;
    let today = today();
    let month = q.month.trim().parse::<u32>().ok().filter(|m| (1..=12).contains(m)).unwrap_or(if year == today.year() {
        today.month()
    } else {
        12
    });
    let lines = members
        .iter()
        .map(|m| PayLine {
            member_id: m.member_id,
            name: m.name.clone(),
            due: due_in(&m.bases, &m.reductions, year, month).map(|f| f.yuan()).unwrap_or_default(),
            paid: m.payments.iter().find(|p| p.month == month).map(|p| format!("{} {}", Fen(p.amount_fen).yuan(), p.paid_on)),
            member_yet: (year, month) >= (m.admitted_on.year(), m.admitted_on.month()),
        })
        .collect();
    let title = l(t, "登记党费交纳", "Record payments");
    let c = chrome(state, t, u, "dues", title)
        .await
        .crumb(l(t, "党费", "Dues"), "/dues")
        .crumb(l(t, "党费台账", "Dues ledger"), format!("/dues/ledger?org={}&year={year}", org.record.code))
        .crumb(title, "/dues/pay");
    render(PayPage { c, org, year, month, lines, errors, today: today.to_string(), tab: "pay" })
}

async fn pay_page(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<LedgerQuery>) -> PageResult {
    pay_render(&state, t, &u, &q, Vec::new()).await
}

/// `pay` lists the ticked members; `amount_{id}`, `proxy_{id}` their amount and proxy.
async fn pay_save(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, body: String) -> PageResult {
    let mut ticked = Vec::new();
    let mut f: HashMap<String, String> = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(body.as_bytes()) {
        if k == "pay" {
            ticked.push(v.into_owned());
        } else {
            f.insert(k.into_owned(), v.into_owned());
        }
    }
    auth::check_csrf(&u, f.get("_csrf").map(String::as_str))?;
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let q = LedgerQuery { org: get("org"), year: get("year"), month: get("month"), msg: String::new() };
    let (org, year, _) = ledger_data(&state, &u, &q).await?;
    let mut errors = Vec::new();
    let month = get("month").trim().parse::<u32>().unwrap_or(0);
    let paid_on = parse_date(&get("paid_on"));
    if paid_on.is_none() {
        errors.push(l(t, "交纳日期无效，请写作 2026-11-20", "the payment date is not a date: write 2026-11-20").to_string());
    }
    let mut rows = Vec::new();
    for id in &ticked {
        let Ok(member) = id.parse::<i64>() else { continue };
        match Fen::parse_yuan(&get(&format!("amount_{member}"))) {
            Ok(a) => rows.push((member, a, paid_on.unwrap_or_default(), get(&format!("proxy_{member}")))),
            Err(e) => errors.push(if t.is_en() { e.message_en } else { e.message_zh }),
        }
    }
    if rows.is_empty() && errors.is_empty() {
        errors.push(l(t, "请勾选已交纳的党员", "tick the members who paid").to_string());
    }
    if errors.is_empty() {
        match state.store.record_dues_payments(org.meta.id, year, month, &rows, today(), &u.user.username).await {
            Ok(n) => {
                let msg = if t.is_en() {
                    format!("{n} payments recorded for {year}-{month:02}")
                } else {
                    format!("已登记 {year}年{month}月 {n} 笔党费")
                };
                return Ok(Redirect::to(&format!("/dues/ledger?org={}&year={year}&msg={}", org.record.code, enc(&msg))).into_response());
            }
            Err(StoreError::Refused(e)) => errors.push(e.message(t.lang()).to_string()),
            Err(e) => return Err(e.into()),
        }
    }
    let mut page = pay_render(&state, t, &u, &q, errors).await?;
    *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(page)
}

// ------------------------------------------------------------------ reductions (R4.4)

#[derive(Template)]
#[template(path = "dues_reductions.html")]
struct ReductionsPage {
    c: Chrome,
    org: OrgRow,
    rows: Vec<ReductionRow>,
    members: Vec<(i64, String)>,
    approvers: Vec<(String, String)>,
    msg: String,
    today: String,
    year: i32,
    tab: &'static str,
}

async fn reductions_page(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<LedgerQuery>) -> PageResult {
    let (org, year, members) = ledger_data(&state, &u, &q).await?;
    let rows = state.store.dues_reductions(&[org.meta.id]).await?;
    // Who may approve: the organizations above this one.
    let mut approvers = Vec::new();
    let mut parent = org.parent_id;
    let all = state.store.orgs(&Scope::All, None).await?;
    while let Some(p) = parent {
        let Some(o) = all.iter().find(|o| o.meta.id == p) else { break };
        approvers.push((o.record.code.to_string(), o.record.name.clone()));
        parent = o.parent_id;
        if approvers.len() > 8 {
            break;
        }
    }
    let title = l(t, "党费减免", "Dues reductions");
    let c = chrome(&state, t, &u, "dues", title)
        .await
        .crumb(l(t, "党费", "Dues"), "/dues")
        .crumb(l(t, "党费台账", "Dues ledger"), format!("/dues/ledger?org={}&year={year}", org.record.code))
        .crumb(title, "/dues/reductions");
    let members = members.iter().map(|m| (m.member_id, m.name.clone())).collect();
    render(ReductionsPage { c, org, rows, members, approvers, msg: q.msg, today: today().to_string(), year, tab: "reductions" })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ApplyForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    org: String,
    member: String,
    from: String,
    to: String,
    amount: String,
    reason: String,
    applied_on: String,
}

/// `2026-03` → (2026, 3).
fn year_month(s: &str) -> Option<(i32, u32)> {
    let s = hongzhu_core::normalize_width(s).replace(['年', '/', '.'], "-").replace('月', "");
    let (y, m) = s.split_once('-')?;
    let (y, m) = (y.trim().parse::<i32>().ok()?, m.trim().parse::<u32>().ok()?);
    ((2000..=2100).contains(&y) && (1..=12).contains(&m)).then_some((y, m))
}

async fn reduction_apply(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    axum::extract::Form(f): axum::extract::Form<ApplyForm>,
) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    let q = LedgerQuery { org: f.org.clone(), ..Default::default() };
    let (org, _, _) = ledger_data(&state, &u, &q).await?;
    let back = |msg: &str| Redirect::to(&format!("/dues/reductions?org={}&msg={}", org.record.code, enc(msg))).into_response();
    let (Some(from), Some(to)) = (year_month(&f.from), year_month(&f.to)) else {
        return Ok(back(l(t, "减免期间请写作 2026-03 至 2026-12", "write the period as 2026-03 to 2026-12")));
    };
    let amount = match Fen::parse_yuan(if f.amount.trim().is_empty() { "0" } else { &f.amount }) {
        Ok(a) => a,
        Err(e) => return Ok(back(if t.is_en() { &e.message_en } else { &e.message_zh })),
    };
    let Some(applied_on) = parse_date(&f.applied_on) else {
        return Ok(back(l(t, "申请日期无效，请写作 2026-11-20", "the date is not a date: write 2026-11-20")));
    };
    let member = f.member.trim().parse::<i64>().unwrap_or(0);
    match state.store.apply_dues_reduction(org.meta.id, member, from, to, amount, &f.reason, applied_on, today(), &u.user.username).await {
        Ok(_) => Ok(back("saved")),
        Err(StoreError::Refused(e)) => Ok(back(e.message(t.lang()))),
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DecideForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    org: String,
    step: String,
    on: String,
    approver: String,
}

async fn reduction_decide(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    axum::extract::Form(f): axum::extract::Form<DecideForm>,
) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    let q = LedgerQuery { org: f.org.clone(), ..Default::default() };
    let (org, _, _) = ledger_data(&state, &u, &q).await?;
    let back = |msg: &str| Redirect::to(&format!("/dues/reductions?org={}&msg={}", org.record.code, enc(msg))).into_response();
    let step = match f.step.as_str() {
        "review" => ReductionStep::Review,
        "approve" => ReductionStep::Approve,
        "reject" => ReductionStep::Reject,
        _ => return Ok(back(l(t, "处理方式应为：审核、批准、不批准", "step is review, approve or reject"))),
    };
    let Some(on) = parse_date(&f.on) else {
        return Ok(back(l(t, "日期无效，请写作 2026-11-20", "the date is not a date: write 2026-11-20")));
    };
    // The organizations the user acts for (a region's county user: the region's).
    let acting = crate::pages::acting_orgs(&state, &u).await?;
    match state.store.decide_dues_reduction(id, step, on, Some(&f.approver), acting.as_deref(), today(), &u.user.username).await {
        Ok(()) => Ok(back("saved")),
        Err(StoreError::Refused(e)) => Ok(back(e.message(t.lang()))),
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------------ the yearly report and its publication

struct ReportLine {
    code: String,
    name: String,
    sum: Totals,
}

#[derive(Template)]
#[template(path = "dues_report.html")]
struct ReportPage {
    c: Chrome,
    year: i32,
    lines: Vec<ReportLine>,
    all: Totals,
    tab: &'static str,
}

async fn report_lines(state: &AppState, u: &CurrentUser, year: i32) -> Result<(Vec<ReportLine>, Totals), AppError> {
    let orgs: Vec<OrgRow> = state.store.orgs(&u.scope, None).await?.into_iter().filter(|o| o.member_count > 0).collect();
    let ids: Vec<i64> = orgs.iter().map(|o| o.meta.id).collect();
    let members = state.store.dues_members(&ids, year).await?;
    let today = today();
    let zh = Tr(crate::i18n::Locale::Zh);
    let mut lines = Vec::new();
    let mut all_lines = Vec::new();
    for o in &orgs {
        let mine: Vec<DuesMember> = members.iter().filter(|m| m.org_id == o.meta.id).cloned().collect();
        let ls: Vec<LedgerLine> = mine.iter().map(|m| ledger_line(zh, m, year, today)).collect();
        lines.push(ReportLine { code: o.record.code.to_string(), name: o.record.name.clone(), sum: totals(&ls, &mine) });
        all_lines.extend(ls);
    }
    let all = totals(&all_lines, &members);
    Ok((lines, all))
}

async fn report_page(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<LedgerQuery>) -> PageResult {
    allowed(&u)?;
    let year = year_of(&q.year)?;
    let (lines, all) = report_lines(&state, &u, year).await?;
    let title = l(t, "党费年度报告", "Dues: the year's report");
    let c = chrome(&state, t, &u, "dues", title).await.crumb(l(t, "党费", "Dues"), "/dues").crumb(title, "/dues/report");
    render(ReportPage { c, year, lines, all, tab: "report" })
}

#[derive(Template)]
#[template(path = "dues_publish.html")]
struct PublishPage {
    org: OrgRow,
    year: i32,
    rows: Vec<(String, u32, String)>,
    total: String,
    printed_on: String,
}

/// The yearly publication (公示): each member's months paid and amount, nothing about pay.
async fn publish_page(State(state): State<AppState>, PageUser(u): PageUser, Query(q): Query<LedgerQuery>) -> PageResult {
    let (org, year, members) = ledger_data(&state, &u, &q).await?;
    crate::security::audit(
        &state,
        u.actor.clone(),
        "print",
        format!("dues publication {} {year}", org.record.code),
        hongzhu_store::Outcome::Success,
        "",
    )
    .await?;
    let rows: Vec<(String, u32, String)> = members
        .iter()
        .map(|m| (m.name.clone(), m.payments.len() as u32, Fen(m.payments.iter().map(|p| p.amount_fen).sum()).yuan()))
        .collect();
    let total = Fen(members.iter().flat_map(|m| m.payments.iter()).map(|p| p.amount_fen).sum()).yuan();
    render(PublishPage { org, year, rows, total, printed_on: today().to_string() })
}

// ------------------------------------------------------------------ API

fn line_json(x: &LedgerLine) -> Value {
    json!({
        "member": x.member_id,
        "name": x.name,
        "monthly": x.monthly,
        "months": x.cells.iter().map(|c| c.text.clone()).collect::<Vec<_>>(),
        "due": x.due.yuan(),
        "paid": x.paid.yuan(),
        "unpaid_months": x.unpaid,
        "late_over_6_months": x.late,
    })
}

async fn api_ledger(State(state): State<AppState>, ApiUser(u): ApiUser, Query(q): Query<LedgerQuery>) -> ApiResult {
    let (org, year, members) = ledger_data(&state, &u, &q).await?;
    let zh = Tr(crate::i18n::Locale::Zh);
    let lines: Vec<LedgerLine> = members.iter().map(|m| ledger_line(zh, m, year, today())).collect();
    let sum = totals(&lines, &members);
    Ok(axum::Json(json!({
        "org": org.record.code.as_str(),
        "year": year,
        "members": lines.iter().map(line_json).collect::<Vec<_>>(),
        "due": sum.due.yuan(),
        "paid": sum.paid.yuan(),
        "members_with_unpaid_months": sum.unpaid_members,
        "without_base": sum.no_base,
    }))
    .into_response())
}

type JsonBody = Result<axum::Json<Value>, axum::extract::rejection::JsonRejection>;

fn api_body(body: JsonBody) -> Result<serde_json::Map<String, Value>, ApiError> {
    let axum::Json(v) = body.map_err(|e| crate::error::json_rejection(e, "对象"))?;
    match v {
        Value::Object(m) => Ok(m),
        _ => Err(AppError::BadRequest("请求体应为 JSON 对象".into()).into()),
    }
}

fn text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// `{org, year, bases: [{member, category, base, farmer, from_month}]}`: replaces those members'
/// bases for the year.
async fn api_bases(State(state): State<AppState>, ApiUser(u): ApiUser, headers: HeaderMap, body: JsonBody) -> ApiResult {
    crate::api::csrf(&u, &headers)?;
    let b = api_body(body)?;
    let q = LedgerQuery { org: text(b.get("org")), year: text(b.get("year")), ..Default::default() };
    let (org, year, members) = ledger_data(&state, &u, &q).await?;
    let names: HashMap<i64, String> = members.iter().map(|m| (m.member_id, m.name.clone())).collect();
    let mut parsed = Vec::new();
    let mut errors = Vec::new();
    for (i, r) in b.get("bases").and_then(Value::as_array).cloned().unwrap_or_default().iter().enumerate() {
        let id = text(r.get("member")).parse::<i64>().unwrap_or(0);
        let name = names.get(&id).cloned().unwrap_or_else(|| format!("第{}项", i + 1));
        let from = text(r.get("from_month"));
        match parse_base(
            &name,
            &text(r.get("category")),
            &text(r.get("base")),
            &text(r.get("farmer")),
            if from.is_empty() { "1" } else { &from },
        ) {
            Ok(Some(base)) => parsed.push((id, base)),
            Ok(None) => errors.push(FieldError::new("base", "required", format!("{name}：请填写缴费基数"), "the base is required")),
            Err(e) => errors.push(FieldError::new("bases", "invalid", e, "a base is not valid")),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors).into());
    }
    let n = state.store.set_dues_bases(org.meta.id, year, &parsed, state.dues_base_rule, &u.user.username).await?;
    Ok(axum::Json(json!({"org": org.record.code.as_str(), "year": year, "saved": n})).into_response())
}

/// `{org, year, month, paid_on, payments: [{member, amount, proxy}]}`.
async fn api_payments(State(state): State<AppState>, ApiUser(u): ApiUser, headers: HeaderMap, body: JsonBody) -> ApiResult {
    crate::api::csrf(&u, &headers)?;
    let b = api_body(body)?;
    let q = LedgerQuery { org: text(b.get("org")), year: text(b.get("year")), ..Default::default() };
    let (org, year, _) = ledger_data(&state, &u, &q).await?;
    let month = text(b.get("month")).parse::<u32>().map_err(|_| bad("month", "月份应为 1–12".into(), "month is 1–12"))?;
    let paid_on =
        parse_date(&text(b.get("paid_on"))).ok_or_else(|| bad("paid_on", "交纳日期无效，请写作 2026-11-20".into(), "paid_on is a date"))?;
    let mut rows = Vec::new();
    for r in b.get("payments").and_then(Value::as_array).cloned().unwrap_or_default() {
        let id = text(r.get("member")).parse::<i64>().map_err(|_| bad("member", "党员编号无效".into(), "member is a member id"))?;
        let amount = Fen::parse_yuan(&text(r.get("amount"))).map_err(|e| AppError::Invalid(vec![FieldError::from_invalid("amount", e)]))?;
        rows.push((id, amount, paid_on, text(r.get("proxy"))));
    }
    let n = state.store.record_dues_payments(org.meta.id, year, month, &rows, today(), &u.user.username).await?;
    Ok((StatusCode::CREATED, axum::Json(json!({"org": org.record.code.as_str(), "year": year, "month": month, "recorded": n})))
        .into_response())
}

async fn api_report(State(state): State<AppState>, ApiUser(u): ApiUser, Query(q): Query<LedgerQuery>) -> ApiResult {
    allowed(&u)?;
    let year = year_of(&q.year)?;
    let (lines, all) = report_lines(&state, &u, year).await?;
    let row = |s: &Totals| json!({"members": s.members, "due": s.due.yuan(), "paid": s.paid.yuan(), "members_with_unpaid_months": s.unpaid_members, "late_over_6_months": s.late, "without_base": s.no_base});
    Ok(axum::Json(json!({
        "year": year,
        "orgs": lines.iter().map(|x| { let mut v = row(&x.sum); v["org"] = json!(x.code); v["name"] = json!(x.name); v }).collect::<Vec<_>>(),
        "total": row(&all),
    }))
    .into_response())
}

use std::collections::HashMap;

/// `12.50` from fen (templates).
pub fn yuan(fen: &i64) -> String {
    Fen(*fen).yuan()
}
