//! 党员发展 (DOMAIN §3): the 双培养 view (per school, the young and backbone teachers not yet
//! members, by stage — schools without members first, since developing members there is the
//! coverage audit's first remedy), the development roster, what is due this month and this
//! quarter, and each person's record through the 25 steps with the rules enforced when a step is
//! recorded (R2.x) and deadlines flagged. Admission (step 17) and full membership (step 24) update
//! the member register themselves.
use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{Datelike, NaiveDate};
use hongzhu_core::development::{self, Needs, Outcome, Progress, STEPS, StepInput, step_info};
use hongzhu_core::labels::{Labeled, PoliticalStatus};
use hongzhu_core::registry::FieldError;
use hongzhu_store::development::{Candidate, Checking, MemberChoice, OrgRef, PipelineRow, StepRow};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::{self, ApiUser, CurrentUser, Lang, PageUser};
use crate::error::{ApiError, AppError};
use crate::i18n::Tr;
use crate::pages::{PageResult, chrome, county_or_secretary as allowed, local_today as today, render, zh_en as l};
use crate::view::{Chrome, enc};

type ApiResult = Result<Response, ApiError>;

/// Workbooks are in Chinese whatever the screen's language (the county's files).
const ZH: Tr = Tr(crate::i18n::Locale::Zh);

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/development", get(pipeline))
        .route("/development/people", get(people_page))
        .route("/development/people.xlsx", get(people_xlsx))
        .route("/development/due", get(due_page))
        .route("/development/people/{id}", get(record_page))
        .route("/development/people/{id}/steps", post(record_step))
        .route("/development/people/{id}/withdraw", post(withdraw))
        .route("/api/v1/development/people", get(api_people))
        .route("/api/v1/development/people/{id}", get(api_record))
        .route("/api/v1/development/people/{id}/steps", post(api_step))
        .route("/api/v1/development/due", get(api_due))
}

// ------------------------------------------------------------------ 双培养

#[derive(Template)]
#[template(path = "development.html")]
struct PipelinePage {
    c: Chrome,
    rows: Vec<PipelineRow>,
    total: PipelineRow,
    without_members: usize,
}

async fn pipeline(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser) -> PageResult {
    allowed(&u)?;
    let today = today();
    // 35 or younger: born after this day 36 years ago.
    let born_after = today.with_year(today.year() - 36).unwrap_or_else(|| today - chrono::Duration::days(36 * 365 + 9));
    let mut rows = state.store.dual_training(&u.scope, born_after).await?;
    rows.sort_by_key(|r| (r.members > 0, r.town.clone(), r.institution.clone()));
    let mut total = PipelineRow::default();
    for r in &rows {
        total.members += r.members;
        total.young += r.young;
        total.backbone += r.backbone;
        total.applicants += r.applicants;
        total.activists += r.activists;
        total.candidates += r.candidates;
    }
    let without_members = rows.iter().filter(|r| r.members == 0).count();
    let title = l(t, "党员发展 · 双培养", "Developing members (双培养)");
    let c = chrome(&state, t, &u, "development", title).await.crumb(title, "/development");
    render(PipelinePage { c, rows, total, without_members })
}

// ------------------------------------------------------------------ the roster

/// One person as the roster and the API show them.
struct Line {
    c: Candidate,
    p: Progress,
}

impl Line {
    fn new(c: Candidate, today: NaiveDate) -> Self {
        let p = development::progress(&c.history(), today);
        Line { c, p }
    }
    fn stage(&self, t: Tr) -> &'static str {
        match (self.c.political_status, self.c.development_stage) {
            (PoliticalStatus::Probationary, _) => l(t, "预备党员", "Probationary member"),
            (PoliticalStatus::Member, _) => l(t, "正式党员", "Full member"),
            (_, Some(s)) => s.label(t.lang()),
            (_, None) => "—",
        }
    }
    fn stage_code(&self) -> &'static str {
        match (self.c.political_status, self.c.development_stage) {
            (PoliticalStatus::Probationary, _) => "probationary",
            (PoliticalStatus::Member, _) => "member",
            (_, Some(s)) => s.code(),
            (_, None) => "",
        }
    }
    fn last(&self, t: Tr) -> String {
        match step_info(self.p.last) {
            Some(i) => format!("{}. {}", i.number, if t.is_en() { i.en } else { i.zh }),
            None => l(t, "尚无记录（台账导入）", "no record yet (from the ledger)").to_string(),
        }
    }
    fn next(&self, t: Tr) -> String {
        self.p
            .next
            .iter()
            .filter_map(|n| step_info(*n))
            .map(|i| format!("{}. {}", i.number, if t.is_en() { i.en } else { i.zh }))
            .collect::<Vec<_>>()
            .join(l(t, " 或 ", " or "))
    }
    fn due(&self, t: Tr) -> String {
        self.p.due.map(|(d, zh, en)| format!("{d} {}", if t.is_en() { en } else { zh })).unwrap_or_default()
    }
    fn overdue(&self) -> bool {
        self.p.flags.iter().any(|f| f.overdue)
    }
    fn flags(&self, t: Tr) -> Vec<String> {
        self.p.flags.iter().map(|f| if t.is_en() { f.en.clone() } else { f.zh.clone() }).collect()
    }
    fn org_name(&self) -> &str {
        self.c.org.as_ref().map(|o| o.name.as_str()).unwrap_or("—")
    }
    fn json(&self) -> Value {
        json!({
            "staff_id": self.c.staff_id,
            "person_id": self.c.person_id,
            "name": self.c.name,
            "institution": self.c.institution,
            "institution_name": self.c.institution_name,
            "org": self.c.org.as_ref().map(|o| o.code.clone()),
            "stage": self.stage_code(),
            "backbone": self.c.backbone,
            "last_step": self.p.last,
            "next_steps": self.p.next,
            "due": self.p.due.map(|d| json!({"on": d.0, "what": d.1})),
            "candidate_from": self.p.candidate_from,
            "probation_end": self.p.probation_end,
            "flags": self.p.flags,
        })
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RosterQuery {
    q: String,
    institution: String,
    stage: String,
    flagged: String,
    page: String,
    page_size: String,
}

fn filter_lines(lines: Vec<Line>, q: &RosterQuery) -> Vec<Line> {
    let name = q.q.trim();
    let inst = q.institution.trim();
    lines
        .into_iter()
        .filter(|x| name.is_empty() || x.c.name.contains(name))
        .filter(|x| inst.is_empty() || x.c.institution == inst || x.c.institution_name.contains(inst))
        .filter(|x| q.stage.is_empty() || x.stage_code() == q.stage)
        .filter(|x| q.flagged != "1" || !x.p.flags.is_empty())
        .collect()
}

async fn lines(state: &AppState, u: &CurrentUser) -> Result<Vec<Line>, AppError> {
    let today = today();
    Ok(state.store.development_people(&u.scope).await?.into_iter().map(|c| Line::new(c, today)).collect())
}

struct RosterRow {
    staff_id: i64,
    name: String,
    school: String,
    org: String,
    stage: &'static str,
    backbone: bool,
    last: String,
    next: String,
    due: String,
    flags: usize,
    overdue: bool,
}

#[derive(Template)]
#[template(path = "development_people.html")]
struct RosterPage {
    c: Chrome,
    q: RosterQuery,
    stages: Vec<(&'static str, &'static str, bool)>,
    rows: Vec<RosterRow>,
    pager: crate::view::Pager,
    query: String,
}

fn stage_options(t: Tr, selected: &str) -> Vec<(&'static str, &'static str, bool)> {
    [
        ("applicant", "入党申请人", "Applicant"),
        ("activist", "入党积极分子", "Activist"),
        ("candidate", "发展对象", "Candidate"),
        ("probationary", "预备党员", "Probationary member"),
    ]
    .into_iter()
    .map(|(code, zh, en)| (code, if t.is_en() { en } else { zh }, code == selected))
    .collect()
}

async fn people_page(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<RosterQuery>) -> PageResult {
    allowed(&u)?;
    let all = filter_lines(lines(&state, &u).await?, &q);
    let total = all.len();
    let size = q.page_size.trim().parse::<u64>().ok().filter(|n| (1..=500).contains(n)).unwrap_or(50);
    let pages = (total as u64).div_ceil(size).max(1);
    let page = q.page.trim().parse::<u64>().unwrap_or(1).clamp(1, pages);
    let rows = all
        .into_iter()
        .skip(((page - 1) * size) as usize)
        .take(size as usize)
        .map(|x| RosterRow {
            staff_id: x.c.staff_id,
            stage: x.stage(t),
            last: x.last(t),
            next: x.next(t),
            due: x.due(t),
            flags: x.p.flags.len(),
            overdue: x.overdue(),
            org: x.org_name().to_string(),
            backbone: x.c.backbone,
            school: x.c.institution_name.clone(),
            name: x.c.name.clone(),
        })
        .collect();
    let query = format!("q={}&institution={}&stage={}&flagged={}", enc(&q.q), enc(&q.institution), enc(&q.stage), enc(&q.flagged));
    let title = l(t, "发展党员台账", "Development roster");
    let c = chrome(&state, t, &u, "development", title)
        .await
        .crumb(l(t, "党员发展", "Developing members"), "/development")
        .crumb(title, "/development/people");
    let stages = stage_options(t, &q.stage);
    let filters = [("q", q.q.clone()), ("institution", q.institution.clone()), ("stage", q.stage.clone()), ("flagged", q.flagged.clone())];
    let pager = crate::view::Pager::new(total as i64, page, size, "/development/people", &filters);
    render(RosterPage { c, q, stages, rows, pager, query })
}

async fn people_xlsx(State(state): State<AppState>, PageUser(u): PageUser, Query(q): Query<RosterQuery>) -> PageResult {
    allowed(&u)?;
    let all = filter_lines(lines(&state, &u).await?, &q);
    crate::security::audit(
        &state,
        u.actor.clone(),
        "export",
        "development roster".to_string(),
        hongzhu_store::Outcome::Success,
        format!("{} people; xlsx", all.len()),
    )
    .await?;
    use hongzhu_ledger::table::Cell;
    let rows: Vec<Vec<Cell>> = all
        .iter()
        .map(|x| {
            let on = |n: u8| x.c.steps.iter().rev().find(|s| s.record.step == n).map(|s| s.record.on.to_string()).unwrap_or_default();
            vec![
                Cell::from(x.c.name.clone()),
                Cell::from(x.c.institution_name.clone()),
                Cell::from(x.org_name().to_string()),
                Cell::from(x.stage(ZH)),
                Cell::from(if x.c.backbone { "是" } else { "" }),
                Cell::from(on(1)),
                Cell::from(on(3)),
                Cell::from(on(7)),
                Cell::from(on(15)),
                Cell::from(x.p.probation_end.map(|d| d.to_string()).unwrap_or_default()),
                Cell::from(x.last(ZH)),
                Cell::from(x.next(ZH)),
                Cell::from(x.due(ZH)),
                Cell::from(x.flags(ZH).join("；")),
            ]
        })
        .collect();
    let columns = [
        ("姓名", 9.0),
        ("学校", 24.0),
        ("党组织", 24.0),
        ("阶段", 11.0),
        ("骨干教师", 7.0),
        ("申请日期", 11.0),
        ("确定积极分子", 11.0),
        ("确定发展对象", 11.0),
        ("支部大会接收", 11.0),
        ("预备期满", 11.0),
        ("已完成", 22.0),
        ("下一步", 22.0),
        ("到期", 24.0),
        ("提醒", 50.0),
    ];
    let bytes = hongzhu_ledger::table::table(&format!("发展党员工作台账（{}）", today()), "发展党员台账", &columns, &rows)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let name = format!("发展党员台账-{}.xlsx", today());
    crate::view::xlsx_response(bytes, "development.xlsx", &name)
}

// ------------------------------------------------------------------ due this month / quarter

/// The quarter of a day: its first and last day.
fn quarter(d: NaiveDate) -> (NaiveDate, NaiveDate) {
    let q0 = (d.month0() / 3) * 3 + 1;
    let first = NaiveDate::from_ymd_opt(d.year(), q0, 1).expect("valid");
    (first, development::add_months(first, 3).pred_opt().expect("valid"))
}

/// The last day of the month of `d`.
pub(crate) fn month_end(d: NaiveDate) -> NaiveDate {
    development::add_months(d.with_day(1).expect("valid"), 1).pred_opt().expect("valid")
}

/// What is due: this month (the secretary's list: due by the month's end, or overdue), and this
/// quarter (the county's: who may become a candidate, awaits approval of admission, or reaches
/// the end of probation).
struct Due<'a> {
    month: Vec<&'a Line>,
    candidates: Vec<&'a Line>,
    admissions: Vec<&'a Line>,
    full: Vec<&'a Line>,
}

fn due_of(all: &[Line], today: NaiveDate) -> Due<'_> {
    let end = month_end(today);
    let (_, q_end) = quarter(today);
    let last = |x: &Line| x.p.last;
    Due {
        month: all.iter().filter(|x| x.overdue() || x.p.due.is_some_and(|d| d.0 <= end)).collect(),
        candidates: all.iter().filter(|x| (3..=6).contains(&last(x)) && x.p.candidate_from.is_some_and(|d| d <= q_end)).collect(),
        admissions: all.iter().filter(|x| (15..=16).contains(&last(x))).collect(),
        full: all.iter().filter(|x| (17..=23).contains(&last(x)) && x.p.probation_end.is_some_and(|d| d <= q_end)).collect(),
    }
}

struct DueRow {
    staff_id: i64,
    name: String,
    school: String,
    what: String,
    on: String,
    overdue: bool,
    flags: Vec<String>,
}

fn due_rows(t: Tr, xs: &[&Line], on: impl Fn(&Line) -> Option<NaiveDate>) -> Vec<DueRow> {
    let mut rows: Vec<DueRow> = xs
        .iter()
        .map(|x| DueRow {
            staff_id: x.c.staff_id,
            name: x.c.name.clone(),
            school: x.c.institution_name.clone(),
            what: x.p.due.map(|d| if t.is_en() { d.2 } else { d.1 }.to_string()).unwrap_or_else(|| x.next(t)),
            on: on(x).map(|d| d.to_string()).unwrap_or_default(),
            overdue: x.overdue(),
            flags: x.flags(t),
        })
        .collect();
    rows.sort_by(|a, b| (!a.overdue, &a.on).cmp(&(!b.overdue, &b.on)));
    rows
}

#[derive(Template)]
#[template(path = "development_due.html")]
struct DuePage {
    c: Chrome,
    month_label: String,
    quarter_label: String,
    month: Vec<DueRow>,
    candidates: Vec<DueRow>,
    admissions: Vec<DueRow>,
    full: Vec<DueRow>,
}

async fn due_page(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser) -> PageResult {
    allowed(&u)?;
    let all = lines(&state, &u).await?;
    let today = today();
    let d = due_of(&all, today);
    let (qa, qb) = quarter(today);
    let title = l(t, "发展党员到期提醒", "Development: what is due");
    let c = chrome(&state, t, &u, "development", title)
        .await
        .crumb(l(t, "党员发展", "Developing members"), "/development")
        .crumb(title, "/development/due");
    render(DuePage {
        c,
        month_label: if t.is_en() { today.format("%Y-%m").to_string() } else { format!("{}年{}月", today.year(), today.month()) },
        quarter_label: if t.is_en() { format!("{qa} – {qb}") } else { format!("{}年第{}季度", today.year(), today.month0() / 3 + 1) },
        month: due_rows(t, &d.month, |x| x.p.due.map(|d| d.0)),
        candidates: due_rows(t, &d.candidates, |x| x.p.candidate_from),
        admissions: due_rows(t, &d.admissions, |x| {
            x.c.steps.iter().rev().find(|s| s.record.step == 15).map(|s| development::add_months(s.record.on, 3))
        }),
        full: due_rows(t, &d.full, |x| x.p.probation_end),
    })
}

// ------------------------------------------------------------------ one person's record

struct StepLine {
    id: i64,
    number: u8,
    phase: &'static str,
    name: &'static str,
    on: String,
    detail: String,
    by: String,
    first_of_phase: bool,
}

/// One form per step that may come next, with the fields that step needs.
struct NextForm {
    number: u8,
    name: &'static str,
    needs: Needs,
}

impl NextForm {
    fn needs_people(&self) -> bool {
        matches!(self.needs, Needs::Contacts | Needs::Introducers)
    }
}

#[derive(Template)]
#[template(path = "development_record.html")]
struct RecordPage {
    c: Chrome,
    x: Line,
    stage: &'static str,
    steps: Vec<StepLine>,
    forms: Vec<NextForm>,
    members: Vec<MemberChoice>,
    committees: Vec<OrgRef>,
    last_id: Option<i64>,
    error: Option<(u8, Vec<String>)>,
    input: StepInput,
    saved: bool,
    notice_days: u32,
    today: String,
}

impl RecordPage {
    /// What was typed into the form of step `n` when it came back with an error.
    fn val(&self, n: &u8, field: &str) -> &str {
        if self.error.as_ref().map(|e| e.0) != Some(*n) {
            return "";
        }
        let i = &self.input;
        match field {
            "on" => &i.on,
            "days" => &i.days,
            "hours" => &i.hours,
            "due" => &i.due,
            "present" => &i.present,
            "yes" => &i.yes,
            "approver" => &i.approver,
            "notice_from" => &i.notice_from,
            "notice_to" => &i.notice_to,
            "outcome" => &i.outcome,
            "extend_months" => &i.extend_months,
            "passed" => &i.passed,
            "note" => &i.note,
            _ => "",
        }
    }
    fn is_last(&self, id: &i64) -> bool {
        self.last_id == Some(*id)
    }
    fn checked(&self, n: &u8, member: &i64) -> bool {
        self.error.as_ref().map(|e| e.0) == Some(*n) && self.input.people.iter().any(|p| p.trim() == member.to_string())
    }
}

fn detail(t: Tr, r: &StepRow, names: &HashMap<i64, String>) -> String {
    let s = &r.record;
    let mut parts: Vec<String> = Vec::new();
    if !s.people.is_empty() {
        let who: Vec<String> = s.people.iter().map(|p| names.get(p).cloned().unwrap_or_else(|| format!("#{p}"))).collect();
        parts.push(format!(
            "{}{}",
            if s.step == 9 { l(t, "介绍人：", "introducers: ") } else { l(t, "联系人：", "contacts: ") },
            who.join("、")
        ));
    }
    if let Some(d) = s.days {
        parts.push(format!("{d} {}", l(t, "天", "days")));
    }
    if let Some(h) = s.hours {
        parts.push(format!("{h} {}", l(t, "学时", "hours")));
    }
    if let (Some(due), Some(p), Some(y)) = (s.due, s.present, s.yes) {
        parts.push(if t.is_en() { format!("due {due}, present {p}, yes {y}") } else { format!("应到 {due}、实到 {p}、赞成 {y}") });
    }
    if let Some((a, b)) = s.notice {
        parts.push(format!("{}{a} – {b}", l(t, "公示 ", "notice ")));
    }
    if let Some(name) = &r.approver_name {
        parts.push(name.clone());
    }
    match s.outcome {
        Some(Outcome::Full) => parts.push(l(t, "按期转正", "full membership").to_string()),
        Some(Outcome::Extend(m)) => {
            parts.push(if t.is_en() { format!("probation extended by {m} months") } else { format!("延长预备期 {m} 个月") })
        }
        None => {}
    }
    if s.passed == Some(true) {
        parts.push(l(t, "政审合格", "review passed").to_string());
    }
    if !s.note.is_empty() {
        parts.push(s.note.clone());
    }
    parts.join("；")
}

async fn load(state: &AppState, u: &CurrentUser, id: i64) -> Result<Candidate, AppError> {
    state.store.development_record(&u.scope, id).await?.ok_or(AppError::NotFound)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RecordQuery {
    saved: String,
}

async fn record_page(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    Query(q): Query<RecordQuery>,
) -> PageResult {
    allowed(&u)?;
    let c = load(&state, &u, id).await?;
    record_render(&state, t, &u, c, None, StepInput::default(), q.saved == "1").await
}

async fn record_render(
    state: &AppState,
    t: Tr,
    u: &CurrentUser,
    c: Candidate,
    error: Option<(u8, Vec<String>)>,
    input: StepInput,
    saved: bool,
) -> PageResult {
    let ids: Vec<i64> = c.steps.iter().flat_map(|s| s.record.people.iter().copied()).collect();
    let names = state.store.member_names(&ids).await?;
    let members = match &c.org {
        Some(o) => state.store.member_choices(o.id).await?,
        None => Vec::new(),
    };
    let committees = state.store.approving_committees().await?;
    let mut steps = Vec::new();
    let mut phase = None;
    for s in &c.steps {
        let info = step_info(s.record.step).expect("stored steps are 1–25");
        steps.push(StepLine {
            id: s.id,
            number: info.number,
            phase: if t.is_en() { info.phase.en() } else { info.phase.zh() },
            name: if t.is_en() { info.en } else { info.zh },
            on: s.record.on.to_string(),
            detail: detail(t, s, &names),
            by: s.created_by.clone(),
            first_of_phase: phase != Some(info.phase),
        });
        phase = Some(info.phase);
    }
    let x = Line::new(c, today());
    let forms = if x.c.org.is_some() && !(x.c.steps.is_empty() && x.c.political_status.is_party_member()) {
        x.p.next
            .iter()
            .filter_map(|n| step_info(*n))
            .map(|i| NextForm { number: i.number, name: if t.is_en() { i.en } else { i.zh }, needs: i.needs })
            .collect()
    } else {
        Vec::new()
    };
    let last_id = x.c.steps.last().filter(|s| !matches!(s.record.step, 17 | 24)).map(|s| s.id);
    let title = format!("{} · {}", x.c.name, l(t, "发展党员记录", "development record"));
    let chrome = chrome(state, t, u, "development", title.clone())
        .await
        .crumb(l(t, "党员发展", "Developing members"), "/development")
        .crumb(l(t, "发展党员台账", "Development roster"), "/development/people")
        .crumb(x.c.name.clone(), format!("/development/people/{}", x.c.staff_id));
    let stage = x.stage(t);
    render(RecordPage {
        c: chrome,
        stage,
        x,
        steps,
        forms,
        members,
        committees,
        last_id,
        error,
        input,
        saved,
        notice_days: state.notice_working_days,
        today: today().to_string(),
    })
}

/// A form's fields, with `people` repeated (checkboxes).
fn form_input(body: &str) -> Result<(StepInput, String), AppError> {
    let pairs = url::form_urlencoded::parse(body.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned()));
    let mut input = StepInput::default();
    let mut csrf = String::new();
    for (k, v) in pairs {
        match k.as_str() {
            "_csrf" => csrf = v,
            "step" => input.step = v,
            "on" => input.on = v,
            "people" => input.people.push(v),
            "days" => input.days = v,
            "hours" => input.hours = v,
            "due" => input.due = v,
            "present" => input.present = v,
            "yes" => input.yes = v,
            "approver" => input.approver = v,
            "notice_from" => input.notice_from = v,
            "notice_to" => input.notice_to = v,
            "outcome" => input.outcome = v,
            "extend_months" => input.extend_months = v,
            "passed" => input.passed = v,
            "note" => input.note = v,
            _ => {}
        }
    }
    Ok((input, csrf))
}

/// Parse and record; the error is the list of messages to show.
async fn save(state: &AppState, u: &CurrentUser, id: i64, input: &StepInput) -> Result<Result<StepRow, Vec<FieldError>>, AppError> {
    let (record, approver) = match input.parse() {
        Ok(v) => v,
        Err(e) => return Ok(Err(e)),
    };
    match state
        .store
        .record_development_step(
            &u.scope,
            id,
            &record,
            approver.as_deref(),
            Checking { today: today(), notice_working_days: state.notice_working_days },
            &u.user.username,
        )
        .await
    {
        Ok(row) => Ok(Ok(row)),
        Err(hongzhu_store::StoreError::Refused(e)) => Ok(Err(vec![e])),
        Err(e) => Err(e.into()),
    }
}

async fn record_step(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Path(id): Path<i64>, body: String) -> PageResult {
    let (input, csrf) = form_input(&body)?;
    auth::check_csrf(&u, Some(&csrf))?;
    allowed(&u)?;
    let c = load(&state, &u, id).await?;
    match save(&state, &u, id, &input).await? {
        Ok(_) => Ok(Redirect::to(&format!("/development/people/{id}?saved=1#steps")).into_response()),
        Err(errors) => {
            // Nothing is written; the page comes back with the message and what was typed.
            let step = input.step.trim().parse::<u8>().unwrap_or(0);
            let msgs = errors.iter().map(|e| e.message(t.lang()).to_string()).collect();
            let mut page = record_render(&state, t, &u, c, Some((step, msgs)), input, false).await?;
            *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(page)
        }
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct WithdrawForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    step_id: String,
}

async fn withdraw(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<WithdrawForm>,
) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    allowed(&u)?;
    let step_id = f.step_id.trim().parse::<i64>().map_err(|_| AppError::BadRequest("step_id 应为步骤记录的编号".into()))?;
    match state.store.withdraw_development_step(&u.scope, id, step_id, &u.user.username).await {
        Ok(()) => Ok(Redirect::to(&format!("/development/people/{id}#steps")).into_response()),
        Err(hongzhu_store::StoreError::Refused(e)) => {
            let c = load(&state, &u, id).await?;
            let mut page =
                record_render(&state, t, &u, c, Some((0, vec![e.message(t.lang()).to_string()])), StepInput::default(), false).await?;
            *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(page)
        }
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------------ API

async fn api_people(State(state): State<AppState>, ApiUser(u): ApiUser, Query(q): Query<RosterQuery>) -> ApiResult {
    allowed(&u)?;
    let all = filter_lines(lines(&state, &u).await?, &q);
    let items: Vec<Value> = all.iter().map(Line::json).collect();
    Ok(axum::Json(json!({"items": items, "total": items.len()})).into_response())
}

async fn api_record(State(state): State<AppState>, ApiUser(u): ApiUser, Path(id): Path<i64>) -> ApiResult {
    allowed(&u)?;
    let c = load(&state, &u, id).await?;
    let steps = serde_json::to_value(&c.steps).map_err(|e| AppError::Internal(e.to_string()))?;
    let x = Line::new(c, today());
    let mut v = x.json();
    v["steps"] = steps;
    v["steps_total"] = json!(STEPS.len());
    Ok(axum::Json(v).into_response())
}

/// The API's body: like the form, with `people` an array of member ids (or a comma list) and
/// numbers, booleans and text all accepted.
fn api_input(body: Result<axum::Json<Value>, axum::extract::rejection::JsonRejection>) -> Result<StepInput, ApiError> {
    let axum::Json(v) = body.map_err(|e| crate::error::json_rejection(e, "对象：{step, on, …}"))?;
    let Value::Object(mut map) = v else {
        return Err(AppError::BadRequest("请求体应为 JSON 对象".into()).into());
    };
    let people: Vec<String> = match map.remove("people") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.into_iter().map(|p| p.as_str().map(str::to_string).unwrap_or_else(|| p.to_string())).collect(),
        Some(Value::String(s)) => s.split([',', '，', '、']).map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect(),
        Some(other) => vec![other.to_string()],
    };
    let mut input: StepInput = crate::api::input(Ok(axum::Json(Value::Object(map))))?;
    input.people = people;
    Ok(input)
}

async fn api_step(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Result<axum::Json<Value>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    crate::api::csrf(&u, &headers)?;
    allowed(&u)?;
    let input = api_input(body)?;
    load(&state, &u, id).await?;
    match save(&state, &u, id, &input).await? {
        Ok(row) => Ok((StatusCode::CREATED, axum::Json(row)).into_response()),
        Err(errors) => Err(AppError::Invalid(errors).into()),
    }
}

async fn api_due(State(state): State<AppState>, ApiUser(u): ApiUser) -> ApiResult {
    allowed(&u)?;
    let all = lines(&state, &u).await?;
    let today = today();
    let d = due_of(&all, today);
    let (qa, qb) = quarter(today);
    let list = |xs: &[&Line]| xs.iter().map(|x| x.json()).collect::<Vec<_>>();
    Ok(axum::Json(json!({
        "today": today,
        "month_end": month_end(today),
        "quarter": [qa, qb],
        "due_this_month": list(&d.month),
        "may_become_candidates": list(&d.candidates),
        "awaiting_admission_approval": list(&d.admissions),
        "probation_ends": list(&d.full),
    }))
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_and_month_ends() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(quarter(d("2026-11-27")), (d("2026-10-01"), d("2026-12-31")));
        assert_eq!(quarter(d("2024-02-29")), (d("2024-01-01"), d("2024-03-31")));
        assert_eq!(month_end(d("2024-02-10")), d("2024-02-29"));
        assert_eq!(month_end(d("2026-12-31")), d("2026-12-31"));
    }
}
