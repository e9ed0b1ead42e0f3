//! Writing ledger workbooks: the template (with instructions and drop-down lists), a region's
//! export in the same format (it re-imports to the same records), and the error workbook
//! (a copy of the upload with a 错误说明 column and the bad cells highlighted).
use std::collections::HashMap;

use hongzhu_core::labels::*;
use hongzhu_core::synth::Dataset;
use rust_xlsxwriter::{Color, DataValidation, Format, FormatBorder, Workbook, Worksheet};

use crate::read::SheetData;
use crate::validate::{Problem, SHEETS, Severity};
use crate::{LedgerError, neutralize};

fn labels<T: Labeled>() -> Vec<String> {
    T::ALL.iter().map(|v| v.zh().to_string()).collect()
}

/// The accepted values of an enumerated column, for drop-down lists.
fn choices(sheet: &str, field: &str) -> Option<Vec<String>> {
    let yes_no = || vec!["是".to_string(), "否".to_string()];
    Some(match (sheet, field) {
        ("区划", "level") => labels::<RegionLevel>(),
        ("学校", "kind") => labels::<InstitutionKind>(),
        ("学校", "ownership") => labels::<Ownership>(),
        ("学校", "status") => labels::<InstitutionStatus>(),
        ("教职工", "gender") => labels::<Gender>(),
        ("教职工", "post") => labels::<Post>(),
        ("教职工", "leadership_role") => labels::<LeadershipRole>(),
        ("教职工", "political_status") => labels::<PoliticalStatus>(),
        ("教职工", "development_stage") => labels::<DevelopmentStage>(),
        ("教职工", "backbone" | "head_teacher" | "mental_health") => yes_no(),
        ("党组织", "kind") => labels::<OrgKind>(),
        ("党组织", "status") => labels::<OrgStatus>(),
        ("组织覆盖", "mode") => labels::<CoverageMode>(),
        ("党员", "category") => labels::<MemberCategory>(),
        ("党员", "party_post") => labels::<PartyPost>(),
        ("党员", "education") => labels::<Education>(),
        ("党建指导员", "status") => labels::<InstructorStatus>(),
        _ => return None,
    })
}

/// Columns kept as text so Excel does not turn them into numbers (ID, phone, codes).
fn is_text_column(field: &str) -> bool {
    matches!(field, "id_number" | "phone" | "code" | "parent" | "institution" | "org" | "work_institution" | "county" | "town")
}

fn explain(sheet: &str, field: &str) -> (&'static str, &'static str) {
    match (sheet, field) {
        ("区划", "code") => ("省市县6位、乡镇街道9位行政区划代码", "370828101"),
        ("区划", "parent") => ("上级区划代码；文件中最上一级留空", "370828"),
        (_, "level") => ("省 / 市 / 县 / 乡镇", "乡镇"),
        ("学校", "code") => ("10位学校标识码；没有的用县内自编代码（4–32位数字、大写字母、-）", "3708280101"),
        (_, "name") => ("全称", "金乡县鸡黍镇中心小学"),
        ("学校", "kind") => ("幼儿园、小学、教学点、初级中学、九年一贯制学校、高级中学、完全中学……", "小学"),
        (_, "ownership") => ("公办 / 民办", "公办"),
        (_, "county") => ("6位县区代码；数据库中有多个县时必填", "370828"),
        (_, "town") => ("乡镇街道名称或9位代码", "鸡黍镇"),
        ("学校", "parent") => ("教学点填写其中心小学的机构代码", "3708280100"),
        (_, "longitude") => ("经度，十进制度数（WGS84）；与纬度同时填写", "116.31"),
        (_, "latitude") => ("纬度，十进制度数", "35.07"),
        ("学校", "status") => ("筹建 / 在办（默认）/ 撤并", "在办"),
        ("学校", "students") => ("整数", "860"),
        ("学校", "classes") => ("整数", "18"),
        (_, "id_number") => ("18位身份证号（旧式15位自动升位），本列为文本格式", "37082819900101123X"),
        (_, "gender") => ("男 / 女；须与身份证号一致，可不填", "女"),
        (_, "phone") => ("11位手机号，以1开头", "13812345678"),
        ("教职工", "institution") => ("所在学校的机构代码", "3708280101"),
        (_, "post") => ("教师 / 管理 / 工勤 / 其他", "教师"),
        (_, "leadership_role") => ("书记、副书记、校长、副校长、园长……；填写即属领导班子", "校长"),
        (_, "political_status") => ("中共党员 / 中共预备党员 / 共青团员 / 民主党派 / 群众", "群众"),
        (_, "development_stage") => ("入党申请人 / 入党积极分子 / 发展对象（仅非党员）", "入党积极分子"),
        (_, "backbone" | "head_teacher" | "mental_health") => ("是 / 否（也接受 Y/N、1/0、√/空）", "是"),
        (_, "work_start") => ("日期：2019-07-01、2019/7/1、2019.07.01 或 2019年7月1日", "2015-09-01"),
        ("党组织", "code") => ("2–32位数字、大写字母、-", "JX-107-ZB"),
        ("党组织", "kind") => ("党委 / 党总支 / 党支部 / 联合党支部 / 临时党支部", "党支部"),
        ("党组织", "parent") => ("上级组织代码；县教育工委留空", "JX-JYGW"),
        (_, "founded_on") => ("日期", "2005-07-01"),
        (_, "term_start") => ("本届任期开始日期", "2024-09-01"),
        (_, "term_years") => ("整数；不填按类别：党支部、党总支3年，党委5年", "3"),
        ("党组织", "status") => ("正常（默认）/ 撤销", "正常"),
        ("组织覆盖", "org") | ("党员", "org") => ("党组织的组织代码", "JX-107-ZB"),
        ("组织覆盖", "institution") => ("学校的机构代码", "3708280101"),
        (_, "mode") => ("单独组建 / 联合组建 / 挂靠", "单独组建"),
        (_, "category") => ("正式党员 / 预备党员", "正式党员"),
        (_, "admitted_on") => ("入党日期（成为预备党员的日期）", "2015-07-01"),
        (_, "full_on") => ("转正日期；正式党员必填", "2016-07-01"),
        (_, "work_institution") => ("工作学校的机构代码；不填取教职工表中的学校", "3708280101"),
        (_, "party_post") => ("书记、副书记、组织委员、宣传委员、纪检委员、委员、党小组长、党务工作者", "书记"),
        (_, "education") => ("最高学历：研究生 / 大学本科 / 大学专科 / 中专 / 高中 / 初中及以下；可不填", "大学本科"),
        ("党建指导员", "institution") => ("所指导的民办学校的机构代码", "3708280120"),
        (_, "assigned_on") => ("选派日期", "2025-03-01"),
        ("党建指导员", "status") => ("在岗（默认）/ 离任", "在岗"),
        ("学校业务指标", "institution") => ("学校的机构代码；每校每学年一行", "3708280001"),
        ("学校业务指标", "year") => ("学年开始的年份，2024 表示 2024—2025 学年", "2024"),
        ("学校业务指标", "class_sizes") => (
            "各班人数，用逗号分隔；填写后自动计算在校生数、班级数和大班额（56–65人）、超大班额（66人及以上）班级数（规则 R6.1）",
            "52,58,66,49",
        ),
        ("学校业务指标", "students") => ("在校学生数，整数；不填各班人数时填写", "2860"),
        ("学校业务指标", "classes") => ("班级数，整数；不得多于在校生数", "48"),
        ("学校业务指标", "large_classes") => ("大班额（56–65人）班级数", "3"),
        ("学校业务指标", "oversized_classes") => ("超大班额（66人及以上）班级数；与大班额合计不得多于班级数", "0"),
        ("学校业务指标", "teachers") => ("专任教师数", "186"),
        ("学校业务指标", "building_m2") => ("本学年新建、改扩建校舍面积（平方米）", "3200"),
        ("学校业务指标", "admitted") => ("高中：本科录取人数；不得多于参加高考人数", "612"),
        ("学校业务指标", "candidates") => ("高中：参加高考人数", "905"),
        ("学校业务指标", "poor_supported") => ("资助建档立卡等困难家庭学生数", "126"),
        ("学校业务指标", "investment_yuan") => ("本学年投入金额（元），整数", "1500000"),
        _ => ("", ""),
    }
}

fn header_format() -> Format {
    Format::new().set_bold().set_font_color(Color::White).set_background_color(Color::RGB(0xC8161D)).set_border(FormatBorder::Thin)
}

/// Headers, frozen first row, text columns and drop-down lists for one sheet.
fn prepare(ws: &mut Worksheet, sheet: &str, cols: &[crate::validate::Column], rows: u32) -> Result<(), LedgerError> {
    let head = header_format();
    let text = Format::new().set_num_format("@");
    for (c, (header, field, _)) in cols.iter().enumerate() {
        let c = c as u16;
        ws.write_string_with_format(0, c, *header, &head)?;
        ws.set_column_width(
            c,
            if *field == "name" {
                30.0
            } else if *field == "id_number" {
                22.0
            } else {
                14.0
            },
        )?;
        if is_text_column(field) {
            ws.set_column_format(c, &text)?;
        }
        if let Some(list) = choices(sheet, field) {
            let refs: Vec<&str> = list.iter().map(String::as_str).collect();
            let v =
                DataValidation::new().allow_list_strings(&refs)?.set_error_message(format!("请从下拉列表中选择：{}", list.join("、")))?;
            ws.add_data_validation(1, c, rows.max(1000), c, &v)?;
        }
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

/// The downloadable template: every sheet of spec/LEDGER.md and an instructions sheet.
pub fn template() -> Result<Vec<u8>, LedgerError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("说明")?;
    let bold = Format::new().set_bold();
    ws.write_string_with_format(0, 0, "红烛台账模板 · 填写说明", &Format::new().set_bold().set_font_size(14))?;
    ws.write_string(1, 0, "每个工作表第一行为表头，请勿修改表头；列的顺序可以调整，多余的列会被忽略。带下拉框的列请从列表中选择。")?;
    ws.write_string(2, 0, "身份证号、手机号、代码列已设为文本格式，请勿改为数字格式（否则身份证号末几位会丢失）。导入前会先全部检查，有错误时不写入任何数据。")?;
    for (c, h) in ["工作表", "列", "必填", "说明", "示例"].iter().enumerate() {
        ws.write_string_with_format(4, c as u16, *h, &bold)?;
    }
    ws.set_column_width(0, 12)?;
    ws.set_column_width(1, 16)?;
    ws.set_column_width(3, 70)?;
    ws.set_column_width(4, 24)?;
    let mut r = 5;
    for (sheet, cols) in SHEETS {
        for (header, field, required) in cols.iter() {
            let (what, example) = explain(sheet, field);
            ws.write_string(r, 0, *sheet)?;
            ws.write_string(r, 1, *header)?;
            ws.write_string(r, 2, if *required { "是" } else { "否" })?;
            ws.write_string(r, 3, what)?;
            ws.write_string(r, 4, example)?;
            r += 1;
        }
    }
    for (sheet, cols) in SHEETS {
        let ws = wb.add_worksheet().set_name(*sheet)?;
        prepare(ws, sheet, cols, 1000)?;
    }
    Ok(wb.save_to_buffer()?)
}

/// A region's registry in the ledger format. With `masked`, ID and phone numbers are masked
/// (S12) and the file is for reading only: a masked file cannot be imported again.
pub fn export(d: &Dataset, masked: bool) -> Result<Vec<u8>, LedgerError> {
    let mut wb = Workbook::new();
    let id = |s: &str| if masked { hongzhu_core::mask::mask_id(s) } else { s.to_string() };
    let phone = |s: &str| if masked { hongzhu_core::mask::mask_phone(s) } else { s.to_string() };
    let names: HashMap<&str, &str> = d.persons.iter().map(|p| (p.id_number.as_str(), p.name.as_str())).collect();
    let town_names: HashMap<&str, &str> = d.regions.iter().map(|r| (r.code.as_str(), r.name.as_str())).collect();
    let person_of: HashMap<&str, &hongzhu_core::registry::Person> = d.persons.iter().map(|p| (p.id_number.as_str(), p)).collect();
    for (sheet, cols) in SHEETS {
        let (count, rows): (usize, Box<dyn Iterator<Item = Vec<String>> + '_>) = match *sheet {
            "区划" => (
                d.regions.len(),
                Box::new(d.regions.iter().map(|r| {
                    vec![
                        r.code.to_string(),
                        r.name.clone(),
                        r.parent.as_ref().map(|p| p.to_string()).unwrap_or_default(),
                        r.level.zh().into(),
                    ]
                })),
            ),
            "学校" => (
                d.institutions.len(),
                Box::new(d.institutions.iter().map(|i| {
                    vec![
                        i.code.to_string(),
                        i.name.clone(),
                        i.kind.zh().into(),
                        i.ownership.zh().into(),
                        i.town.county().into(),
                        town_names.get(i.town.as_str()).map(|s| s.to_string()).unwrap_or_else(|| i.town.to_string()),
                        i.parent.as_ref().map(|p| p.to_string()).unwrap_or_default(),
                        i.longitude.map(|v| v.to_string()).unwrap_or_default(),
                        i.latitude.map(|v| v.to_string()).unwrap_or_default(),
                        i.status.zh().into(),
                        i.students.map(|v| v.to_string()).unwrap_or_default(),
                        i.classes.map(|v| v.to_string()).unwrap_or_default(),
                    ]
                })),
            ),
            "教职工" => (
                d.staff.len(),
                Box::new(d.staff.iter().map(|s| {
                    let p = person_of.get(s.id_number.as_str());
                    let yn = |b: bool| if b { "是" } else { "否" }.to_string();
                    vec![
                        id(s.id_number.as_str()),
                        names.get(s.id_number.as_str()).map(|x| x.to_string()).unwrap_or_default(),
                        p.map(|p| p.gender.zh().to_string()).unwrap_or_default(),
                        p.and_then(|p| p.phone.as_ref()).map(|x| phone(x.as_str())).unwrap_or_default(),
                        s.institution.to_string(),
                        s.post.map(|v| v.zh().to_string()).unwrap_or_default(),
                        s.leadership_role.map(|v| v.zh().to_string()).unwrap_or_default(),
                        s.political_status.zh().into(),
                        s.development_stage.map(|v| v.zh().to_string()).unwrap_or_default(),
                        yn(s.backbone),
                        yn(s.head_teacher),
                        yn(s.mental_health),
                        s.work_start.map(|d| d.to_string()).unwrap_or_default(),
                    ]
                })),
            ),
            "党组织" => (
                d.orgs.len(),
                Box::new(d.orgs.iter().map(|o| {
                    vec![
                        o.code.to_string(),
                        o.name.clone(),
                        o.kind.zh().into(),
                        o.parent.as_ref().map(|p| p.to_string()).unwrap_or_default(),
                        o.founded_on.map(|d| d.to_string()).unwrap_or_default(),
                        o.term_start.map(|d| d.to_string()).unwrap_or_default(),
                        o.term_years.map(|d| d.to_string()).unwrap_or_default(),
                        o.status.zh().into(),
                    ]
                })),
            ),
            "组织覆盖" => (
                d.coverages.len(),
                Box::new(d.coverages.iter().map(|c| vec![c.org.to_string(), c.institution.to_string(), c.mode.zh().into()])),
            ),
            "党员" => (
                d.members.len(),
                Box::new(d.members.iter().map(|m| {
                    vec![
                        id(m.id_number.as_str()),
                        names.get(m.id_number.as_str()).map(|x| x.to_string()).unwrap_or_default(),
                        m.category.zh().into(),
                        m.admitted_on.to_string(),
                        m.full_on.map(|d| d.to_string()).unwrap_or_default(),
                        m.org.to_string(),
                        m.work_institution.as_ref().map(|w| w.to_string()).unwrap_or_default(),
                        m.party_post.map(|p| p.zh().to_string()).unwrap_or_default(),
                        m.education.map(|e| e.zh().to_string()).unwrap_or_default(),
                    ]
                })),
            ),
            "学校业务指标" => (
                d.indicators.len(),
                Box::new(d.indicators.iter().map(|x| {
                    let v = &x.values;
                    let opt = |o: Option<i64>| o.map(|n| n.to_string()).unwrap_or_default();
                    vec![
                        x.institution.to_string(),
                        x.year.to_string(),
                        String::new(),
                        v.students.to_string(),
                        v.classes.to_string(),
                        v.large_classes.to_string(),
                        v.oversized_classes.to_string(),
                        v.teachers.to_string(),
                        v.building_m2.to_string(),
                        opt(v.admitted),
                        opt(v.candidates),
                        v.poor_supported.to_string(),
                        v.investment_yuan.to_string(),
                    ]
                })),
            ),
            _ => (
                d.instructors.len(),
                Box::new(d.instructors.iter().map(|n| {
                    vec![
                        id(n.id_number.as_str()),
                        names.get(n.id_number.as_str()).map(|x| x.to_string()).unwrap_or_default(),
                        n.institution.to_string(),
                        n.assigned_on.to_string(),
                        n.status.zh().into(),
                    ]
                })),
            ),
        };
        // Constant memory: each row goes to a temporary file as soon as the next one begins, so a
        // province's million staff rows are never all held as cells.
        let ws = wb.add_worksheet_with_constant_memory()?.set_name(*sheet)?;
        prepare(ws, sheet, cols, count as u32 + 1)?;
        for (r, row) in rows.enumerate() {
            for (c, v) in row.iter().enumerate() {
                if !v.is_empty() {
                    // S20: text that could be taken for a formula stays text.
                    ws.write_string(r as u32 + 1, c as u16, neutralize(v))?;
                }
            }
        }
    }
    Ok(wb.save_to_buffer()?)
}

/// The uploaded workbook again, with a 错误说明 column and each problem's cell highlighted.
pub fn error_workbook(sheets: &[SheetData], problems: &[Problem]) -> Result<Vec<u8>, LedgerError> {
    let mut wb = Workbook::new();
    let head = header_format();
    let bad = Format::new().set_background_color(Color::RGB(0xFFC7CE)).set_font_color(Color::RGB(0x9C0006));
    let warn = Format::new().set_background_color(Color::RGB(0xFFEB9C));
    let note = Format::new().set_font_color(Color::RGB(0x9C0006)).set_text_wrap();
    for s in sheets {
        let ws = wb.add_worksheet().set_name(&s.name)?;
        let mine: Vec<&Problem> = problems.iter().filter(|p| p.sheet == s.name).collect();
        let ncols = s.headers.len().max(s.rows.iter().map(|r| r.width()).max().unwrap_or(0));
        // The sheet's problems by row (a province's sheet is a million rows).
        let mut by_row: std::collections::HashMap<u32, Vec<&Problem>> = std::collections::HashMap::new();
        for p in &mine {
            by_row.entry(p.row).or_default().push(p);
        }
        let hr = s.header_row - 1;
        for (c, h) in s.headers.iter().enumerate() {
            ws.write_string_with_format(hr, c as u16, neutralize(h), &head)?;
        }
        ws.write_string_with_format(hr, ncols as u16, "错误说明", &head)?;
        ws.set_column_width(ncols as u16, 60)?;
        for row in &s.rows {
            let r = row.row - 1;
            let here: &[&Problem] = by_row.get(&row.row).map(Vec::as_slice).unwrap_or(&[]);
            for (c, v) in row.cells().enumerate() {
                let hit = if here.is_empty() {
                    None
                } else {
                    let header = s.headers.get(c).map(|h| crate::validate::normalize_header(h)).unwrap_or_default();
                    here.iter().find(|p| p.header == header)
                };
                match hit {
                    Some(p) if p.severity == Severity::Error => ws.write_string_with_format(r, c as u16, neutralize(v), &bad)?,
                    Some(_) => ws.write_string_with_format(r, c as u16, neutralize(v), &warn)?,
                    None if v.is_empty() => ws,
                    None => ws.write_string(r, c as u16, neutralize(v))?,
                };
            }
            if !here.is_empty() {
                let text = here
                    .iter()
                    .map(|p| format!("{}{}：{}", if p.severity == Severity::Error { "✕" } else { "!" }, p.header, p.message))
                    .collect::<Vec<_>>()
                    .join("\n");
                ws.write_string_with_format(r, ncols as u16, text, &note)?;
            }
        }
        // Problems about the header row (missing or unknown columns).
        let header_notes: Vec<String> = mine.iter().filter(|p| p.row == s.header_row).map(|p| p.message.clone()).collect();
        if !header_notes.is_empty() {
            ws.write_string_with_format(hr, ncols as u16 + 1, header_notes.join("\n"), &note)?;
        }
        ws.set_freeze_panes(s.header_row, 0)?;
    }
    Ok(wb.save_to_buffer()?)
}
