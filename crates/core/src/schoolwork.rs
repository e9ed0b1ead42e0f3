//! 条块结合、送教下乡、带团建带少建 (issue: 党建+, parts 2, 4 and 6): activities members carry out in
//! the schools' own work — safety lessons, mental-health activities, teaching trips to rural
//! schools, 同课异构 sessions, Youth League and Young Pioneers activities — with the rules that keep
//! their records true.
use chrono::NaiveDate;
use serde::Deserialize;

use crate::labels::{Labeled, SchoolWorkKind, YouthForm};
use crate::registry::FieldError;

/// What a form sends for an activity.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ActivityInput {
    pub kind: String,
    pub held_on: String,
    pub title: String,
    /// 送教下乡: the school reached (its code).
    pub target: String,
    pub lessons: String,
    pub participants: String,
    pub form: String,
    pub note: String,
}

/// An activity as checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    pub kind: SchoolWorkKind,
    pub held_on: NaiveDate,
    pub title: String,
    pub target: Option<String>,
    pub lessons: i64,
    pub participants: i64,
    pub form: Option<YouthForm>,
    pub note: String,
}

impl SchoolWorkKind {
    pub fn is_youth(self) -> bool {
        matches!(self, SchoolWorkKind::LeagueActivity | SchoolWorkKind::PioneerActivity)
    }
}

fn count(field: &'static str, label: &str, s: &str, max: i64, errs: &mut Vec<FieldError>) -> i64 {
    let t = crate::normalize_width(s);
    if t.is_empty() {
        return 0;
    }
    match t.parse::<i64>() {
        Ok(n) if (0..=max).contains(&n) => n,
        _ => {
            errs.push(FieldError::new(
                field,
                "count",
                format!("{label}应为 0 到 {max} 之间的整数"),
                format!("{field} is a whole number from 0 to {max}"),
            ));
            0
        }
    }
}

/// Check an activity: every problem with its field. `members`: how many members took part.
pub fn check_activity(i: &ActivityInput, own_school: &str, members: usize, today: NaiveDate) -> Result<Activity, Vec<FieldError>> {
    let mut errs = Vec::new();
    let kind = SchoolWorkKind::parse(&i.kind);
    if kind.is_none() {
        errs.push(FieldError::new(
            "kind",
            "kind",
            format!("活动类别应为：{}", SchoolWorkKind::accepted_zh()),
            "choose the kind of activity",
        ));
    }
    let held_on = match NaiveDate::parse_from_str(i.held_on.trim(), "%Y-%m-%d") {
        Ok(d) if d > today => {
            errs.push(FieldError::new("held_on", "future", "活动日期不能晚于今天：只记录已开展的活动", "the date cannot be after today"));
            None
        }
        Ok(d) => Some(d),
        Err(_) => {
            errs.push(FieldError::new("held_on", "date", "活动日期应为 YYYY-MM-DD", "the date is YYYY-MM-DD"));
            None
        }
    };
    let title = i.title.trim().to_string();
    if !(2..=60).contains(&title.chars().count()) {
        errs.push(FieldError::new("title", "title", "主题应为 2–60 个字", "the topic is 2 to 60 characters"));
    }
    let lessons = count("lessons", "授课节数", &i.lessons, 50, &mut errs);
    let participants = count("participants", "参加学生（人次）", &i.participants, 5000, &mut errs);
    let target = Some(i.target.trim().to_string()).filter(|t| !t.is_empty());
    let form = YouthForm::parse(&i.form);
    if members == 0 {
        errs.push(FieldError::new("members", "members", "请选择参加的党员", "choose the members who took part"));
    }
    match kind {
        Some(SchoolWorkKind::TeachingTrip) => {
            match &target {
                None => {
                    errs.push(FieldError::new("target", "target", "送教下乡须选择送教的学校", "a teaching trip names the school reached"))
                }
                Some(t) if t == own_school => {
                    errs.push(FieldError::new("target", "own_school", "送教的学校不能是本校", "the school reached is not one's own"))
                }
                _ => {}
            }
            if lessons == 0 {
                errs.push(FieldError::new(
                    "lessons",
                    "lessons",
                    "送教下乡应填写授课节数（至少 1 节）",
                    "a teaching trip gives at least one lesson",
                ));
            }
        }
        Some(SchoolWorkKind::SameTopic) if members < 2 => {
            errs.push(FieldError::new(
                "members",
                "same_topic",
                "同课异构须有至少 2 名教师执教同一课题",
                "one topic, at least two teachers' designs",
            ));
        }
        Some(k) if k.is_youth() && form.is_none() => {
            errs.push(FieldError::new(
                "form",
                "form",
                format!("活动形式应为：{}", YouthForm::accepted_zh()),
                "choose the form of the activity",
            ));
        }
        _ => {}
    }
    let note = i.note.trim().to_string();
    if note.chars().count() > 300 {
        errs.push(FieldError::new("note", "note", "说明不超过 300 字", "a note is at most 300 characters"));
    }
    match (kind, held_on) {
        (Some(kind), Some(held_on)) if errs.is_empty() => Ok(Activity {
            kind,
            held_on,
            title,
            target: if kind == SchoolWorkKind::TeachingTrip { target } else { None },
            lessons,
            participants,
            form: if kind.is_youth() { form } else { None },
            note,
        }),
        _ => Err(errs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn input(kind: &str) -> ActivityInput {
        ActivityInput {
            kind: kind.into(),
            held_on: "2026-10-12".into(),
            title: "《背影》".into(),
            lessons: "2".into(),
            ..Default::default()
        }
    }

    #[test]
    fn each_kind_asks_for_what_it_needs() {
        let today = d("2026-11-27");
        assert!(check_activity(&input("safety_lesson"), "3708280001", 1, today).is_ok());
        let e = check_activity(&input("teaching_trip"), "3708280001", 1, today).unwrap_err();
        assert_eq!(e[0].code, "target");
        let own = ActivityInput { target: "3708280001".into(), ..input("teaching_trip") };
        assert_eq!(check_activity(&own, "3708280001", 1, today).unwrap_err()[0].code, "own_school");
        let trip = ActivityInput { target: "3708280150".into(), ..input("teaching_trip") };
        assert_eq!(check_activity(&trip, "3708280001", 1, today).unwrap().target.as_deref(), Some("3708280150"));
        assert_eq!(check_activity(&input("same_topic"), "3708280001", 1, today).unwrap_err()[0].code, "same_topic");
        assert!(check_activity(&input("same_topic"), "3708280001", 3, today).is_ok());
        assert_eq!(check_activity(&input("league_activity"), "3708280001", 1, today).unwrap_err()[0].code, "form");
        let a = check_activity(&ActivityInput { form: "读书活动".into(), ..input("pioneer_activity") }, "x", 1, today).unwrap();
        assert_eq!(a.form, Some(YouthForm::Reading));
    }

    #[test]
    fn dates_counts_and_members() {
        let today = d("2026-11-27");
        let e =
            check_activity(&ActivityInput { held_on: "2026-11-28".into(), lessons: "-1".into(), ..input("psych_activity") }, "x", 0, today)
                .unwrap_err();
        let codes: Vec<&str> = e.iter().map(|e| e.code).collect();
        assert_eq!(codes, ["future", "count", "members"]);
    }
}
