//! 在职党员到社区报到、党员教师联系群众 (issue: 党建+, part 5; DOMAIN R6.3) and 党员教师志愿者+课后服务
//! (part 2): each member's registration at the community where they live, service records with
//! hours against the yearly target, service stations, and residents' concerns as cases.
use chrono::NaiveDate;

use crate::Invalid;

/// R6.3: the yearly service-hours target per member when the setting is absent.
pub const DEFAULT_TARGET_HOURS: f64 = 20.0;

/// Hours are kept in tenths (one decimal place).
pub fn tenths(h: f64) -> i64 {
    (h * 10.0).round() as i64
}

/// A service record's hours: more than 0, at most 24 in a day together with what the member has
/// already recorded that day, one decimal place.
pub fn check_hours(text: &str, already_that_day_tenths: i64) -> Result<i64, Invalid> {
    let t = crate::normalize_width(text);
    let Ok(h) = t.parse::<f64>() else {
        return Err(Invalid::new("hours", format!("时长“{t}”不是数字：请填写小时数，如 1.5"), "the hours are a number, e.g. 1.5"));
    };
    if !h.is_finite() || h <= 0.0 {
        return Err(Invalid::new("hours", "服务时长应大于 0 小时", "the hours are more than 0"));
    }
    if h > 24.0 {
        return Err(Invalid::new("over_24", format!("一天最多 24 小时，{h} 小时超过了"), format!("a day has 24 hours; {h} is more")));
    }
    let n = tenths(h);
    if (h * 10.0 - n as f64).abs() > 1e-6 {
        return Err(Invalid::new("hours", "服务时长最多保留一位小数，如 1.5", "at most one decimal place, e.g. 1.5"));
    }
    if n + already_that_day_tenths > 240 {
        let before = already_that_day_tenths as f64 / 10.0;
        return Err(Invalid::new(
            "over_24",
            format!("一天最多 24 小时：当天已记录 {before} 小时，再记 {h} 小时将超过 24 小时"),
            format!("a day has 24 hours: {before} h already recorded that day, {h} more would exceed it"),
        ));
    }
    Ok(n)
}

/// A service date: not in the future, not more than a year back.
pub fn check_served_on(on: NaiveDate, today: NaiveDate) -> Result<(), Invalid> {
    if on > today {
        return Err(Invalid::new("served_on", "服务日期不能晚于今天", "the date cannot be after today"));
    }
    if on < today - chrono::Duration::days(366) {
        return Err(Invalid::new("served_on", "只能补记一年以内的服务", "only service within the last year can be recorded"));
    }
    Ok(())
}

/// A short text (what was done, a community's name, a concern): `min` to `max` characters.
pub fn check_text(field: &'static str, label_zh: &str, s: &str, min: usize, max: usize) -> Result<String, Invalid> {
    let t = s.trim();
    let n = t.chars().count();
    if n < min || n > max {
        return Err(Invalid::new(
            field,
            format!("{label_zh}应为 {min}–{max} 个字，现为 {n} 个字"),
            format!("{field} is {min} to {max} characters; this is {n}"),
        ));
    }
    Ok(t.to_string())
}

/// The yearly target (R6.3) from the setting `HONGZHU_SERVICE_HOURS_TARGET`: hours, 0 < h ≤ 500.
pub fn parse_target(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(h) if h > 0.0 && h <= 500.0 => Ok(h),
        _ => Err(format!(
            "HONGZHU_SERVICE_HOURS_TARGET 应为 0 到 500 之间的小时数，现为“{s}” / the yearly target is hours between 0 and 500"
        )),
    }
}

/// The state of a resident's concern (居民说事): raised → assigned → handled → answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConcernState {
    Raised,
    Assigned,
    Handled,
    Answered,
}

impl ConcernState {
    pub const ALL: [ConcernState; 4] = [ConcernState::Raised, ConcernState::Assigned, ConcernState::Handled, ConcernState::Answered];
    pub fn code(self) -> &'static str {
        match self {
            ConcernState::Raised => "raised",
            ConcernState::Assigned => "assigned",
            ConcernState::Handled => "handled",
            ConcernState::Answered => "answered",
        }
    }
    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == s)
    }
    pub fn zh(self) -> &'static str {
        match self {
            ConcernState::Raised => "待分派",
            ConcernState::Assigned => "办理中",
            ConcernState::Handled => "已办结",
            ConcernState::Answered => "已回复",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            ConcernState::Raised => "to assign",
            ConcernState::Assigned => "being handled",
            ConcernState::Handled => "handled",
            ConcernState::Answered => "answered",
        }
    }
    /// The one step that may follow.
    pub fn next(self) -> Option<ConcernState> {
        match self {
            ConcernState::Raised => Some(ConcernState::Assigned),
            ConcernState::Assigned => Some(ConcernState::Handled),
            ConcernState::Handled => Some(ConcernState::Answered),
            ConcernState::Answered => None,
        }
    }
}

/// A step of a concern: only the next one, in order.
pub fn check_step(from: ConcernState, to: ConcernState) -> Result<(), Invalid> {
    if from.next() == Some(to) {
        Ok(())
    } else {
        Err(Invalid::new(
            "step",
            format!("该事项目前“{}”，下一步应为“{}”", from.zh(), from.next().map(|n| n.zh()).unwrap_or("（已完成）")),
            format!("the concern is {}; the next step is {}", from.en(), from.next().map(|n| n.en()).unwrap_or("none")),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_are_positive_and_a_day_has_twenty_four() {
        assert_eq!(check_hours("1.5", 0).unwrap(), 15);
        assert_eq!(check_hours("２", 0).unwrap(), 20, "full-width digits");
        assert_eq!(check_hours("24", 0).unwrap(), 240);
        assert!(check_hours("0", 0).is_err());
        assert!(check_hours("-2", 0).is_err());
        assert!(check_hours("1.25", 0).is_err());
        assert!(check_hours("abc", 0).is_err());
        assert_eq!(check_hours("25", 0).unwrap_err().code, "over_24");
        assert_eq!(check_hours("1e300", 0).unwrap_err().code, "over_24", "no overflow into a small number");
        assert_eq!(check_hours("4", 210).unwrap_err().code, "over_24", "21 h already that day");
        assert!(check_hours("3", 210).is_ok());
    }

    #[test]
    fn dates_targets_and_concern_steps() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(check_served_on(d("2026-11-28"), d("2026-11-27")).is_err());
        assert!(check_served_on(d("2026-11-27"), d("2026-11-27")).is_ok());
        assert!(check_served_on(d("2025-11-01"), d("2026-11-27")).is_err());
        assert_eq!(parse_target("30").unwrap(), 30.0);
        assert!(parse_target("0").is_err() && parse_target("x").is_err());
        assert!(check_step(ConcernState::Raised, ConcernState::Assigned).is_ok());
        assert!(check_step(ConcernState::Raised, ConcernState::Handled).is_err());
        assert!(check_step(ConcernState::Answered, ConcernState::Answered).is_err());
        assert!(check_text("content", "内容", "好", 4, 10).is_err());
    }
}
