//! 发展党员 (DOMAIN §3, 《发展党员工作细则》2014): the five stages and 25 steps of one person's
//! record, whether a step may be recorded (the rules are enforced: R2.1 age, R2.4 one year as
//! activist, R2.5 introducers, R2.6 training, R2.7 political review, R2.8 quorum and majority,
//! R2.9 the approving level, R2.10 probation, R2.12 public notice) and which deadlines are due or
//! passed (flagged, not refused: R2.2 the talk within a month, R2.3 the half-yearly review, R2.9
//! approval within 3 months).
//!
//! DOMAIN §3 numbers R2.2, R2.4, R2.10 and R2.12; the other ids follow the order of §3 and of the
//! issue that asked for this (R2.6 training, R2.8 the vote, R2.9 approval), filling the gaps in
//! the same order: R2.1 age, R2.3 review, R2.5 people, R2.7 review, R2.11 public notice's place.
use chrono::{Datelike, Months, NaiveDate, Weekday};
use serde::Serialize;

use crate::Invalid;
use crate::labels::{DevelopmentStage, Labeled, OrgKind};

/// R2.12: working days of public notice (setting `HONGZHU_NOTICE_WORKING_DAYS`).
pub const NOTICE_WORKING_DAYS: u32 = 5;

/// The five stages of §3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Application,
    Activist,
    Candidate,
    Admission,
    Probation,
}

impl Phase {
    pub fn zh(self) -> &'static str {
        match self {
            Phase::Application => "申请入党",
            Phase::Activist => "入党积极分子的确定和培养教育",
            Phase::Candidate => "发展对象的确定和考察",
            Phase::Admission => "预备党员的接收",
            Phase::Probation => "预备党员的教育考察和转正",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            Phase::Application => "Application",
            Phase::Activist => "Activist: selection and training",
            Phase::Candidate => "Candidate: selection and review",
            Phase::Admission => "Admission as probationary member",
            Phase::Probation => "Probation and full membership",
        }
    }
}

/// What a step records besides its date; the form shows these fields and the checks require them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Needs {
    Date,
    /// 1–2 full members (step 5: contacts).
    Contacts,
    /// Exactly 2 full members (step 9: introducers).
    Introducers,
    /// Days or 学时 (step 11).
    Training,
    /// The political review's conclusion (step 10).
    Review,
    /// Attendance and votes, and the public notice before (steps 15, 23).
    Vote,
    /// The approving organization (steps 13, 17, 24).
    Approver,
}

pub struct StepInfo {
    pub number: u8,
    pub phase: Phase,
    pub zh: &'static str,
    pub en: &'static str,
    pub needs: Needs,
}

const fn s(number: u8, phase: Phase, zh: &'static str, en: &'static str, needs: Needs) -> StepInfo {
    StepInfo { number, phase, zh, en, needs }
}

use Needs as N;
use Phase as P;

/// The 25 steps of §3, in order.
pub const STEPS: [StepInfo; 25] = [
    s(1, P::Application, "递交入党申请书", "Application submitted", N::Date),
    s(2, P::Application, "党组织派人谈话", "Talk with the applicant", N::Date),
    s(3, P::Activist, "推荐和确定入党积极分子", "Recommended and made an activist", N::Date),
    s(4, P::Activist, "报上级党委备案", "Filed with the higher committee", N::Date),
    s(5, P::Activist, "指定培养联系人", "Contacts assigned", N::Contacts),
    s(6, P::Activist, "培养教育考察", "Training and review (every 6 months)", N::Date),
    s(7, P::Candidate, "确定发展对象", "Made a candidate", N::Date),
    s(8, P::Candidate, "报上级党委备案", "Filed with the higher committee", N::Date),
    s(9, P::Candidate, "确定入党介绍人", "Introducers named", N::Introducers),
    s(10, P::Candidate, "进行政治审查", "Political review", N::Review),
    s(11, P::Candidate, "开展集中培训", "Concentrated training", N::Training),
    s(12, P::Admission, "支部委员会审查", "Branch committee's review", N::Date),
    s(13, P::Admission, "上级党委预审", "Higher committee's preliminary review", N::Approver),
    s(14, P::Admission, "填写入党志愿书", "Admission form filled in", N::Date),
    s(15, P::Admission, "支部大会讨论", "Branch general meeting's vote", N::Vote),
    s(16, P::Admission, "上级党委派人谈话", "Talk by the higher committee", N::Date),
    s(17, P::Admission, "上级党委审批", "Approved by the higher committee", N::Approver),
    s(18, P::Admission, "再上一级党委组织部门备案", "Filed with the organization department", N::Date),
    s(19, P::Probation, "编入党支部和党小组", "Placed in a branch and group", N::Date),
    s(20, P::Probation, "入党宣誓", "Oath taken", N::Date),
    s(21, P::Probation, "继续教育考察", "Continued training and review", N::Date),
    s(22, P::Probation, "提出转正申请", "Application for full membership", N::Date),
    s(23, P::Probation, "支部大会讨论", "Branch general meeting's vote", N::Vote),
    s(24, P::Probation, "上级党委审批", "Approved by the higher committee", N::Approver),
    s(25, P::Probation, "材料归档", "Records filed", N::Date),
];

pub fn step_info(n: u8) -> Option<&'static StepInfo> {
    STEPS.get(usize::from(n).checked_sub(1)?)
}

/// What the branch meeting decided on a probationary member (step 23, R2.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// 按期转正.
    Full,
    /// 延长预备期 by this many months (6–12).
    Extend(u8),
}

/// One recorded step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepRecord {
    pub step: u8,
    pub on: NaiveDate,
    /// Member ids: contacts (step 5) or introducers (step 9).
    pub people: Vec<i64>,
    pub days: Option<f64>,
    pub hours: Option<f64>,
    /// Voting members due to attend, present, yes votes (steps 15, 23).
    pub due: Option<i64>,
    pub present: Option<i64>,
    pub yes: Option<i64>,
    /// The approving organization's code and kind (steps 13, 17, 24).
    pub approver: Option<(String, OrgKind)>,
    /// 公示 first and last day (steps 15, 23; R2.12).
    pub notice: Option<(NaiveDate, NaiveDate)>,
    pub outcome: Option<Outcome>,
    /// Political review passed (step 10).
    pub passed: Option<bool>,
    pub note: String,
}

impl StepRecord {
    pub fn on(step: u8, on: NaiveDate) -> Self {
        StepRecord {
            step,
            on,
            people: vec![],
            days: None,
            hours: None,
            due: None,
            present: None,
            yes: None,
            approver: None,
            notice: None,
            outcome: None,
            passed: None,
            note: String::new(),
        }
    }
}

/// A member named as contact or introducer, as the check needs to know them.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonFact {
    pub member_id: i64,
    pub name: String,
    /// 转正日期: a full member on a day on or after it.
    pub full_on: Option<NaiveDate>,
}

/// What the check reads besides the history.
pub struct Context<'a> {
    pub today: NaiveDate,
    pub birth_date: NaiveDate,
    /// The person's recorded steps, in the order they were recorded.
    pub history: &'a [StepRecord],
    /// The members named in the step being checked.
    pub people: &'a [PersonFact],
    /// R2.12: working days of public notice (setting, default 5).
    pub notice_working_days: u32,
}

/// The same day `months` later; the 29th–31st become the month's last day (chrono's rule).
pub fn add_months(d: NaiveDate, months: u32) -> NaiveDate {
    d.checked_add_months(Months::new(months)).unwrap_or(NaiveDate::MAX)
}

/// One year later: the same date, or 28 February for 29 February.
pub fn one_year_after(d: NaiveDate) -> NaiveDate {
    crate::term::term_end(d, 1)
}

/// Monday to Friday from `from` to `to`, both included. Public holidays are not known to
/// Hongzhu; a notice spanning one needs more days than this counts, which the secretary sees.
pub fn working_days(from: NaiveDate, to: NaiveDate) -> u32 {
    let mut n = 0;
    let mut d = from;
    while d <= to {
        if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            n += 1;
        }
        d = d.succ_opt().unwrap_or(NaiveDate::MAX);
        if d == NaiveDate::MAX {
            break;
        }
    }
    n
}

fn refuse(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Invalid {
    Invalid::new(code, zh, en)
}

/// The last record of a step.
pub fn last_of(history: &[StepRecord], step: u8) -> Option<&StepRecord> {
    history.iter().rev().find(|r| r.step == step)
}

/// The highest step recorded.
pub fn last_step(history: &[StepRecord]) -> u8 {
    history.iter().map(|r| r.step).max().unwrap_or(0)
}

/// The steps that may be recorded next: the one after the last; step 6 again while an activist
/// (a review every 6 months); step 23 again after an extension of probation.
pub fn allowed_next(history: &[StepRecord]) -> Vec<u8> {
    let last = last_step(history);
    match last {
        0 => vec![1],
        6 => vec![6, 7],
        23 => match last_of(history, 23).and_then(|r| r.outcome) {
            Some(Outcome::Extend(_)) => vec![21, 23],
            _ => vec![24],
        },
        // After an extension the branch records further training (21) before meeting again.
        21 if history.iter().any(|r| r.step == 23) => vec![21, 23],
        25 => vec![],
        n => vec![n + 1],
    }
}

/// The admission date (R2.10): the branch general meeting that admitted the person (step 15).
pub fn admitted_on(history: &[StepRecord]) -> Option<NaiveDate> {
    last_of(history, 17)?;
    last_of(history, 15).map(|r| r.on)
}

/// R2.10: probation ends one year after admission, later by any extension.
pub fn probation_end(admitted: NaiveDate, history: &[StepRecord]) -> NaiveDate {
    let extra: u32 = history
        .iter()
        .filter(|r| r.step == 23)
        .filter_map(|r| match r.outcome {
            Some(Outcome::Extend(m)) => Some(u32::from(m)),
            _ => None,
        })
        .sum();
    add_months(one_year_after(admitted), extra)
}

/// The development stage a history puts a non-member in (None once admitted, or before step 1).
pub fn stage_of(history: &[StepRecord]) -> Option<DevelopmentStage> {
    match last_step(history) {
        0 => None,
        1..=2 => Some(DevelopmentStage::Applicant),
        3..=6 => Some(DevelopmentStage::Activist),
        7..=16 => Some(DevelopmentStage::Candidate),
        _ => None,
    }
}

/// Check a step before it is recorded: `Err` says which rule refuses it, in words, and what to
/// do instead.
pub fn check(ctx: &Context, r: &StepRecord) -> Result<(), Invalid> {
    let Some(info) = step_info(r.step) else {
        return Err(refuse(
            "step",
            format!("步骤 {} 不存在：发展党员共 25 个步骤（1–25）", r.step),
            format!("there is no step {}: the steps are 1–25", r.step),
        ));
    };
    let allowed = allowed_next(ctx.history);
    if !allowed.contains(&r.step) {
        let next =
            allowed.iter().filter_map(|n| step_info(*n)).map(|i| format!("第{}步“{}”", i.number, i.zh)).collect::<Vec<_>>().join("或");
        let next_en = allowed.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(" or ");
        return Err(if allowed.is_empty() {
            refuse("out_of_order", "25 个步骤已全部完成，无需再记录", "all 25 steps are recorded")
        } else {
            refuse(
                "out_of_order",
                format!("不能记录第{}步“{}”：发展党员须按 25 个步骤依次进行（DOMAIN §3），下一步应为{next}", r.step, info.zh),
                format!("step {} cannot be recorded yet: the 25 steps go in order (DOMAIN §3); next is step {next_en}", r.step),
            )
        });
    }
    if r.on > ctx.today {
        return Err(refuse(
            "future",
            format!("日期 {} 晚于今天：只能记录已经完成的步骤", r.on),
            format!("the date {} is in the future: record a step once it is done", r.on),
        ));
    }
    if let Some(prev) = ctx.history.iter().map(|h| h.on).max()
        && r.on < prev
    {
        return Err(refuse(
            "before_previous",
            format!("日期 {} 早于上一步的日期 {prev}：各步骤须依次进行，请核对日期", r.on),
            format!("the date {} is before the previous step's ({prev}): steps go in order; check the date", r.on),
        ));
    }
    match r.step {
        // R2.1: an applicant is at least 18.
        1 => {
            let adult = crate::term::term_end(ctx.birth_date, 18);
            if r.on < adult {
                return Err(refuse(
                    "under_18",
                    format!("申请日期 {} 时申请人未满 18 周岁（R2.1：年满十八岁方可申请入党），满 18 周岁之日为 {adult}", r.on),
                    format!("the applicant was under 18 on {} (R2.1: applicants are at least 18); 18 on {adult}", r.on),
                ));
            }
        }
        5 => check_people(ctx, r, 1, 2, "培养联系人", "contacts")?,
        // R2.4: a candidate has been an activist for at least one year.
        7 => {
            let since = last_of(ctx.history, 3).map(|h| h.on).expect("step 3 precedes step 7");
            let earliest = one_year_after(since);
            if r.on < earliest {
                return Err(refuse(
                    "activist_year",
                    format!(
                        "确定为入党积极分子（{since}）未满一年（R2.4：经过一年以上培养教育和考察方可列为发展对象），最早可于 {earliest} 确定为发展对象"
                    ),
                    format!("an activist since {since} for less than a year (R2.4: at least one year); the earliest day is {earliest}"),
                ));
            }
        }
        9 => check_people(ctx, r, 2, 2, "入党介绍人", "introducers")?,
        // R2.7: no review, no admission: the review must have concluded in the person's favour.
        10 if r.passed != Some(true) => {
            return Err(refuse(
                "review_failed",
                "政治审查未通过或未作结论的，不能发展入党（R2.7），请在政审合格后再记录此步",
                "a political review that did not pass or has no conclusion stops the admission (R2.7); record it once it has passed",
            ));
        }
        // R2.6: at least 3 days or 24 学时 of concentrated training.
        11 => {
            let days = r.days.unwrap_or(0.0);
            let hours = r.hours.unwrap_or(0.0);
            if !(days.is_finite() && hours.is_finite()) || days < 0.0 || hours < 0.0 {
                return Err(refuse("training", "培训天数和学时须为非负数", "training days and hours are non-negative numbers"));
            }
            if days < 3.0 && hours < 24.0 {
                return Err(refuse(
                    "training",
                    format!("集中培训 {days} 天、{hours} 学时不足（R2.6：一般不少于 3 天或 24 学时），请补足培训后再记录"),
                    format!("{days} days and {hours} hours of training are too few (R2.6: at least 3 days or 24 hours)"),
                ));
            }
        }
        13 | 17 | 24 => check_approver(r)?,
        15 | 23 => {
            check_notice(ctx, r)?;
            check_vote(r)?;
            if r.step == 23 {
                check_probation(ctx, r)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn check_people(ctx: &Context, r: &StepRecord, min: usize, max: usize, zh: &str, en: &str) -> Result<(), Invalid> {
    let mut ids = r.people.clone();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() != r.people.len() {
        return Err(refuse("people", format!("{zh}不能重复"), format!("the {en} must be different people")));
    }
    if ids.len() < min || ids.len() > max {
        let want = if min == max { format!("{min} 名") } else { format!("{min}–{max} 名") };
        return Err(refuse(
            "people",
            format!("须确定{want}正式党员作{zh}（R2.5），现为 {} 名", ids.len()),
            format!("{} {en} are needed (R2.5); {} given", if min == max { min.to_string() } else { format!("{min}–{max}") }, ids.len()),
        ));
    }
    for id in &ids {
        let Some(p) = ctx.people.iter().find(|p| p.member_id == *id) else {
            return Err(refuse(
                "people",
                format!("{zh}（编号 {id}）不是本组织的党员，请从本组织党员中选择"),
                format!("member {id} is not in this organization"),
            ));
        };
        match p.full_on {
            Some(f) if f <= r.on => {}
            _ => {
                return Err(refuse(
                    "probationary_introducer",
                    format!("{} 在 {} 时是预备党员：{zh}须为正式党员（R2.5），请另选一名正式党员", p.name, r.on),
                    format!("{} was a probationary member on {}: {en} must be full members (R2.5); choose a full member", p.name, r.on),
                ));
            }
        }
    }
    Ok(())
}

/// R2.9: the approving (and pre-reviewing) body is a Party committee (党委); a 党总支 or a branch
/// cannot approve.
fn check_approver(r: &StepRecord) -> Result<(), Invalid> {
    match &r.approver {
        None => Err(refuse("approver", "请选择审批（预审）的上级党委", "choose the approving Party committee")),
        Some((_, OrgKind::Committee)) => Ok(()),
        Some((code, kind)) => Err(refuse(
            "approver_level",
            format!(
                "{code} 是{}：党总支、党支部无权审批（预审）接收预备党员或预备党员转正（R2.9），请由具有审批权限的上级党委（基层党委或教育工委）办理",
                kind.zh()
            ),
            format!("{code} is a {}: only a Party committee approves (R2.9), never a general branch or a branch", kind.en()),
        )),
    }
}

/// R2.12: a public notice of at least the setting's working days, ended by the meeting's day.
fn check_notice(ctx: &Context, r: &StepRecord) -> Result<(), Invalid> {
    let what = if r.step == 15 { ("接收预备党员", "admission") } else { ("预备党员转正", "full membership") };
    let Some((from, to)) = r.notice else {
        return Err(refuse(
            "notice",
            format!("{}前须进行公示（R2.12），请填写公示起止日期", what.0),
            format!("a public notice precedes {} (R2.12): give its first and last day", what.1),
        ));
    };
    if to < from || to > r.on {
        return Err(refuse(
            "notice",
            format!("公示期 {from} 至 {to} 无效：须在支部大会（{}）之前或当天结束", r.on),
            format!("the notice {from}–{to} must end on or before the meeting ({})", r.on),
        ));
    }
    let days = working_days(from, to);
    if days < ctx.notice_working_days {
        return Err(refuse(
            "notice",
            format!(
                "公示期 {from} 至 {to} 只有 {days} 个工作日，不足 {} 个工作日（R2.12），请公示期满后再召开支部大会",
                ctx.notice_working_days
            ),
            format!("the notice {from}–{to} has {days} working days, fewer than {} (R2.12)", ctx.notice_working_days),
        ));
    }
    Ok(())
}

/// R2.8: more than half of the voting members due attend; more than half of them vote yes.
fn check_vote(r: &StepRecord) -> Result<(), Invalid> {
    let (Some(due), Some(present), Some(yes)) = (r.due, r.present, r.yes) else {
        return Err(refuse(
            "votes",
            "请填写应到会有表决权的党员数、实到人数和赞成票数",
            "give the voting members due to attend, those present and the yes votes",
        ));
    };
    if due <= 0 || present < 0 || yes < 0 || present > due || yes > present {
        return Err(refuse(
            "votes",
            format!("表决人数不合理：应到 {due}、实到 {present}、赞成 {yes}（须 0 ≤ 赞成 ≤ 实到 ≤ 应到，应到 > 0）"),
            format!("the numbers do not add up: due {due}, present {present}, yes {yes} (0 ≤ yes ≤ present ≤ due, due > 0)"),
        ));
    }
    if present * 2 <= due {
        return Err(refuse(
            "quorum",
            format!("实到 {present} 人未超过应到会有表决权党员 {due} 人的半数，会议不足法定人数（R2.8），表决无效，请另行召开支部大会"),
            format!("{present} present of {due} is not more than half (R2.8): no quorum; hold the meeting again"),
        ));
    }
    if yes * 2 <= due {
        return Err(refuse(
            "majority",
            format!("赞成 {yes} 票未超过应到会有表决权党员 {due} 人的半数（R2.8），决议未通过，不能记录为已通过"),
            format!("{yes} yes of {due} due is not more than half (R2.8): the resolution did not pass"),
        ));
    }
    Ok(())
}

/// R2.10: the branch meets on full membership when probation has run (one year, plus any
/// extension); an extension is 6–12 months and happens once.
fn check_probation(ctx: &Context, r: &StepRecord) -> Result<(), Invalid> {
    let admitted = admitted_on(ctx.history).expect("step 17 precedes step 23");
    let end = probation_end(admitted, ctx.history);
    if r.on < end {
        return Err(refuse(
            "probation_running",
            format!("预备期至 {end} 期满（R2.10：预备期一年，自支部大会通过之日 {admitted} 起算），期满后再召开支部大会讨论转正"),
            format!("probation runs until {end} (R2.10: one year from {admitted}); the branch meets after that"),
        ));
    }
    match r.outcome {
        None => {
            Err(refuse("outcome", "请选择支部大会的决议：按期转正或延长预备期", "choose the resolution: full membership or an extension"))
        }
        Some(Outcome::Full) => Ok(()),
        Some(Outcome::Extend(m)) => {
            if !(6..=12).contains(&m) {
                return Err(refuse(
                    "extension",
                    format!("延长预备期 {m} 个月无效：须不少于 6 个月、不超过 12 个月（R2.10）"),
                    format!("an extension of {m} months is not allowed: 6 to 12 months (R2.10)"),
                ));
            }
            if ctx.history.iter().any(|h| h.step == 23 && matches!(h.outcome, Some(Outcome::Extend(_)))) {
                return Err(refuse(
                    "extension",
                    "预备期已延长过一次，只能延长一次（R2.10）：请讨论按期转正，不具备条件的按规定取消预备党员资格",
                    "probation was extended once already; it can be extended only once (R2.10)",
                ));
            }
            Ok(())
        }
    }
}

/// A deadline passed or coming, shown beside a person's record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flag {
    pub rule: &'static str,
    pub overdue: bool,
    pub zh: String,
    pub en: String,
}

/// Where a person is and what comes next.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    pub last: u8,
    pub phase: Option<Phase>,
    pub next: Vec<u8>,
    /// The next thing due and by when.
    pub due: Option<(NaiveDate, &'static str, &'static str)>,
    /// An activist may be made a candidate from (R2.4).
    pub candidate_from: Option<NaiveDate>,
    /// Probation ends (R2.10).
    pub probation_end: Option<NaiveDate>,
    pub flags: Vec<Flag>,
}

/// Where a history stands on `today`: next steps, the next deadline, and deadlines missed
/// (R2.2 the talk within a month; R2.3 a review every 6 months while an activist; R2.9 approval
/// within 3 months, ≤6 in special cases; R2.10 the application for full membership on time).
pub fn progress(history: &[StepRecord], today: NaiveDate) -> Progress {
    let last = last_step(history);
    let mut flags = Vec::new();
    let mut due = None;
    let mut candidate_from = None;
    let mut probation_end_on = None;
    let on = |n: u8| last_of(history, n).map(|r| r.on);
    // R2.2: the talk within one month of the application.
    if let Some(applied) = on(1) {
        let by = add_months(applied, 1);
        match on(2) {
            Some(talk) if talk > by => flags.push(Flag {
                rule: "R2.2",
                overdue: false,
                zh: format!("谈话（{talk}）晚于申请后一个月（{by}）（R2.2：一个月内派人谈话）"),
                en: format!("the talk ({talk}) came after a month from the application ({by}) (R2.2)"),
            }),
            None => {
                if today > by {
                    flags.push(Flag {
                        rule: "R2.2",
                        overdue: true,
                        zh: format!("收到申请已超过一个月（应于 {by} 前谈话）尚未谈话（R2.2）"),
                        en: format!("no talk within a month of the application (due {by}) (R2.2)"),
                    });
                }
                due = Some((by, "党组织派人谈话", "talk with the applicant"));
            }
            _ => {}
        }
    }
    // R2.3: activists are reviewed every 6 months until they become candidates.
    if let Some(activist) = on(3) {
        let end = on(7).unwrap_or(today);
        let mut reviews: Vec<NaiveDate> = history.iter().filter(|r| r.step == 6).map(|r| r.on).collect();
        reviews.sort();
        let mut prev = activist;
        for r in reviews.iter().copied().chain(std::iter::once(end)) {
            let by = add_months(prev, 6);
            if r > by {
                flags.push(Flag {
                    rule: "R2.3",
                    overdue: on(7).is_none() && r == end,
                    zh: format!("自 {prev} 起超过半年未进行培养考察（应于 {by} 前考察，R2.3：每半年考察一次）"),
                    en: format!("no review for more than six months from {prev} (due {by}; R2.3)"),
                });
            }
            prev = r;
        }
        if on(7).is_none() {
            let from = one_year_after(activist);
            candidate_from = Some(from);
            let review_by = add_months(reviews.last().copied().unwrap_or(activist), 6);
            due = Some(if from <= review_by && today >= from {
                (from, "可确定为发展对象", "may be made a candidate")
            } else {
                (review_by, "培养教育考察", "half-yearly review")
            });
        }
    }
    // R2.9: approval within 3 months of the branch meeting (6 in special cases).
    for (meeting, approval, what_zh, what_en) in [(15u8, 17u8, "接收预备党员", "admission"), (23, 24, "预备党员转正", "full membership")]
    {
        let Some(met) = on(meeting) else { continue };
        if meeting == 23 && !matches!(last_of(history, 23).and_then(|r| r.outcome), Some(Outcome::Full)) {
            continue;
        }
        let by = add_months(met, 3);
        let special = add_months(met, 6);
        match on(approval) {
            Some(a) if a > by => flags.push(Flag {
                rule: "R2.9",
                overdue: false,
                zh: format!(
                    "{what_zh}审批（{a}）超过支部大会（{met}）后 3 个月{}（R2.9）",
                    if a > special { "，且超过特殊情况下的 6 个月" } else { "（特殊情况可延长至 6 个月）" }
                ),
                en: format!("{what_en} was approved ({a}) more than 3 months after the meeting ({met}) (R2.9)"),
            }),
            None => {
                if today > by {
                    flags.push(Flag {
                        rule: "R2.9",
                        overdue: true,
                        zh: format!(
                            "支部大会（{met}）已超过 3 个月，{what_zh}尚未审批（R2.9：3 个月内审批，特殊情况不超过 6 个月，最迟 {special}）"
                        ),
                        en: format!(
                            "the meeting ({met}) was more than 3 months ago and {what_en} is not approved (R2.9; at the latest {special})"
                        ),
                    });
                }
                due = Some((by, "上级党委审批", "approval by the higher committee"));
            }
            _ => {}
        }
    }
    // R2.10: probation and the application for full membership when it ends.
    if let Some(admitted) = admitted_on(history) {
        let end = probation_end(admitted, history);
        probation_end_on = Some(end);
        if !matches!(last_of(history, 23).and_then(|r| r.outcome), Some(Outcome::Full)) {
            if on(22).is_none() && today > end {
                flags.push(Flag {
                    rule: "R2.10",
                    overdue: true,
                    zh: format!("预备期已于 {end} 期满，尚未提出转正申请（R2.10）"),
                    en: format!("probation ended on {end} and no application for full membership is recorded (R2.10)"),
                });
            } else if today > end {
                flags.push(Flag {
                    rule: "R2.10",
                    overdue: true,
                    zh: format!("预备期已于 {end} 期满，支部大会尚未讨论转正（R2.10）"),
                    en: format!("probation ended on {end} and the branch has not met on full membership (R2.10)"),
                });
            }
            due = Some((end, "预备期满，讨论转正", "probation ends: the branch meets"));
        }
    }
    let next = allowed_next(history);
    Progress {
        last,
        phase: step_info(last).map(|i| i.phase),
        next,
        due: if last == 25 { None } else { due },
        candidate_from,
        probation_end: probation_end_on,
        flags,
    }
}

/// R2.10: Party standing counts from full membership, which dates from the end of probation.
pub fn full_membership_date(history: &[StepRecord]) -> Option<NaiveDate> {
    let admitted = admitted_on(history)?;
    matches!(last_of(history, 23)?.outcome, Some(Outcome::Full)).then(|| probation_end(admitted, history))
}

/// A step as a form or the API sends it: text, parsed here for both (so their messages agree).
#[derive(Debug, Clone, Default, serde::Deserialize, Serialize)]
#[serde(default)]
pub struct StepInput {
    pub step: String,
    pub on: String,
    /// Member ids of contacts (step 5) or introducers (step 9).
    pub people: Vec<String>,
    pub days: String,
    pub hours: String,
    pub due: String,
    pub present: String,
    pub yes: String,
    /// The approving committee's organization code (steps 13, 17, 24).
    pub approver: String,
    pub notice_from: String,
    pub notice_to: String,
    /// `full` or `extend` (step 23).
    pub outcome: String,
    pub extend_months: String,
    /// `yes` / `no` (是/否) for the political review (step 10).
    pub passed: String,
    pub note: String,
}

impl StepInput {
    /// The record and the approver's code, or what is wrong with each field.
    pub fn parse(&self) -> Result<(StepRecord, Option<String>), Vec<crate::registry::FieldError>> {
        use crate::registry::{Checker, FieldError};
        let mut c = Checker::default();
        let step = c.parse("step", &self.step, |v| {
            crate::normalize_width(v)
                .parse::<u8>()
                .ok()
                .filter(|n| (1..=25).contains(n))
                .ok_or_else(|| Invalid::new("step", format!("步骤“{v}”无效：应为 1–25 的整数"), "step is a whole number from 1 to 25"))
        });
        let on = c.required_date("on", "日期", &self.on);
        let number = |c: &mut Checker, field: &'static str, label: &str, v: &str| -> Option<f64> {
            c.optional(field, v, |s| {
                crate::normalize_width(s).parse::<f64>().ok().filter(|x| x.is_finite() && *x >= 0.0 && *x <= 1000.0).ok_or_else(|| {
                    Invalid::new("number", format!("{label}“{s}”应为 0–1000 的数字"), format!("{field} is a number from 0 to 1000"))
                })
            })
        };
        let days = number(&mut c, "days", "培训天数", &self.days);
        let hours = number(&mut c, "hours", "培训学时", &self.hours);
        let due = c.optional_count("due", "应到人数", &self.due);
        let present = c.optional_count("present", "实到人数", &self.present);
        let yes = c.optional_count("yes", "赞成票数", &self.yes);
        let notice_from = c.optional_date("notice_from", "公示开始日期", &self.notice_from);
        let notice_to = c.optional_date("notice_to", "公示结束日期", &self.notice_to);
        let mut people = Vec::new();
        for p in self.people.iter().filter(|p| !p.trim().is_empty()) {
            match crate::normalize_width(p).parse::<i64>() {
                Ok(id) => people.push(id),
                Err(_) => c.errors.push(FieldError::new(
                    "people",
                    "people",
                    format!("党员编号“{p}”无效"),
                    format!("member id {p} is not a number"),
                )),
            }
        }
        let outcome = match crate::normalize_width(&self.outcome).as_str() {
            "" => None,
            "full" | "按期转正" => Some(Outcome::Full),
            "extend" | "延长预备期" => {
                let m = c.parse("extend_months", &self.extend_months, |v| {
                    crate::normalize_width(v)
                        .parse::<u8>()
                        .map_err(|_| Invalid::new("extend_months", format!("延长月数“{v}”应为 6–12 的整数"), "extend_months is 6 to 12"))
                });
                m.map(Outcome::Extend)
            }
            other => {
                c.errors.push(FieldError::new(
                    "outcome",
                    "outcome",
                    format!("决议“{other}”无效，可选：按期转正、延长预备期"),
                    "outcome is full or extend",
                ));
                None
            }
        };
        let passed = match crate::normalize_width(&self.passed).as_str() {
            "" => None,
            v => match crate::registry::parse_yes_no(v) {
                Some(b) => Some(b),
                None => {
                    c.errors.push(FieldError::new(
                        "passed",
                        "passed",
                        format!("政审结论“{v}”无效，可选：合格（是）、不合格（否）"),
                        "passed is yes or no",
                    ));
                    None
                }
            },
        };
        let note = self.note.trim().to_string();
        if note.chars().count() > 500 {
            c.errors.push(FieldError::new("note", "too_long", "备注最多500个字", "note is at most 500 characters"));
        }
        let approver = Some(crate::normalize_width(&self.approver)).filter(|s| !s.is_empty());
        let notice = match (notice_from, notice_to) {
            (Some(a), Some(b)) => Some((a, b)),
            (None, None) => None,
            _ => {
                c.errors.push(FieldError::new(
                    "notice_to",
                    "notice",
                    "请同时填写公示开始和结束日期",
                    "give both the notice's first and last day",
                ));
                None
            }
        };
        let record = match (step, on) {
            (Some(step), Some(on)) => {
                Some(StepRecord { step, on, people, days, hours, due, present, yes, approver: None, notice, outcome, passed, note })
            }
            _ => None,
        };
        c.finish(record).map(|r| (r, approver))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn ctx<'a>(history: &'a [StepRecord], people: &'a [PersonFact]) -> Context<'a> {
        Context { today: d("2026-11-27"), birth_date: d("1995-05-05"), history, people, notice_working_days: 5 }
    }

    /// A history through `last` with plausible dates from `start`, one week apart.
    fn through(last: u8, start: NaiveDate) -> Vec<StepRecord> {
        let mut h: Vec<StepRecord> = Vec::new();
        let mut on = start;
        for n in 1..=last {
            if n == 7 {
                on = one_year_after(last_of(&h, 3).unwrap().on);
            }
            if n == 23 {
                on = probation_end(admitted_on(&h).unwrap(), &h);
            }
            let mut r = StepRecord::on(n, on);
            match n {
                13 | 17 | 24 => r.approver = Some(("37082800".into(), OrgKind::Committee)),
                15 | 23 => {
                    r.notice = Some((on - chrono::Duration::days(9), on - chrono::Duration::days(3)));
                    (r.due, r.present, r.yes) = (Some(9), Some(8), Some(8));
                    if n == 23 {
                        r.outcome = Some(Outcome::Full);
                    }
                }
                10 => r.passed = Some(true),
                11 => r.days = Some(3.0),
                _ => {}
            }
            h.push(r);
            on += chrono::Duration::days(7);
        }
        h
    }

    #[test]
    fn form_input_is_parsed_with_messages() {
        let ok = StepInput {
            step: "15".into(),
            on: "2026年3月2日".into(),
            due: "9".into(),
            present: "８".into(),
            yes: "8".into(),
            notice_from: "2026-02-20".into(),
            notice_to: "2026-02-27".into(),
            ..Default::default()
        };
        let (r, a) = ok.parse().unwrap();
        assert_eq!((r.step, r.on, r.present, a), (15, d("2026-03-02"), Some(8), None));
        let bad = StepInput {
            step: "26".into(),
            on: "2026-02-30".into(),
            hours: "abc".into(),
            notice_from: "2026-02-20".into(),
            outcome: "maybe".into(),
            ..Default::default()
        };
        let e = bad.parse().unwrap_err();
        let fields: Vec<&str> = e.iter().map(|e| e.field).collect();
        for f in ["step", "on", "hours", "notice_to", "outcome"] {
            assert!(fields.contains(&f), "{f} in {fields:?}");
        }
        assert!(e.iter().any(|e| e.message_zh.contains("2019-07-01")), "the accepted date forms are named");
    }

    #[test]
    fn steps_are_numbered_in_order() {
        for (i, s) in STEPS.iter().enumerate() {
            assert_eq!(usize::from(s.number), i + 1);
        }
        assert_eq!(STEPS.iter().filter(|s| s.phase == Phase::Probation).count(), 7);
    }

    #[test]
    fn out_of_order_and_future_are_refused() {
        let h = through(2, d("2024-01-10"));
        let e = check(&ctx(&h, &[]), &StepRecord::on(5, d("2024-03-01"))).unwrap_err();
        assert_eq!(e.code, "out_of_order");
        assert!(e.message_zh.contains("第3步"), "{}", e.message_zh);
        let e = check(&ctx(&h, &[]), &StepRecord::on(3, d("2026-12-01"))).unwrap_err();
        assert_eq!(e.code, "future");
        let e = check(&ctx(&h, &[]), &StepRecord::on(3, d("2024-01-01"))).unwrap_err();
        assert_eq!(e.code, "before_previous");
        assert!(check(&ctx(&h, &[]), &StepRecord::on(3, d("2024-03-01"))).is_ok());
    }

    #[test]
    fn applicants_are_adults() {
        let c = Context { birth_date: d("2008-03-01"), ..ctx(&[], &[]) };
        assert_eq!(check(&c, &StepRecord::on(1, d("2026-02-28"))).unwrap_err().code, "under_18");
        assert!(check(&c, &StepRecord::on(1, d("2026-03-01"))).is_ok());
    }

    /// R2.4 at 364, 365 and 366 days, across a leap day and not.
    #[test]
    fn one_year_as_activist() {
        let cases = [
            // (activist since, days later, accepted)
            ("2023-01-10", 364, false),
            ("2023-01-10", 365, true),
            ("2023-01-10", 366, true),
            // One year from 2023-03-01 is 2024-03-01: 366 days, since 2024 is a leap year.
            ("2023-03-01", 364, false),
            ("2023-03-01", 365, false),
            ("2023-03-01", 366, true),
            // From a leap day: one year later is 2025-02-28, 365 days.
            ("2024-02-29", 364, false),
            ("2024-02-29", 365, true),
            ("2024-02-29", 366, true),
        ];
        for (since, days, ok) in cases {
            let mut h = through(6, d(since) - chrono::Duration::days(60));
            h[2].on = d(since);
            h[3].on = d(since);
            h[4].on = d(since);
            h[5].on = d(since);
            let r = StepRecord::on(7, d(since) + chrono::Duration::days(days));
            let got = check(&ctx(&h, &[]), &r);
            assert_eq!(got.is_ok(), ok, "{since} + {days}: {got:?}");
            if !ok {
                assert_eq!(got.unwrap_err().code, "activist_year");
            }
        }
    }

    #[test]
    fn introducers_are_two_full_members() {
        let h = through(8, d("2024-01-10"));
        let on = h.last().unwrap().on + chrono::Duration::days(7);
        let people = [
            PersonFact { member_id: 1, name: "张一".into(), full_on: Some(d("2010-01-01")) },
            PersonFact { member_id: 2, name: "李二".into(), full_on: Some(d("2015-01-01")) },
            PersonFact { member_id: 3, name: "王三".into(), full_on: None },
        ];
        let mut r = StepRecord::on(9, on);
        r.people = vec![1, 3];
        let e = check(&ctx(&h, &people), &r).unwrap_err();
        assert_eq!(e.code, "probationary_introducer");
        assert!(e.message_zh.contains("王三") && e.message_zh.contains("正式党员"), "{}", e.message_zh);
        r.people = vec![1];
        assert_eq!(check(&ctx(&h, &people), &r).unwrap_err().code, "people");
        r.people = vec![1, 1];
        assert_eq!(check(&ctx(&h, &people), &r).unwrap_err().code, "people");
        r.people = vec![1, 2];
        assert!(check(&ctx(&h, &people), &r).is_ok());
    }

    #[test]
    fn training_needs_three_days_or_24_hours() {
        let h = through(10, d("2024-01-10"));
        let on = h.last().unwrap().on + chrono::Duration::days(7);
        let mut r = StepRecord::on(11, on);
        r.days = Some(2.5);
        r.hours = Some(23.5);
        assert_eq!(check(&ctx(&h, &[]), &r).unwrap_err().code, "training");
        r.hours = Some(24.0);
        assert!(check(&ctx(&h, &[]), &r).is_ok());
        r.hours = None;
        r.days = Some(3.0);
        assert!(check(&ctx(&h, &[]), &r).is_ok());
    }

    #[test]
    fn quorum_and_majority() {
        let h = through(14, d("2024-01-10"));
        let on = h.last().unwrap().on + chrono::Duration::days(7);
        let mut r = StepRecord::on(15, on);
        r.notice = Some((on - chrono::Duration::days(8), on - chrono::Duration::days(1)));
        for (due, present, yes, code) in
            [(10, 5, 5, Some("quorum")), (10, 6, 5, Some("majority")), (10, 6, 6, None), (10, 11, 6, Some("votes")), (9, 5, 5, None)]
        {
            (r.due, r.present, r.yes) = (Some(due), Some(present), Some(yes));
            assert_eq!(check(&ctx(&h, &[]), &r).err().map(|e| e.code), code, "{due}/{present}/{yes}");
        }
    }

    #[test]
    fn notice_counts_working_days() {
        // 2026-11-23 is a Monday.
        assert_eq!(working_days(d("2026-11-23"), d("2026-11-27")), 5);
        assert_eq!(working_days(d("2026-11-21"), d("2026-11-27")), 5);
        assert_eq!(working_days(d("2026-11-24"), d("2026-11-30")), 5);
        assert_eq!(working_days(d("2026-11-24"), d("2026-11-29")), 4);
        let h = through(14, d("2024-01-10"));
        let on = h.last().unwrap().on + chrono::Duration::days(7);
        let mut r = StepRecord::on(15, on);
        (r.due, r.present, r.yes) = (Some(9), Some(9), Some(9));
        assert_eq!(check(&ctx(&h, &[]), &r).unwrap_err().code, "notice");
        r.notice = Some((on - chrono::Duration::days(3), on));
        assert_eq!(check(&ctx(&h, &[]), &r).unwrap_err().code, "notice");
        r.notice = Some((on - chrono::Duration::days(7), on));
        assert!(check(&ctx(&h, &[]), &r).is_ok());
    }

    #[test]
    fn a_general_branch_cannot_approve() {
        let h = through(16, d("2024-01-10"));
        let on = h.last().unwrap().on + chrono::Duration::days(7);
        let mut r = StepRecord::on(17, on);
        r.approver = Some(("3708280101".into(), OrgKind::GeneralBranch));
        let e = check(&ctx(&h, &[]), &r).unwrap_err();
        assert_eq!(e.code, "approver_level");
        assert!(e.message_zh.contains("党总支") && e.message_zh.contains("R2.9"), "{}", e.message_zh);
        r.approver = Some(("3708280102".into(), OrgKind::Branch));
        assert_eq!(check(&ctx(&h, &[]), &r).unwrap_err().code, "approver_level");
        r.approver = Some(("37082800".into(), OrgKind::Committee));
        assert!(check(&ctx(&h, &[]), &r).is_ok());
    }

    /// R2.9: approval three months after the meeting to the day is on time; a day later is flagged.
    #[test]
    fn approval_at_three_months_exactly() {
        let mut h = through(16, d("2024-01-10"));
        let met = last_of(&h, 15).unwrap().on;
        let mut approval = StepRecord::on(17, add_months(met, 3));
        approval.approver = Some(("37082800".into(), OrgKind::Committee));
        h.push(approval.clone());
        assert!(progress(&h, d("2026-11-27")).flags.iter().all(|f| f.rule != "R2.9"));
        h.pop();
        approval.on = add_months(met, 3) + chrono::Duration::days(1);
        h.push(approval);
        let p = progress(&h, d("2026-11-27"));
        assert!(p.flags.iter().any(|f| f.rule == "R2.9" && !f.overdue), "{:?}", p.flags);
        // Not yet approved, on the last day and the day after.
        h.pop();
        assert!(progress(&h, add_months(met, 3)).flags.iter().all(|f| f.rule != "R2.9"));
        assert!(progress(&h, add_months(met, 3) + chrono::Duration::days(1)).flags.iter().any(|f| f.rule == "R2.9" && f.overdue));
    }

    #[test]
    fn probation_and_its_extension() {
        let mut h = through(22, d("2023-01-10"));
        let admitted = admitted_on(&h).unwrap();
        let end = one_year_after(admitted);
        assert_eq!(probation_end(admitted, &h), end);
        let mut meeting = StepRecord::on(23, end - chrono::Duration::days(1));
        meeting.notice = Some((end - chrono::Duration::days(15), end - chrono::Duration::days(8)));
        (meeting.due, meeting.present, meeting.yes) = (Some(9), Some(9), Some(9));
        meeting.outcome = Some(Outcome::Extend(6));
        assert_eq!(check(&ctx(&h, &[]), &meeting).unwrap_err().code, "probation_running");
        meeting.on = end;
        meeting.outcome = Some(Outcome::Extend(13));
        assert_eq!(check(&ctx(&h, &[]), &meeting).unwrap_err().code, "extension");
        meeting.outcome = Some(Outcome::Extend(6));
        assert!(check(&ctx(&h, &[]), &meeting).is_ok());
        h.push(meeting.clone());
        // Extended: probation runs six months more; the branch meets again after it, once.
        let new_end = add_months(end, 6);
        assert_eq!(probation_end(admitted, &h), new_end);
        assert_eq!(allowed_next(&h), vec![21, 23]);
        assert_eq!(full_membership_date(&h), None);
        let mut again = meeting.clone();
        again.on = new_end - chrono::Duration::days(1);
        again.notice = Some((new_end - chrono::Duration::days(15), new_end - chrono::Duration::days(8)));
        again.outcome = Some(Outcome::Full);
        assert_eq!(check(&ctx(&h, &[]), &again).unwrap_err().code, "probation_running");
        again.on = new_end;
        again.outcome = Some(Outcome::Extend(6));
        assert_eq!(check(&ctx(&h, &[]), &again).unwrap_err().code, "extension");
        again.outcome = Some(Outcome::Full);
        assert!(check(&ctx(&h, &[]), &again).is_ok());
        h.push(again);
        assert_eq!(allowed_next(&h), vec![24]);
        // Party standing counts from the end of probation.
        assert_eq!(full_membership_date(&h), Some(new_end));
    }

    #[test]
    fn deadlines_are_flagged() {
        let h = through(1, d("2026-09-01"));
        let p = progress(&h, d("2026-10-02"));
        assert!(p.flags.iter().any(|f| f.rule == "R2.2" && f.overdue));
        assert_eq!(p.due.map(|d| d.0), Some(d("2026-10-01")), "the missed date stays the due date");
        let p = progress(&h, d("2026-10-01"));
        assert!(p.flags.is_empty());
        assert_eq!(p.due.map(|d| d.0), Some(d("2026-10-01")));
        // An activist with no review for over half a year.
        let h = through(5, d("2025-01-06"));
        let p = progress(&h, d("2026-01-01"));
        assert!(p.flags.iter().any(|f| f.rule == "R2.3" && f.overdue), "{:?}", p.flags);
        assert_eq!(p.candidate_from, Some(one_year_after(h[2].on)));
    }
}
