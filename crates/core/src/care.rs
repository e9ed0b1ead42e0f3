//! 结对帮扶留守儿童 (issue: 党建+, part 3): a left-behind child's record, the member paired with
//! them, and the visits logged. Children's data is the most sensitive in Hongzhu (DOMAIN R6.2,
//! SECURITY S8, S13, S14): the record keeps only what the work needs — name, sex, birth date, class,
//! why the child counts as left behind, who looks after them, a short note. No ID number, no
//! address, no parents' names or phones: the school holds those in its own files.
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::Invalid;
use crate::labels::{ChildSituation, Guardian, HelpKind, Labeled};
use crate::registry::FieldError;
use crate::stats::age_on;

/// R6.2: a left-behind child is under 16.
pub const MAX_AGE: i32 = 16;
/// Below this age (kindergartens take children from 3) a record is almost surely a mistyped year.
pub const MIN_AGE: i32 = 3;
/// R6.2, PIPL art. 28, 31: all data about children under 14 is sensitive personal information.
pub const SENSITIVE_UNDER: i32 = 14;

/// What a form sends for a child.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ChildInput {
    pub name: String,
    pub gender: String,
    pub birth_date: String,
    pub class_name: String,
    pub situation: String,
    pub guardian: String,
    pub note: String,
}

/// A child's record as it is sealed (S13): one encrypted value, opened only for those who may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Child {
    pub name: String,
    /// 男 or 女.
    pub gender: String,
    pub birth_date: NaiveDate,
    pub class_name: String,
    pub situation: String,
    pub guardian: String,
    pub note: String,
}

impl Child {
    pub fn situation(&self) -> Option<ChildSituation> {
        ChildSituation::from_code(&self.situation)
    }
    pub fn guardian(&self) -> Option<Guardian> {
        Guardian::from_code(&self.guardian)
    }
    pub fn age(&self, on: NaiveDate) -> i32 {
        age_on(self.birth_date, on)
    }
    /// Still within R6.2's age on a day (the record is reviewed once the child turns 16).
    pub fn in_age(&self, on: NaiveDate) -> bool {
        self.age(on) < MAX_AGE
    }
}

fn err(field: &'static str, code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> FieldError {
    FieldError::new(field, code, zh, en)
}

/// Check a child's record (R6.2): every problem, each with its field.
pub fn check_child(i: &ChildInput, today: NaiveDate) -> Result<Child, Vec<FieldError>> {
    let mut errs = Vec::new();
    let name = i.name.trim().to_string();
    let n = name.chars().count();
    if !(2..=20).contains(&n) {
        errs.push(err("name", "name", "姓名应为 2–20 个字", "a name is 2 to 20 characters"));
    }
    let gender = match i.gender.trim() {
        "男" | "male" | "m" => "男",
        "女" | "female" | "f" => "女",
        _ => {
            errs.push(err("gender", "gender", "性别应为“男”或“女”", "sex is 男 or 女"));
            ""
        }
    };
    let birth = match NaiveDate::parse_from_str(i.birth_date.trim(), "%Y-%m-%d") {
        Ok(b) if b > today => {
            errs.push(err("birth_date", "future", "出生日期不能晚于今天", "the birth date is after today"));
            None
        }
        Ok(b) => {
            let age = age_on(b, today);
            if age >= MAX_AGE {
                errs.push(err(
                    "birth_date",
                    "over_16",
                    format!("该儿童已满 {age} 周岁：留守儿童指不满 16 周岁的未成年人（规则 R6.2）"),
                    format!("the child is {age}: a left-behind child is under 16 (rule R6.2)"),
                ));
            } else if age < MIN_AGE {
                errs.push(err(
                    "birth_date",
                    "too_young",
                    format!("该儿童不满 {MIN_AGE} 周岁，请核对出生年份（幼儿园至中学的学生）"),
                    format!("the child is under {MIN_AGE}: check the year of birth (a pupil from kindergarten up)"),
                ));
            }
            Some(b)
        }
        Err(_) => {
            errs.push(err(
                "birth_date",
                "date",
                "出生日期应为 YYYY-MM-DD，例如 2014-09-01",
                "the birth date is YYYY-MM-DD, e.g. 2014-09-01",
            ));
            None
        }
    };
    let class_name = i.class_name.trim().to_string();
    if class_name.chars().count() > 20 {
        errs.push(err("class_name", "class", "班级不超过 20 个字，例如“四年级二班”", "the class is at most 20 characters"));
    }
    let situation = ChildSituation::parse(&i.situation);
    if situation.is_none() {
        errs.push(err(
            "situation",
            "situation",
            format!("留守情形应为：{}（规则 R6.2）", ChildSituation::accepted_zh()),
            "choose why the child is left behind (rule R6.2)",
        ));
    }
    let guardian = Guardian::parse(&i.guardian);
    if guardian.is_none() {
        errs.push(err("guardian", "guardian", format!("监护人应为：{}", Guardian::accepted_zh()), "choose who looks after the child"));
    }
    let note = i.note.trim().to_string();
    if note.chars().count() > 200 {
        errs.push(err("note", "note", "备注不超过 200 字（只记录帮扶需要的情况）", "a note is at most 200 characters"));
    }
    match (birth, situation, guardian) {
        (Some(birth_date), Some(s), Some(g)) if errs.is_empty() => {
            Ok(Child { name, gender: gender.into(), birth_date, class_name, situation: s.code().into(), guardian: g.code().into(), note })
        }
        _ => Err(errs),
    }
}

/// The kinds of help a pairing is for: at least one.
pub fn check_help(codes: &[String]) -> Result<Vec<HelpKind>, Invalid> {
    let bad =
        || Invalid::new("help", format!("帮扶内容应从 {} 中选择至少一项", HelpKind::accepted_zh()), "choose at least one kind of help");
    let mut out: Vec<HelpKind> =
        codes.iter().filter(|c| !c.trim().is_empty()).map(|c| HelpKind::parse(c)).collect::<Option<_>>().ok_or_else(bad)?;
    out.sort_by_key(|h| HelpKind::ALL.iter().position(|x| x == h));
    out.dedup();
    if out.is_empty() {
        return Err(bad());
    }
    Ok(out)
}

/// A pairing starts no later than today and no earlier than a year back (a late record, not a
/// rewritten history).
pub fn check_pairing_start(start: NaiveDate, today: NaiveDate) -> Result<(), Invalid> {
    if start > today {
        return Err(Invalid::new("start", "结对日期不能晚于今天", "the pairing cannot start after today"));
    }
    if start < today - chrono::Duration::days(366) {
        return Err(Invalid::new("start", "结对日期不能早于一年前", "the pairing cannot start more than a year back"));
    }
    Ok(())
}

/// A visit falls within its pairing and is not in the future.
pub fn check_visit(on: NaiveDate, pairing_start: NaiveDate, pairing_end: Option<NaiveDate>, today: NaiveDate) -> Result<(), Invalid> {
    if on > today {
        return Err(Invalid::new("visited_on", "走访日期不能晚于今天", "the visit cannot be after today"));
    }
    if on < pairing_start {
        return Err(Invalid::new(
            "before_pairing",
            format!("走访日期 {on} 早于结对日期 {pairing_start}：只能记录结对之后的走访"),
            format!("the visit on {on} is before the pairing began on {pairing_start}"),
        ));
    }
    if let Some(end) = pairing_end
        && on > end
    {
        return Err(Invalid::new(
            "after_pairing",
            format!("走访日期 {on} 晚于结对结束日期 {end}"),
            format!("the visit on {on} is after the pairing ended on {end}"),
        ));
    }
    Ok(())
}

/// What a visit's note says: 4 to 300 characters.
pub fn check_visit_note(s: &str) -> Result<String, Invalid> {
    let t = s.trim();
    let n = t.chars().count();
    if !(4..=300).contains(&n) {
        return Err(Invalid::new(
            "note",
            format!("走访情况应为 4–300 个字，现为 {n} 个字"),
            format!("the note is 4 to 300 characters; this is {n}"),
        ));
    }
    Ok(t.to_string())
}

/// What is sealed for a pairing and for a visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairingDetail {
    pub help: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitDetail {
    pub help: String,
    pub note: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn input(birth: &str) -> ChildInput {
        ChildInput {
            name: "王小雨".into(),
            gender: "女".into(),
            birth_date: birth.into(),
            class_name: "四年级二班".into(),
            situation: "both_away".into(),
            guardian: "祖父母或外祖父母".into(),
            note: String::new(),
        }
    }

    #[test]
    fn under_sixteen_on_the_day() {
        let today = d("2026-11-27");
        assert!(check_child(&input("2010-11-28"), today).is_ok(), "15 until tomorrow");
        let e = check_child(&input("2010-11-27"), today).unwrap_err();
        assert_eq!(e[0].code, "over_16");
        assert!(e[0].message_zh.contains("R6.2"));
        assert_eq!(check_child(&input("2027-01-01"), today).unwrap_err()[0].code, "future");
        assert_eq!(check_child(&input("2024-01-01"), today).unwrap_err()[0].code, "too_young");
        assert!(check_child(&input("2023-09-01"), today).is_ok(), "a kindergarten child of 3");
        assert_eq!(check_child(&input("2014/09/01"), today).unwrap_err()[0].code, "date");
    }

    #[test]
    fn every_problem_is_reported() {
        let i = ChildInput { name: "王".into(), gender: "x".into(), situation: "parents divorced".into(), ..input("2015-03-01") };
        let e = check_child(&i, d("2026-11-27")).unwrap_err();
        let fields: Vec<&str> = e.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["name", "gender", "situation"]);
        let ok = check_child(&input("2015-03-01"), d("2026-11-27")).unwrap();
        assert_eq!(ok.situation(), Some(ChildSituation::BothAway));
        assert_eq!(ok.guardian(), Some(Guardian::Grandparents));
        assert_eq!(ok.age(d("2026-11-27")), 11);
    }

    #[test]
    fn visits_fall_within_the_pairing() {
        let today = d("2026-11-27");
        let start = d("2026-03-01");
        assert!(check_visit(d("2026-03-01"), start, None, today).is_ok());
        assert_eq!(check_visit(d("2026-02-28"), start, None, today).unwrap_err().code, "before_pairing");
        assert_eq!(check_visit(d("2026-11-28"), start, None, today).unwrap_err().code, "visited_on");
        assert_eq!(check_visit(d("2026-10-02"), start, Some(d("2026-10-01")), today).unwrap_err().code, "after_pairing");
        assert!(check_visit_note("谈心").is_err());
        assert!(check_visit_note("辅导数学作业一小时").is_ok());
    }

    #[test]
    fn help_kinds_are_known_and_at_least_one() {
        assert!(check_help(&[]).is_err());
        assert!(check_help(&["study".into(), "money?".into()]).is_err());
        assert_eq!(check_help(&["学业帮助".into(), "mental".into(), "study".into()]).unwrap(), vec![HelpKind::Mental, HelpKind::Study]);
        assert!(check_pairing_start(d("2026-11-28"), d("2026-11-27")).is_err());
        assert!(check_pairing_start(d("2025-11-01"), d("2026-11-27")).is_err());
    }
}
