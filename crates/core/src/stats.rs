//! Year-end statistics in the style of 党内统计 (issue: statistics, part 6): members and
//! organizations as of a day (normally 31 December) and the changes during the year up to it,
//! computed from the records' history — a member counts on the day when admitted by it and not
//! yet gone (a record that left later still counts), full when full membership dates from it
//! (R2.10). Education is counted where recorded; members without it form their own line.
use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::labels::{Education, Gender, Labeled, MemberCategory, MemberStatus, OrgKind};

/// A member record as the statistics read it.
#[derive(Debug, Clone)]
pub struct MemberFact {
    pub birth_date: NaiveDate,
    pub gender: Gender,
    pub admitted_on: NaiveDate,
    pub full_on: Option<NaiveDate>,
    pub category: MemberCategory,
    /// The day the record left the roster (transferred out, left, died), if it did.
    pub gone_on: Option<NaiveDate>,
    /// 学历, where recorded.
    pub education: Option<Education>,
}

/// A change of status or organization during the year.
#[derive(Debug, Clone)]
pub struct ChangeFact {
    pub on: NaiveDate,
    pub what: Change,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Transferred in from outside the system.
    In,
    /// Transferred out of the system (completed).
    Out,
    Status(MemberStatus),
}

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub label: String,
    pub count: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct YearEnd {
    pub as_of: NaiveDate,
    pub members: usize,
    pub full: usize,
    pub probationary: usize,
    pub by_gender: Vec<Row>,
    pub by_age: Vec<Row>,
    /// 学历, with a line for members whose education is not recorded.
    pub by_education: Vec<Row>,
    pub by_joining: Vec<Row>,
    pub orgs: Vec<Row>,
    /// Changes from 1 January of the year to the day.
    pub changes: Vec<Row>,
}

/// Full years of age on a day.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> i32 {
    let mut y = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        y -= 1;
    }
    y
}

/// The age bands of the year-end tables.
pub const AGE_BANDS: [(&str, i32, i32); 8] = [
    ("30岁及以下", 0, 30),
    ("31–35岁", 31, 35),
    ("36–40岁", 36, 40),
    ("41–45岁", 41, 45),
    ("46–50岁", 46, 50),
    ("51–55岁", 51, 55),
    ("56–60岁", 56, 60),
    ("61岁及以上", 61, 200),
];

/// The periods of joining the tables use.
fn joining_period(d: NaiveDate) -> usize {
    let ymd = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("valid");
    if d < ymd(1978, 12, 18) {
        0
    } else if d < ymd(2002, 11, 8) {
        1
    } else if d < ymd(2012, 11, 8) {
        2
    } else {
        3
    }
}

pub const JOINING_PERIODS: [&str; 4] =
    ["党的十一届三中全会以前", "十一届三中全会至党的十六大以前", "党的十六大至十八大以前", "党的十八大以来"];

/// The tables as of `as_of`: members (total, full, probationary, gender, age, joining period),
/// organizations by kind, and the year's changes.
pub fn year_end(members: &[MemberFact], orgs: &[(OrgKind, Option<NaiveDate>)], changes: &[ChangeFact], as_of: NaiveDate) -> YearEnd {
    let year_start = NaiveDate::from_ymd_opt(as_of.year(), 1, 1).expect("valid");
    let on_roll: Vec<&MemberFact> = members.iter().filter(|m| m.admitted_on <= as_of && m.gone_on.is_none_or(|g| g > as_of)).collect();
    // R2.10: full from the end of probation; a full member without a date (older ledgers) is full.
    let is_full = |m: &MemberFact| match m.full_on {
        Some(f) => f <= as_of,
        None => m.category == MemberCategory::Full,
    };
    let full = on_roll.iter().filter(|m| is_full(m)).count();
    let by_gender = Gender::ALL
        .iter()
        .map(|g| Row { label: Labeled::zh(*g).to_string(), count: on_roll.iter().filter(|m| m.gender == *g).count() })
        .collect();
    let by_age = AGE_BANDS
        .iter()
        .map(|(label, lo, hi)| Row {
            label: (*label).to_string(),
            count: on_roll.iter().filter(|m| (*lo..=*hi).contains(&age_on(m.birth_date, as_of))).count(),
        })
        .collect();
    let mut by_education: Vec<Row> = Education::ALL
        .iter()
        .map(|e| Row { label: Labeled::zh(*e).to_string(), count: on_roll.iter().filter(|m| m.education == Some(*e)).count() })
        .collect();
    by_education.push(Row { label: "未填写".into(), count: on_roll.iter().filter(|m| m.education.is_none()).count() });
    let mut joining = [0usize; 4];
    for m in &on_roll {
        joining[joining_period(m.admitted_on)] += 1;
    }
    let by_joining = JOINING_PERIODS.iter().zip(joining).map(|(l, n)| Row { label: (*l).to_string(), count: n }).collect();
    let org_rows = OrgKind::ALL
        .iter()
        .map(|k| Row {
            label: Labeled::zh(*k).to_string(),
            count: orgs.iter().filter(|(kind, founded)| kind == k && founded.is_none_or(|f| f <= as_of)).count(),
        })
        .collect();
    let in_year = |d: NaiveDate| d >= year_start && d <= as_of;
    let count_changes = |w: Change| changes.iter().filter(|c| c.what == w && in_year(c.on)).count();
    let changes = vec![
        Row { label: "发展党员（接收预备党员）".into(), count: members.iter().filter(|m| in_year(m.admitted_on)).count() },
        Row { label: "预备党员转正".into(), count: members.iter().filter(|m| m.full_on.is_some_and(in_year)).count() },
        Row { label: "从系统外转入".into(), count: count_changes(Change::In) },
        Row { label: "转出系统外".into(), count: count_changes(Change::Out) },
        Row { label: "死亡".into(), count: count_changes(Change::Status(MemberStatus::Deceased)) },
        Row { label: "出党".into(), count: count_changes(Change::Status(MemberStatus::Left)) },
        Row { label: "停止党籍".into(), count: count_changes(Change::Status(MemberStatus::Suspended)) },
    ];
    YearEnd {
        as_of,
        members: on_roll.len(),
        full,
        probationary: on_roll.len() - full,
        by_gender,
        by_age,
        by_education,
        by_joining,
        orgs: org_rows,
        changes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn m(admitted: &str, full: Option<&str>, gone: Option<&str>) -> MemberFact {
        MemberFact {
            birth_date: d("1990-06-15"),
            gender: Gender::Female,
            admitted_on: d(admitted),
            full_on: full.map(d),
            category: if full.is_some() { MemberCategory::Full } else { MemberCategory::Probationary },
            gone_on: gone.map(d),
            education: if full.is_some() { Some(Education::Bachelor) } else { None },
        }
    }

    #[test]
    fn counts_as_of_the_day_from_the_history() {
        let members = [
            m("2010-07-01", Some("2011-07-01"), None),
            // Admitted in 2025, full in 2026: probationary on 2025-12-31.
            m("2025-03-01", Some("2026-03-01"), None),
            // Gone in 2026: still a member on 2025-12-31.
            m("2000-07-01", Some("2001-07-01"), Some("2026-05-01")),
            // Gone in 2025: not counted.
            m("2000-07-01", Some("2001-07-01"), Some("2025-05-01")),
            // Admitted after the day.
            m("2026-02-01", None, None),
        ];
        let changes = [
            ChangeFact { on: d("2025-05-01"), what: Change::Out },
            ChangeFact { on: d("2026-05-01"), what: Change::Status(MemberStatus::Deceased) },
        ];
        let y = year_end(
            &members,
            &[(OrgKind::Branch, Some(d("2010-01-01"))), (OrgKind::Branch, Some(d("2026-01-01")))],
            &changes,
            d("2025-12-31"),
        );
        assert_eq!((y.members, y.full, y.probationary), (3, 2, 1));
        assert_eq!(y.by_age.iter().find(|r| r.label == "31–35岁").unwrap().count, 3);
        let edu = |l: &str| y.by_education.iter().find(|r| r.label == l).unwrap().count;
        assert_eq!(edu("大学本科") + edu("未填写"), y.members, "every member on one education line");
        assert_eq!(edu("研究生"), 0);
        assert_eq!(y.orgs.iter().find(|r| r.label == "党支部").unwrap().count, 1);
        assert_eq!(y.changes[0].count, 1, "admitted in 2025");
        assert_eq!(y.changes[3].count, 1, "transferred out in 2025");
        assert_eq!(y.changes[4].count, 0, "the death was in 2026");
        assert_eq!(y.by_joining[3].count, 1);
    }
}
