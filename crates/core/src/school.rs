//! Honors (荣誉) and the schools' own indicators (业务) — the two measures of success the seed puts
//! side by side. Class sizes are counted by R6.1: standard 45 (primary) and 50 (middle);
//! 大班额 56–65, 超大班额 66 or more.
use chrono::NaiveDate;
use serde::Serialize;

use crate::Invalid;
use crate::labels::{HonorKind, HonorLevel, Labeled};
use crate::registry::{Checker, FieldError};

/// An honor and who holds it (a school, or a Party organization).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Honor {
    pub kind: HonorKind,
    pub title: String,
    pub level: HonorLevel,
    pub year: i32,
    pub issuer: String,
    pub institution: Option<String>,
    pub org: Option<String>,
    pub note: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct HonorInput {
    pub kind: String,
    pub title: String,
    pub level: String,
    pub year: String,
    pub issuer: String,
    pub institution: String,
    pub org: String,
    pub note: String,
}

fn year_in(c: &mut Checker, field: &'static str, v: &str, today: NaiveDate) -> Option<i32> {
    use chrono::Datelike;
    c.parse(field, v, |s| {
        crate::normalize_width(s).trim_end_matches('年').parse::<i32>().ok().filter(|y| (1949..=today.year()).contains(y)).ok_or_else(
            || {
                Invalid::new(
                    "year",
                    format!("年度“{s}”无效：应为 1949–{} 的四位年份", today.year()),
                    "year is a four-digit year, not in the future",
                )
            },
        )
    })
}

impl HonorInput {
    pub fn parse(&self, today: NaiveDate) -> Result<Honor, Vec<FieldError>> {
        let mut c = Checker::default();
        let kind = c.label::<HonorKind>("kind", "荣誉类别", &self.kind);
        let level = c.label::<HonorLevel>("level", "级别", &self.level);
        let year = year_in(&mut c, "year", &self.year, today);
        let issuer = c.required_text("issuer", "授予单位", &self.issuer, 100);
        // The title defaults to the level and kind: 市级党建示范校.
        let title = match (self.title.trim(), level, kind) {
            ("", Some(l), Some(k)) if k != HonorKind::Other => format!("{}{}", l.zh(), k.zh()),
            (t, _, _) => c.required_text("title", "荣誉名称", t, 100),
        };
        let institution = Some(crate::normalize_width(&self.institution)).filter(|s| !s.is_empty());
        let org = Some(crate::normalize_width(&self.org)).filter(|s| !s.is_empty());
        if institution.is_none() && org.is_none() {
            c.errors.push(FieldError::new(
                "institution",
                "holder",
                "请填写获得荣誉的学校或党组织",
                "give the school or the organization that holds it",
            ));
        }
        let note = self.note.trim().to_string();
        let h = match (kind, level, year) {
            (Some(kind), Some(level), Some(year)) => Some(Honor { kind, title, level, year, issuer, institution, org, note }),
            _ => None,
        };
        c.finish(h)
    }
}

/// R6.1: how a class of `size` pupils counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassSize {
    Normal,
    /// 大班额: 56–65.
    Large,
    /// 超大班额: 66 or more.
    Oversized,
}

pub fn class_size(size: u32) -> ClassSize {
    match size {
        0..=55 => ClassSize::Normal,
        56..=65 => ClassSize::Large,
        _ => ClassSize::Oversized,
    }
}

/// A school year (the year it began) that figures may be recorded for: from 1949 to this year.
pub fn check_school_year(text: &str, today: chrono::NaiveDate) -> Result<i32, crate::Invalid> {
    use chrono::Datelike;
    let t = crate::normalize_width(text);
    match t.trim_end_matches('年').parse::<i32>() {
        Ok(y) if (1949..=today.year()).contains(&y) => Ok(y),
        _ => Err(crate::Invalid::new(
            "year",
            format!("学年“{t}”无效：应为 1949 至 {} 之间学年开始的年份（如 2024 表示 2024—2025 学年）", today.year()),
            format!("the school year is the year it began, from 1949 to {}", today.year()),
        )),
    }
}

/// A school's figures for a school year, as the ledger workbook's 学校业务指标 sheet holds them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SchoolIndicators {
    pub institution: crate::InstitutionCode,
    pub year: i32,
    pub values: Indicators,
}

/// A school's figures for a year.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Indicators {
    pub students: i64,
    pub classes: i64,
    /// 大班额 (R6.1).
    pub large_classes: i64,
    /// 超大班额 (R6.1).
    pub oversized_classes: i64,
    pub teachers: i64,
    /// New or expanded buildings, m².
    pub building_m2: i64,
    /// Senior schools: graduates admitted to undergraduate study, and those who sat.
    pub admitted: Option<i64>,
    pub candidates: Option<i64>,
    /// Students from poverty-registered families supported.
    pub poor_supported: i64,
    /// Investment, in yuan.
    pub investment_yuan: i64,
}

impl Indicators {
    /// Average class size, one decimal.
    pub fn average_class(&self) -> Option<f64> {
        (self.classes > 0).then(|| (self.students as f64 / self.classes as f64 * 10.0).round() / 10.0)
    }
}

#[derive(Debug, Clone, Default, serde::Deserialize, Serialize)]
#[serde(default)]
pub struct IndicatorInput {
    /// Each class's size, separated by commas or spaces; when given, students, classes and the
    /// R6.1 counts are computed from it.
    pub class_sizes: String,
    pub students: String,
    pub classes: String,
    pub large_classes: String,
    pub oversized_classes: String,
    pub teachers: String,
    pub building_m2: String,
    pub admitted: String,
    pub candidates: String,
    pub poor_supported: String,
    pub investment_yuan: String,
}

impl IndicatorInput {
    /// Parse and check: counts are whole numbers ≥ 0; figures that contradict each other
    /// (more classes than students, more oversized and large classes than classes, more admitted
    /// than sat, a class too small or too large to be real) are refused, naming both.
    pub fn parse(&self) -> Result<Indicators, Vec<FieldError>> {
        let mut c = Checker::default();
        let count = |c: &mut Checker, f: &'static str, label: &str, v: &str| c.optional_count(f, label, v).unwrap_or(0);
        let mut i = Indicators {
            students: count(&mut c, "students", "在校学生数", &self.students),
            classes: count(&mut c, "classes", "班级数", &self.classes),
            large_classes: count(&mut c, "large_classes", "大班额班级数", &self.large_classes),
            oversized_classes: count(&mut c, "oversized_classes", "超大班额班级数", &self.oversized_classes),
            teachers: count(&mut c, "teachers", "专任教师数", &self.teachers),
            building_m2: count(&mut c, "building_m2", "新建改扩建面积", &self.building_m2),
            admitted: c.optional_count("admitted", "本科录取人数", &self.admitted),
            candidates: c.optional_count("candidates", "参加高考人数", &self.candidates),
            poor_supported: count(&mut c, "poor_supported", "资助建档立卡家庭学生数", &self.poor_supported),
            investment_yuan: count(&mut c, "investment_yuan", "投入（元）", &self.investment_yuan),
        };
        let sizes: Vec<&str> = self.class_sizes.split([',', '，', '、', ' ', '\n']).map(str::trim).filter(|s| !s.is_empty()).collect();
        if !sizes.is_empty() {
            let mut parsed = Vec::new();
            for s in sizes {
                match crate::normalize_width(s).parse::<u32>() {
                    Ok(n) if (1..=150).contains(&n) => parsed.push(n),
                    _ => c.errors.push(FieldError::new(
                        "class_sizes",
                        "class_size",
                        format!("班额“{s}”无效：每班人数应为 1–150 的整数，用逗号分隔"),
                        "each class size is a whole number from 1 to 150, separated by commas",
                    )),
                }
            }
            // R6.1: count the classes by size.
            i.classes = parsed.len() as i64;
            i.students = parsed.iter().map(|n| i64::from(*n)).sum();
            i.large_classes = parsed.iter().filter(|n| class_size(**n) == ClassSize::Large).count() as i64;
            i.oversized_classes = parsed.iter().filter(|n| class_size(**n) == ClassSize::Oversized).count() as i64;
        }
        if i.classes > i.students {
            c.errors.push(FieldError::new(
                "classes",
                "contradiction",
                format!("班级数 {} 多于在校学生数 {}，请核对", i.classes, i.students),
                "more classes than students",
            ));
        }
        if i.large_classes + i.oversized_classes > i.classes {
            c.errors.push(FieldError::new(
                "large_classes",
                "contradiction",
                format!("大班额 {} 与超大班额 {} 之和多于班级数 {}，请核对", i.large_classes, i.oversized_classes, i.classes),
                "more large and oversized classes than classes",
            ));
        }
        // R6.1: 56 or more pupils in each large class, 66 or more in each oversized one.
        if i.large_classes * 56 + i.oversized_classes * 66 > i.students {
            c.errors.push(FieldError::new(
                "students",
                "contradiction",
                format!(
                    "大班额（每班 56 人以上）{} 个、超大班额（每班 66 人以上）{} 个，在校学生至少应有 {} 人，现为 {} 人（R6.1）",
                    i.large_classes,
                    i.oversized_classes,
                    i.large_classes * 56 + i.oversized_classes * 66,
                    i.students
                ),
                "the large and oversized classes need more pupils than the school has (R6.1)",
            ));
        }
        if let (Some(a), Some(s)) = (i.admitted, i.candidates)
            && a > s
        {
            c.errors.push(FieldError::new(
                "admitted",
                "contradiction",
                format!("本科录取 {a} 人多于参加高考 {s} 人，请核对"),
                "more admitted than sat",
            ));
        }
        if i.admitted.is_some() != i.candidates.is_some() {
            c.errors.push(FieldError::new(
                "candidates",
                "pair",
                "本科录取人数与参加高考人数须同时填写",
                "give both the admitted and those who sat",
            ));
        }
        c.finish(Some(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_sizes_count_by_r6_1() {
        assert_eq!(class_size(55), ClassSize::Normal);
        assert_eq!(class_size(56), ClassSize::Large);
        assert_eq!(class_size(65), ClassSize::Large);
        assert_eq!(class_size(66), ClassSize::Oversized);
        let i = IndicatorInput { class_sizes: "45, 55，56、65 66 70".into(), teachers: "20".into(), ..Default::default() }.parse().unwrap();
        assert_eq!((i.classes, i.students, i.large_classes, i.oversized_classes), (6, 357, 2, 2));
        assert_eq!(i.average_class(), Some(59.5));
    }

    #[test]
    fn contradictions_are_refused() {
        let e = IndicatorInput { students: "10".into(), classes: "12".into(), ..Default::default() }.parse().unwrap_err();
        assert!(e.iter().any(|e| e.field == "classes" && e.message_zh.contains("多于在校学生数")));
        let e = IndicatorInput { students: "500".into(), classes: "10".into(), oversized_classes: "8".into(), ..Default::default() }
            .parse()
            .unwrap_err();
        assert!(e.iter().any(|e| e.message_zh.contains("R6.1")));
        let e = IndicatorInput {
            students: "900".into(),
            classes: "18".into(),
            admitted: "300".into(),
            candidates: "280".into(),
            ..Default::default()
        }
        .parse()
        .unwrap_err();
        assert!(e.iter().any(|e| e.field == "admitted"));
        let e = IndicatorInput { class_sizes: "45, abc".into(), ..Default::default() }.parse().unwrap_err();
        assert_eq!(e[0].field, "class_sizes");
        let e = IndicatorInput { students: "-5".into(), ..Default::default() }.parse().unwrap_err();
        assert_eq!(e[0].field, "students");
    }

    #[test]
    fn honors_default_their_title() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let h = HonorInput {
            kind: "党建示范校".into(),
            level: "市级".into(),
            year: "2018".into(),
            issuer: "中共济宁市委教育工委".into(),
            institution: "3708280001".into(),
            ..Default::default()
        }
        .parse(today)
        .unwrap();
        assert_eq!(h.title, "市级党建示范校");
        let e = HonorInput { kind: "brand".into(), level: "county".into(), year: "2027".into(), issuer: "x".into(), ..Default::default() }
            .parse(today)
            .unwrap_err();
        let fields: Vec<&str> = e.iter().map(|e| e.field).collect();
        assert!(fields.contains(&"year") && fields.contains(&"institution"), "{fields:?}");
    }
}
