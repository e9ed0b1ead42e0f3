//! Organizational life (组织生活, DOMAIN §4): what each organization owes in 三会一课, 主题党日 and
//! the yearly meetings (R3.1–R3.3), what it held, the to-do list that follows, members absent from
//! organizational life (R3.5), study hours (R3.4), the 优秀 limit of 民主评议 (R3.3) and the
//! check-in window. Pure functions over plain facts; the store gathers the facts.
use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use serde::Serialize;

use crate::codes::OrgCode;
use crate::labels::{ActivityKind, ActivityStatus, Grade, Labeled, OrgKind, PartyPost};
use crate::registry::{Checker, FieldError};

/// R3.4: 学时 a member studies each year.
pub const STUDY_HOURS_PER_YEAR: f64 = 32.0;
/// R3.5: months without organizational life before a member is flagged, and escalated.
pub const ABSENCE_FLAG_MONTHS: u32 = 3;
pub const ABSENCE_ESCALATE_MONTHS: u32 = 6;
/// Default check-in window either side of an activity's start (setting).
pub const CHECKIN_WINDOW_MINUTES: i64 = 30;
/// R1.4: a branch with this many full members has a committee (支委会).
pub const COMMITTEE_FULL_MEMBERS: u32 = 7;
/// R1.8: branches this large are generally divided into 党小组.
pub const GROUPS_MEMBERS: u32 = 20;

/// China Standard Time: activities are entered and shown in it (no daylight saving).
pub fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("a valid offset")
}

/// A local (China) date and time as a UTC instant.
pub fn from_local(dt: NaiveDateTime) -> DateTime<Utc> {
    china().from_local_datetime(&dt).single().expect("a fixed offset has one instant per local time").with_timezone(&Utc)
}

/// A UTC instant as a local (China) date and time.
pub fn to_local(t: DateTime<Utc>) -> NaiveDateTime {
    t.with_timezone(&china()).naive_local()
}

// ------------------------------------------------------------------ periods

/// How often a requirement recurs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Month,
    Quarter,
    Year,
}

impl Period {
    /// The index (1-based month or quarter; 1 for the year) of the period holding `d`.
    pub fn index_of(self, d: NaiveDate) -> u32 {
        match self {
            Period::Month => d.month(),
            Period::Quarter => (d.month() - 1) / 3 + 1,
            Period::Year => 1,
        }
    }
    pub fn count(self) -> u32 {
        match self {
            Period::Month => 12,
            Period::Quarter => 4,
            Period::Year => 1,
        }
    }
    /// First and last day of period `index` of `year`.
    pub fn bounds(self, year: i32, index: u32) -> (NaiveDate, NaiveDate) {
        let (m0, months) = match self {
            Period::Month => (index, 1),
            Period::Quarter => ((index - 1) * 3 + 1, 3),
            Period::Year => (1, 12),
        };
        let start = NaiveDate::from_ymd_opt(year, m0, 1).expect("valid month");
        let end = start.checked_add_months(chrono::Months::new(months)).expect("in range") - Duration::days(1);
        (start, end)
    }
    /// `2026年3月`, `2026年第1季度`, `2026年`.
    pub fn label_zh(self, year: i32, index: u32) -> String {
        match self {
            Period::Month => format!("{year}年{index}月"),
            Period::Quarter => format!("{year}年第{index}季度"),
            Period::Year => format!("{year}年"),
        }
    }
    pub fn label_en(self, year: i32, index: u32) -> String {
        match self {
            Period::Month => format!("{year}-{index:02}"),
            Period::Quarter => format!("{year} Q{index}"),
            Period::Year => format!("{year}"),
        }
    }
    /// `本月`, `本季度`, `本年度`.
    pub fn current_zh(self) -> &'static str {
        match self {
            Period::Month => "本月",
            Period::Quarter => "本季度",
            Period::Year => "本年度",
        }
    }
    pub fn current_en(self) -> &'static str {
        match self {
            Period::Month => "this month",
            Period::Quarter => "this quarter",
            Period::Year => "this year",
        }
    }
}

// ------------------------------------------------------------------ requirements

/// What the compliance check knows of an organization.
#[derive(Debug, Clone)]
pub struct OrgFacts {
    pub code: OrgCode,
    pub kind: OrgKind,
    pub founded_on: Option<NaiveDate>,
    /// Members recorded directly in the organization.
    pub members: u32,
    pub full_members: u32,
    /// The secretary's name, for the secretary's own lecture (R3.1).
    pub secretary: Option<String>,
}

/// One recurring obligation, with the rule it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Requirement {
    pub kind: ActivityKind,
    pub period: Period,
    pub rule: &'static str,
}

/// What an organization owes (R3.1–R3.3). An organization with no members of its own (a 党委
/// whose members are all in its branches) owes nothing itself: its branches do.
/// - 主题党日 monthly (R3.2); 党课 quarterly, 支部党员大会 quarterly (R3.1);
/// - 支委会 monthly where there is a committee: ≥7 full members, or a 党委 / 党总支 (R1.4, R3.1);
/// - 党小组会 monthly where the branch is divided into groups: ≥20 members (R1.8, R3.1);
/// - 组织生活会 and 谈心谈话 yearly (R3.2); 民主评议党员 yearly (R3.3).
pub fn requirements(org: &OrgFacts) -> Vec<Requirement> {
    if org.members == 0 {
        return Vec::new();
    }
    let mut r = vec![
        Requirement { kind: ActivityKind::ThemeDay, period: Period::Month, rule: "R3.2" },
        Requirement { kind: ActivityKind::BranchAssembly, period: Period::Quarter, rule: "R3.1" },
        Requirement { kind: ActivityKind::Lecture, period: Period::Quarter, rule: "R3.1" },
    ];
    if org.full_members >= COMMITTEE_FULL_MEMBERS || matches!(org.kind, OrgKind::Committee | OrgKind::GeneralBranch) {
        r.push(Requirement { kind: ActivityKind::CommitteeMeeting, period: Period::Month, rule: "R3.1" });
    }
    if org.members >= GROUPS_MEMBERS {
        r.push(Requirement { kind: ActivityKind::GroupMeeting, period: Period::Month, rule: "R3.1" });
    }
    r.push(Requirement { kind: ActivityKind::LifeMeeting, period: Period::Year, rule: "R3.2" });
    r.push(Requirement { kind: ActivityKind::Talk, period: Period::Year, rule: "R3.2" });
    r.push(Requirement { kind: ActivityKind::Review, period: Period::Year, rule: "R3.3" });
    r
}

/// An activity as the compliance check sees it.
#[derive(Debug, Clone)]
pub struct HeldFact {
    pub org: OrgCode,
    pub kind: ActivityKind,
    pub date: NaiveDate,
    pub status: ActivityStatus,
    pub lecturer: Option<String>,
}

/// One requirement of one organization over a year, up to a date.
#[derive(Debug, Clone, Serialize)]
pub struct KindCompliance {
    pub kind: ActivityKind,
    pub period: Period,
    pub rule: &'static str,
    /// Periods that have ended (and in which the organization existed).
    pub due: u32,
    /// Of those, the ones in which the activity was held.
    pub met: u32,
    /// The missed periods, by index.
    pub missed: Vec<u32>,
    /// The running period (the month, quarter or year holding the date), if it is in the year.
    pub current: Option<u32>,
    pub current_done: bool,
    /// Held activities counted, all periods.
    pub held: u32,
}

/// An organization's compliance for a year.
#[derive(Debug, Clone, Serialize)]
pub struct OrgCompliance {
    pub org: OrgCode,
    pub year: i32,
    pub kinds: Vec<KindCompliance>,
    /// R3.1: the secretary gave a lecture this year (None where no secretary is recorded).
    pub secretary_lectured: Option<bool>,
}

impl OrgCompliance {
    pub fn due(&self) -> u32 {
        self.kinds.iter().map(|k| k.due).sum()
    }
    pub fn met(&self) -> u32 {
        self.kinds.iter().map(|k| k.met).sum()
    }
    /// Met ÷ due; 1 where nothing was due yet.
    pub fn rate(&self) -> f64 {
        let due = self.due();
        if due == 0 { 1.0 } else { f64::from(self.met()) / f64::from(due) }
    }
    pub fn missed(&self) -> u32 {
        self.kinds.iter().map(|k| k.missed.len() as u32).sum()
    }
    pub fn kind(&self, kind: ActivityKind) -> Option<&KindCompliance> {
        self.kinds.iter().find(|k| k.kind == kind)
    }
}

/// R3.1–R3.3 for one organization and year, as of `as_of`: periods that ended before `as_of`
/// are due; the one holding `as_of` is running. `held` are this organization's activities (any
/// status; plans do not count).
pub fn org_compliance(org: &OrgFacts, held: &[&HeldFact], year: i32, as_of: NaiveDate) -> OrgCompliance {
    let mut kinds = Vec::new();
    for req in requirements(org) {
        let mut k = KindCompliance {
            kind: req.kind,
            period: req.period,
            rule: req.rule,
            due: 0,
            met: 0,
            missed: Vec::new(),
            current: None,
            current_done: false,
            held: 0,
        };
        let mut done = vec![false; req.period.count() as usize + 1];
        for a in held.iter().filter(|a| a.kind == req.kind && a.status.held() && a.date.year() == year && a.date <= as_of) {
            done[req.period.index_of(a.date) as usize] = true;
            k.held += 1;
        }
        for index in 1..=req.period.count() {
            let (start, end) = req.period.bounds(year, index);
            if start > as_of {
                break;
            }
            // A period the organization did not exist for from its start is not owed.
            if org.founded_on.is_some_and(|f| f > start) {
                continue;
            }
            if end < as_of {
                k.due += 1;
                if done[index as usize] {
                    k.met += 1;
                } else {
                    k.missed.push(index);
                }
            } else {
                k.current = Some(index);
                k.current_done = done[index as usize];
            }
        }
        kinds.push(k);
    }
    let secretary_lectured = org.secretary.as_ref().filter(|_| org.members > 0).map(|name| {
        held.iter().any(|a| {
            a.kind == ActivityKind::Lecture
                && a.status.held()
                && a.date.year() == year
                && a.lecturer.as_deref().map(str::trim) == Some(name)
        })
    });
    OrgCompliance { org: org.code.clone(), year, kinds, secretary_lectured }
}

/// Compliance of many organizations; `held` in any order.
pub fn compliance(orgs: &[OrgFacts], held: &[HeldFact], year: i32, as_of: NaiveDate) -> Vec<OrgCompliance> {
    let mut by_org: std::collections::HashMap<&str, Vec<&HeldFact>> = std::collections::HashMap::new();
    for h in held {
        by_org.entry(h.org.as_str()).or_default().push(h);
    }
    orgs.iter().map(|o| org_compliance(o, by_org.get(o.code.as_str()).map(Vec::as_slice).unwrap_or(&[]), year, as_of)).collect()
}

/// A line on a secretary's to-do list.
#[derive(Debug, Clone, Serialize)]
pub struct Todo {
    pub kind: ActivityKind,
    pub rule: &'static str,
    /// A period already over (a miss to record late or explain) rather than the running one.
    pub overdue: bool,
    pub zh: String,
    pub en: String,
}

/// The to-do list of an organization: missed periods of the year first, then the running
/// month's and quarter's activities not yet held, then the yearly ones from October on.
pub fn todos(c: &OrgCompliance, as_of: NaiveDate) -> Vec<Todo> {
    let mut out = Vec::new();
    for k in &c.kinds {
        for &i in &k.missed {
            out.push(Todo {
                kind: k.kind,
                rule: k.rule,
                overdue: true,
                zh: format!("{}{}未开展", k.period.label_zh(c.year, i), k.kind.zh()),
                en: format!("{} not held in {}", k.kind.en(), k.period.label_en(c.year, i)),
            });
        }
    }
    for k in &c.kinds {
        if k.current.is_some() && !k.current_done && (k.period != Period::Year || as_of.month() >= 10) {
            out.push(Todo {
                kind: k.kind,
                rule: k.rule,
                overdue: false,
                zh: format!("{}{}未开展", k.period.current_zh(), k.kind.zh()),
                en: format!("{} not yet held {}", k.kind.en(), k.period.current_en()),
            });
        }
    }
    if c.secretary_lectured == Some(false) && (as_of.month() >= 10 || as_of.year() > c.year) {
        out.push(Todo {
            kind: ActivityKind::Lecture,
            rule: "R3.1",
            overdue: as_of.year() > c.year,
            zh: "书记本年度尚未讲党课".into(),
            en: "The secretary has not given a lecture this year".into(),
        });
    }
    out
}

// ------------------------------------------------------------------ absence (R3.5)

/// How long a member has been away from organizational life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AbsenceLevel {
    /// ≥3 months: the secretary follows up.
    Flag,
    /// ≥6 months: reported upward (Constitution art. 9).
    Escalate,
}

impl AbsenceLevel {
    pub fn zh(self) -> &'static str {
        match self {
            AbsenceLevel::Flag => "连续3个月未参加组织生活",
            AbsenceLevel::Escalate => "连续6个月未参加组织生活",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            AbsenceLevel::Flag => "3 months without organizational life",
            AbsenceLevel::Escalate => "6 months without organizational life",
        }
    }
}

/// Whole months from `from` to `to` (0 when `to` is earlier).
pub fn whole_months(from: NaiveDate, to: NaiveDate) -> u32 {
    if to <= from {
        return 0;
    }
    let mut m = (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32;
    if to.day() < from.day() {
        m -= 1;
    }
    m.max(0) as u32
}

/// R3.5: months since the member last attended (or since they could first have: their admission,
/// or when the records begin), and the level it reaches.
pub fn absence(
    last_present: Option<NaiveDate>,
    admitted_on: NaiveDate,
    records_begin: NaiveDate,
    as_of: NaiveDate,
) -> (u32, Option<AbsenceLevel>) {
    let since = last_present.unwrap_or_else(|| admitted_on.max(records_begin));
    let months = whole_months(since, as_of);
    let level = if months >= ABSENCE_ESCALATE_MONTHS {
        Some(AbsenceLevel::Escalate)
    } else if months >= ABSENCE_FLAG_MONTHS {
        Some(AbsenceLevel::Flag)
    } else {
        None
    };
    (months, level)
}

// ------------------------------------------------------------------ 民主评议 (R3.3)

/// R3.3: at most a third of an organization's members are graded 优秀.
pub fn excellent_limit(members: usize) -> usize {
    members / 3
}

/// Check a set of grades for one organization and year against the limit.
pub fn check_grades(members: usize, grades: &[Grade]) -> Result<(), FieldError> {
    let excellent = grades.iter().filter(|g| **g == Grade::Excellent).count();
    let limit = excellent_limit(members);
    if excellent > limit {
        return Err(FieldError::new(
            "grade",
            "excellent_limit",
            format!("优秀等次不超过党员总数的三分之一（R3.3）：本组织 {members} 名党员，最多 {limit} 名优秀，现为 {excellent} 名"),
            format!("at most a third of members may be graded excellent (R3.3): {members} members allow {limit}, not {excellent}"),
        ));
    }
    Ok(())
}

// ------------------------------------------------------------------ check-in

/// Whether a member may check in at `now` to an activity starting at `starts_at`.
pub fn checkin_window(starts_at: DateTime<Utc>, now: DateTime<Utc>, window_minutes: i64) -> Result<(), FieldError> {
    let w = Duration::minutes(window_minutes);
    let open = starts_at - w;
    let close = starts_at + w;
    let fmt = |t: DateTime<Utc>| to_local(t).format("%Y-%m-%d %H:%M").to_string();
    if now < open {
        return Err(FieldError::new(
            "checkin",
            "not_open",
            format!("签到尚未开始：可在 {} 至 {} 之间签到（活动开始前后各{window_minutes}分钟）", fmt(open), fmt(close)),
            format!("check-in is not open yet: it is open from {} to {}", fmt(open), fmt(close)),
        ));
    }
    if now > close {
        return Err(FieldError::new(
            "checkin",
            "closed",
            format!("签到已结束：签到时间为 {} 至 {}（活动开始前后各{window_minutes}分钟），如未能参加请向书记说明", fmt(open), fmt(close)),
            format!("check-in closed at {}; it was open from {}", fmt(close), fmt(open)),
        ));
    }
    Ok(())
}

// ------------------------------------------------------------------ attachments

/// Largest attachment accepted (setting): photos and documents of an activity.
pub const ATTACHMENT_MAX_BYTES: usize = 10 * 1024 * 1024;
/// Attachments an activity may hold.
pub const ATTACHMENTS_PER_ACTIVITY: usize = 30;

/// What an attachment is, judged by its first bytes (not by its name alone): JPEG and PNG photos,
/// PDF, and Word / Excel / PowerPoint documents (.docx, .xlsx, .pptx). Returns the MIME type.
pub fn attachment_type(name: &str, bytes: &[u8]) -> Result<&'static str, FieldError> {
    let accepted = "只接受 JPG、PNG 照片和 PDF、Word（.docx）、Excel（.xlsx）、PowerPoint（.pptx）文档";
    if bytes.is_empty() {
        return Err(FieldError::new("file", "empty", format!("附件“{name}”是空文件，{accepted}"), format!("{name} is empty")));
    }
    if bytes.len() > ATTACHMENT_MAX_BYTES {
        return Err(FieldError::new(
            "file",
            "too_large",
            format!(
                "附件“{name}”为 {:.1} MB，超过 {} MB 的上限；照片请压缩后再上传",
                bytes.len() as f64 / 1048576.0,
                ATTACHMENT_MAX_BYTES >> 20
            ),
            format!("{name} is {:.1} MB, over the {} MB limit", bytes.len() as f64 / 1048576.0, ATTACHMENT_MAX_BYTES >> 20),
        ));
    }
    let lower = name.to_lowercase();
    let mime = if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(b"PK\x03\x04") {
        // Office Open XML files are zip archives: the name says which.
        if lower.ends_with(".docx") {
            Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        } else if lower.ends_with(".xlsx") {
            Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        } else if lower.ends_with(".pptx") {
            Some("application/vnd.openxmlformats-officedocument.presentationml.presentation")
        } else {
            None
        }
    } else {
        None
    };
    mime.ok_or_else(|| {
        FieldError::new(
            "file",
            "refused_type",
            format!("附件“{name}”的类型不支持：{accepted}"),
            format!("{name}: only JPG and PNG photos and PDF, .docx, .xlsx and .pptx documents are accepted"),
        )
    })
}

// ------------------------------------------------------------------ the record

/// An activity's record, valid.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Activity {
    pub org: OrgCode,
    pub kind: ActivityKind,
    /// The name of an `Other` kind.
    pub kind_name: Option<String>,
    pub topic: String,
    pub starts_at: DateTime<Utc>,
    pub minutes: i64,
    pub place: String,
    pub host: String,
    pub recorder: String,
    pub lecturer: Option<String>,
    pub content: String,
    pub decisions: String,
    pub hours: f64,
    /// A plan, or an activity that took place (its record then starts as a draft).
    pub held: bool,
}

/// What a form or API body sends for an activity: every field as text.
#[derive(Debug, Clone, Default, serde::Deserialize, Serialize)]
#[serde(default)]
pub struct ActivityInput {
    pub org: String,
    pub kind: String,
    pub kind_name: String,
    pub topic: String,
    pub date: String,
    pub time: String,
    pub minutes: String,
    pub place: String,
    pub host: String,
    pub recorder: String,
    pub lecturer: String,
    pub content: String,
    pub decisions: String,
    pub hours: String,
    /// `1` / `true`: it took place; otherwise a plan.
    pub held: String,
}

fn parse_time(s: &str) -> Option<NaiveTime> {
    let s = crate::normalize_width(s).replace('：', ":");
    NaiveTime::parse_from_str(&s, "%H:%M").ok().or_else(|| NaiveTime::parse_from_str(&s, "%H:%M:%S").ok())
}

impl ActivityInput {
    /// Parse and check, as of `now`: a held activity cannot start in the future; a 党课 names its
    /// lecturer; an `Other` kind names itself.
    pub fn parse(&self, now: DateTime<Utc>) -> Result<Activity, Vec<FieldError>> {
        let mut c = Checker::default();
        let org = c.parse("org", &self.org, OrgCode::parse);
        let kind = c.label::<ActivityKind>("kind", "活动类型", &self.kind);
        let topic = c.required_text("topic", "主题", &self.topic, 100);
        let date = c.required_date("date", "日期", &self.date);
        let time = if self.time.trim().is_empty() {
            Some(NaiveTime::from_hms_opt(15, 0, 0).expect("valid"))
        } else {
            let t = parse_time(&self.time);
            if t.is_none() {
                c.errors.push(FieldError::new("time", "time", "时间无效，请写作 15:30", "time is not valid: write 15:30"));
            }
            t
        };
        let minutes = if self.minutes.trim().is_empty() {
            Some(90)
        } else {
            match crate::normalize_width(&self.minutes).parse::<i64>() {
                Ok(m) if (10..=600).contains(&m) => Some(m),
                _ => {
                    c.errors.push(FieldError::new(
                        "minutes",
                        "minutes",
                        "时长应为10到600之间的分钟数",
                        "minutes is a number from 10 to 600",
                    ));
                    None
                }
            }
        };
        let place = c.required_text("place", "地点", &self.place, 100);
        let held = matches!(self.held.trim(), "1" | "true" | "on" | "是");
        let host = if held { c.required_text("host", "主持人", &self.host, 30) } else { self.host.trim().to_string() };
        let recorder = if held { c.required_text("recorder", "记录人", &self.recorder, 30) } else { self.recorder.trim().to_string() };
        let lecturer = Some(self.lecturer.trim().to_string()).filter(|s| !s.is_empty());
        if kind == Some(ActivityKind::Lecture) && lecturer.is_none() {
            c.errors.push(FieldError::new("lecturer", "required", "党课须填写授课人", "a Party lecture names its lecturer"));
        }
        let kind_name = Some(self.kind_name.trim().to_string()).filter(|s| !s.is_empty());
        if kind == Some(ActivityKind::Other) && kind_name.is_none() {
            c.errors.push(FieldError::new(
                "kind_name",
                "required",
                "类型为“其他”时请填写活动名称",
                "an activity of kind other names its kind",
            ));
        }
        let content = self.content.trim().to_string();
        if content.chars().count() > 20_000 {
            c.errors.push(FieldError::new("content", "too_long", "内容最多20000字", "content is at most 20,000 characters"));
        }
        if held && content.is_empty() {
            c.errors.push(FieldError::new("content", "required", "已开展的活动请填写主要内容", "a held activity records its content"));
        }
        let decisions = self.decisions.trim().to_string();
        let hours = if self.hours.trim().is_empty() {
            kind.map(ActivityKind::default_hours)
        } else {
            match crate::normalize_width(&self.hours).parse::<f64>() {
                Ok(h) if (0.0..=24.0).contains(&h) => Some((h * 2.0).round() / 2.0),
                _ => {
                    c.errors.push(FieldError::new("hours", "hours", "学时应为0到24之间的数（可到0.5）", "hours is a number from 0 to 24"));
                    None
                }
            }
        };
        let starts_at = match (date, time) {
            (Some(d), Some(t)) => Some(from_local(d.and_time(t))),
            _ => None,
        };
        if let Some(s) = starts_at
            && held
            && s > now
        {
            c.errors.push(FieldError::new(
                "date",
                "held_in_future",
                "活动时间在将来，不能记为已开展：请保存为计划，开展后再填写记录",
                "an activity in the future cannot be recorded as held: save it as a plan",
            ));
        }
        let value = (|| {
            Some(Activity {
                org: org?,
                kind: kind?,
                kind_name: kind_name.clone(),
                topic: topic.clone(),
                starts_at: starts_at?,
                minutes: minutes?,
                place: place.clone(),
                host: host.clone(),
                recorder: recorder.clone(),
                lecturer: lecturer.clone(),
                content: content.clone(),
                decisions: decisions.clone(),
                hours: hours?,
                held,
            })
        })();
        c.finish(value)
    }
}

impl Activity {
    /// The input that would give this record back (for edit forms).
    pub fn to_input(&self) -> ActivityInput {
        let local = to_local(self.starts_at);
        ActivityInput {
            org: self.org.to_string(),
            kind: self.kind.code().into(),
            kind_name: self.kind_name.clone().unwrap_or_default(),
            topic: self.topic.clone(),
            date: local.date().to_string(),
            time: local.format("%H:%M").to_string(),
            minutes: self.minutes.to_string(),
            place: self.place.clone(),
            host: self.host.clone(),
            recorder: self.recorder.clone(),
            lecturer: self.lecturer.clone().unwrap_or_default(),
            content: self.content.clone(),
            decisions: self.decisions.clone(),
            hours: self.hours.to_string(),
            held: if self.held { "1".into() } else { String::new() },
        }
    }
}

/// Party-affairs cadres (党务干部): those the observation events must reach (the seed's
/// 党务干部全覆盖).
pub fn is_affairs_cadre(post: Option<PartyPost>) -> bool {
    matches!(
        post,
        Some(
            PartyPost::Secretary
                | PartyPost::DeputySecretary
                | PartyPost::OrganizationCommissioner
                | PartyPost::PropagandaCommissioner
                | PartyPost::DisciplineCommissioner
                | PartyPost::CommitteeMember
                | PartyPost::AffairsWorker
        )
    )
}

/// Committee members due at a 支委会 (R1.4): the secretary, deputy and commissioners.
pub fn is_committee(post: Option<PartyPost>) -> bool {
    is_affairs_cadre(post) && post != Some(PartyPost::AffairsWorker)
}

/// A month written `2026-11` (or `2026年11月`), as its first day.
pub fn parse_month(s: &str) -> Option<NaiveDate> {
    let s = crate::normalize_width(s).replace('年', "-").replace('月', "");
    let (y, m) = s.split_once(['-', '/'])?;
    NaiveDate::from_ymd_opt(y.trim().parse().ok()?, m.trim().parse().ok()?, 1)
}

/// A study record (R3.4: 自学, 网络学习, 培训) as a form or API body sends it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct StudyInput {
    pub studied_on: String,
    pub hours: String,
    pub content: String,
}

impl StudyInput {
    /// The date (not after `today`), hours (0.5–24) and content (≤200 characters).
    pub fn parse(&self, today: NaiveDate) -> Result<(NaiveDate, f64, String), Vec<FieldError>> {
        let mut c = Checker::default();
        let on = c.required_date("studied_on", "学习日期", &self.studied_on);
        if on.is_some_and(|d| d > today) {
            c.errors.push(FieldError::new("studied_on", "date_future", "学习日期不能晚于今天", "the study date cannot be in the future"));
        }
        let hours = match crate::normalize_width(&self.hours).parse::<f64>() {
            Ok(h) if (0.5..=24.0).contains(&h) => Some(h),
            _ => {
                c.errors.push(FieldError::new(
                    "hours",
                    "hours",
                    "学时应为0.5到24之间的数，如 2 或 1.5",
                    "hours are a number from 0.5 to 24",
                ));
                None
            }
        };
        let content = c.required_text("content", "学习内容", &self.content, 200);
        let value = (|| Some((on?, hours?, content.clone())))();
        c.finish(value)
    }
}

/// A month's theme for 主题党日 as the county publishes it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct GuideInput {
    pub month: String,
    pub topic: String,
    pub materials: String,
}

impl GuideInput {
    /// The month (its first day), topic (≤100 characters) and materials (≤2,000).
    pub fn parse(&self) -> Result<(NaiveDate, String, String), Vec<FieldError>> {
        let mut c = Checker::default();
        let month = parse_month(&self.month);
        if month.is_none() {
            c.errors.push(FieldError::new(
                "month",
                "month",
                format!("月份“{}”无效，请写作 2026-12", self.month.trim()),
                "month: write 2026-12",
            ));
        }
        let topic = c.required_text("topic", "主题", &self.topic, 100);
        let materials = self.materials.trim().to_string();
        if materials.chars().count() > 2000 {
            c.errors.push(FieldError::new("materials", "too_long", "学习材料最多2000字", "materials: at most 2,000 characters"));
        }
        let value = month.map(|m| (m, topic.clone(), materials.clone()));
        c.finish(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::parse_date;

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    fn org(members: u32, full: u32) -> OrgFacts {
        OrgFacts {
            code: OrgCode::parse("T-1").unwrap(),
            kind: OrgKind::Branch,
            founded_on: None,
            members,
            full_members: full,
            secretary: Some("王芳".into()),
        }
    }

    fn held(kind: ActivityKind, date: &str) -> HeldFact {
        HeldFact { org: OrgCode::parse("T-1").unwrap(), kind, date: d(date), status: ActivityStatus::Accepted, lecturer: None }
    }

    #[test]
    fn requirements_follow_size_r1_4_r1_8() {
        let kinds = |o: &OrgFacts| requirements(o).iter().map(|r| r.kind).collect::<Vec<_>>();
        assert!(!kinds(&org(5, 5)).contains(&ActivityKind::CommitteeMeeting));
        assert!(kinds(&org(9, 7)).contains(&ActivityKind::CommitteeMeeting));
        assert!(!kinds(&org(9, 7)).contains(&ActivityKind::GroupMeeting));
        assert!(kinds(&org(24, 20)).contains(&ActivityKind::GroupMeeting));
        assert!(requirements(&org(0, 0)).is_empty());
    }

    #[test]
    fn monthly_theme_day_counts_completed_months_r3_2() {
        let o = org(5, 5);
        let acts = [
            held(ActivityKind::ThemeDay, "2026-01-10"),
            held(ActivityKind::ThemeDay, "2026-03-10"),
            held(ActivityKind::ThemeDay, "2026-04-02"),
        ];
        let refs: Vec<&HeldFact> = acts.iter().collect();
        let c = org_compliance(&o, &refs, 2026, d("2026-04-15"));
        let k = c.kind(ActivityKind::ThemeDay).unwrap();
        assert_eq!((k.due, k.met, k.missed.clone()), (3, 2, vec![2]));
        assert_eq!(k.current, Some(4));
        assert!(k.current_done);
        let q = c.kind(ActivityKind::Lecture).unwrap();
        assert_eq!((q.due, q.met, q.missed.clone()), (1, 0, vec![1]));
        let todo = todos(&c, d("2026-04-15"));
        assert!(todo.iter().any(|t| t.zh == "2026年2月主题党日未开展" && t.overdue));
        assert!(todo.iter().any(|t| t.zh == "本季度党课未开展" && !t.overdue));
        assert!(!todo.iter().any(|t| t.zh.contains("本月主题党日")));
        // Yearly items join the list from October.
        assert!(!todo.iter().any(|t| t.kind == ActivityKind::LifeMeeting));
        let late = org_compliance(&o, &refs, 2026, d("2026-10-20"));
        assert!(todos(&late, d("2026-10-20")).iter().any(|t| t.zh == "本年度组织生活会未开展"));
    }

    #[test]
    fn plans_and_other_years_do_not_count() {
        let o = org(5, 5);
        let mut plan = held(ActivityKind::ThemeDay, "2026-01-10");
        plan.status = ActivityStatus::Planned;
        let last_year = held(ActivityKind::ThemeDay, "2025-12-10");
        let c = org_compliance(&o, &[&plan, &last_year], 2026, d("2026-02-15"));
        assert_eq!(c.kind(ActivityKind::ThemeDay).unwrap().met, 0);
        assert_eq!(c.rate(), 0.0);
    }

    #[test]
    fn a_new_organization_owes_from_its_founding() {
        let mut o = org(5, 5);
        o.founded_on = Some(d("2026-03-05"));
        let c = org_compliance(&o, &[], 2026, d("2026-06-15"));
        // April and May: March began before the founding.
        assert_eq!(c.kind(ActivityKind::ThemeDay).unwrap().due, 2);
    }

    #[test]
    fn a_past_year_is_all_due() {
        let c = org_compliance(&org(9, 7), &[], 2025, d("2026-02-01"));
        assert_eq!(c.kind(ActivityKind::ThemeDay).unwrap().due, 12);
        assert_eq!(c.kind(ActivityKind::LifeMeeting).unwrap().due, 1);
        assert_eq!(c.secretary_lectured, Some(false));
        assert!(todos(&c, d("2026-02-01")).iter().any(|t| t.zh == "书记本年度尚未讲党课" && t.overdue));
    }

    #[test]
    fn secretary_lecture_matches_the_name_r3_1() {
        let mut l = held(ActivityKind::Lecture, "2026-05-10");
        l.lecturer = Some("王芳".into());
        let c = org_compliance(&org(5, 5), &[&l], 2026, d("2026-06-01"));
        assert_eq!(c.secretary_lectured, Some(true));
    }

    #[test]
    fn absence_flags_at_three_and_six_months_r3_5() {
        let begin = d("2025-01-01");
        assert_eq!(absence(Some(d("2026-03-10")), d("2000-01-01"), begin, d("2026-06-09")), (2, None));
        assert_eq!(absence(Some(d("2026-03-10")), d("2000-01-01"), begin, d("2026-06-10")), (3, Some(AbsenceLevel::Flag)));
        assert_eq!(absence(None, d("2000-01-01"), begin, d("2025-07-01")).1, Some(AbsenceLevel::Escalate));
        // A member admitted last month is not yet absent.
        assert_eq!(absence(None, d("2026-05-20"), begin, d("2026-06-10")), (0, None));
    }

    #[test]
    fn excellent_at_most_a_third_r3_3() {
        assert_eq!(excellent_limit(10), 3);
        assert!(check_grades(10, &[Grade::Excellent; 3]).is_ok());
        let e = check_grades(10, &[Grade::Excellent; 4]).unwrap_err();
        assert_eq!(e.code, "excellent_limit");
        assert!(e.message_zh.contains("最多 3 名"));
        assert!(check_grades(2, &[Grade::Excellent]).is_err());
    }

    #[test]
    fn checkin_window_either_side() {
        let start = from_local(d("2026-06-10").and_hms_opt(15, 0, 0).unwrap());
        assert!(checkin_window(start, start - Duration::minutes(30), 30).is_ok());
        assert!(checkin_window(start, start + Duration::minutes(30), 30).is_ok());
        let early = checkin_window(start, start - Duration::minutes(31), 30).unwrap_err();
        assert_eq!(early.code, "not_open");
        assert!(early.message_zh.contains("2026-06-10 14:30"));
        assert_eq!(checkin_window(start, start + Duration::minutes(31), 30).unwrap_err().code, "closed");
    }

    fn input() -> ActivityInput {
        ActivityInput {
            org: "T-1".into(),
            kind: "主题党日".into(),
            topic: "学习党的二十届四中全会精神".into(),
            date: "2026-06-10".into(),
            time: "15:30".into(),
            place: "三楼会议室".into(),
            host: "王芳".into(),
            recorder: "李强".into(),
            content: "集中学习，交流发言".into(),
            held: "1".into(),
            ..Default::default()
        }
    }

    #[test]
    fn activity_input_parses_and_refuses_future_held() {
        let now = from_local(d("2026-06-20").and_hms_opt(9, 0, 0).unwrap());
        let a = input().parse(now).unwrap();
        assert_eq!(a.kind, ActivityKind::ThemeDay);
        assert_eq!(a.hours, 2.0);
        assert_eq!(to_local(a.starts_at).format("%H:%M").to_string(), "15:30");
        assert_eq!(a.to_input().parse(now).unwrap(), a);
        let mut f = input();
        f.date = "2026-07-01".into();
        let e = f.parse(now).unwrap_err();
        assert_eq!(e[0].code, "held_in_future");
        f.held = String::new();
        assert!(f.parse(now).is_ok(), "a plan may be in the future");
        let mut l = input();
        l.kind = "党课".into();
        assert!(l.parse(now).unwrap_err().iter().any(|e| e.field == "lecturer"));
        let mut bad = input();
        bad.kind = "联欢会".into();
        bad.time = "25:00".into();
        bad.hours = "-1".into();
        let e = bad.parse(now).unwrap_err();
        assert!(e.iter().any(|e| e.field == "kind" && e.message_zh.contains("主题党日")));
        assert!(e.iter().any(|e| e.field == "time"));
    }

    #[test]
    fn attachments_are_judged_by_content() {
        assert_eq!(attachment_type("a.jpg", &[0xFF, 0xD8, 0xFF, 0xE0, 1]).unwrap(), "image/jpeg");
        assert_eq!(attachment_type("会议.PDF", b"%PDF-1.7 ...").unwrap(), "application/pdf");
        assert!(attachment_type("记录.docx", b"PK\x03\x04rest").unwrap().contains("wordprocessingml"));
        assert_eq!(attachment_type("x.zip", b"PK\x03\x04rest").unwrap_err().code, "refused_type");
        // A program renamed to .jpg is refused.
        assert_eq!(attachment_type("photo.jpg", b"MZ\x90\x00").unwrap_err().code, "refused_type");
        assert_eq!(attachment_type("e.png", b"").unwrap_err().code, "empty");
        let big = vec![0xFFu8; ATTACHMENT_MAX_BYTES + 1];
        let e = attachment_type("big.jpg", &big).unwrap_err();
        assert_eq!(e.code, "too_large");
        assert!(e.message_zh.contains("10 MB"));
    }

    #[test]
    fn study_and_guide_inputs_say_what_is_wrong() {
        let today = d("2026-11-26");
        let ok = StudyInput { studied_on: "2026-11-20".into(), hours: "1.5".into(), content: "网络学习".into() };
        assert_eq!(ok.parse(today).unwrap().1, 1.5);
        let bad = StudyInput { studied_on: "2026-12-01".into(), hours: "30".into(), content: String::new() };
        let e = bad.parse(today).unwrap_err();
        let codes: Vec<_> = e.iter().map(|e| (e.field, e.code)).collect();
        assert_eq!(codes, vec![("studied_on", "date_future"), ("hours", "hours"), ("content", "required")]);
        assert!(GuideInput { month: "2026年12月".into(), topic: "年终总结".into(), materials: String::new() }.parse().is_ok());
        let e = GuideInput { month: "2026-13".into(), topic: " ".into(), materials: String::new() }.parse().unwrap_err();
        assert_eq!(e.iter().map(|e| e.field).collect::<Vec<_>>(), vec!["month", "topic"]);
    }

    #[test]
    fn months_parse() {
        assert_eq!(parse_month("2026-11"), Some(d("2026-11-01")));
        assert_eq!(parse_month("2026年3月"), Some(d("2026-03-01")));
        assert_eq!(parse_month("2026-13"), None);
        assert_eq!(whole_months(d("2026-01-31"), d("2026-02-28")), 0);
        assert_eq!(whole_months(d("2026-01-15"), d("2026-04-15")), 3);
    }
}
