//! The coverage audit against the shared fixture (a workbook written by LibreOffice and its
//! expected audit), and at its edges.
use calamine::{Data, Reader, open_workbook_auto};
use chrono::NaiveDate;
use hongzhu_core::coverage::{AuditSettings, audit};
use hongzhu_core::labels::*;
use hongzhu_core::registry::*;
use hongzhu_core::synth::Dataset;
use hongzhu_core::{IdNumber, InstitutionCode, OrgCode, Phone, RegionCode};
use serde_json::Value;

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/ledger").join(name)
}

fn text(c: &Data) -> String {
    match c {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => d.as_datetime().map(|x| x.date().to_string()).unwrap_or_default(),
        Data::DateTimeIso(s) => s[..10.min(s.len())].to_string(),
        other => other.to_string(),
    }
}

/// Rows of a sheet as header → text maps (a reader for the fixture only; the product's importer
/// validates every cell).
fn rows(path: &std::path::Path, sheet: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut wb = open_workbook_auto(path).unwrap();
    let range = wb.worksheet_range(sheet).unwrap();
    let mut it = range.rows();
    let header: Vec<String> = it.next().unwrap().iter().map(text).collect();
    it.filter(|r| r.iter().any(|c| !text(c).is_empty())).map(|r| header.iter().cloned().zip(r.iter().map(text)).collect()).collect()
}

fn date(s: &str) -> Option<NaiveDate> {
    parse_date(s)
}

pub fn load_fixture(path: &std::path::Path) -> Dataset {
    let today = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
    let mut d = Dataset::default();
    for r in rows(path, "区划") {
        d.regions.push(Region {
            code: RegionCode::parse(&r["区划代码"]).unwrap(),
            name: r["名称"].clone(),
            parent: RegionCode::parse(&r["上级区划代码"]).ok(),
            level: RegionLevel::parse(&r["级别"]).unwrap(),
        });
    }
    let towns: std::collections::HashMap<String, String> = d.regions.iter().map(|r| (r.name.clone(), r.code.to_string())).collect();
    for r in rows(path, "学校") {
        d.institutions.push(
            InstitutionInput {
                code: r["机构代码"].clone(),
                name: r["名称"].clone(),
                kind: r["类型"].clone(),
                ownership: r["办学性质"].clone(),
                status: r["状态"].clone(),
                town: towns[&r["乡镇街道"]].clone(),
                parent: r["上级学校代码"].clone(),
                longitude: r["经度"].clone(),
                latitude: r["纬度"].clone(),
                students: r["在校生数"].clone(),
                classes: r["班级数"].clone(),
            }
            .parse()
            .unwrap(),
        );
    }
    for r in rows(path, "教职工") {
        let input = StaffInput {
            id_number: r["身份证号"].clone(),
            name: r["姓名"].clone(),
            gender: r["性别"].clone(),
            phone: r["手机号"].clone(),
            institution: r["机构代码"].clone(),
            post: r["岗位"].clone(),
            leadership_role: r["领导职务"].clone(),
            political_status: r["政治面貌"].clone(),
            development_stage: r["发展阶段"].clone(),
            backbone: r["骨干教师"].clone(),
            head_teacher: r["班主任"].clone(),
            mental_health: r["心理健康教师"].clone(),
            work_start: r["参加工作日期"].clone(),
        };
        let (p, s) = input.parse(today).unwrap();
        d.persons.push(p);
        d.staff.push(s);
    }
    for r in rows(path, "党组织") {
        d.orgs.push(
            OrgInput {
                code: r["组织代码"].clone(),
                name: r["组织名称"].clone(),
                kind: r["组织类别"].clone(),
                parent: r["上级组织代码"].clone(),
                region: "370899".into(),
                founded_on: r["成立日期"].clone(),
                term_start: r["本届任期开始"].clone(),
                term_years: r["任期年限"].clone(),
                status: r["状态"].clone(),
            }
            .parse()
            .unwrap(),
        );
    }
    for r in rows(path, "组织覆盖") {
        d.coverages.push(Coverage {
            org: OrgCode::parse(&r["组织代码"]).unwrap(),
            institution: InstitutionCode::parse(&r["机构代码"]).unwrap(),
            mode: CoverageMode::parse(&r["覆盖方式"]).unwrap(),
        });
    }
    for r in rows(path, "党员") {
        d.members.push(
            MemberInput {
                id_number: r["身份证号"].clone(),
                category: r["党员类别"].clone(),
                admitted_on: r["入党日期"].clone(),
                full_on: r["转正日期"].clone(),
                org: r["所在组织代码"].clone(),
                work_institution: r["工作机构代码"].clone(),
                party_post: r["党内职务"].clone(),
            }
            .parse(today)
            .unwrap(),
        );
    }
    for r in rows(path, "党建指导员") {
        let id = IdNumber::parse_on(&r["身份证号"], today).unwrap();
        if !d.persons.iter().any(|p| p.id_number == id) {
            d.persons.push(Person {
                id_number: id.clone(),
                name: r["姓名"].clone(),
                gender: if id.is_male() { Gender::Male } else { Gender::Female },
                phone: None::<Phone>,
            });
        }
        d.instructors.push(Instructor {
            id_number: id,
            institution: InstitutionCode::parse(&r["指导机构代码"]).unwrap(),
            assigned_on: date(&r["选派日期"]).unwrap(),
            status: InstructorStatus::parse(&r["状态"]).unwrap_or(InstructorStatus::Active),
        });
    }
    d
}

fn expected() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture("small-county.audit.json")).unwrap()).unwrap()
}

fn without_region(mut v: Value) -> Value {
    v.as_object_mut().unwrap().remove("region");
    v
}

/// The small county gives exactly the expected audit, from each of the three file formats.
#[test]
fn the_small_county_audit_matches_the_fixture() {
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
    for file in ["small-county.xlsx", "small-county.ods", "small-county.xls"] {
        let d = load_fixture(&fixture(file));
        let got = serde_json::to_value(audit(&d, as_of, "370899", &AuditSettings::default())).unwrap();
        let want = expected();
        let (got, want) = (without_region(got), without_region(want));
        if got != want {
            panic!(
                "{file}: audit differs\n got: {}\nwant: {}",
                serde_json::to_string_pretty(&got).unwrap(),
                serde_json::to_string_pretty(&want).unwrap()
            );
        }
    }
}
