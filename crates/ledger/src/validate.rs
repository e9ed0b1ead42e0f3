//! Validating a ledger workbook (spec/LEDGER.md) before anything is written: every problem with
//! its sheet, Excel row, header, value, a stable code and a Chinese message. The valid rows come
//! out as a registry dataset, ready to merge.
use std::collections::BTreeMap;

/// The lookup tables of validation (a province's million rows probe them many times each) hash
/// with foldhash, not SipHash. Their keys are cells of a file that a signed-in user uploaded
/// (at most 50 MB, S19), and foldhash's seed is random per process, so colliding keys cannot be
/// prepared in advance.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
type HashSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;

use chrono::NaiveDate;
use hongzhu_core::labels::*;
use hongzhu_core::registry::*;
use hongzhu_core::synth::Dataset;
use hongzhu_core::{IdNumber, InstitutionCode, OrgCode, RegionCode, normalize_width};
use serde::Serialize;

use crate::read::{RowData, SheetData};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem, where Excel shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    pub sheet: String,
    pub row: u32,
    pub header: String,
    pub value: String,
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
}

/// A column: its header, the field it fills, whether it is required.
pub type Column = (&'static str, &'static str, bool);

/// The sheets in the order they are read and written, with their columns.
pub const SHEETS: &[(&str, &[Column])] = &[
    ("区划", &[("区划代码", "code", true), ("名称", "name", true), ("上级区划代码", "parent", false), ("级别", "level", true)]),
    (
        "学校",
        &[
            ("机构代码", "code", true),
            ("名称", "name", true),
            ("类型", "kind", true),
            ("办学性质", "ownership", true),
            ("县区代码", "county", false),
            ("乡镇街道", "town", true),
            ("上级学校代码", "parent", false),
            ("经度", "longitude", false),
            ("纬度", "latitude", false),
            ("状态", "status", false),
            ("在校生数", "students", false),
            ("班级数", "classes", false),
        ],
    ),
    (
        "教职工",
        &[
            ("身份证号", "id_number", true),
            ("姓名", "name", true),
            ("性别", "gender", false),
            ("手机号", "phone", false),
            ("机构代码", "institution", true),
            ("岗位", "post", false),
            ("领导职务", "leadership_role", false),
            ("政治面貌", "political_status", true),
            ("发展阶段", "development_stage", false),
            ("骨干教师", "backbone", false),
            ("班主任", "head_teacher", false),
            ("心理健康教师", "mental_health", false),
            ("参加工作日期", "work_start", false),
        ],
    ),
    (
        "党组织",
        &[
            ("组织代码", "code", true),
            ("组织名称", "name", true),
            ("组织类别", "kind", true),
            ("上级组织代码", "parent", false),
            ("成立日期", "founded_on", false),
            ("本届任期开始", "term_start", false),
            ("任期年限", "term_years", false),
            ("状态", "status", false),
        ],
    ),
    ("组织覆盖", &[("组织代码", "org", true), ("机构代码", "institution", true), ("覆盖方式", "mode", true)]),
    (
        "党员",
        &[
            ("身份证号", "id_number", true),
            ("姓名", "name", true),
            ("党员类别", "category", true),
            ("入党日期", "admitted_on", true),
            ("转正日期", "full_on", false),
            ("所在组织代码", "org", true),
            ("工作机构代码", "work_institution", false),
            ("党内职务", "party_post", false),
            // Not in spec/LEDGER.md: an optional column for the year-end statistics.
            ("学历", "education", false),
        ],
    ),
    (
        "党建指导员",
        &[
            ("身份证号", "id_number", true),
            ("姓名", "name", true),
            ("指导机构代码", "institution", true),
            ("选派日期", "assigned_on", true),
            ("状态", "status", false),
        ],
    ),
    // Not in spec/LEDGER.md: added for the schools' own figures (issue: campaigns and indicators),
    // documented in docs/README.md and on the template's 说明 sheet. Optional, like every sheet.
    (
        "学校业务指标",
        &[
            ("机构代码", "institution", true),
            ("学年", "year", true),
            ("各班人数", "class_sizes", false),
            ("在校生数", "students", false),
            ("班级数", "classes", false),
            ("大班额班级数", "large_classes", false),
            ("超大班额班级数", "oversized_classes", false),
            ("专任教师数", "teachers", false),
            ("新建改扩建面积", "building_m2", false),
            ("本科录取人数", "admitted", false),
            ("参加高考人数", "candidates", false),
            ("资助困难学生数", "poor_supported", false),
            ("投入金额", "investment_yuan", false),
        ],
    ),
];

/// A header as written, compared after trimming, full-width normalization and removing spaces.
pub fn normalize_header(h: &str) -> String {
    normalize_width(h).chars().filter(|c| !c.is_whitespace()).collect()
}

fn header_of(sheet: &str, field: &str) -> &'static str {
    SHEETS.iter().find(|s| s.0 == sheet).and_then(|s| s.1.iter().find(|c| c.1 == field)).map(|c| c.0).unwrap_or("")
}

/// The outcome of validation.
#[derive(Debug, Default)]
pub struct Validated {
    /// The valid rows as registry records.
    pub data: Dataset,
    pub problems: Vec<Problem>,
    /// Rows read per sheet (present sheets only), and rows rejected.
    pub rows: BTreeMap<String, usize>,
    pub rejected: BTreeMap<String, usize>,
}

impl Validated {
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(|p| p.severity == Severity::Error)
    }
}

/// A sheet being checked: its columns, and the rows rejected so far.
struct Sheet<'a> {
    name: &'static str,
    data: &'a SheetData,
    cols: HashMap<&'static str, usize>,
    bad_rows: HashSet<u32>,
}

impl<'a> Sheet<'a> {
    fn get(&self, row: &RowData, field: &str) -> String {
        self.cols.get(field).map(|c| row.get(*c).trim().to_string()).unwrap_or_default()
    }
}

struct Ctx<'a> {
    out: Validated,
    today: NaiveDate,
    existing: &'a Dataset,
    /// Institutions by code: the file's valid rows, then the database's.
    institutions: HashMap<String, (Ownership, String)>,
    /// People by ID number: the file's, then the database's; `true` once the person was taken
    /// from this file's staff sheet.
    people: HashMap<IdNumber, (String, bool)>,
    /// The Excel row of each record in `out.data.staff` and `out.data.members`, index for index.
    staff_row_numbers: Vec<u32>,
    member_row_numbers: Vec<u32>,
}

impl Ctx<'_> {
    #[allow(clippy::too_many_arguments)]
    fn problem(
        &mut self,
        sheet: &Sheet,
        row: u32,
        field: &str,
        value: &str,
        code: &'static str,
        severity: Severity,
        message: impl Into<String>,
    ) {
        self.out.problems.push(Problem {
            sheet: sheet.name.to_string(),
            row,
            header: header_of(sheet.name, field).to_string(),
            value: value.to_string(),
            code,
            severity,
            message: message.into(),
        });
    }

    fn error(&mut self, sheet: &mut Sheet, row: &RowData, field: &str, code: &'static str, message: impl Into<String>) {
        let value = sheet.get(row, field);
        self.problem(sheet, row.row, field, &value, code, Severity::Error, message);
        sheet.bad_rows.insert(row.row);
    }

    fn warn(&mut self, sheet: &Sheet, row: &RowData, field: &str, code: &'static str, message: impl Into<String>) {
        let value = sheet.get(row, field);
        self.problem(sheet, row.row, field, &value, code, Severity::Warning, message);
    }

    fn field_errors(&mut self, sheet: &mut Sheet, row: &RowData, errors: Vec<FieldError>) {
        for e in errors {
            let field = e.field;
            self.error(sheet, row, field, e.code, e.message_zh);
        }
    }
}

/// Check the workbook's sheets against the spec and the registry already stored.
pub fn validate(sheets: &[SheetData], existing: &Dataset, today: NaiveDate) -> Validated {
    let mut ctx = Ctx {
        out: Validated::default(),
        today,
        existing,
        institutions: existing.institutions.iter().map(|i| (i.code.to_string(), (i.ownership, i.name.clone()))).collect(),
        people: existing.persons.iter().map(|p| (p.id_number.clone(), (p.name.clone(), false))).collect(),
        staff_row_numbers: Vec::new(),
        member_row_numbers: Vec::new(),
    };
    // Which sheets are there; unknown ones are mentioned, the instructions sheet is skipped.
    let mut found: HashMap<&'static str, Sheet> = HashMap::default();
    for s in sheets {
        let norm = normalize_header(&s.name);
        match SHEETS.iter().find(|d| d.0 == norm) {
            Some((name, cols)) => {
                let mut sheet = Sheet { name, data: s, cols: HashMap::default(), bad_rows: HashSet::default() };
                let mut missing = Vec::new();
                for (i, h) in s.headers.iter().enumerate() {
                    let h = normalize_header(h);
                    if h.is_empty() {
                        continue;
                    }
                    match cols.iter().find(|c| c.0 == h) {
                        Some(c) => {
                            sheet.cols.insert(c.1, i);
                        }
                        None => ctx.out.problems.push(Problem {
                            sheet: name.to_string(),
                            row: s.header_row,
                            header: h.clone(),
                            value: h.clone(),
                            code: "unknown_column",
                            severity: Severity::Warning,
                            message: format!(
                                "未知的列“{h}”，已忽略。本表的列：{}",
                                cols.iter().map(|c| c.0).collect::<Vec<_>>().join("、")
                            ),
                        }),
                    }
                }
                for c in cols.iter().filter(|c| c.2) {
                    if !sheet.cols.contains_key(c.1) {
                        missing.push(c.0);
                    }
                }
                ctx.out.rows.insert(name.to_string(), s.rows.len());
                if !missing.is_empty() {
                    ctx.out.problems.push(Problem {
                        sheet: name.to_string(),
                        row: s.header_row,
                        header: missing.join("、"),
                        value: String::new(),
                        code: "missing_column",
                        severity: Severity::Error,
                        message: format!("缺少必填列：{}。请使用系统提供的模板（表头须在第一行）", missing.join("、")),
                    });
                    for r in &s.rows {
                        sheet.bad_rows.insert(r.row);
                    }
                }
                found.insert(name, sheet);
            }
            None if norm == "说明" || norm == "错误说明" => {}
            None => ctx.out.problems.push(Problem {
                sheet: s.name.clone(),
                row: 1,
                header: String::new(),
                value: s.name.clone(),
                code: "unknown_sheet",
                severity: Severity::Warning,
                message: format!(
                    "未知的工作表“{}”，已忽略。可导入的工作表：{}",
                    s.name,
                    SHEETS.iter().map(|s| s.0).collect::<Vec<_>>().join("、")
                ),
            }),
        }
    }
    if found.is_empty() {
        ctx.out.problems.push(Problem {
            sheet: String::new(),
            row: 0,
            header: String::new(),
            value: String::new(),
            code: "no_known_sheet",
            severity: Severity::Error,
            message: format!("文件中没有可导入的工作表。工作表名称应为：{}", SHEETS.iter().map(|s| s.0).collect::<Vec<_>>().join("、")),
        });
        return ctx.out;
    }

    regions(&mut ctx, found.get_mut("区划"));
    let county = file_county(&ctx, &found);
    institutions(&mut ctx, found.get_mut("学校"), county.as_deref());
    let org_counties = org_counties(&ctx, &found);
    let orgs_ok = orgs(&mut ctx, found.get_mut("党组织"), county.as_deref(), &org_counties);
    staff(&mut ctx, found.get_mut("教职工"));
    coverages(&mut ctx, found.get_mut("组织覆盖"), &orgs_ok);
    members(&mut ctx, found.get_mut("党员"), &orgs_ok);
    instructors(&mut ctx, found.get_mut("党建指导员"));
    indicators(&mut ctx, found.get_mut("学校业务指标"));
    cross_checks(&mut ctx, &mut found);

    for (name, s) in &found {
        ctx.out.rejected.insert(name.to_string(), s.bad_rows.len());
    }
    ctx.out.problems.sort_by(|a, b| sheet_order(&a.sheet).cmp(&sheet_order(&b.sheet)).then(a.row.cmp(&b.row)));
    ctx.out
}

fn sheet_order(name: &str) -> usize {
    SHEETS.iter().position(|s| s.0 == name).unwrap_or(usize::MAX)
}

/// Rows of a sheet, skipping those already rejected; duplicate keys are rejected here (the
/// first row with a key is kept). The keys are worked out on every core, since working one out
/// means parsing a cell (an ID number, a code) and a province's staff sheet has a million rows.
fn keyed_rows<'s>(
    ctx: &mut Ctx,
    sheet: &mut Sheet<'s>,
    key_fields: &[&str],
    key: impl Fn(&Sheet, &RowData) -> Option<String> + Sync,
) -> Vec<&'s RowData> {
    let data = sheet.data;
    let candidates: Vec<&'s RowData> = data.rows.iter().filter(|r| !sheet.bad_rows.contains(&r.row)).collect();
    let keys = {
        let shared: &Sheet = sheet;
        par_map(&candidates, |row| key(shared, row))
    };
    let mut first: HashMap<String, u32> = HashMap::with_capacity_and_hasher(candidates.len(), Default::default());
    let mut out = Vec::with_capacity(candidates.len());
    for (row, k) in candidates.into_iter().zip(keys) {
        if let Some(k) = k {
            if let Some(prev) = first.get(&k) {
                let msg = format!(
                    "与第{prev}行重复：同一{}在本表只能出现一次",
                    key_fields.iter().map(|f| header_of(sheet.name, f)).collect::<Vec<_>>().join("+")
                );
                ctx.error(sheet, row, key_fields[0], "duplicate_key", msg);
                continue;
            }
            first.insert(k, row.row);
        }
        out.push(row);
    }
    out
}

fn regions(ctx: &mut Ctx, sheet: Option<&mut Sheet>) {
    let Some(sheet) = sheet else { return };
    for row in keyed_rows(ctx, sheet, &["code"], |s, r| RegionCode::parse(&s.get(r, "code")).ok().map(|c| c.to_string())) {
        let mut c = Checker::default();
        let code = c.parse("code", &sheet.get(row, "code"), RegionCode::parse);
        let name = c.required_text("name", "名称", &sheet.get(row, "name"), 50);
        let parent = c.optional("parent", &sheet.get(row, "parent"), RegionCode::parse);
        let level = c.label::<RegionLevel>("level", "级别", &sheet.get(row, "level"));
        if let (Some(code), Some(level)) = (&code, level)
            && (level == RegionLevel::Town) != (code.as_str().len() == 9)
        {
            c.errors.push(FieldError::new(
                "code",
                "region_level",
                "乡镇街道为9位代码，省、市、县为6位代码",
                "towns have 9 digits, others 6",
            ));
        }
        match (code, level, c.errors.is_empty()) {
            (Some(code), Some(level), true) => ctx.out.data.regions.push(Region { code, name, parent, level }),
            _ => {
                let errs = c.errors;
                ctx.field_errors(sheet, row, errs);
            }
        }
    }
}

/// The county the file is about: its one 县 in 区划, else the database's one county.
fn file_county(ctx: &Ctx, found: &HashMap<&'static str, Sheet>) -> Option<String> {
    let counties: Vec<String> =
        ctx.out.data.regions.iter().filter(|r| r.level == RegionLevel::County).map(|r| r.code.to_string()).collect();
    if counties.len() == 1 {
        return counties.into_iter().next();
    }
    let db: HashSet<String> = ctx.existing.regions.iter().filter(|r| r.level == RegionLevel::County).map(|r| r.code.to_string()).collect();
    if db.len() == 1 {
        return db.into_iter().next();
    }
    let _ = found;
    None
}

fn towns_of<'a>(ctx: &'a Ctx, county: &str) -> Vec<(&'a str, &'a str)> {
    ctx.out
        .data
        .regions
        .iter()
        .chain(ctx.existing.regions.iter())
        .filter(|r| r.level == RegionLevel::Town && r.code.as_str().starts_with(county))
        .map(|r| (r.code.as_str(), r.name.as_str()))
        .collect()
}

fn institutions(ctx: &mut Ctx, sheet: Option<&mut Sheet>, county: Option<&str>) {
    let Some(sheet) = sheet else { return };
    let mut parsed: Vec<(&RowData, Institution)> = Vec::new();
    for row in keyed_rows(ctx, sheet, &["code"], |s, r| InstitutionCode::parse(&s.get(r, "code")).ok().map(|c| c.to_string())) {
        // 乡镇街道: a name or a 9-digit code of a town of the row's county.
        let row_county = sheet.get(row, "county");
        let county_code = if !row_county.is_empty() { Some(row_county.clone()) } else { county.map(str::to_string) };
        let Some(county_code) = county_code else {
            ctx.error(sheet, row, "county", "county_required", "数据库中有多个县区，请填写县区代码（6位）");
            continue;
        };
        let town_cell = sheet.get(row, "town");
        let towns = towns_of(ctx, &county_code);
        let town = towns.iter().find(|(code, name)| *code == town_cell || *name == town_cell).map(|(c, _)| c.to_string());
        let Some(town) = town else {
            let known = towns.iter().map(|t| t.1).collect::<Vec<_>>().join("、");
            let msg = if town_cell.is_empty() {
                format!("请填写乡镇街道。本县的乡镇街道：{known}")
            } else {
                format!(
                    "乡镇街道“{town_cell}”不在县区{county_code}中。可选：{}",
                    if known.is_empty() { "（请先在“区划”表中登记乡镇街道）".to_string() } else { known }
                )
            };
            ctx.error(sheet, row, "town", "unknown_town", msg);
            continue;
        };
        let input = InstitutionInput {
            code: sheet.get(row, "code"),
            name: sheet.get(row, "name"),
            kind: sheet.get(row, "kind"),
            ownership: sheet.get(row, "ownership"),
            status: sheet.get(row, "status"),
            town,
            parent: sheet.get(row, "parent"),
            longitude: sheet.get(row, "longitude"),
            latitude: sheet.get(row, "latitude"),
            students: sheet.get(row, "students"),
            classes: sheet.get(row, "classes"),
        };
        match input.parse() {
            Ok(i) => {
                if let (Some(lon), Some(lat)) = (i.longitude, i.latitude)
                    && !((73.0..=136.0).contains(&lon) && (3.0..=54.0).contains(&lat))
                {
                    ctx.warn(sheet, row, "longitude", "outside_china", "坐标不在中国境内（东经73–136°、北纬3–54°），请核对经纬度是否填反");
                }
                parsed.push((row, i));
            }
            Err(e) => ctx.field_errors(sheet, row, e),
        }
    }
    // 上级学校代码 resolves within the file or the database.
    let known: HashSet<String> =
        parsed.iter().map(|p| p.1.code.to_string()).chain(ctx.existing.institutions.iter().map(|i| i.code.to_string())).collect();
    for (row, i) in parsed {
        if let Some(p) = &i.parent
            && !known.contains(p.as_str())
        {
            ctx.error(sheet, row, "parent", "unknown_reference", format!("上级学校代码“{p}”在本文件和系统中都不存在"));
            continue;
        }
        ctx.institutions.insert(i.code.to_string(), (i.ownership, i.name.clone()));
        ctx.out.data.institutions.push(i);
    }
}

/// An institution code found neither in the file's 学校 sheet nor in the database.
fn unknown_institution(code: &InstitutionCode) -> FieldError {
    FieldError::new(
        "institution",
        "unknown_reference",
        format!("机构代码“{code}”在“学校”表和系统中都不存在：请先在“学校”表中登记该学校，或核对代码"),
        "unknown institution: register it on the 学校 sheet first, or check the code",
    )
}

fn known_institution<'a>(ctx: &'a Ctx, code: &str) -> Option<&'a (Ownership, String)> {
    ctx.institutions.get(code)
}

/// The 党组织 sheet has no county column: in a file of several counties, an organization's
/// county is that of the institutions it covers, of its members' schools, or of the
/// organizations below it (the database's record, when it has one, first).
fn org_counties(ctx: &Ctx, found: &HashMap<&'static str, Sheet>) -> HashMap<String, String> {
    let mut out: HashMap<String, String> = ctx.existing.orgs.iter().map(|o| (o.code.to_string(), o.region.to_string())).collect();
    let inst_county: HashMap<String, String> = ctx
        .out
        .data
        .institutions
        .iter()
        .chain(ctx.existing.institutions.iter())
        .map(|i| (i.code.to_string(), i.town.county().to_string()))
        .collect();
    for (sheet, org_field, inst_field) in [("组织覆盖", "org", "institution"), ("党员", "org", "work_institution")] {
        if let Some(s) = found.get(sheet) {
            for r in &s.data.rows {
                let org = s.get(r, org_field).to_uppercase();
                if org.is_empty() || out.contains_key(&org) {
                    continue;
                }
                if let Some(c) = inst_county.get(&s.get(r, inst_field).to_uppercase()) {
                    out.insert(org, c.clone());
                }
            }
        }
    }
    // Parents take their children's county.
    if let Some(s) = found.get("党组织") {
        for _ in 0..8 {
            let mut changed = false;
            for r in &s.data.rows {
                let (code, parent) = (s.get(r, "code").to_uppercase(), s.get(r, "parent").to_uppercase());
                if !parent.is_empty()
                    && !out.contains_key(&parent)
                    && let Some(c) = out.get(&code).cloned()
                {
                    out.insert(parent, c);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
    }
    out
}

fn orgs(ctx: &mut Ctx, sheet: Option<&mut Sheet>, county: Option<&str>, org_counties: &HashMap<String, String>) -> HashSet<String> {
    let mut ok: HashSet<String> = ctx.existing.orgs.iter().map(|o| o.code.to_string()).collect();
    let Some(sheet) = sheet else { return ok };
    let mut parsed: Vec<(&RowData, PartyOrg)> = Vec::new();
    for row in keyed_rows(ctx, sheet, &["code"], |s, r| OrgCode::parse(&s.get(r, "code")).ok().map(|c| c.to_string())) {
        let inferred = org_counties.get(&sheet.get(row, "code").to_uppercase()).map(String::as_str);
        let Some(county) = county.or(inferred) else {
            ctx.error(sheet, row, "code", "county_unknown", "无法确定党组织所属县区：请在“区划”表中登记本县（级别为“县”）");
            continue;
        };
        let input = OrgInput {
            code: sheet.get(row, "code"),
            name: sheet.get(row, "name"),
            kind: sheet.get(row, "kind"),
            parent: sheet.get(row, "parent"),
            region: county.to_string(),
            founded_on: sheet.get(row, "founded_on"),
            term_start: sheet.get(row, "term_start"),
            term_years: sheet.get(row, "term_years"),
            status: sheet.get(row, "status"),
        };
        match input.parse() {
            Ok(o) => parsed.push((row, o)),
            Err(e) => ctx.field_errors(sheet, row, e),
        }
    }
    // References, then cycles through the file's and the database's parents.
    let file_codes: HashSet<String> = parsed.iter().map(|p| p.1.code.to_string()).collect();
    let mut parent_of: HashMap<String, String> =
        ctx.existing.orgs.iter().filter_map(|o| o.parent.as_ref().map(|p| (o.code.to_string(), p.to_string()))).collect();
    for (_, o) in &parsed {
        match &o.parent {
            Some(p) => parent_of.insert(o.code.to_string(), p.to_string()),
            None => parent_of.remove(o.code.as_str()),
        };
    }
    let mut valid = Vec::new();
    for (row, o) in parsed {
        if let Some(p) = &o.parent {
            if !file_codes.contains(p.as_str()) && !ok.contains(p.as_str()) {
                ctx.error(sheet, row, "parent", "unknown_reference", format!("上级组织代码“{p}”在本文件和系统中都不存在"));
                continue;
            }
            // Follow the parents: coming back to this organization is a cycle.
            let mut seen = vec![o.code.to_string()];
            let mut cur = p.to_string();
            let mut cycle = false;
            while let Some(next) = parent_of.get(&cur) {
                if seen.contains(&cur) {
                    break;
                }
                seen.push(cur.clone());
                if next == o.code.as_str() {
                    cycle = true;
                    break;
                }
                cur = next.clone();
            }
            if cycle || p.as_str() == o.code.as_str() {
                let path = seen.join(" → ");
                ctx.error(sheet, row, "parent", "org_cycle", format!("组织关系形成循环：{path} → {}，请检查上级组织代码", o.code));
                continue;
            }
        }
        valid.push(o);
    }
    for o in valid {
        ok.insert(o.code.to_string());
        ctx.out.data.orgs.push(o);
    }
    ok
}

fn id_key(s: &Sheet, r: &RowData) -> Option<String> {
    IdNumber::parse(&s.get(r, "id_number")).ok().map(|i| i.as_str().to_string())
}

fn id_as_number(sheet: &Sheet, row: &RowData) -> bool {
    sheet.cols.get("id_number").is_some_and(|c| row.long_numbers.contains(c))
}

/// `f` over `items` on every core (a province's staff sheet is a million rows, each parsed on its
/// own), the results in order.
fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    if items.len() < 10_000 || threads < 2 {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|s| {
        let f = &f;
        let parts: Vec<_> = items.chunks(chunk).map(|c| s.spawn(move || c.iter().map(f).collect::<Vec<R>>())).collect();
        parts.into_iter().flat_map(|p| p.join().expect("parsing a row does not panic")).collect()
    })
}

fn staff(ctx: &mut Ctx, sheet: Option<&mut Sheet>) {
    let Some(sheet) = sheet else { return };
    let rows = keyed_rows(ctx, sheet, &["id_number", "institution"], |s, r| {
        id_key(s, r).map(|i| format!("{i}/{}", s.get(r, "institution").to_uppercase()))
    });
    // Each row on its own first, on every core; then against the registry, in order.
    let today = ctx.today;
    let shared: &Sheet = sheet;
    let parsed = par_map(&rows, |row| {
        StaffInput {
            id_number: shared.get(row, "id_number"),
            name: shared.get(row, "name"),
            gender: shared.get(row, "gender"),
            phone: shared.get(row, "phone"),
            institution: shared.get(row, "institution"),
            post: shared.get(row, "post"),
            leadership_role: shared.get(row, "leadership_role"),
            political_status: shared.get(row, "political_status"),
            development_stage: shared.get(row, "development_stage"),
            backbone: shared.get(row, "backbone"),
            head_teacher: shared.get(row, "head_teacher"),
            mental_health: shared.get(row, "mental_health"),
            work_start: shared.get(row, "work_start"),
        }
        .parse(today)
    });
    ctx.people.reserve(rows.len());
    ctx.out.data.persons.reserve(rows.len());
    ctx.out.data.staff.reserve(rows.len());
    ctx.staff_row_numbers.reserve(rows.len());
    for (row, parsed) in rows.into_iter().zip(parsed) {
        if id_as_number(sheet, row) {
            ctx.error(sheet, row, "id_number", "id_as_number", "身份证号被存成了数字，末几位已丢失。请把该列设为“文本”格式后重新填写");
            continue;
        }
        match parsed {
            Ok((p, s)) => {
                if known_institution(ctx, s.institution.as_str()).is_none() {
                    ctx.error(
                        sheet,
                        row,
                        "institution",
                        "unknown_reference",
                        format!("机构代码“{}”在“学校”表和系统中都不存在", s.institution),
                    );
                    continue;
                }
                // The person's first row on this sheet gives the name (over the database's).
                let first = match ctx.people.get_mut(&p.id_number) {
                    Some((_, true)) => false,
                    Some(known) => {
                        *known = (p.name.clone(), true);
                        true
                    }
                    None => {
                        ctx.people.insert(p.id_number.clone(), (p.name.clone(), true));
                        true
                    }
                };
                if first {
                    ctx.out.data.persons.push(p);
                }
                ctx.staff_row_numbers.push(row.row);
                ctx.out.data.staff.push(s);
            }
            Err(e) => ctx.field_errors(sheet, row, e),
        }
    }
}

fn coverages(ctx: &mut Ctx, sheet: Option<&mut Sheet>, orgs_ok: &HashSet<String>) {
    let Some(sheet) = sheet else { return };
    let rows = keyed_rows(ctx, sheet, &["org", "institution"], |s, r| {
        Some(format!("{}/{}", s.get(r, "org").to_uppercase(), s.get(r, "institution").to_uppercase()))
    });
    for row in rows {
        let mut c = Checker::default();
        let org = c.parse("org", &sheet.get(row, "org"), OrgCode::parse);
        let inst = c.parse("institution", &sheet.get(row, "institution"), InstitutionCode::parse);
        let mode = c.label::<CoverageMode>("mode", "覆盖方式", &sheet.get(row, "mode"));
        if let Some(o) = &org
            && !orgs_ok.contains(o.as_str())
        {
            c.errors.push(FieldError::new(
                "org",
                "unknown_reference",
                format!("组织代码“{o}”在“党组织”表和系统中都不存在"),
                "unknown organization",
            ));
        }
        if let Some(i) = &inst
            && known_institution(ctx, i.as_str()).is_none()
        {
            c.errors.push(unknown_institution(i));
        }
        match (org, inst, mode, c.errors.is_empty()) {
            (Some(org), Some(institution), Some(mode), true) => ctx.out.data.coverages.push(Coverage { org, institution, mode }),
            _ => {
                let e = c.errors;
                ctx.field_errors(sheet, row, e);
            }
        }
    }
}

/// 学校业务指标: one row per school and school year; the figures checked as the form checks them
/// (R6.1 class sizes; contradictions such as more classes than students refused).
fn indicators(ctx: &mut Ctx, sheet: Option<&mut Sheet>) {
    let Some(sheet) = sheet else { return };
    // The key as it will be stored: the code upper-cased, the year as a number ("2024", "2024年"
    // and full-width digits are one year).
    let rows = keyed_rows(ctx, sheet, &["institution", "year"], |s, r| {
        let year = normalize_width(&s.get(r, "year"));
        Some(format!("{}/{}", s.get(r, "institution").to_uppercase(), year.trim_end_matches('年').trim_start_matches('0')))
    });
    for row in rows {
        let mut c = Checker::default();
        let inst = c.parse("institution", &sheet.get(row, "institution"), InstitutionCode::parse);
        if let Some(i) = &inst
            && known_institution(ctx, i.as_str()).is_none()
        {
            c.errors.push(unknown_institution(i));
        }
        let year = match hongzhu_core::school::check_school_year(&sheet.get(row, "year"), ctx.today) {
            Ok(y) => Some(y),
            Err(e) => {
                c.errors.push(FieldError::from_invalid("year", e));
                None
            }
        };
        // A column the file does not have keeps what is stored (a file with fewer columns does
        // not erase figures); a column present and empty means 0.
        let stored = match (&inst, year) {
            (Some(i), Some(y)) => ctx.existing.indicators.iter().find(|x| x.institution == *i && x.year == y).map(|x| x.values.clone()),
            _ => None,
        };
        let col = |field: &str, old: Option<i64>| -> String {
            if sheet.cols.contains_key(field) { sheet.get(row, field) } else { old.map(|n| n.to_string()).unwrap_or_default() }
        };
        let st = stored.as_ref();
        let input = hongzhu_core::school::IndicatorInput {
            class_sizes: sheet.get(row, "class_sizes"),
            students: col("students", st.map(|v| v.students)),
            classes: col("classes", st.map(|v| v.classes)),
            large_classes: col("large_classes", st.map(|v| v.large_classes)),
            oversized_classes: col("oversized_classes", st.map(|v| v.oversized_classes)),
            teachers: col("teachers", st.map(|v| v.teachers)),
            building_m2: col("building_m2", st.map(|v| v.building_m2)),
            admitted: col("admitted", st.and_then(|v| v.admitted)),
            candidates: col("candidates", st.and_then(|v| v.candidates)),
            poor_supported: col("poor_supported", st.map(|v| v.poor_supported)),
            investment_yuan: col("investment_yuan", st.map(|v| v.investment_yuan)),
        };
        let values = match input.parse() {
            Ok(v) => Some(v),
            Err(e) => {
                c.errors.extend(e);
                None
            }
        };
        match (inst, year, values, c.errors.is_empty()) {
            (Some(institution), Some(year), Some(values), true) => {
                ctx.out.data.indicators.push(hongzhu_core::school::SchoolIndicators { institution, year, values })
            }
            _ => {
                let e = c.errors;
                ctx.field_errors(sheet, row, e);
            }
        }
    }
}

fn person_name<'a>(ctx: &'a Ctx, id: &IdNumber) -> Option<&'a str> {
    ctx.people.get(id).map(|p| p.0.as_str())
}

fn members(ctx: &mut Ctx, sheet: Option<&mut Sheet>, orgs_ok: &HashSet<String>) {
    let Some(sheet) = sheet else { return };
    let existing = ctx.existing;
    // 学历 is an optional column beyond the spec: a file without it keeps what is stored.
    let stored_education: HashMap<&IdNumber, Option<Education>> = if sheet.cols.contains_key("education") {
        HashMap::default()
    } else {
        existing.members.iter().map(|m| (&m.id_number, m.education)).collect()
    };
    // 工作机构代码 defaults to the person's first institution on the 教职工 sheet, else in the
    // database (worked out only when some row leaves it empty).
    let defaults_needed = sheet.data.rows.iter().any(|r| sheet.get(r, "work_institution").is_empty());
    let mut first_institution: HashMap<IdNumber, InstitutionCode> = HashMap::default();
    if defaults_needed {
        for s in ctx.out.data.staff.iter().chain(existing.staff.iter()) {
            first_institution.entry(s.id_number.clone()).or_insert_with(|| s.institution.clone());
        }
    }
    for row in keyed_rows(ctx, sheet, &["id_number"], id_key) {
        if id_as_number(sheet, row) {
            ctx.error(sheet, row, "id_number", "id_as_number", "身份证号被存成了数字，末几位已丢失。请把该列设为“文本”格式后重新填写");
            continue;
        }
        let name = sheet.get(row, "name");
        if name.is_empty() {
            ctx.error(sheet, row, "name", "required", "请填写姓名");
            continue;
        }
        let input = MemberInput {
            id_number: sheet.get(row, "id_number"),
            category: sheet.get(row, "category"),
            admitted_on: sheet.get(row, "admitted_on"),
            full_on: sheet.get(row, "full_on"),
            org: sheet.get(row, "org"),
            work_institution: sheet.get(row, "work_institution"),
            party_post: sheet.get(row, "party_post"),
            education: sheet.get(row, "education"),
        };
        let mut m = match input.parse(ctx.today) {
            Ok(m) => m,
            Err(e) => {
                ctx.field_errors(sheet, row, e);
                continue;
            }
        };
        if !sheet.cols.contains_key("education") {
            m.education = stored_education.get(&m.id_number).copied().flatten();
        }
        if !orgs_ok.contains(m.org.as_str()) {
            ctx.error(sheet, row, "org", "unknown_reference", format!("所在组织代码“{}”在“党组织”表和系统中都不存在", m.org));
            continue;
        }
        match person_name(ctx, &m.id_number) {
            Some(n) if n != name => {
                ctx.error(sheet, row, "name", "name_mismatch", format!("姓名与教职工记录不一致：该身份证号登记的姓名是“{n}”"));
                continue;
            }
            _ => {}
        }
        if m.work_institution.is_none() {
            m.work_institution = first_institution.get(&m.id_number).cloned();
        }
        if let Some(w) = &m.work_institution
            && known_institution(ctx, w.as_str()).is_none()
        {
            ctx.error(sheet, row, "work_institution", "unknown_reference", format!("工作机构代码“{w}”在“学校”表和系统中都不存在"));
            continue;
        }
        // R2.10: full membership about a year after admission.
        if let Some(f) = m.full_on {
            let months = (f - m.admitted_on).num_days() as f64 / 30.44;
            if !(11.0..=25.0).contains(&months) {
                ctx.warn(
                    sheet,
                    row,
                    "full_on",
                    "probation_length",
                    format!("转正日期距入党日期约{months:.0}个月，预备期一般为1年（可延长6–12个月，R2.10），请核对"),
                );
            }
        }
        if person_name(ctx, &m.id_number).is_none() {
            let id = m.id_number.clone();
            ctx.out.data.persons.push(Person {
                gender: if id.is_male() { Gender::Male } else { Gender::Female },
                id_number: id,
                name,
                phone: None,
            });
        }
        ctx.member_row_numbers.push(row.row);
        ctx.out.data.members.push(m);
    }
}

fn instructors(ctx: &mut Ctx, sheet: Option<&mut Sheet>) {
    let Some(sheet) = sheet else { return };
    let rows = keyed_rows(ctx, sheet, &["id_number", "institution"], |s, r| {
        id_key(s, r).map(|i| format!("{i}/{}", s.get(r, "institution").to_uppercase()))
    });
    for row in rows {
        let mut c = Checker::default();
        let today = ctx.today;
        let id = c.parse("id_number", &sheet.get(row, "id_number"), |s| IdNumber::parse_on(s, today));
        let name = c.required_text("name", "姓名", &sheet.get(row, "name"), 50);
        let inst = c.parse("institution", &sheet.get(row, "institution"), InstitutionCode::parse);
        let assigned_on = c.required_date("assigned_on", "选派日期", &sheet.get(row, "assigned_on"));
        let status = if sheet.get(row, "status").is_empty() {
            Some(InstructorStatus::Active)
        } else {
            c.label::<InstructorStatus>("status", "状态", &sheet.get(row, "status"))
        };
        if let Some(i) = &inst {
            match known_institution(ctx, i.as_str()) {
                None => c.errors.push(unknown_institution(i)),
                // R1.9: instructors are assigned to private institutions.
                Some((ownership, name)) if *ownership != Ownership::Private => c.errors.push(FieldError::new(
                    "institution",
                    "instructor_public",
                    format!("{name}是公办学校；党建指导员只选派到民办学校（R1.9）"),
                    "instructors go to private institutions (R1.9)",
                )),
                _ => {}
            }
        }
        match (id, inst, assigned_on, status, c.errors.is_empty()) {
            (Some(id), Some(institution), Some(assigned_on), Some(status), true) => {
                if person_name(ctx, &id).is_none() {
                    ctx.people.insert(id.clone(), (name.clone(), false));
                    ctx.out.data.persons.push(Person {
                        gender: if id.is_male() { Gender::Male } else { Gender::Female },
                        id_number: id.clone(),
                        name,
                        phone: None,
                    });
                }
                ctx.out.data.instructors.push(Instructor { id_number: id, institution, assigned_on, status });
            }
            _ => {
                let e = c.errors;
                ctx.field_errors(sheet, row, e);
            }
        }
    }
}

/// Staff ↔ members: a member on the staff sheet has a member row of the same category, and the
/// other way round (a warning when the member works outside the education system).
fn cross_checks(ctx: &mut Ctx, found: &mut HashMap<&'static str, Sheet>) {
    let member_sheet_present = found.contains_key("党员");
    if let Some(sheet) = found.get_mut("教职工") {
        let drop = {
            let member_cat: HashMap<&IdNumber, MemberCategory> =
                ctx.existing.members.iter().chain(ctx.out.data.members.iter()).map(|m| (&m.id_number, m.category)).collect();
            let mut drop = Vec::new();
            for (i, (s, &row)) in ctx.out.data.staff.iter().zip(&ctx.staff_row_numbers).enumerate() {
                let expect = match s.political_status {
                    PoliticalStatus::Member => Some(MemberCategory::Full),
                    PoliticalStatus::Probationary => Some(MemberCategory::Probationary),
                    _ => None,
                };
                match (expect, member_cat.get(&s.id_number)) {
                    (Some(_), None) if member_sheet_present || !ctx.existing.members.is_empty() => drop.push((
                        i,
                        row,
                        "member_row_missing",
                        "政治面貌为党员，但“党员”表和系统中都没有此人的党员记录：请在“党员”表补上此人，或改正政治面貌".to_string(),
                    )),
                    (Some(e), Some(c)) if e != *c => drop.push((
                        i,
                        row,
                        "category_mismatch",
                        format!(
                            "政治面貌与党员类别不一致：党员表中为“{}”。请改为一致（中共党员对应正式党员，中共预备党员对应预备党员）",
                            c.zh()
                        ),
                    )),
                    (None, Some(c)) => drop.push((
                        i,
                        row,
                        "category_mismatch",
                        format!("政治面貌为非党员，但党员表中登记为“{}”：请改正政治面貌，或删去党员表中的此人", c.zh()),
                    )),
                    _ => {}
                }
            }
            drop
        };
        for (_, r, code, msg) in &drop {
            let value = row_at(sheet.data, *r).map(|row| sheet.get(row, "political_status")).unwrap_or_default();
            ctx.problem(sheet, *r, "political_status", &value, code, Severity::Error, msg.clone());
            sheet.bad_rows.insert(*r);
        }
        if !drop.is_empty() {
            let mut keep = vec![true; ctx.out.data.staff.len()];
            for d in &drop {
                keep[d.0] = false;
            }
            let mut k = keep.iter();
            ctx.out.data.staff.retain(|_| *k.next().expect("one flag per record"));
            let mut k = keep.iter();
            ctx.staff_row_numbers.retain(|_| *k.next().expect("one flag per record"));
        }
    }
    if let Some(sheet) = found.get("党员") {
        let warn: Vec<u32> = {
            let staff_ids: HashSet<&IdNumber> = ctx.out.data.staff.iter().chain(ctx.existing.staff.iter()).map(|s| &s.id_number).collect();
            ctx.out
                .data
                .members
                .iter()
                .zip(&ctx.member_row_numbers)
                .filter(|(m, _)| !staff_ids.contains(&m.id_number))
                .map(|(_, r)| *r)
                .collect()
        };
        for r in warn {
            if let Some(row) = row_at(sheet.data, r) {
                ctx.warn(
                    sheet,
                    row,
                    "id_number",
                    "member_outside_system",
                    "此党员在本文件和系统中都没有教职工记录（在教育系统外工作？）：如在本县学校任职，请在“教职工”表补上",
                );
            }
        }
    }
}

/// The row Excel numbers `row` (a sheet's rows are in sheet order).
fn row_at(data: &SheetData, row: u32) -> Option<&RowData> {
    data.rows.binary_search_by_key(&row, |r| r.row).ok().map(|i| &data.rows[i])
}

#[cfg(test)]
mod par_tests {
    #[test]
    fn rows_parsed_on_every_core_come_back_in_order() {
        let items: Vec<u32> = (0..25_013).collect();
        let doubled = super::par_map(&items, |x| x * 2);
        assert_eq!(doubled, items.iter().map(|x| x * 2).collect::<Vec<_>>());
        assert!(super::par_map(&[] as &[u32], |x| *x).is_empty());
    }
}
