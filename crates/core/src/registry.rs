//! The registry (DOMAIN §1): regions, institutions, people, staff, organizations, coverage,
//! members and instructors — as records keyed by their natural codes, and the parsing of
//! user-typed input into them.
use chrono::NaiveDate;
use serde::Serialize;

use crate::labels::*;
use crate::{IdNumber, InstitutionCode, Invalid, OrgCode, Phone, RegionCode};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Region {
    pub code: RegionCode,
    pub name: String,
    pub parent: Option<RegionCode>,
    pub level: RegionLevel,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Institution {
    pub code: InstitutionCode,
    pub name: String,
    pub kind: InstitutionKind,
    pub ownership: Ownership,
    pub status: InstitutionStatus,
    /// The town or street (9-digit region code).
    pub town: RegionCode,
    /// 上级学校 (a teaching point's central school).
    pub parent: Option<InstitutionCode>,
    pub longitude: Option<f64>,
    pub latitude: Option<f64>,
    pub students: Option<i64>,
    pub classes: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Person {
    pub id_number: IdNumber,
    pub name: String,
    pub gender: Gender,
    pub phone: Option<Phone>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Staff {
    pub id_number: IdNumber,
    pub institution: InstitutionCode,
    pub post: Option<Post>,
    pub leadership_role: Option<LeadershipRole>,
    pub political_status: PoliticalStatus,
    pub development_stage: Option<DevelopmentStage>,
    pub backbone: bool,
    pub head_teacher: bool,
    pub mental_health: bool,
    pub work_start: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartyOrg {
    pub code: OrgCode,
    pub name: String,
    pub kind: OrgKind,
    pub parent: Option<OrgCode>,
    /// The county (6-digit region code) the organization belongs to.
    pub region: RegionCode,
    pub founded_on: Option<NaiveDate>,
    pub term_start: Option<NaiveDate>,
    /// R1.6: defaults by kind when absent.
    pub term_years: Option<i32>,
    pub status: OrgStatus,
}

impl PartyOrg {
    pub fn term_years_or_default(&self) -> i32 {
        self.term_years.unwrap_or_else(|| self.kind.default_term_years())
    }

    pub fn term_end(&self) -> Option<NaiveDate> {
        self.term_start.map(|s| crate::term::term_end(s, self.term_years_or_default()))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    pub org: OrgCode,
    pub institution: InstitutionCode,
    pub mode: CoverageMode,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Member {
    pub id_number: IdNumber,
    pub category: MemberCategory,
    /// 入党日期: admitted as probationary member.
    pub admitted_on: NaiveDate,
    /// 转正日期.
    pub full_on: Option<NaiveDate>,
    pub org: OrgCode,
    pub work_institution: Option<InstitutionCode>,
    pub party_post: Option<PartyPost>,
    /// 学历 (optional; counted by the year-end statistics and the dashboard).
    pub education: Option<Education>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Instructor {
    pub id_number: IdNumber,
    pub institution: InstitutionCode,
    pub assigned_on: NaiveDate,
    pub status: InstructorStatus,
}

/// One field's problem in a form or API body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub code: &'static str,
    pub message_zh: String,
    pub message_en: String,
}

impl FieldError {
    pub fn from_invalid(field: &'static str, e: Invalid) -> Self {
        FieldError { field, code: e.code, message_zh: e.message_zh, message_en: e.message_en }
    }

    pub fn new(field: &'static str, code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        FieldError { field, code, message_zh: zh.into(), message_en: en.into() }
    }

    pub fn message(&self, locale: &str) -> &str {
        if locale.starts_with("en") { &self.message_en } else { &self.message_zh }
    }
}

/// Collects field errors while parsing a raw input.
#[derive(Default)]
pub struct Checker {
    pub errors: Vec<FieldError>,
}

impl Checker {
    fn blank(s: &str) -> bool {
        crate::normalize_width(s).is_empty()
    }

    /// Names keep their full-width punctuation (（筹建）): only surrounding spaces go.
    pub fn required_text(&mut self, field: &'static str, label_zh: &str, value: &str, max: usize) -> String {
        let v = value.trim().to_string();
        if v.is_empty() {
            self.errors.push(FieldError::new(field, "required", format!("请填写{label_zh}"), format!("{field} is required")));
        } else if v.chars().count() > max {
            self.errors.push(FieldError::new(
                field,
                "too_long",
                format!("{label_zh}最多{max}个字"),
                format!("{field} is at most {max} characters"),
            ));
        }
        v
    }

    pub fn parse<T>(&mut self, field: &'static str, value: &str, f: impl FnOnce(&str) -> Result<T, Invalid>) -> Option<T> {
        match f(value) {
            Ok(v) => Some(v),
            Err(e) => {
                self.errors.push(FieldError::from_invalid(field, e));
                None
            }
        }
    }

    pub fn optional<T>(&mut self, field: &'static str, value: &str, f: impl FnOnce(&str) -> Result<T, Invalid>) -> Option<T> {
        if Self::blank(value) { None } else { self.parse(field, value, f) }
    }

    pub fn label<T: Labeled>(&mut self, field: &'static str, label_zh: &str, value: &str) -> Option<T> {
        match T::parse(value) {
            Some(v) => Some(v),
            None => {
                self.errors.push(FieldError::new(
                    field,
                    "not_in_list",
                    format!("{label_zh}“{}”不在可选范围内，可选：{}", crate::normalize_width(value), T::accepted_zh()),
                    format!("{field} must be one of: {}", T::ALL.iter().map(|v| v.code()).collect::<Vec<_>>().join(", ")),
                ));
                None
            }
        }
    }

    pub fn optional_label<T: Labeled>(&mut self, field: &'static str, label_zh: &str, value: &str) -> Option<T> {
        if Self::blank(value) { None } else { self.label(field, label_zh, value) }
    }

    pub fn optional_count(&mut self, field: &'static str, label_zh: &str, value: &str) -> Option<i64> {
        self.optional(field, value, |s| {
            crate::normalize_width(s)
                .parse::<u32>()
                .map(i64::from)
                .map_err(|_| Invalid::new("whole_number", format!("{label_zh}应为不小于0的整数"), format!("{field} is a whole number ≥ 0")))
        })
    }

    pub fn optional_date(&mut self, field: &'static str, label_zh: &str, value: &str) -> Option<NaiveDate> {
        self.optional(field, value, |s| parse_date(s).ok_or_else(|| date_error(label_zh, field)))
    }

    pub fn required_date(&mut self, field: &'static str, label_zh: &str, value: &str) -> Option<NaiveDate> {
        self.parse(field, value, |s| parse_date(s).ok_or_else(|| date_error(label_zh, field)))
    }

    pub fn finish<T>(self, value: Option<T>) -> Result<T, Vec<FieldError>> {
        match value {
            Some(v) if self.errors.is_empty() => Ok(v),
            _ => Err(self.errors),
        }
    }
}

fn date_error(label_zh: &str, field: &str) -> Invalid {
    Invalid::new(
        "date",
        format!("{label_zh}不是有效日期，请写作2019-07-01、2019/7/1、2019.07.01或2019年7月1日"),
        format!("{field} is not a valid date: write 2019-07-01"),
    )
}

/// Dates as users write them (spec/LEDGER.md): `2019-07-01`, `2019/7/1`, `2019.07.01`, `2019年7月1日`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = crate::normalize_width(s);
    let cleaned: String =
        s.replace(['年', '月'], "-").replace('日', "").chars().map(|c| if c == '/' || c == '.' { '-' } else { c }).collect();
    let parts: Vec<&str> = cleaned.split('-').collect();
    if parts.len() != 3 || parts[0].len() != 4 {
        return None;
    }
    let y = parts[0].parse().ok()?;
    let m = parts[1].parse().ok()?;
    let d = parts[2].parse().ok()?;
    NaiveDate::from_ymd_opt(y, m, d)
}

/// What a form or API body sends for an institution: every field as text.
#[derive(Debug, Clone, Default, serde::Deserialize, Serialize)]
#[serde(default)]
pub struct InstitutionInput {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub ownership: String,
    pub status: String,
    pub town: String,
    pub parent: String,
    pub longitude: String,
    pub latitude: String,
    pub students: String,
    pub classes: String,
}

impl InstitutionInput {
    pub fn parse(&self) -> Result<Institution, Vec<FieldError>> {
        let mut c = Checker::default();
        let code = c.parse("code", &self.code, InstitutionCode::parse);
        let name = c.required_text("name", "名称", &self.name, 100);
        let kind = c.label::<InstitutionKind>("kind", "类型", &self.kind);
        let ownership = c.label::<Ownership>("ownership", "办学性质", &self.ownership);
        let status = if Checker::blank(&self.status) {
            Some(InstitutionStatus::Operating)
        } else {
            c.label::<InstitutionStatus>("status", "状态", &self.status)
        };
        let town = c.parse("town", &self.town, |s| {
            let r = RegionCode::parse(s)?;
            if r.as_str().len() != 9 {
                return Err(Invalid::new("town_code", "乡镇街道应为9位区划代码", "the town is a 9-digit region code"));
            }
            Ok(r)
        });
        let parent = c.optional("parent", &self.parent, InstitutionCode::parse);
        let lon = c.optional("longitude", &self.longitude, |s| parse_degrees(s, -180.0, 180.0, "经度"));
        let lat = c.optional("latitude", &self.latitude, |s| parse_degrees(s, -90.0, 90.0, "纬度"));
        if lon.is_some() != lat.is_some() && c.errors.iter().all(|e| e.field != "longitude" && e.field != "latitude") {
            let field = if lon.is_some() { "latitude" } else { "longitude" };
            c.errors.push(FieldError::new(
                field,
                "coordinates_pair",
                "经度和纬度要么都填，要么都不填",
                "give both longitude and latitude, or neither",
            ));
        }
        let students = c.optional_count("students", "在校生数", &self.students);
        let classes = c.optional_count("classes", "班级数", &self.classes);
        if let (Some(code), Some(parent)) = (&code, &parent)
            && code == parent
        {
            c.errors.push(FieldError::new("parent", "self_parent", "上级学校不能是本校", "an institution cannot be its own parent"));
        }
        let value = (|| {
            Some(Institution {
                code: code?,
                name,
                kind: kind?,
                ownership: ownership?,
                status: status?,
                town: town?,
                parent,
                longitude: lon,
                latitude: lat,
                students,
                classes,
            })
        })();
        c.finish(value)
    }

    pub fn from_record(i: &Institution) -> Self {
        InstitutionInput {
            code: i.code.to_string(),
            name: i.name.clone(),
            kind: i.kind.code().into(),
            ownership: i.ownership.code().into(),
            status: i.status.code().into(),
            town: i.town.to_string(),
            parent: i.parent.as_ref().map(|p| p.to_string()).unwrap_or_default(),
            longitude: i.longitude.map(|v| v.to_string()).unwrap_or_default(),
            latitude: i.latitude.map(|v| v.to_string()).unwrap_or_default(),
            students: i.students.map(|v| v.to_string()).unwrap_or_default(),
            classes: i.classes.map(|v| v.to_string()).unwrap_or_default(),
        }
    }
}

fn parse_degrees(s: &str, lo: f64, hi: f64, label: &str) -> Result<f64, Invalid> {
    let v: f64 = crate::normalize_width(s)
        .parse()
        .map_err(|_| Invalid::new("degrees", format!("{label}应为十进制度数，例如116.31"), "decimal degrees, e.g. 116.31"))?;
    if !(lo..=hi).contains(&v) || !v.is_finite() {
        return Err(Invalid::new("degrees", format!("{label}应在{lo}到{hi}之间"), format!("between {lo} and {hi}")));
    }
    Ok(v)
}

/// What a form or API body sends for an organization.
#[derive(Debug, Clone, Default, serde::Deserialize, Serialize)]
#[serde(default)]
pub struct OrgInput {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub parent: String,
    pub region: String,
    pub founded_on: String,
    pub term_start: String,
    pub term_years: String,
    pub status: String,
}

impl OrgInput {
    pub fn parse(&self) -> Result<PartyOrg, Vec<FieldError>> {
        let mut c = Checker::default();
        let code = c.parse("code", &self.code, OrgCode::parse);
        let name = c.required_text("name", "组织名称", &self.name, 100);
        let kind = c.label::<OrgKind>("kind", "组织类别", &self.kind);
        let parent = c.optional("parent", &self.parent, OrgCode::parse);
        let region = c.parse("region", &self.region, |s| {
            let r = RegionCode::parse(s)?;
            Ok(RegionCode::parse(r.county()).expect("six digits"))
        });
        let founded_on = c.optional_date("founded_on", "成立日期", &self.founded_on);
        let term_start = c.optional_date("term_start", "本届任期开始", &self.term_start);
        let term_years = c.optional("term_years", &self.term_years, |s| match crate::normalize_width(s).parse::<i32>() {
            Ok(n) if (1..=10).contains(&n) => Ok(n),
            _ => Err(Invalid::new(
                "term_years",
                "任期年限应为1到10之间的整数（党支部、党总支3年，党委5年）",
                "term years: a whole number 1–10",
            )),
        });
        let status =
            if Checker::blank(&self.status) { Some(OrgStatus::Active) } else { c.label::<OrgStatus>("status", "状态", &self.status) };
        if let (Some(code), Some(parent)) = (&code, &parent)
            && code == parent
        {
            c.errors.push(FieldError::new("parent", "self_parent", "上级组织不能是本组织", "an organization cannot be its own parent"));
        }
        let value = (|| {
            Some(PartyOrg { code: code?, name, kind: kind?, parent, region: region?, founded_on, term_start, term_years, status: status? })
        })();
        c.finish(value)
    }

    pub fn from_record(o: &PartyOrg) -> Self {
        OrgInput {
            code: o.code.to_string(),
            name: o.name.clone(),
            kind: o.kind.code().into(),
            parent: o.parent.as_ref().map(|p| p.to_string()).unwrap_or_default(),
            region: o.region.to_string(),
            founded_on: o.founded_on.map(|d| d.to_string()).unwrap_or_default(),
            term_start: o.term_start.map(|d| d.to_string()).unwrap_or_default(),
            term_years: o.term_years.map(|d| d.to_string()).unwrap_or_default(),
            status: o.status.code().into(),
        }
    }
}

/// What a form or API body sends for a staff record (the person and their post).
#[derive(Debug, Clone, Default, serde::Deserialize, Serialize)]
#[serde(default)]
pub struct StaffInput {
    pub id_number: String,
    pub name: String,
    pub gender: String,
    pub phone: String,
    pub institution: String,
    pub post: String,
    pub leadership_role: String,
    pub political_status: String,
    pub development_stage: String,
    pub backbone: String,
    pub head_teacher: String,
    pub mental_health: String,
    pub work_start: String,
}

/// 是/否 as users write them (spec/LEDGER.md): 是/否, Y/N, 1/0, √/blank, and HTML checkboxes (on).
pub fn parse_yes_no(s: &str) -> Option<bool> {
    match crate::normalize_width(s).to_ascii_lowercase().as_str() {
        "是" | "y" | "yes" | "1" | "√" | "on" | "true" => Some(true),
        "否" | "n" | "no" | "0" | "" | "false" => Some(false),
        _ => None,
    }
}

impl StaffInput {
    pub fn parse(&self, today: NaiveDate) -> Result<(Person, Staff), Vec<FieldError>> {
        let mut c = Checker::default();
        let id = c.parse("id_number", &self.id_number, |s| IdNumber::parse_on(s, today));
        let name = c.required_text("name", "姓名", &self.name, 50);
        let gender_given = c.optional_label::<Gender>("gender", "性别", &self.gender);
        let phone = c.optional("phone", &self.phone, Phone::parse);
        let institution = c.parse("institution", &self.institution, InstitutionCode::parse);
        let post = c.optional_label::<Post>("post", "岗位", &self.post);
        let leadership_role = c.optional_label::<LeadershipRole>("leadership_role", "领导职务", &self.leadership_role);
        let political_status = c.label::<PoliticalStatus>("political_status", "政治面貌", &self.political_status);
        let development_stage = c.optional_label::<DevelopmentStage>("development_stage", "发展阶段", &self.development_stage);
        let mut flag = |field: &'static str, label: &str, v: &str| match parse_yes_no(v) {
            Some(b) => b,
            None => {
                c.errors.push(FieldError::new(field, "yes_no", format!("{label}应为“是”或“否”"), format!("{field}: yes or no")));
                false
            }
        };
        let backbone = flag("backbone", "骨干教师", &self.backbone);
        let head_teacher = flag("head_teacher", "班主任", &self.head_teacher);
        let mental_health = flag("mental_health", "心理健康教师", &self.mental_health);
        let work_start = c.optional_date("work_start", "参加工作日期", &self.work_start);
        if let (Some(ps), Some(_)) = (political_status, development_stage)
            && ps.is_party_member()
        {
            c.errors.push(FieldError::new(
                "development_stage",
                "stage_for_member",
                "发展阶段只适用于非党员",
                "a development stage applies to non-members only",
            ));
        }
        let gender = id.as_ref().map(|id| if id.is_male() { Gender::Male } else { Gender::Female });
        if let (Some(g), Some(given)) = (gender, gender_given)
            && g != given
        {
            c.errors.push(FieldError::new(
                "gender",
                "gender_mismatch",
                format!("性别与身份证号不一致：身份证号表明为{}", g.zh()),
                format!("gender does not agree with the ID number ({})", g.en()),
            ));
        }
        if let (Some(id), Some(ws)) = (&id, work_start)
            && (ws <= id.birth_date() || ws > today)
        {
            c.errors.push(FieldError::new(
                "work_start",
                "work_start_range",
                "参加工作日期应晚于出生日期且不晚于今天",
                "the work start date is after the birth date and not in the future",
            ));
        }
        let value = (|| {
            let id = id?;
            Some((
                Person { id_number: id.clone(), name: name.clone(), gender: gender?, phone },
                Staff {
                    id_number: id,
                    institution: institution?,
                    post,
                    leadership_role,
                    political_status: political_status?,
                    development_stage,
                    backbone,
                    head_teacher,
                    mental_health,
                    work_start,
                },
            ))
        })();
        c.finish(value)
    }
}

/// What a form or API body sends for a member record.
#[derive(Debug, Clone, Default, serde::Deserialize, Serialize)]
#[serde(default)]
pub struct MemberInput {
    pub id_number: String,
    pub category: String,
    pub admitted_on: String,
    pub full_on: String,
    pub org: String,
    pub work_institution: String,
    pub party_post: String,
    pub education: String,
}

impl MemberInput {
    pub fn parse(&self, today: NaiveDate) -> Result<Member, Vec<FieldError>> {
        let mut c = Checker::default();
        let id = c.parse("id_number", &self.id_number, |s| IdNumber::parse_on(s, today));
        let category = c.label::<MemberCategory>("category", "党员类别", &self.category);
        let admitted_on = c.required_date("admitted_on", "入党日期", &self.admitted_on);
        let full_on = c.optional_date("full_on", "转正日期", &self.full_on);
        let org = c.parse("org", &self.org, OrgCode::parse);
        let work_institution = c.optional("work_institution", &self.work_institution, InstitutionCode::parse);
        let party_post = c.optional_label::<PartyPost>("party_post", "党内职务", &self.party_post);
        let education = c.optional_label::<Education>("education", "学历", &self.education);
        if let Some(a) = admitted_on
            && a > today
        {
            c.errors.push(FieldError::new(
                "admitted_on",
                "date_future",
                "入党日期不能晚于今天",
                "the admission date cannot be in the future",
            ));
        }
        match (category, full_on, admitted_on) {
            (Some(MemberCategory::Full), None, _) if c.errors.iter().all(|e| e.field != "full_on") => {
                c.errors.push(FieldError::new("full_on", "required", "正式党员须填写转正日期", "a full member has a full-membership date"));
            }
            (_, Some(f), Some(a)) if f <= a => {
                c.errors.push(FieldError::new(
                    "full_on",
                    "full_before_admitted",
                    "转正日期应晚于入党日期",
                    "full membership comes after admission",
                ));
            }
            (Some(MemberCategory::Probationary), Some(_), _) => {
                c.errors.push(FieldError::new(
                    "full_on",
                    "probationary_full_on",
                    "预备党员不填转正日期",
                    "a probationary member has no full-membership date",
                ));
            }
            _ => {}
        }
        let value = (|| {
            Some(Member {
                id_number: id?,
                category: category?,
                admitted_on: admitted_on?,
                full_on,
                org: org?,
                work_institution,
                party_post,
                education,
            })
        })();
        c.finish(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
    }

    fn valid_institution() -> InstitutionInput {
        InstitutionInput {
            code: "3708280101".into(),
            name: "金乡县鸡黍镇中心小学".into(),
            kind: "小学".into(),
            ownership: "公办".into(),
            town: "370828107".into(),
            longitude: "116.3".into(),
            latitude: "35.1".into(),
            ..Default::default()
        }
    }

    #[test]
    fn institution_input_parses() {
        let i = valid_institution().parse().unwrap();
        assert_eq!(i.kind, InstitutionKind::Primary);
        assert_eq!(i.status, InstitutionStatus::Operating);
    }

    #[test]
    fn institution_errors_name_every_field() {
        let bad =
            InstitutionInput { code: "1".into(), kind: "学校".into(), latitude: "35".into(), longitude: "".into(), ..Default::default() };
        let errs = bad.parse().unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field).collect();
        for f in ["code", "name", "kind", "ownership", "town", "longitude"] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
        let kind = errs.iter().find(|e| e.field == "kind").unwrap();
        assert!(kind.message_zh.contains("教学点"), "the message lists what is accepted");
    }

    #[test]
    fn coordinates_out_of_range() {
        let mut i = valid_institution();
        i.latitude = "95".into();
        assert_eq!(i.parse().unwrap_err()[0].field, "latitude");
    }

    #[test]
    fn names_keep_full_width_punctuation() {
        let i = InstitutionInput { name: "\u{3000}金乡县第三中学（筹建） ".into(), ..valid_institution() }.parse().unwrap();
        assert_eq!(i.name, "金乡县第三中学（筹建）");
    }

    #[test]
    fn dates_in_every_written_form() {
        let d = NaiveDate::from_ymd_opt(2019, 7, 1);
        for s in ["2019-07-01", "2019/7/1", "2019.07.01", "2019年7月1日", "２０１９-０７-０１"] {
            assert_eq!(parse_date(s), d, "{s}");
        }
        assert_eq!(parse_date("2019-02-30"), None);
        assert_eq!(parse_date("19-07-01"), None);
    }

    #[test]
    fn member_dates_must_agree_with_category() {
        let m = MemberInput {
            id_number: "11010519491231002X".into(),
            category: "正式党员".into(),
            admitted_on: "2020-07-01".into(),
            org: "JX-ZB".into(),
            ..Default::default()
        };
        assert_eq!(m.parse(today()).unwrap_err()[0].field, "full_on");
        let m = MemberInput { full_on: "2020-06-01".into(), ..m };
        assert_eq!(m.parse(today()).unwrap_err()[0].code, "full_before_admitted");
        let m = MemberInput { full_on: "2021-07-01".into(), ..m };
        assert!(m.parse(today()).is_ok());
    }

    #[test]
    fn staff_gender_must_match_id() {
        let s = StaffInput {
            id_number: "11010519491231002X".into(),
            name: "王芳".into(),
            gender: "男".into(),
            institution: "3708280101".into(),
            political_status: "群众".into(),
            ..Default::default()
        };
        assert_eq!(s.parse(today()).unwrap_err()[0].code, "gender_mismatch");
        let s = StaffInput { gender: "女".into(), ..s };
        assert!(s.parse(today()).is_ok());
    }

    #[test]
    fn yes_no_variants() {
        for y in ["是", "Y", "1", "√", "on"] {
            assert_eq!(parse_yes_no(y), Some(true));
        }
        for n in ["否", "N", "0", ""] {
            assert_eq!(parse_yes_no(n), Some(false));
        }
        assert_eq!(parse_yes_no("maybe"), None);
    }
}
