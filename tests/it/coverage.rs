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

mod web {
    use chrono::Utc;
    use serde_json::Value;

    use crate::support::{self, Db};

    async fn coverage_api_and_pages(db: Db) {
        let app = support::app(db).await;
        let (c, _) = support::api_login(&app, "county").await;
        let today = Utc::now().date_naive();
        let r = c.get(format!("{}/api/v1/coverage?as_of={today}", app.base)).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let a: Value = r.json().await.unwrap();
        let keys: Vec<&str> = a.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        assert_eq!(keys, vec!["as_of", "findings", "institutions", "rates", "region", "warnings"]);
        assert_eq!(a["region"], "370828");
        assert_eq!(a["institutions"]["planned"], 2);
        let gaps: std::collections::HashSet<&str> = a["findings"].as_array().unwrap().iter().map(|f| f["gap"].as_str().unwrap()).collect();
        assert_eq!(gaps.len(), 12, "every gap code: {gaps:?}");
        // Bad input answers with the field and what is wrong.
        let r = c.get(format!("{}/api/v1/coverage?as_of=2026-02-30", app.base)).send().await.unwrap();
        assert_eq!(r.status(), 422);
        assert_eq!(r.json::<Value>().await.unwrap()["field"], "as_of");
        let r = c.get(format!("{}/api/v1/coverage?as_of=1950-01-01", app.base)).send().await.unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.json::<Value>().await.unwrap()["message"].as_str().unwrap().contains("之前没有数据"));
        let r = c.get(format!("{}/api/v1/coverage?region=370828999", app.base)).send().await.unwrap();
        assert_eq!(r.status(), 422);
        assert_eq!(r.json::<Value>().await.unwrap()["field"], "region");
        let r = c.get(format!("{}/api/v1/coverage?region=370829", app.base)).send().await.unwrap();
        assert_eq!(r.status(), 404, "another county is out of scope");
        let town: Value = c.get(format!("{}/api/v1/coverage?region=370828105", app.base)).send().await.unwrap().json().await.unwrap();
        assert!(town["institutions"]["operating"].as_u64().unwrap() < 30);

        // The page, its print view and its workbook.
        let p = support::page_login(&app, "county").await;
        let html = p.get(format!("{}/coverage", app.base)).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("党员全覆盖率") && html.contains("<svg") && html.contains("问题与整改建议") && html.contains("就近挂靠"));
        let drill = p.get(format!("{}/coverage?town=370828105&check=organization", app.base)).send().await.unwrap().text().await.unwrap();
        assert!(drill.contains("卜集镇") && !drill.contains("鸡黍镇中心小学</a> <span"));
        let bad = p.get(format!("{}/coverage?as_of=yesterday", app.base)).send().await.unwrap();
        assert_eq!(bad.status(), 422);
        assert!(bad.text().await.unwrap().contains("核查日期“yesterday”无效"));
        let print = p.get(format!("{}/coverage/print", app.base)).send().await.unwrap().text().await.unwrap();
        assert!(print.contains("问题清单与整改建议") && print.contains("print-table"));
        let x = p.get(format!("{}/coverage/export.xlsx", app.base)).send().await.unwrap();
        assert_eq!(x.headers()["content-type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
        let bytes = x.bytes().await.unwrap();
        assert_eq!(&bytes[..2], b"PK");
        let tmp = support::TempDir::new();
        let path = tmp.0.join("c.xlsx");
        std::fs::write(&path, &bytes).unwrap();
        let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&path).unwrap();
        use calamine::Reader;
        assert_eq!(wb.sheet_names(), vec!["汇总", "党员全覆盖", "班子党员全覆盖", "党组织全覆盖", "整改方案", "预警"]);
        let org = wb.worksheet_range("党组织全覆盖").unwrap();
        assert!(org.rows().count() > 5);
    }
    crate::on_both!(coverage_web, coverage_api_and_pages);

    async fn snapshots_and_rectification(db: Db) {
        let app = support::app(db).await;
        let p = support::page_login(&app, "county").await;
        let html = p.get(format!("{}/coverage", app.base)).send().await.unwrap().text().await.unwrap();
        let csrf = support::csrf_in(&html);
        // A task for 金乡县城东小学（筹建）'s planned_without_org finding.
        let (c, _) = support::api_login(&app, "county").await;
        let a: Value = c.get(format!("{}/api/v1/coverage", app.base)).send().await.unwrap().json().await.unwrap();
        let f = a["findings"].as_array().unwrap().iter().find(|f| f["gap"] == "planned_without_org").unwrap().clone();
        let inst = f["institution"].as_str().unwrap().to_string();
        let today = Utc::now().date_naive();
        let form = p
            .get(format!("{}/coverage/tasks/new?institution={inst}&gap=planned_without_org&as_of={today}", app.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(form.contains("与学校建设同步谋划党组织设置"));
        let r = p
            .post(format!("{}/coverage/tasks/new", app.base))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("institution", &inst),
                ("gap", "planned_without_org"),
                ("as_of", &today.to_string()),
                ("responsible", ""),
                ("deadline", "2020-01-01"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let t = r.text().await.unwrap();
        assert!(t.contains("请填写责任人") && t.contains("整改期限不能早于今天"));
        let deadline = (today + chrono::Duration::days(30)).to_string();
        let r = p
            .post(format!("{}/coverage/tasks/new", app.base))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("institution", &inst),
                ("gap", "planned_without_org"),
                ("as_of", &today.to_string()),
                ("responsible", "县教育局基建科"),
                ("deadline", &deadline),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let list = p.get(format!("{}/coverage/tasks", app.base)).send().await.unwrap().text().await.unwrap();
        assert!(list.contains("县教育局基建科") && list.contains("筹建学校未同步谋划党组织"));
        // The same finding cannot get a second open task.
        let r = p
            .post(format!("{}/coverage/tasks/new", app.base))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("institution", &inst),
                ("gap", "planned_without_org"),
                ("as_of", &today.to_string()),
                ("responsible", "x"),
                ("deadline", &deadline),
            ])
            .send()
            .await
            .unwrap();
        assert!(r.text().await.unwrap().contains("已有未验收的整改任务"));

        // The gap is closed: the school's organization is planned (a coverage row), then a snapshot.
        let store = &app.demo.store;
        let plan = hongzhu_core::registry::OrgInput {
            code: "JX-CD-ZB".into(),
            name: "中共金乡县城东小学支部委员会（筹）".into(),
            kind: "党支部".into(),
            region: "370828".into(),
            ..Default::default()
        }
        .parse()
        .unwrap();
        store.create_org(&plan, "t").await.unwrap();
        store.add_coverage("JX-CD-ZB", &inst, hongzhu_core::labels::CoverageMode::Own, "t").await.unwrap();
        let r = p
            .post(format!("{}/coverage/snapshots", app.base))
            .form(&[("_csrf", csrf.as_str()), ("as_of", &today.to_string())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let tasks = store.tasks("370828", None).await.unwrap();
        assert_eq!(tasks.len(), 1);
        assert!(!tasks[0].gap_present, "the later audit marks the gap gone");
        assert_eq!(tasks[0].checked_on, Some(today));
        let snaps = store.snapshots("370828").await.unwrap();
        assert_eq!(snaps.len(), 1);
        // Status moves on, with the version read (a stale one is refused).
        let task = &tasks[0];
        let r = p
            .post(format!("{}/coverage/tasks/{}", app.base, task.id))
            .form(&[("_csrf", csrf.as_str()), ("_version", &task.version.to_string()), ("status", "verified"), ("note", "已验收")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let r = p
            .post(format!("{}/coverage/tasks/{}", app.base, task.id))
            .form(&[("_csrf", csrf.as_str()), ("_version", &task.version.to_string()), ("status", "open"), ("note", "")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 412);
        // Overdue: a task past its deadline with its gap still found is listed for the county.
        let f2 = a["findings"].as_array().unwrap().iter().find(|f| f["gap"] == "no_secretary").unwrap();
        store
            .create_task(
                &hongzhu_store::NewTask {
                    region: "370828".into(),
                    institution: f2["institution"].as_str().unwrap().into(),
                    check: "organization".into(),
                    gap: "no_secretary".into(),
                    rule: "R1.4".into(),
                    remedy: f2["remedy"].clone(),
                    responsible: "支部".into(),
                    deadline: today - chrono::Duration::days(1),
                    note: None,
                },
                "t",
            )
            .await
            .unwrap();
        let overdue = p.get(format!("{}/coverage/tasks?overdue=1", app.base)).send().await.unwrap().text().await.unwrap();
        assert!(overdue.contains("已逾期") && overdue.contains("党组织没有书记"));
        // Comparing two dates.
        let cmp = p
            .get(format!("{}/coverage/compare?a={}&b={today}", app.base, today - chrono::Duration::days(200)))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(cmp.contains("变化（百分点）") && cmp.contains("新增问题"));
    }
    crate::on_both!(coverage_tasks, snapshots_and_rectification);

    #[tokio::test]
    async fn roles_and_coverage() {
        let app = support::app(Db::Sqlite).await;
        let (c, _) = support::api_login(&app, "yizhong").await;
        let a: Value = c.get(format!("{}/api/v1/coverage", app.base)).send().await.unwrap().json().await.unwrap();
        assert_eq!(a["institutions"]["operating"], 1, "a secretary's audit covers their school");
        assert!(a["findings"].as_array().unwrap().iter().all(|f| f["institution"] == "3708280001"));
        let (m, _) = support::api_login(&app, "dangyuan").await;
        assert_eq!(m.get(format!("{}/api/v1/coverage", app.base)).send().await.unwrap().status(), 403);
    }
}
